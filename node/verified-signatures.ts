/**
 * A memo of signatures this node has already verified, so the same (signature, message, key)
 * triple costs one Ed25519 verification per node, not one per use. The main repeat it removes:
 * a commit certificate's precommits, verified one by one by the consensus engine as votes
 * arrive, then all again by `verifyCommit` when the block is committed (and twice when synced).
 *
 * Only successes are remembered, keyed by the exact bytes of all three inputs, so the memo can
 * never accept anything `verify` would refuse. Bounded: the oldest entries leave first.
 *
 * `trust` records a signature this node made itself (its PrivValidator's votes and proposals,
 * fed back to its own consensus engine): verifying our own fresh signature would only spend an
 * Ed25519 verification on a result known in advance.
 */
import { verify, type SignatureVerifier } from '../core/keys.ts'

export interface MemoizedVerifier {
  readonly verify: SignatureVerifier
  /** Records a signature this node just made with its own key (never anything from outside). */
  readonly trust: (signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array) => void
  readonly stats: () => { readonly hits: number; readonly misses: number; readonly size: number }
}

export const DEFAULT_VERIFIED_SIGNATURES = 16_384

export function createMemoizedVerifier(inner: SignatureVerifier = verify, capacity = DEFAULT_VERIFIED_SIGNATURES): MemoizedVerifier {
  const seen = new Set<string>()
  let hits = 0
  let misses = 0
  const keyOf = (signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): string =>
    // Lengths first, so no two different triples share a key.
    `${signature.length}.${publicKey.length}.${Buffer.from(signature.buffer, signature.byteOffset, signature.length).toString('latin1')}` +
    `${Buffer.from(publicKey.buffer, publicKey.byteOffset, publicKey.length).toString('latin1')}${Buffer.from(message.buffer, message.byteOffset, message.length).toString('latin1')}`
  const remember = (key: string): void => {
    if (seen.has(key)) return
    if (seen.size >= capacity) seen.delete(seen.values().next().value!)
    seen.add(key)
  }
  return {
    verify(signature, message, publicKey) {
      if (!(signature instanceof Uint8Array) || !(message instanceof Uint8Array) || !(publicKey instanceof Uint8Array)) return inner(signature, message, publicKey)
      const key = keyOf(signature, message, publicKey)
      if (seen.has(key)) {
        hits++
        return true
      }
      misses++
      if (!inner(signature, message, publicKey)) return false
      remember(key)
      return true
    },
    trust(signature, message, publicKey) {
      remember(keyOf(signature, message, publicKey))
    },
    stats: () => ({ hits, misses, size: seen.size }),
  }
}
