/**
 * Merkle tree over tx ids with double-SHA-256 nodes, shaped as RFC 9162 (Certificate
 * Transparency v2): a tree of n leaves splits at the largest power of two below n. Leaves and
 * inner nodes are domain-separated (0x00 / 0x01 prefix), so a leaf can never pass for an inner
 * node (second-preimage), and no leaf is duplicated to fill a level, so Bitcoin's CVE-2012-2459
 * (two lists with one root) cannot happen.
 */
import { CoreError, CoreErrorCode } from './errors.ts'
import { sha256d } from './hash.ts'
import { bytesEqual } from './hex.ts'

const LEAF = new Uint8Array([0])
const NODE = new Uint8Array([1])
/** Root of an empty tree: SHA-256d of nothing, as RFC 9162's empty hash. */
export const EMPTY_ROOT = sha256d(new Uint8Array(0))

export function hashLeaf(leaf: Uint8Array): Uint8Array {
  return sha256d(LEAF, leaf)
}
export function hashNode(left: Uint8Array, right: Uint8Array): Uint8Array {
  return sha256d(NODE, left, right)
}

function splitPoint(n: number): number {
  let k = 1
  while (k * 2 < n) k *= 2
  return k
}

function rootOfHashes(hashes: Uint8Array[]): Uint8Array {
  if (hashes.length === 1) return hashes[0]!
  // Bottom-up is equivalent to the recursive split for this shape: pair left to right and carry
  // a lone last node up unchanged.
  let level = hashes
  while (level.length > 1) {
    const next: Uint8Array[] = []
    for (let i = 0; i + 1 < level.length; i += 2) next.push(hashNode(level[i]!, level[i + 1]!))
    if (level.length % 2 === 1) next.push(level[level.length - 1]!)
    level = next
  }
  return level[0]!
}

export function merkleRoot(leaves: readonly Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return EMPTY_ROOT
  return rootOfHashes(leaves.map(hashLeaf))
}

export interface MerkleProof {
  readonly index: number
  readonly leafCount: number
  /** Sibling hashes from the leaf up to the root. */
  readonly siblings: readonly Uint8Array[]
}

/** Audit path of RFC 9162 §2.1.3.1. @throws CoreError BAD_PROOF for an index out of range. */
export function merkleProof(leaves: readonly Uint8Array[], index: number): MerkleProof {
  if (!Number.isInteger(index) || index < 0 || index >= leaves.length) {
    throw new CoreError(CoreErrorCode.BAD_PROOF, `leaf index ${index} out of range 0..${leaves.length - 1}`)
  }
  const hashes = leaves.map(hashLeaf)
  const path: Uint8Array[] = []
  const walk = (lo: number, hi: number, m: number): void => {
    const n = hi - lo
    if (n === 1) return
    const k = splitPoint(n)
    if (m < k) {
      walk(lo, lo + k, m)
      path.push(rootOfHashes(hashes.slice(lo + k, hi)))
    } else {
      walk(lo + k, hi, m - k)
      path.push(rootOfHashes(hashes.slice(lo, lo + k)))
    }
  }
  walk(0, hashes.length, index)
  return { index, leafCount: leaves.length, siblings: path }
}

/** Verifies an audit path (RFC 9162 §2.1.3.2). Never throws: false on any mismatch. */
export function verifyMerkleProof(leaf: Uint8Array, proof: MerkleProof, root: Uint8Array): boolean {
  const { index, leafCount, siblings } = proof
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(leafCount) || index < 0 || index >= leafCount) return false
  if (!Array.isArray(siblings) || siblings.length > 64) return false
  let fn = index
  let sn = leafCount - 1
  let r = hashLeaf(leaf)
  for (const p of siblings) {
    if (!(p instanceof Uint8Array) || p.length !== 32 || sn === 0) return false
    if ((fn & 1) === 1 || fn === sn) {
      r = hashNode(p, r)
      if ((fn & 1) === 0) {
        while ((fn & 1) === 0 && fn !== 0) {
          fn = Math.floor(fn / 2)
          sn = Math.floor(sn / 2)
        }
      }
    } else {
      r = hashNode(r, p)
    }
    fn = Math.floor(fn / 2)
    sn = Math.floor(sn / 2)
  }
  return sn === 0 && bytesEqual(r, root)
}
