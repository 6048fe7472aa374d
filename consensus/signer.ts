/**
 * The validator's message signer: Ed25519 on node:crypto with the key imported once. It lives in
 * core/keys.ts, beside `sign`, so clients and validators share one implementation; re-exported
 * here because the consensus package's API names it.
 */
export { createEd25519Signer, type MessageSigner } from '../core/keys.ts'
