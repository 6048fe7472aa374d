/**
 * Hashing. SHA-256 runs on node:crypto (OpenSSL, ~12x faster than pure JS on bulk data), small
 * inputs in WebAssembly (see `oneShot`);
 * `sha256d` is the paper's double SHA-256 used for block hashes, tx ids and Merkle nodes.
 * Domain tags keep hashes of different kinds of object from ever colliding.
 */
import { createHash, hash } from 'node:crypto'
import { digest as wasmDigest } from '@chainsafe/as-sha256'

/** Parts of at most this many bytes in all are joined and hashed in one shot. */
const JOIN_PARTS_UP_TO_BYTES = 16 * 1024

/**
 * Inputs up to this size are hashed in WebAssembly (@chainsafe/as-sha256, Lodestar's hasher),
 * which needs no call into C++: warm, 0.46 against 1.04 µs at 33 bytes (a Merkle leaf), 0.81
 * against 1.16 µs at 65 (a Merkle node), even at 128. Larger ones go to OpenSSL.
 */
const WASM_UP_TO_BYTES = 128

/** The digest as an array of its own (as-sha256 hands out views into a shared pool). */
const oneShot = (data: Uint8Array): Uint8Array =>
  data.length <= WASM_UP_TO_BYTES ? new Uint8Array(wasmDigest(data)) : new Uint8Array(hash('sha256', data, 'buffer'))

export function sha256(...parts: Uint8Array[]): Uint8Array {
  // One shot (`oneShot`), which makes no node:crypto Hash object. Warm, a Hash object and the
  // one-shot digest cost the same ~1.2 µs; in a validator among ten processes on two cores, where
  // every message is handled with cold caches, creating that object is what costs: hashing
  // received gossip ids fell from 1.81 % to 1.25 % of the nodes' samples (perf, 200 records one
  // at a time). Several small parts (a domain tag and a body: tx ids, Merkle nodes) are joined
  // first; large ones are streamed.
  if (parts.length === 1) return oneShot(parts[0]!)
  let total = 0
  for (const p of parts) total += p.length
  if (total <= JOIN_PARTS_UP_TO_BYTES) {
    const joined = new Uint8Array(total)
    let at = 0
    for (const p of parts) {
      joined.set(p, at)
      at += p.length
    }
    return oneShot(joined)
  }
  const h = createHash('sha256')
  for (const p of parts) h.update(p)
  return new Uint8Array(h.digest())
}

export function sha256d(...parts: Uint8Array[]): Uint8Array {
  return sha256(sha256(...parts))
}

/** Incremental SHA-256 for streams (image files). */
export function createSha256(): { update(chunk: Uint8Array): void; digest(): Uint8Array } {
  const h = createHash('sha256')
  return {
    update: (chunk) => void h.update(chunk),
    digest: () => new Uint8Array(h.digest()),
  }
}

const tagCache = new Map<string, Uint8Array>()
/** A domain tag: the UTF-8 bytes of `medchain/<name>` followed by a 0 byte. */
export function domainTag(name: string): Uint8Array {
  let t = tagCache.get(name)
  if (!t) {
    t = new Uint8Array(Buffer.from(`medchain/${name}\0`, 'utf8'))
    tagCache.set(name, t)
  }
  return t
}
