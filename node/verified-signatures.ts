/**
 * A memo of signatures this node has already verified, so the same (signature, message, key)
 * triple costs one Ed25519 verification per node, not one per use. The main repeat it removes:
 * a commit certificate's precommits, verified one by one by the consensus engine as votes
 * arrive, then all again by `verifyCommit` when the block is committed (and twice when synced).
 *
 * Only successes are remembered, as copies of all three inputs, and a lookup compares every byte,
 * so the memo can never accept anything `verify` would refuse (nor be fooled by a caller reusing
 * its buffers). Bounded: the oldest entries leave first.
 *
 * Why a numeric key: the memo is asked on every signature check, and a string key built from the
 * three inputs (latin1 strings of ~200 bytes, concatenated, then hashed by a Set) cost 1.10–1.37
 * µs a hit and 1.60–2.54 µs a new triple (`npm run bench:core`, node.signature-memo.*, three
 * runs), 2.2–5.8 % of the Ed25519 check it saves (43.8–49.6 µs). Found by the signature's
 * first bytes (R's encoding, effectively random per signature) as a small integer and compared
 * in full, the same calls take 0.35–0.42 and 0.50–0.59 µs (four runs).
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

/**
 * Entries whose signatures share a bucket key, newest first. A signer grinding nonces to crowd
 * one key gains nothing from the bound below but more verifications.
 */
interface Entry {
  /** signature ‖ public key ‖ message, one copy. */
  readonly bytes: Uint8Array
  readonly signatureLength: number
  readonly publicKeyLength: number
  readonly next: Entry | undefined
}
const MAX_ENTRIES_PER_BUCKET = 4

/**
 * 30 bits of the signature's first 4 bytes (fewer for a short one): a small integer, which a Map
 * hashes fastest. A full memo (16,384 entries) holds two signatures under one key with odds of
 * about 1 in 8; the full comparison tells them apart.
 */
function bucketKey(signature: Uint8Array): number {
  let key = 0
  const n = Math.min(4, signature.length)
  for (let i = 0; i < n; i++) key = ((key << 8) | signature[i]!) & 0x3fffffff
  return key
}

function matches(e: Entry, signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  const b = e.bytes
  if (e.signatureLength !== signature.length || e.publicKeyLength !== publicKey.length || b.length !== signature.length + publicKey.length + message.length) return false
  for (let i = 0; i < signature.length; i++) if (b[i] !== signature[i]) return false
  const pkAt = signature.length
  for (let i = 0; i < publicKey.length; i++) if (b[pkAt + i] !== publicKey[i]) return false
  const msgAt = pkAt + publicKey.length
  for (let i = 0; i < message.length; i++) if (b[msgAt + i] !== message[i]) return false
  return true
}

/**
 * Copies come from slabs of this size, carved in order. A typed array of ~200 bytes of its own
 * gets a separate backing store, which in the nodes cost more than the rest of the memo (0.99 %
 * of the cpu-prof samples); Node's shared Buffer pool would be as cheap, but one entry would then
 * keep a whole 8 KiB pool slab of other data alive. The memo's own slabs hold only its entries,
 * which leave no later than in the order they came (a bucket leaves whole, at its first
 * entry's turn), so a slab is freed once its last entry has gone.
 */
const SLAB_BYTES = 64 * 1024

type Carve = (length: number) => Uint8Array
function slabCarver(): Carve {
  let slab = new Uint8Array(0)
  let used = 0
  return (length) => {
    if (length > SLAB_BYTES / 8) return new Uint8Array(length)
    if (used + length > slab.length) {
      slab = new Uint8Array(SLAB_BYTES)
      used = 0
    }
    const out = slab.subarray(used, used + length)
    used += length
    return out
  }
}

function copyOf(carve: Carve, signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): Uint8Array {
  const bytes = carve(signature.length + publicKey.length + message.length)
  bytes.set(signature, 0)
  bytes.set(publicKey, signature.length)
  bytes.set(message, signature.length + publicKey.length)
  return bytes
}

export function createMemoizedVerifier(inner: SignatureVerifier = verify, capacity = DEFAULT_VERIFIED_SIGNATURES): MemoizedVerifier {
  if (!Number.isSafeInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, not ${capacity}`)
  // Insertion order of the keys is the eviction order (a Map keeps it; re-setting a key keeps its place).
  const buckets = new Map<number, Entry>()
  const carve = slabCarver()
  let size = 0
  let hits = 0
  let misses = 0
  const find = (key: number, signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean => {
    for (let e = buckets.get(key); e; e = e.next) if (matches(e, signature, message, publicKey)) return true
    return false
  }
  const dropBucket = (key: number): void => {
    for (let e = buckets.get(key); e; e = e.next) size--
    buckets.delete(key)
  }
  /** Adds a triple the caller has just looked up and not found. */
  const insert = (key: number, signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): void => {
    let count = 0
    for (let e = buckets.get(key); e; e = e.next) count++
    if (count >= MAX_ENTRIES_PER_BUCKET) dropBucket(key)
    while (size >= capacity) dropBucket(buckets.keys().next().value!)
    // A copy: the caller may reuse its buffers (a network read buffer) after this call.
    buckets.set(key, { bytes: copyOf(carve, signature, message, publicKey), signatureLength: signature.length, publicKeyLength: publicKey.length, next: buckets.get(key) })
    size++
  }
  return {
    verify(signature, message, publicKey) {
      if (!(signature instanceof Uint8Array) || !(message instanceof Uint8Array) || !(publicKey instanceof Uint8Array)) return inner(signature, message, publicKey)
      const key = bucketKey(signature)
      if (find(key, signature, message, publicKey)) {
        hits++
        return true
      }
      misses++
      if (!inner(signature, message, publicKey)) return false
      insert(key, signature, message, publicKey)
      return true
    },
    trust(signature, message, publicKey) {
      const key = bucketKey(signature)
      if (!find(key, signature, message, publicKey)) insert(key, signature, message, publicKey)
    },
    stats: () => ({ hits, misses, size }),
  }
}
