/**
 * State commitment: a hash chained over each block's sorted write set.
 *
 *   stateRoot(h) = SHA-256d(domainTag('state') || stateRoot(h-1) || encode(sorted writes of h))
 *
 * where a write is [key, value] (value null for a deletion), sorted by key bytes. The cost is
 * O(writes of the block), not O(state); two nodes that executed the same blocks agree, and the
 * first block whose execution differed is the first whose root differs. It does not give proofs
 * of single state entries (a Merkle tree over state would); see README's "still weak".
 */
import { encodeTrusted, type CanonicalValue } from './encoding.ts'
import { domainTag, sha256d } from './hash.ts'
import { compareBytes } from './hex.ts'

export type StateWrite = readonly [key: Uint8Array, value: Uint8Array | null]

export const GENESIS_STATE_ROOT_SEED = new Uint8Array(32)

export function sortWrites(writes: Iterable<StateWrite>): StateWrite[] {
  return [...writes].sort((a, b) => compareBytes(a[0], b[0]))
}

export function nextStateRoot(prevRoot: Uint8Array, sortedWrites: readonly StateWrite[]): Uint8Array {
  const raw: CanonicalValue = sortedWrites.map(([k, v]) => [k, v])
  return sha256d(domainTag('state'), prevRoot, encodeTrusted(raw))
}
