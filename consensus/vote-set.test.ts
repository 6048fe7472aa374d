import { test } from 'node:test'
import assert from 'node:assert/strict'
import { VoteType, type Vote } from '../core/commit.ts'
import { isConsensusError } from './errors.ts'
import { VoteSet } from './vote-set.ts'

const X = new Uint8Array(32).fill(0xaa)
const Y = new Uint8Array(32).fill(0xbb)
const NIL = new Uint8Array(0)

function vote(i: number, blockHash: Uint8Array, sig = 1, over: Partial<Vote> = {}): Vote {
  return { type: VoteType.PREVOTE, height: 5, round: 2, blockHash, validatorIndex: i, signature: new Uint8Array(64).fill(sig), ...over }
}

interface Row {
  readonly name: string
  readonly votes: readonly Vote[]
  readonly results: readonly string[]
  readonly counts: readonly [Uint8Array, number][]
  readonly total: number
  readonly quorumValue: Uint8Array | undefined
  readonly anyQuorum: boolean
}

// n = 4, quorum 3 (bft)
const table: Row[] = [
  { name: 'empty', votes: [], results: [], counts: [[X, 0], [NIL, 0]], total: 0, quorumValue: undefined, anyQuorum: false },
  { name: 'one vote', votes: [vote(0, X)], results: ['added'], counts: [[X, 1]], total: 1, quorumValue: undefined, anyQuorum: false },
  { name: 'quorum for X', votes: [vote(0, X), vote(1, X), vote(2, X)], results: ['added', 'added', 'added'], counts: [[X, 3]], total: 3, quorumValue: X, anyQuorum: true },
  { name: 'quorum for nil', votes: [vote(0, NIL), vote(1, NIL), vote(3, NIL)], results: ['added', 'added', 'added'], counts: [[NIL, 3], [X, 0]], total: 3, quorumValue: NIL, anyQuorum: true },
  { name: 'split: any quorum, no value quorum', votes: [vote(0, X), vote(1, Y), vote(2, NIL)], results: ['added', 'added', 'added'], counts: [[X, 1], [Y, 1], [NIL, 1]], total: 3, quorumValue: undefined, anyQuorum: true },
  { name: 'exact duplicate', votes: [vote(0, X), vote(0, X)], results: ['added', 'duplicate'], counts: [[X, 1]], total: 1, quorumValue: undefined, anyQuorum: false },
  { name: 'same block, other signature: duplicate, not equivocation', votes: [vote(0, X, 1), vote(0, X, 2)], results: ['added', 'duplicate'], counts: [[X, 1]], total: 1, quorumValue: undefined, anyQuorum: false },
  { name: 'equivocation X then Y', votes: [vote(0, X), vote(0, Y)], results: ['added', 'conflict'], counts: [[X, 1], [Y, 1]], total: 1, quorumValue: undefined, anyQuorum: false },
  { name: 'equivocation nil then X', votes: [vote(0, NIL), vote(0, X)], results: ['added', 'conflict'], counts: [[X, 1], [NIL, 1]], total: 1, quorumValue: undefined, anyQuorum: false },
  { name: 'third distinct vote of an equivocator is dropped', votes: [vote(0, X), vote(0, Y), vote(0, NIL)], results: ['added', 'conflict', 'dropped'], counts: [[X, 1], [Y, 1], [NIL, 0]], total: 1, quorumValue: undefined, anyQuorum: false },
  { name: 'the conflicting vote again is a duplicate', votes: [vote(0, X), vote(0, Y), vote(0, Y)], results: ['added', 'conflict', 'duplicate'], counts: [[Y, 1]], total: 1, quorumValue: undefined, anyQuorum: false },
  {
    name: 'an equivocator counts toward each block it signed (distinct signers per block)',
    votes: [vote(0, X), vote(1, X), vote(2, Y), vote(3, Y), vote(2, X)],
    results: ['added', 'added', 'added', 'added', 'conflict'], counts: [[X, 3], [Y, 2]], total: 4, quorumValue: X, anyQuorum: true,
  },
]

for (const row of table) {
  test(`VoteSet: ${row.name}`, () => {
    const set = new VoteSet(5, 2, VoteType.PREVOTE, 4, 3)
    const results = row.votes.map((v) => set.add(v).kind)
    assert.deepEqual(results, row.results)
    for (const [hash, n] of row.counts) assert.equal(set.count(hash), n)
    assert.equal(set.totalCount, row.total)
    assert.deepEqual(set.quorumValue(), row.quorumValue)
    assert.equal(set.hasQuorumAny(), row.anyQuorum)
  })
}

test('VoteSet: conflict returns both signed votes as evidence, ordered by block hash', () => {
  const set = new VoteSet(5, 2, VoteType.PREVOTE, 4, 3)
  set.add(vote(1, Y, 3))
  const r = set.add(vote(1, X, 4))
  assert.equal(r.kind, 'conflict')
  if (r.kind !== 'conflict') return
  assert.equal(r.evidence.kind, 'duplicate-vote')
  assert.deepEqual(r.evidence.voteA.blockHash, X)
  assert.deepEqual(r.evidence.voteB.blockHash, Y)
  assert.equal(r.evidence.voteA.validatorIndex, 1)
  assert.ok(set.isConvicted(1))
  assert.ok(set.isKnown(vote(1, NIL)), 'further votes of a convicted validator need no verification')
})

test('VoteSet: isKnown lets callers skip verification of duplicates only', () => {
  const set = new VoteSet(5, 2, VoteType.PREVOTE, 4, 3)
  assert.equal(set.isKnown(vote(0, X)), false)
  set.add(vote(0, X))
  assert.equal(set.isKnown(vote(0, X)), true)
  assert.equal(set.isKnown(vote(0, Y)), false)
  assert.equal(set.isKnown(vote(1, X)), false)
})

test('VoteSet: size cap: never more than two votes per validator held, whatever is sent', () => {
  const n = 7
  const set = new VoteSet(5, 2, VoteType.PREVOTE, n, 5)
  for (let k = 0; k < 1000; k++) {
    const hash = new Uint8Array(32).fill(k % 251)
    set.add(vote(k % n, hash, k % 200))
  }
  assert.ok(set.heldCount <= 2 * n)
  assert.equal(set.totalCount, n)
  assert.ok(set.allVotes().length <= 2 * n)
})

test('VoteSet: votesFor gives one vote per signer, ascending, including an equivocator\'s second vote', () => {
  const set = new VoteSet(5, 2, VoteType.PREVOTE, 4, 3)
  set.add(vote(3, X))
  set.add(vote(1, Y))
  set.add(vote(1, X))
  set.add(vote(0, X))
  assert.deepEqual(set.votesFor(X).map((v) => v.validatorIndex), [0, 1, 3])
  assert.deepEqual(set.votesFor(Y).map((v) => v.validatorIndex), [1])
  assert.deepEqual(set.voters(), [0, 1, 3])
})

test('VoteSet: refuses votes routed to the wrong set and bad construction', () => {
  const set = new VoteSet(5, 2, VoteType.PREVOTE, 4, 3)
  assert.throws(() => set.add(vote(0, X, 1, { round: 3 })), (e) => isConsensusError(e, 'BAD_INPUT'))
  assert.throws(() => set.add(vote(0, X, 1, { height: 6 })), (e) => isConsensusError(e, 'BAD_INPUT'))
  assert.throws(() => set.add(vote(0, X, 1, { type: VoteType.PRECOMMIT })), (e) => isConsensusError(e, 'BAD_INPUT'))
  assert.throws(() => set.add(vote(4, X)), (e) => isConsensusError(e, 'BAD_INPUT'))
  assert.throws(() => new VoteSet(1, 0, VoteType.PREVOTE, 0, 1), (e) => isConsensusError(e, 'BAD_CONFIG'))
  assert.throws(() => new VoteSet(1, 0, VoteType.PREVOTE, 4, 5), (e) => isConsensusError(e, 'BAD_CONFIG'))
  assert.throws(() => new VoteSet(1, 0, VoteType.PREVOTE, 5000, 3), (e) => isConsensusError(e, 'BAD_CONFIG'))
})

test('VoteSet: majority quorum (n = 10, quorum 6)', () => {
  const set = new VoteSet(1, 0, VoteType.PRECOMMIT, 10, 6)
  for (let i = 0; i < 5; i++) set.add({ ...vote(i, X), type: VoteType.PRECOMMIT, height: 1, round: 0 })
  assert.equal(set.hasQuorumFor(X), false)
  set.add({ ...vote(9, X), type: VoteType.PRECOMMIT, height: 1, round: 0 })
  assert.equal(set.hasQuorumFor(X), true)
})
