import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { sha256, sha256d } from './hash.ts'
import { toHex, utf8 } from './hex.ts'
import { EMPTY_ROOT, hashLeaf, hashNode, merkleProof, merkleRoot, verifyMerkleProof, type MerkleProof } from './merkle.ts'
import { isCoreError } from './errors.ts'

const protocol = JSON.parse(readFileSync(new URL('./vectors/protocol.json', import.meta.url), 'utf8')) as {
  merkle: { emptyRoot: string; trees: { leafCount: number; root: string }[] }
}

const leavesOf = (n: number): Uint8Array[] => Array.from({ length: n }, (_, i) => sha256(utf8.encode(`leaf-${i}`)))

/** RFC 9162 §2.1.1 MTH, written recursively from the definition (split at the largest power of 2 < n). */
function referenceRoot(leaves: readonly Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return sha256d(new Uint8Array(0))
  if (leaves.length === 1) return sha256d(Uint8Array.of(0), leaves[0]!)
  let k = 1
  while (k * 2 < leaves.length) k *= 2
  return sha256d(Uint8Array.of(1), referenceRoot(leaves.slice(0, k)), referenceRoot(leaves.slice(k)))
}

/** Which side each sibling is on, leaf to root, for leaf `m` of `n` (RFC 9162 PATH). */
function pathSides(m: number, n: number): string {
  if (n === 1) return ''
  let k = 1
  while (k * 2 < n) k *= 2
  return m < k ? pathSides(m, k) + 'R' : pathSides(m - k, n - k) + 'L'
}

test('known roots (vectors), empty root, and agreement with a from-the-definition RFC 9162 root', () => {
  assert.equal(toHex(EMPTY_ROOT), protocol.merkle.emptyRoot)
  assert.equal(toHex(merkleRoot([])), protocol.merkle.emptyRoot)
  assert.equal(toHex(EMPTY_ROOT), toHex(sha256d(new Uint8Array(0))))
  for (const t of protocol.merkle.trees) assert.equal(toHex(merkleRoot(leavesOf(t.leafCount))), t.root, `n=${t.leafCount}`)
  for (let n = 0; n <= 70; n++) assert.equal(toHex(merkleRoot(leavesOf(n))), toHex(referenceRoot(leavesOf(n))), `n=${n}`)
  // one leaf: the root is the domain-separated leaf hash, never the raw leaf
  const one = leavesOf(1)
  assert.equal(toHex(merkleRoot(one)), toHex(hashLeaf(one[0]!)))
  assert.notEqual(toHex(merkleRoot(one)), toHex(one[0]!))
})

test('1..33 leaves: every proof verifies; tampering leaf, sibling, root, index or leafCount fails', () => {
  for (let n = 1; n <= 33; n++) {
    const leaves = leavesOf(n)
    const root = merkleRoot(leaves)
    for (let i = 0; i < n; i++) {
      const proof = merkleProof(leaves, i)
      assert.equal(proof.siblings.length, pathSides(i, n).length)
      assert.ok(verifyMerkleProof(leaves[i]!, proof, root), `n=${n} i=${i}`)
      // another leaf, or the leaf with one bit flipped
      const flipped = new Uint8Array(leaves[i]!)
      flipped[31]! ^= 1
      assert.equal(verifyMerkleProof(flipped, proof, root), false)
      if (n > 1) assert.equal(verifyMerkleProof(leaves[(i + 1) % n]!, proof, root), false)
      // any sibling changed, dropped or one added
      proof.siblings.forEach((_, s) => {
        const siblings = proof.siblings.map((x) => new Uint8Array(x))
        siblings[s]![0]! ^= 0x80
        assert.equal(verifyMerkleProof(leaves[i]!, { ...proof, siblings }, root), false, `n=${n} i=${i} sibling ${s}`)
      })
      if (proof.siblings.length > 0) assert.equal(verifyMerkleProof(leaves[i]!, { ...proof, siblings: proof.siblings.slice(1) }, root), false)
      assert.equal(verifyMerkleProof(leaves[i]!, { ...proof, siblings: [...proof.siblings, root] }, root), false)
      // the root
      const badRoot = new Uint8Array(root)
      badRoot[0]! ^= 1
      assert.equal(verifyMerkleProof(leaves[i]!, proof, badRoot), false)
      // index and leafCount. RFC 9162 proofs authenticate the path, not the tree size: a changed
      // (index, leafCount) verifies exactly when it describes the same left/right path, which
      // proves the same membership. Anything else must fail.
      const sides = pathSides(i, n)
      for (const [index, leafCount] of [[i + 1, n], [i - 1, n], [i, n + 1], [i, n - 1], [i, 2 * n], [i + n, 2 * n], [i, i], [-1, n], [i, 0]] as const) {
        const tampered: MerkleProof = { ...proof, index, leafCount }
        const sameShape = index >= 0 && index < leafCount && pathSides(index, leafCount) === sides
        assert.equal(verifyMerkleProof(leaves[i]!, tampered, root), sameShape, `n=${n} i=${i} → index ${index} leafCount ${leafCount}`)
      }
    }
  }
})

test('a tampered leafCount can pass only with an identical path: shown on [a, b, c]', () => {
  // Leaf 0 of 3 and leaf 0 of 4 both have path "R R": the proof stays a valid membership proof.
  // The header carries no tx count, so a proof's leafCount is informational (see report).
  const leaves = leavesOf(3)
  const proof = merkleProof(leaves, 0)
  assert.ok(verifyMerkleProof(leaves[0]!, { ...proof, leafCount: 4 }, merkleRoot(leaves)))
  // leaf 2 of 3 (path "L") and leaf 1 of 2 (path "L")
  const p2 = merkleProof(leaves, 2)
  assert.ok(verifyMerkleProof(leaves[2]!, { ...p2, index: 1, leafCount: 2 }, merkleRoot(leaves)))
  assert.equal(verifyMerkleProof(leaves[2]!, { ...p2, index: 0, leafCount: 2 }, merkleRoot(leaves)), false)
})

test('duplicate-leaf attack: [a, b, c] and [a, b, c, c] have different roots (CVE-2012-2459 shape)', () => {
  const [a, b, c] = leavesOf(3) as [Uint8Array, Uint8Array, Uint8Array]
  assert.notEqual(toHex(merkleRoot([a, b, c])), toHex(merkleRoot([a, b, c, c])))
  const d = leavesOf(6)
  assert.notEqual(toHex(merkleRoot(d.slice(0, 5))), toHex(merkleRoot([...d.slice(0, 5), d[4]!])))
  assert.notEqual(toHex(merkleRoot(d)), toHex(merkleRoot([...d, ...d.slice(4)])))
  // second preimage: an inner node presented as a leaf does not reproduce the root
  const inner = hashNode(hashLeaf(a), hashLeaf(b))
  assert.notEqual(toHex(merkleRoot([inner, hashLeaf(c)])), toHex(merkleRoot([a, b, c])))
})

test('merkleProof refuses out-of-range indexes with BAD_PROOF; verify never throws on junk', () => {
  const leaves = leavesOf(5)
  for (const i of [-1, 5, 1.5, NaN]) assert.throws(() => merkleProof(leaves, i), (e: unknown) => isCoreError(e, 'BAD_PROOF'))
  assert.throws(() => merkleProof([], 0), (e: unknown) => isCoreError(e, 'BAD_PROOF'))
  const root = merkleRoot(leaves)
  const junk: unknown[] = [
    { index: 0, leafCount: 5, siblings: 'x' }, { index: 0, leafCount: 5, siblings: [new Uint8Array(31)] },
    { index: 0, leafCount: 5, siblings: new Array(65).fill(new Uint8Array(32)) }, { index: 2 ** 53, leafCount: 2 ** 53 + 1, siblings: [] },
    { index: 0, leafCount: 1e300, siblings: [] }, { index: 0, leafCount: 5, siblings: [null] },
  ]
  for (const j of junk) assert.equal(verifyMerkleProof(leaves[0]!, j as MerkleProof, root), false)
})
