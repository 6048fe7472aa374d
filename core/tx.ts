/**
 * Transactions: an immutable, signed record with a canonical encoding.
 *
 *   unsigned raw = [chainId, kind, senderPublicKey, nonce, target, method, args, gasLimit]
 *   signed   raw = [unsigned raw, signature]
 *   id           = SHA-256d(domainTag('tx') || encode(unsigned raw))
 *   signature    = Ed25519 over the id
 *
 * `target` is a 20-byte address (empty for deploys). `args` is a list of canonical values whose
 * meaning depends on the kind. Constructors check shape and say what they throw; semantic checks
 * that need chain state (nonce, duplicates) live in `validateTxAgainstAccount` and the mempool.
 */
import {
  asArray, asBytes, asList, asString, asUint, decode, encodeTrusted, assertCanonicalValue, type CanonicalValue,
} from './encoding.ts'
import { CoreError, CoreErrorCode } from './errors.ts'
import { domainTag, sha256d } from './hash.ts'
import { toHex } from './hex.ts'
import {
  ADDRESS_LENGTH, PUBLIC_KEY_LENGTH, SIGNATURE_LENGTH, addressFromPublicKey, sign, verify, type MessageSigner, type SignatureVerifier,
} from './keys.ts'

export const TxKind = {
  /** Deploy a contract: args = [code, abi, source, constructorArgs]. */
  DEPLOY: 0,
  /** Call a contract method: target = contract address, method, args. */
  CALL: 1,
  /** Built-in key/value put (spine test kind): method = key, args = [value bytes | string]. */
  KV_PUT: 2,
} as const
export type TxKind = (typeof TxKind)[keyof typeof TxKind]
const KNOWN_KINDS = new Set<number>(Object.values(TxKind))

export const TX_LIMITS = {
  /** Largest encoded signed tx; deploys carry code, ABI and source. */
  maxBytes: 256 * 1024,
  maxChainIdLength: 64,
  maxMethodLength: 128,
  maxArgs: 64,
  minGasLimit: 1_000,
  maxGasLimit: 50_000_000,
}

export interface UnsignedTx {
  readonly chainId: string
  readonly kind: TxKind
  readonly senderPublicKey: Uint8Array
  readonly nonce: number
  readonly target: Uint8Array
  readonly method: string
  readonly args: readonly CanonicalValue[]
  readonly gasLimit: number
}

export interface SignedTx extends UnsignedTx {
  readonly signature: Uint8Array
  /** SHA-256d id of the unsigned canonical bytes. */
  readonly id: Uint8Array
  /** Sender address, derived from the public key. */
  readonly sender: Uint8Array
  /** The canonical encoding of the signed tx (what travels and what is stored). */
  readonly bytes: Uint8Array
}

export function unsignedTxRaw(tx: UnsignedTx): CanonicalValue[] {
  return [tx.chainId, tx.kind, tx.senderPublicKey, tx.nonce, tx.target, tx.method, tx.args as CanonicalValue[], tx.gasLimit]
}

export function txId(tx: UnsignedTx): Uint8Array {
  return txIdOfEncoding(encodeTrusted(unsignedTxRaw(tx)))
}

/** The id of an unsigned tx from its canonical encoding. */
function txIdOfEncoding(unsignedEncoding: Uint8Array): Uint8Array {
  return sha256d(domainTag('tx'), unsignedEncoding)
}

/** What follows the unsigned tx in a signed tx's encoding: the signature as msgpack bin 8. */
const SIGNATURE_SUFFIX_BYTES = 2 + SIGNATURE_LENGTH

function checkUnsignedShape(tx: UnsignedTx): void {
  const what = 'tx'
  if (typeof tx.chainId !== 'string' || tx.chainId.length === 0 || tx.chainId.length > TX_LIMITS.maxChainIdLength) {
    throw new CoreError(CoreErrorCode.BAD_SHAPE, `${what}.chainId must be 1..${TX_LIMITS.maxChainIdLength} characters`)
  }
  if (!KNOWN_KINDS.has(tx.kind)) throw new CoreError(CoreErrorCode.UNKNOWN_TX_KIND, `unknown tx kind ${String(tx.kind)}`)
  if (!(tx.senderPublicKey instanceof Uint8Array) || tx.senderPublicKey.length !== PUBLIC_KEY_LENGTH) {
    throw new CoreError(CoreErrorCode.BAD_SHAPE, `${what}.senderPublicKey must be ${PUBLIC_KEY_LENGTH} bytes`)
  }
  if (!Number.isSafeInteger(tx.nonce) || tx.nonce < 0) throw new CoreError(CoreErrorCode.BAD_SHAPE, `${what}.nonce must be a non-negative integer`)
  if (!(tx.target instanceof Uint8Array) || (tx.target.length !== 0 && tx.target.length !== ADDRESS_LENGTH)) {
    throw new CoreError(CoreErrorCode.BAD_SHAPE, `${what}.target must be empty or ${ADDRESS_LENGTH} bytes`)
  }
  if (tx.kind === TxKind.CALL && tx.target.length !== ADDRESS_LENGTH) throw new CoreError(CoreErrorCode.BAD_SHAPE, 'a call needs a target address')
  if (typeof tx.method !== 'string' || tx.method.length > TX_LIMITS.maxMethodLength) {
    throw new CoreError(CoreErrorCode.BAD_SHAPE, `${what}.method must be a string of at most ${TX_LIMITS.maxMethodLength} characters`)
  }
  if (!Array.isArray(tx.args) || tx.args.length > TX_LIMITS.maxArgs) {
    throw new CoreError(CoreErrorCode.BAD_SHAPE, `${what}.args must be a list of at most ${TX_LIMITS.maxArgs} values`)
  }
  // Depth 2: args sit at [signed raw][unsigned raw][args], so a tx built here never nests deeper
  // than `createTxFromBytes` (which decodes the whole signed tx) accepts.
  assertCanonicalValue(tx.args as CanonicalValue, 2)
  assertCanonicalValue(tx.chainId)
  assertCanonicalValue(tx.method)
  if (!Number.isSafeInteger(tx.gasLimit) || tx.gasLimit < TX_LIMITS.minGasLimit || tx.gasLimit > TX_LIMITS.maxGasLimit) {
    throw new CoreError(CoreErrorCode.GAS_LIMIT_OUT_OF_BOUNDS, `gas limit ${tx.gasLimit} outside ${TX_LIMITS.minGasLimit}..${TX_LIMITS.maxGasLimit}`)
  }
}

function finish(unsigned: UnsignedTx, signature: Uint8Array, id: Uint8Array, bytes?: Uint8Array): SignedTx {
  const encoded = bytes ?? encodeTrusted([unsignedTxRaw(unsigned), signature])
  if (encoded.length > TX_LIMITS.maxBytes) {
    throw new CoreError(CoreErrorCode.TX_TOO_LARGE, `tx is ${encoded.length} bytes, limit ${TX_LIMITS.maxBytes}`)
  }
  return Object.freeze({
    ...unsigned,
    signature,
    id,
    sender: addressFromPublicKey(unsigned.senderPublicKey),
    bytes: encoded,
  })
}

/**
 * Builds and signs a transaction.
 * @throws CoreError BAD_SHAPE, UNKNOWN_TX_KIND, GAS_LIMIT_OUT_OF_BOUNDS, TX_TOO_LARGE
 */
export function createSignedTx(fields: Omit<UnsignedTx, 'senderPublicKey'>, secretKey: Uint8Array, publicKey: Uint8Array): SignedTx {
  return createSignedTxWith(fields, { publicKey, sign: (id) => sign(id, secretKey) })
}

/**
 * Builds a transaction and signs it with a prepared signer (`createEd25519Signer`), which imports
 * the key once: what a client that signs many txs with one key uses.
 * @throws CoreError BAD_SHAPE, UNKNOWN_TX_KIND, GAS_LIMIT_OUT_OF_BOUNDS, TX_TOO_LARGE
 */
export function createSignedTxWith(fields: Omit<UnsignedTx, 'senderPublicKey'>, signer: MessageSigner): SignedTx {
  const unsigned: UnsignedTx = { ...fields, senderPublicKey: signer.publicKey }
  checkUnsignedShape(unsigned)
  const id = txId(unsigned)
  return finish(unsigned, signer.sign(id), id)
}

/**
 * Decodes a signed transaction from its canonical bytes. Checks shape and size, not the
 * signature (see `verifyTxSignature`) or chain rules (see `validateTxStateless`).
 * @throws CoreError TX_TOO_LARGE, DECODE_*, BAD_SHAPE, UNKNOWN_TX_KIND, GAS_LIMIT_OUT_OF_BOUNDS
 */
export function createTxFromBytes(bytes: Uint8Array): SignedTx {
  if (bytes instanceof Uint8Array && bytes.length > TX_LIMITS.maxBytes) {
    throw new CoreError(CoreErrorCode.TX_TOO_LARGE, `tx is ${bytes.length} bytes, limit ${TX_LIMITS.maxBytes}`)
  }
  const raw = asArray(decode(bytes, TX_LIMITS.maxBytes), 2, 'signed tx')
  const u = asArray(raw[0]!, 8, 'unsigned tx')
  const unsigned: UnsignedTx = {
    chainId: asString(u[0], 'tx.chainId', TX_LIMITS.maxChainIdLength),
    kind: asUint(u[1], 'tx.kind') as TxKind,
    senderPublicKey: asBytes(u[2], 'tx.senderPublicKey', PUBLIC_KEY_LENGTH),
    nonce: asUint(u[3], 'tx.nonce'),
    target: asBytes(u[4], 'tx.target'),
    method: asString(u[5], 'tx.method', TX_LIMITS.maxMethodLength),
    args: asList(u[6], 'tx.args', TX_LIMITS.maxArgs),
    gasLimit: asUint(u[7], 'tx.gasLimit'),
  }
  checkUnsignedShape(unsigned)
  const signature = asBytes(raw[1], 'tx.signature', SIGNATURE_LENGTH)
  const own = new Uint8Array(bytes)
  // `decode` re-encoded the input byte for byte, so it is canonical: a 2-array header, the
  // unsigned tx's own encoding, then the signature as bin 8 (0xc4, 64, its 64 bytes). The id
  // hashes those unsigned bytes where they are instead of encoding the unsigned tx again.
  const end = own.length - SIGNATURE_SUFFIX_BYTES
  const laidOut = own[0] === 0x92 && own[end] === 0xc4 && own[end + 1] === SIGNATURE_LENGTH
  return finish(unsigned, signature, laidOut ? txIdOfEncoding(own.subarray(1, end)) : txId(unsigned), own)
}

export function verifyTxSignature(tx: SignedTx, verifySignature: SignatureVerifier = verify): boolean {
  return verifySignature(tx.signature, tx.id, tx.senderPublicKey)
}

/**
 * Checks that need no chain state: chain id and signature (shape was checked on construction).
 * @throws CoreError WRONG_CHAIN_ID, BAD_SIGNATURE
 */
export function validateTxStateless(tx: SignedTx, chainId: string, verifySignature: SignatureVerifier = verify): void {
  validateTxChainId(tx, chainId)
  validateTxSignature(tx, verifySignature)
}

/** @throws CoreError BAD_SIGNATURE when the sender's signature does not verify over the tx id. */
export function validateTxSignature(tx: SignedTx, verifySignature: SignatureVerifier = verify): void {
  if (!verifyTxSignature(tx, verifySignature)) throw new CoreError(CoreErrorCode.BAD_SIGNATURE, `signature of tx ${toHex(tx.id)} does not verify`)
}

/** @throws CoreError WRONG_CHAIN_ID when the tx was made for another chain. */
export function validateTxChainId(tx: SignedTx, chainId: string): void {
  if (tx.chainId !== chainId) {
    throw new CoreError(CoreErrorCode.WRONG_CHAIN_ID, `tx is for chain '${tx.chainId}', this is '${chainId}'`)
  }
}

/**
 * Checks the nonce against the sender's account: a nonce below the account's next nonce is a
 * replay; one more than `maxGap` ahead is refused so a sender cannot park unbounded future txs.
 * @throws CoreError NONCE_TOO_LOW, NONCE_GAP
 */
export function validateTxNonce(tx: SignedTx, accountNonce: number, maxGap: number): void {
  if (tx.nonce < accountNonce) {
    throw new CoreError(CoreErrorCode.NONCE_TOO_LOW, `nonce ${tx.nonce} already used; the account's next nonce is ${accountNonce}`, { expected: accountNonce })
  }
  if (tx.nonce > accountNonce + maxGap) {
    throw new CoreError(CoreErrorCode.NONCE_GAP, `nonce ${tx.nonce} is more than ${maxGap} ahead of the account's next nonce ${accountNonce}`, { expected: accountNonce })
  }
}
