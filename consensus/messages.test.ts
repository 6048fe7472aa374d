import { test } from 'node:test'
import assert from 'node:assert/strict'
import { VoteType, createCommit, signVote } from '../core/commit.ts'
import { encodeTrusted } from '../core/encoding.ts'
import { createValidatorSet } from '../core/validators.ts'
import { isConsensusError } from './errors.ts'
import {
  decodeConsensusMessage, encodeConsensusMessage, maxMessageBytes, proposalFromRaw, proposalRaw, verifyProposal, type Proposal,
} from './messages.ts'
import { createEd25519Signer } from './signer.ts'
import { MemoryPrivValidatorStore, PrivValidator } from './priv-validator.ts'

const CHAIN = 'msg-test'
const secrets = [1, 2, 3, 4].map((b) => new Uint8Array(32).fill(b))
const pvs = secrets.map((s) => new PrivValidator({ chainId: CHAIN, signer: createEd25519Signer(s), store: new MemoryPrivValidatorStore() }))
const set = createValidatorSet(pvs.map((p) => p.publicKey))
const X = new Uint8Array(32).fill(0xaa)

test('proposal: raw round trip, -1 polRound, signature verifies only for its proposer', () => {
  const p = pvs[1]!.signProposal({ height: 3, round: 2, polRound: -1, blockHash: X, proposerIndex: 1 })
  const back = proposalFromRaw(proposalRaw(p))
  assert.deepEqual(back, p)
  assert.ok(verifyProposal(CHAIN, set, back))
  assert.ok(!verifyProposal(CHAIN, set, { ...back, proposerIndex: 2 }))
  assert.ok(!verifyProposal('other-chain', set, back))
  assert.ok(!verifyProposal(CHAIN, set, { ...back, polRound: 0 }))
})

test('proposal: shape checks name the field', () => {
  const good = [3, 2, -1, X, 1, new Uint8Array(64)]
  const bad: [unknown[], string][] = [
    [[3, 2, -2, X, 1, new Uint8Array(64)], 'BAD_POL_ROUND'],
    [[3, 2, 2, X, 1, new Uint8Array(64)], 'BAD_POL_ROUND'],
    [[0, 2, -1, X, 1, new Uint8Array(64)], 'BAD_MESSAGE'],
    [[3, 2, -1, new Uint8Array(31), 1, new Uint8Array(64)], 'BAD_MESSAGE'],
    [[3, 2, -1, X, 1, new Uint8Array(63)], 'BAD_MESSAGE'],
    [[3, 2, -1, X, -1, new Uint8Array(64)], 'BAD_MESSAGE'],
    [[3, 2, 'x', X, 1, new Uint8Array(64)], 'BAD_MESSAGE'],
    [[3, 2, -1, X, 1], 'BAD_MESSAGE'],
  ]
  assert.equal(proposalFromRaw(good as never).polRound, -1)
  for (const [raw, code] of bad) assert.throws(() => proposalFromRaw(raw as never), (e) => isConsensusError(e, code as never), JSON.stringify(raw.slice(0, 3)))
})

test('wire: every message kind round-trips', () => {
  const p: Proposal = pvs[0]!.signProposal({ height: 4, round: 0, polRound: -1, blockHash: X, proposerIndex: 0 })
  const v = signVote(CHAIN, { type: VoteType.PRECOMMIT, height: 4, round: 0, blockHash: X, validatorIndex: 2 }, secrets[2]!)
  const c = createCommit(4, 0, X, [0, 1, 2].map((i) => signVote(CHAIN, { type: VoteType.PRECOMMIT, height: 4, round: 0, blockHash: X, validatorIndex: i }, secrets[i]!)))
  const bundle = [0, 1, 3].map((i) => signVote(CHAIN, { type: VoteType.PREVOTE, height: 4, round: 0, blockHash: X, validatorIndex: i }, secrets[i]!))
  for (const m of [{ kind: 'proposal', proposal: p }, { kind: 'vote', vote: v }, { kind: 'votes', votes: bundle }, { kind: 'commit', certificate: c }] as const) {
    const back = decodeConsensusMessage(encodeConsensusMessage(m), 4)
    assert.ok(Buffer.from(encodeConsensusMessage(back)).equals(Buffer.from(encodeConsensusMessage(m))))
    assert.equal(back.kind, m.kind)
  }
})

test('wire: size caps, unknown kinds and garbage are typed errors that say penalise', () => {
  const huge = encodeTrusted(['vote', [1, 1, 0, new Uint8Array(300), 0, new Uint8Array(64)]])
  const cases: [Uint8Array, string][] = [
    [new Uint8Array(maxMessageBytes(4) + 1), 'MESSAGE_TOO_LARGE'],
    [huge, 'MESSAGE_TOO_LARGE'],
    [encodeTrusted(['gossip', []]), 'BAD_MESSAGE'],
    [new Uint8Array([0xc1]), 'BAD_MESSAGE'],
    [encodeTrusted(['vote', [3, 1, 0, X, 0, new Uint8Array(64)]]), 'BAD_MESSAGE'],
    [encodeTrusted(['vote', [1, 0, 0, X, 0, new Uint8Array(64)]]), 'BAD_MESSAGE'],
    [encodeTrusted(['commit', [1, 0, X, Array.from({ length: 5 }, (_, i) => [i, new Uint8Array(64)])]]), 'BAD_MESSAGE'],
    // vote bundles: empty, more votes than validators, a malformed vote inside, not a list
    [encodeTrusted(['votes', []]), 'BAD_MESSAGE'],
    [encodeTrusted(['votes', Array.from({ length: 5 }, (_, i) => [1, 1, 0, X, i % 4, new Uint8Array(64)])]), 'BAD_MESSAGE'],
    [encodeTrusted(['votes', [[1, 1, 0, X, 0, new Uint8Array(64)], [1, 1, 0, new Uint8Array(31), 1, new Uint8Array(64)]]]), 'BAD_MESSAGE'],
    [encodeTrusted(['votes', [1, 1, 0, X, 0, new Uint8Array(64)]]), 'BAD_MESSAGE'],
    [encodeTrusted(['votes', Array.from({ length: 4 }, (_, i) => [1, 1, 0, new Uint8Array(200), i, new Uint8Array(64)])]), 'MESSAGE_TOO_LARGE'],
  ]
  for (const [bytes, code] of cases) {
    assert.throws(() => decodeConsensusMessage(bytes, 4), (e) => isConsensusError(e, code as never) && e.action === 'penalise', code)
  }
})
