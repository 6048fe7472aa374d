import { test } from 'node:test'
import assert from 'node:assert/strict'
import { VoteType, createCommit, signVote, verifyCommit, type Vote } from '../core/commit.ts'
import { sign, verify } from '../core/keys.ts'
import { createValidatorSet } from '../core/validators.ts'
import type { ConsensusInput, ConsensusOutput } from './consensus-io.ts'
import { createConsensus, type ConsensusEngine } from './engine.ts'
import { verifyEvidence } from './evidence.ts'
import { proposalSignBytes, type Proposal } from './messages.ts'

const CHAIN = 'engine-test'
const secrets = [11, 12, 13, 14].map((b) => new Uint8Array(32).fill(b))
const { ed25519 } = await import('@noble/curves/ed25519.js')
const set = createValidatorSet(secrets.map((s) => ed25519.getPublicKey(s)))
const TIMEOUTS = { proposeMs: 1000, proposeDeltaMs: 100, prevoteMs: 500, prevoteDeltaMs: 100, precommitMs: 500, precommitDeltaMs: 100, rebroadcastMs: 2000 }
const X = new Uint8Array(32).fill(0xaa)
const Y = new Uint8Array(32).fill(0xbb)
const Z = new Uint8Array(32).fill(0xcc)
const NIL = new Uint8Array(0)
// proposer(h, r) = (h + r) % 4: at height 1, rounds 0, 1, 2, 3 are proposed by 1, 2, 3, 0.

function engine(myIndex: number | null = 0): ConsensusEngine {
  return createConsensus({ chainId: CHAIN, validatorSet: set, myIndex, timeouts: TIMEOUTS })
}
function prevote(i: number, round: number, hash: Uint8Array, height = 1): Vote {
  return signVote(CHAIN, { type: VoteType.PREVOTE, height, round, blockHash: hash, validatorIndex: i }, secrets[i]!)
}
function precommit(i: number, round: number, hash: Uint8Array, height = 1): Vote {
  return signVote(CHAIN, { type: VoteType.PRECOMMIT, height, round, blockHash: hash, validatorIndex: i }, secrets[i]!)
}
function proposal(round: number, hash: Uint8Array, polRound = -1, height = 1, proposer = (height + round) % 4): Proposal {
  const unsigned = { height, round, polRound, blockHash: hash, proposerIndex: proposer }
  return { ...unsigned, signature: sign(proposalSignBytes(CHAIN, unsigned), secrets[proposer]!) }
}
function feed(e: ConsensusEngine, ...inputs: ConsensusInput[]): ConsensusOutput[] {
  return inputs.flatMap((i) => e.handle(i))
}
const votes = (...vs: Vote[]): ConsensusInput[] => vs.map((vote) => ({ type: 'vote', vote }))
const signRequests = (outs: ConsensusOutput[]) => outs.filter((o) => o.type === 'sign-vote').map((o) => o.type === 'sign-vote' ? o.vote : undefined!)
function only<T extends ConsensusOutput['type']>(outs: ConsensusOutput[], type: T): Extract<ConsensusOutput, { type: T }>[] {
  return outs.filter((o): o is Extract<ConsensusOutput, { type: T }> => o.type === type)
}
/** Starts validator 0 at height 1 and gets it to prevote X in round 0 (proposal from 1, validated). */
function prevotedX(): ConsensusEngine {
  const e = engine(0)
  feed(e, { type: 'start-height', height: 1 }, { type: 'proposal', proposal: proposal(0, X) }, { type: 'block-validated', height: 1, blockHash: X, valid: true })
  feed(e, ...votes(prevote(0, 0, X)))
  return e
}

test('engine: proposer path: propose-block, sign, prevote, lock on the polka, commit with a verifiable certificate', () => {
  const e = engine(1)
  let outs = feed(e, { type: 'start-height', height: 1 })
  assert.deepEqual(only(outs, 'propose-block'), [{ type: 'propose-block', height: 1, round: 0 }])
  assert.deepEqual(only(outs, 'schedule-timeout').map((o) => [o.step, o.durationMs]), [['rebroadcast', 2000], ['propose', 1000]])
  outs = feed(e, { type: 'block-proposal', height: 1, round: 0, blockHash: X })
  assert.deepEqual(only(outs, 'sign-proposal').map((o) => o.proposal), [{ height: 1, round: 0, polRound: -1, blockHash: X, proposerIndex: 1 }])
  outs = feed(e, { type: 'proposal', proposal: proposal(0, X) })
  assert.equal(only(outs, 'validate-block').length, 0, 'own block needs no validation')
  assert.deepEqual(signRequests(outs), [{ type: VoteType.PREVOTE, height: 1, round: 0, blockHash: X, validatorIndex: 1 }])
  outs = feed(e, ...votes(prevote(1, 0, X), prevote(0, 0, X)))
  assert.equal(signRequests(outs).length, 0)
  outs = feed(e, ...votes(prevote(3, 0, X)))
  assert.deepEqual(signRequests(outs).map((v) => [v.type, v.blockHash]), [[VoteType.PRECOMMIT, X]])
  assert.equal(e.status().lockedRound, 0)
  assert.deepEqual(e.status().lockedBlockHash, X)
  outs = feed(e, ...votes(precommit(1, 0, X), precommit(0, 0, X), precommit(2, 0, X)))
  const [commit] = only(outs, 'commit')
  assert.ok(commit)
  assert.equal(commit.height, 1)
  assert.deepEqual(commit.blockHash, X)
  verifyCommit(CHAIN, set, commit.certificate, 1, X)
  assert.equal(e.status().step, 'decided')
  assert.deepEqual(feed(e, ...votes(precommit(3, 0, X))), [], 'late votes after the decision are ignored')
})

test('engine: does not prevote a block before it is validated; invalid -> nil; unknown -> nil at the propose timeout', () => {
  const a = engine(0)
  feed(a, { type: 'start-height', height: 1 })
  let outs = feed(a, { type: 'proposal', proposal: proposal(0, X) })
  assert.deepEqual(only(outs, 'validate-block'), [{ type: 'validate-block', height: 1, round: 0, blockHash: X }])
  assert.equal(signRequests(outs).length, 0)
  outs = feed(a, { type: 'block-validated', height: 1, blockHash: X, valid: true })
  assert.deepEqual(signRequests(outs).map((v) => v.blockHash), [X])

  const b = engine(0)
  feed(b, { type: 'start-height', height: 1 }, { type: 'proposal', proposal: proposal(0, X) })
  outs = feed(b, { type: 'block-validated', height: 1, blockHash: X, valid: false })
  assert.deepEqual(signRequests(outs).map((v) => v.blockHash), [NIL])

  const c = engine(0)
  feed(c, { type: 'start-height', height: 1 }, { type: 'proposal', proposal: proposal(0, X) })
  outs = feed(c, { type: 'timeout', height: 1, round: 0, step: 'propose' })
  assert.deepEqual(signRequests(outs).map((v) => v.blockHash), [NIL])
  assert.deepEqual(feed(c, { type: 'block-validated', height: 1, blockHash: X, valid: true }), [], 'too late: already prevoted')
})

test('engine: timeouts: prevote timeout only after a quorum of any prevotes, precommit timeout starts the next round, durations grow', () => {
  const e = engine(0)
  feed(e, { type: 'start-height', height: 1 })
  let outs = feed(e, { type: 'timeout', height: 1, round: 0, step: 'propose' })
  assert.deepEqual(signRequests(outs).map((v) => [v.type, v.blockHash]), [[VoteType.PREVOTE, NIL]])
  outs = feed(e, ...votes(prevote(0, 0, NIL), prevote(1, 0, X)))
  assert.equal(only(outs, 'schedule-timeout').length, 0)
  outs = feed(e, ...votes(prevote(2, 0, Y)))
  assert.deepEqual(only(outs, 'schedule-timeout').map((o) => [o.step, o.round, o.durationMs]), [['prevote', 0, 500]])
  assert.deepEqual(feed(e, ...votes(prevote(3, 0, Z))), [], 'the prevote timeout is set once')
  outs = feed(e, { type: 'timeout', height: 1, round: 0, step: 'prevote' })
  assert.deepEqual(signRequests(outs).map((v) => [v.type, v.blockHash]), [[VoteType.PRECOMMIT, NIL]])
  outs = feed(e, ...votes(precommit(0, 0, NIL), precommit(1, 0, X), precommit(2, 0, NIL)))
  assert.deepEqual(only(outs, 'schedule-timeout').map((o) => [o.step, o.durationMs]), [['precommit', 500]])
  outs = feed(e, { type: 'timeout', height: 1, round: 0, step: 'precommit' })
  assert.equal(e.status().round, 1)
  assert.deepEqual(only(outs, 'schedule-timeout').map((o) => [o.step, o.round, o.durationMs]), [['propose', 1, 1100]])
  assert.deepEqual(feed(e, { type: 'timeout', height: 1, round: 0, step: 'propose' }), [], 'stale timeouts are ignored')
  assert.deepEqual(feed(e, { type: 'timeout', height: 2, round: 1, step: 'propose' }), [], 'timeouts of another height are ignored')
  outs = feed(e, { type: 'timeout', height: 1, round: 1, step: 'propose' }, ...votes(prevote(1, 1, NIL), prevote(2, 1, NIL)))
  assert.deepEqual(signRequests(outs).map((v) => [v.type, v.round, v.blockHash]), [[VoteType.PREVOTE, 1, NIL]])
  outs = feed(e, ...votes(prevote(0, 1, NIL)))
  assert.deepEqual(signRequests(outs).map((v) => [v.type, v.round, v.blockHash]), [[VoteType.PRECOMMIT, 1, NIL]], 'a nil polka precommits nil at once (line 44)')
})

test('engine: locked on X, a new proposal Y without proof-of-lock gets a nil prevote (line 22)', () => {
  const e = prevotedX()
  let outs = feed(e, ...votes(prevote(1, 0, X), prevote(2, 0, X)))
  assert.deepEqual(signRequests(outs).map((v) => [v.type, v.blockHash]), [[VoteType.PRECOMMIT, X]])
  feed(e, ...votes(precommit(1, 0, NIL), precommit(2, 0, NIL)), ...votes(precommit(0, 0, X)))
  feed(e, { type: 'timeout', height: 1, round: 0, step: 'precommit' })
  assert.equal(e.status().round, 1)
  assert.equal(e.status().lockedRound, 0)
  outs = feed(e, { type: 'proposal', proposal: proposal(1, Y) }, { type: 'block-validated', height: 1, blockHash: Y, valid: true })
  assert.deepEqual(signRequests(outs).map((v) => [v.round, v.blockHash]), [[1, NIL]])
})

test('engine: locked on X at round 0, a re-proposal of Y with a polka at round 1 unlocks (line 28), only once the polka is seen', () => {
  const e = prevotedX()
  feed(e, ...votes(prevote(1, 0, X), prevote(2, 0, X), precommit(0, 0, X), precommit(1, 0, NIL), precommit(2, 0, NIL)))
  feed(e, { type: 'timeout', height: 1, round: 0, step: 'precommit' })
  // Round 1: Y proposed, we prevote nil (locked); Y gets two prevotes only, we time out.
  feed(e, { type: 'proposal', proposal: proposal(1, Y) }, { type: 'block-validated', height: 1, blockHash: Y, valid: true })
  feed(e, ...votes(prevote(0, 1, NIL), prevote(1, 1, Y), prevote(2, 1, Y)))
  feed(e, { type: 'timeout', height: 1, round: 1, step: 'prevote' }, ...votes(precommit(0, 1, NIL), precommit(1, 1, NIL), precommit(2, 1, NIL)))
  feed(e, { type: 'timeout', height: 1, round: 1, step: 'precommit' })
  assert.equal(e.status().round, 2)
  let outs = feed(e, { type: 'proposal', proposal: proposal(2, Y, 1) })
  assert.equal(signRequests(outs).length, 0, 'no polka for Y at round 1 yet: wait')
  outs = feed(e, ...votes(prevote(3, 1, Y)))
  assert.deepEqual(signRequests(outs).map((v) => [v.round, v.blockHash]), [[2, Y]])
  assert.equal(e.status().validRound, 1, 'a late polka of an earlier round becomes the valid value')
})

test('engine: a re-proposal whose proof-of-lock is older than our lock gets a nil prevote', () => {
  const e = engine(0)
  feed(e, { type: 'start-height', height: 1, resume: { round: 2, lockedRound: 1, lockedBlockHash: X, proposal: null, votes: [], prevoteWithheld: false } })
  assert.equal(e.status().round, 2)
  feed(e, ...votes(prevote(1, 0, Y), prevote(2, 0, Y), prevote(3, 0, Y)))
  feed(e, { type: 'block-validated', height: 1, blockHash: Y, valid: true })
  const outs = feed(e, { type: 'proposal', proposal: proposal(2, Y, 0) })
  assert.deepEqual(signRequests(outs).map((v) => [v.round, v.blockHash]), [[2, NIL]])
})

test('engine: the proposer re-proposes its valid value with its polka round and sends the proof-of-lock', () => {
  const e = engine(2) // proposer of height 1 round 1
  feed(e, { type: 'start-height', height: 1 }, { type: 'proposal', proposal: proposal(0, X) }, { type: 'block-validated', height: 1, blockHash: X, valid: true })
  feed(e, ...votes(prevote(0, 0, X), prevote(1, 0, X), prevote(2, 0, X)))
  feed(e, ...votes(precommit(0, 0, NIL), precommit(1, 0, NIL), precommit(2, 0, X)))
  const outs = feed(e, { type: 'timeout', height: 1, round: 0, step: 'precommit' })
  assert.deepEqual(only(outs, 'sign-proposal').map((o) => o.proposal), [{ height: 1, round: 1, polRound: 0, blockHash: X, proposerIndex: 2 }])
  assert.deepEqual(only(outs, 'broadcast-vote').map((o) => o.vote.validatorIndex), [0, 1, 2])
  assert.equal(only(outs, 'propose-block').length, 0)
})

test('engine: round skip on n - quorum + 1 validators at a higher round (line 55)', () => {
  const e = engine(0)
  feed(e, { type: 'start-height', height: 1 })
  feed(e, ...votes(prevote(1, 3, NIL)))
  assert.equal(e.status().round, 0, 'one validator (maybe Byzantine) is not enough')
  const outs = feed(e, ...votes(precommit(2, 3, NIL)))
  assert.equal(e.status().round, 3)
  assert.deepEqual(only(outs, 'schedule-timeout').map((o) => [o.step, o.round, o.durationMs]), [['propose', 3, 1300]])
  feed(e, ...votes(prevote(1, 40, NIL), prevote(2, 41, NIL)))
  assert.equal(e.status().round, 40, 'far rounds beyond the window still count for the skip')
})

test('engine: conflicting votes and proposals become evidence that verifies', () => {
  const e = engine(0)
  feed(e, { type: 'start-height', height: 1 })
  let outs = feed(e, ...votes(prevote(2, 0, X), prevote(2, 0, NIL)))
  const [ev] = only(outs, 'evidence')
  assert.ok(ev)
  assert.equal(ev.evidence.kind, 'duplicate-vote')
  verifyEvidence(CHAIN, set, ev.evidence)
  assert.deepEqual(feed(e, ...votes(prevote(2, 0, Y))), [], 'evidence is reported once per validator and vote set')
  outs = feed(e, { type: 'proposal', proposal: proposal(0, X) }, { type: 'proposal', proposal: proposal(0, Y) })
  const [pe] = only(outs, 'evidence')
  assert.ok(pe)
  assert.equal(pe.evidence.kind, 'duplicate-proposal')
  verifyEvidence(CHAIN, set, pe.evidence)
  const dv = ev.evidence
  if (dv.kind === 'duplicate-vote') {
    assert.throws(() => verifyEvidence(CHAIN, set, { ...dv, voteB: { ...dv.voteB, blockHash: Y } }), /BAD_EVIDENCE/, 'a tampered vote does not verify')
    assert.throws(() => verifyEvidence(CHAIN, set, { ...dv, voteB: dv.voteA }), /BAD_EVIDENCE/, 'no conflict')
  }
})

test('engine: a vote beyond its block\'s quorum is not verified, yet a later conflicting vote still becomes evidence', () => {
  let checks = 0
  const counting = (sig: Uint8Array, msg: Uint8Array, pk: Uint8Array): boolean => { checks++; return verify(sig, msg, pk) }
  const e = createConsensus({ chainId: CHAIN, validatorSet: set, myIndex: 0, timeouts: TIMEOUTS, verifySignature: counting })
  feed(e, { type: 'start-height', height: 1 }, { type: 'proposal', proposal: proposal(0, X) }, { type: 'block-validated', height: 1, blockHash: X, valid: true })
  checks = 0
  feed(e, ...votes(prevote(1, 0, X), prevote(2, 0, X), prevote(0, 0, X)))
  assert.equal(checks, 3, 'up to the quorum (3 of 4) every vote is checked')
  // Validator 3's prevote for X: the polka exists, nothing changes, no check; a forged copy is
  // not refused either (it is not used).
  assert.deepEqual(feed(e, ...votes(prevote(3, 0, X))), [])
  assert.equal(checks, 3)
  assert.equal(e.handle({ type: 'vote', vote: { ...prevote(3, 0, X), signature: new Uint8Array(64) } }).length, 0)
  // Validator 3 then prevotes nil: the set-aside vote is checked and counted first, so the pair is evidence.
  const outs = feed(e, ...votes(prevote(3, 0, NIL)))
  const [ev] = only(outs, 'evidence')
  assert.ok(ev, 'equivocation is still caught')
  verifyEvidence(CHAIN, set, ev.evidence)
  assert.equal(checks, 5)
  // A forged set-aside vote cannot frame anyone: it fails its check and the conflict is not reported.
  const f = createConsensus({ chainId: CHAIN, validatorSet: set, myIndex: 0, timeouts: TIMEOUTS })
  feed(f, { type: 'start-height', height: 1 }, ...votes(prevote(1, 0, Y), prevote(2, 0, Y), prevote(0, 0, Y)))
  feed(f, { type: 'vote', vote: { ...prevote(3, 0, Y), signature: new Uint8Array(64) } })
  assert.deepEqual(only(feed(f, ...votes(prevote(3, 0, NIL))), 'evidence'), [])
})

test('engine: peer messages that are forged, from non-validators or the wrong proposer are rejected with penalise', () => {
  const e = engine(0)
  feed(e, { type: 'start-height', height: 1 })
  const forged = { ...prevote(1, 0, X), blockHash: Y }
  const cases: [ConsensusInput, string][] = [
    [{ type: 'vote', vote: forged }, 'BAD_SIGNATURE'],
    [{ type: 'vote', vote: { ...prevote(1, 0, X), validatorIndex: 7 } }, 'NOT_A_VALIDATOR'],
    [{ type: 'vote', vote: { ...prevote(1, 0, X), blockHash: new Uint8Array(5) } }, 'BAD_MESSAGE'],
    [{ type: 'proposal', proposal: proposal(0, X, -1, 1, 3) }, 'WRONG_PROPOSER'],
    [{ type: 'proposal', proposal: { ...proposal(0, X), signature: new Uint8Array(64) } }, 'BAD_SIGNATURE'],
    [{ type: 'proposal', proposal: { ...proposal(1, X), polRound: 1 } }, 'BAD_POL_ROUND'],
    [{ type: 'commit-certificate', certificate: { height: 1, round: 0, blockHash: X, signatures: [[1, new Uint8Array(64)]] } }, 'BAD_COMMIT'],
  ]
  for (const [input, code] of cases) {
    const outs = e.handle(input)
    assert.equal(outs.length, 1, code)
    const [r] = only(outs, 'rejected')
    assert.equal(r?.error.code, code)
    assert.equal(r?.error.action, 'penalise')
  }
  assert.deepEqual(feed(e, ...votes(prevote(1, 0, X), prevote(1, 0, X))).filter((o) => o.type !== 'validate-block'), [], 'duplicates are silent')
})

test('engine: messages for the next height are buffered and replayed when it starts', () => {
  const e = engine(0)
  feed(e, { type: 'start-height', height: 1 })
  // Height 2 round 0 is proposed by validator 2.
  let outs = feed(e, { type: 'proposal', proposal: proposal(0, Z, -1, 2) }, ...votes(prevote(1, 0, Z, 2), prevote(2, 0, Z, 2), prevote(3, 0, Z, 2)))
  assert.deepEqual(outs, [])
  outs = feed(e, { type: 'start-height', height: 2 })
  assert.deepEqual(only(outs, 'validate-block').map((o) => o.blockHash), [Z])
  outs = feed(e, { type: 'block-validated', height: 2, blockHash: Z, valid: true })
  assert.deepEqual(signRequests(outs).map((v) => [v.type, v.blockHash]), [[VoteType.PREVOTE, Z], [VoteType.PRECOMMIT, Z]], 'the buffered prevotes form a polka')
})

test('engine: a lagging validator holds messages up to futureHeights ahead, not beyond', () => {
  const e = createConsensus({ chainId: CHAIN, validatorSet: set, myIndex: 0, timeouts: TIMEOUTS, limits: { futureHeights: 2 } })
  feed(e, { type: 'start-height', height: 1 })
  // Heights 3 (2 ahead: held) and 4 (3 ahead: only counted) arrive while we are still at 1.
  const h3 = proposal(0, Z, -1, 3)
  assert.deepEqual(feed(e, { type: 'proposal', proposal: h3 }, ...votes(prevote(1, 0, Z, 3), prevote(2, 0, Z, 3))), [])
  feed(e, { type: 'proposal', proposal: proposal(0, Y, -1, 4) })
  feed(e, { type: 'start-height', height: 2 })
  let outs = feed(e, { type: 'start-height', height: 3 })
  assert.deepEqual(only(outs, 'validate-block').map((o) => o.blockHash), [Z], 'the height-3 proposal was held through height 2')
  outs = feed(e, { type: 'block-validated', height: 3, blockHash: Z, valid: true }, ...votes(prevote(3, 0, Z, 3)))
  assert.deepEqual(signRequests(outs).map((v) => [v.type, v.blockHash]), [[VoteType.PREVOTE, Z], [VoteType.PRECOMMIT, Z]], 'the held prevotes count')
  outs = feed(e, { type: 'start-height', height: 4 })
  assert.equal(only(outs, 'validate-block').length, 0, 'the height-4 proposal, 3 ahead, was not held')
  assert.throws(() => createConsensus({ chainId: CHAIN, validatorSet: set, myIndex: 0, limits: { futureHeights: 0 } }), /futureHeights/)
})

test('engine: catch-up: need-sync on a valid certificate of a higher height, or n - quorum + 1 validators ahead', () => {
  const e = engine(0)
  feed(e, { type: 'start-height', height: 1 })
  const cert5 = createCommit(5, 0, X, [0, 1, 2].map((i) => precommit(i, 0, X, 5)))
  assert.deepEqual(feed(e, { type: 'commit-certificate', certificate: cert5 }), [{ type: 'need-sync', height: 5 }])
  assert.deepEqual(feed(e, { type: 'commit-certificate', certificate: cert5 }), [], 'announced once')
  const f = engine(0)
  feed(f, { type: 'start-height', height: 1 })
  feed(f, ...votes(prevote(1, 0, X, 3)))
  let outs = feed(f, { type: 'timeout', height: 1, round: 0, step: 'rebroadcast' })
  assert.equal(only(outs, 'need-sync').length, 0, 'one validator ahead proves nothing')
  feed(f, ...votes(prevote(2, 0, X, 4)))
  outs = feed(f, { type: 'timeout', height: 1, round: 0, step: 'rebroadcast' })
  assert.deepEqual(only(outs, 'need-sync'), [{ type: 'need-sync', height: 2 }])
  outs = feed(f, { type: 'start-height', height: 3 })
  assert.equal(f.status().height, 3)
  assert.deepEqual(feed(f, { type: 'start-height', height: 3 }), [], 'start-height is idempotent')
  assert.deepEqual(feed(f, { type: 'start-height', height: 2 }), [], 'and never goes back')
})

test('engine: a certificate for the current height commits once the block is validated', () => {
  const e = engine(0)
  feed(e, { type: 'start-height', height: 1 })
  const cert = createCommit(1, 4, Y, [1, 2, 3].map((i) => precommit(i, 4, Y)))
  let outs = feed(e, { type: 'commit-certificate', certificate: cert })
  assert.deepEqual(only(outs, 'validate-block').map((o) => o.blockHash), [Y])
  assert.equal(only(outs, 'commit').length, 0)
  outs = feed(e, { type: 'block-validated', height: 1, blockHash: Y, valid: true })
  const [c] = only(outs, 'commit')
  assert.equal(c?.round, 4)
  assert.equal(c?.certificate, cert)
})

test('engine: precommit quorum in an earlier round commits (line 49), even from a later round', () => {
  const e = engine(0)
  feed(e, { type: 'start-height', height: 1 }, ...votes(prevote(1, 2, NIL), prevote(2, 2, NIL)))
  assert.equal(e.status().round, 2)
  feed(e, { type: 'block-validated', height: 1, blockHash: X, valid: true })
  const outs = feed(e, ...votes(precommit(1, 0, X), precommit(2, 0, X), precommit(3, 0, X)))
  assert.deepEqual(only(outs, 'commit').map((c) => [c.round, c.blockHash]), [[0, X]])
})

test('engine: rebroadcast relays the current round, the latest polka and the last commit, then re-arms', () => {
  const e = engine(0)
  const lastCommit = createCommit(1, 0, Z, [0, 1, 2].map((i) => precommit(i, 0, Z, 1)))
  feed(e, { type: 'start-height', height: 2, lastCommit }, { type: 'proposal', proposal: proposal(0, X, -1, 2) }, { type: 'block-validated', height: 2, blockHash: X, valid: true })
  feed(e, ...votes(prevote(0, 0, X, 2), prevote(1, 0, X, 2), prevote(3, 0, X, 2)))
  const outs = feed(e, { type: 'timeout', height: 2, round: 0, step: 'rebroadcast' })
  assert.equal(only(outs, 'broadcast-proposal').length, 1)
  assert.ok(only(outs, 'broadcast-vote').length >= 3)
  assert.deepEqual(only(outs, 'broadcast-commit').map((o) => o.certificate), [lastCommit])
  assert.deepEqual(only(outs, 'schedule-timeout').map((o) => o.step), ['rebroadcast'])
})

test('engine: a restarted validator resumes at its last round with its lock and re-sends what it signed', () => {
  const e = engine(0)
  const own = [prevote(0, 3, X), precommit(0, 3, X)]
  const outs = feed(e, { type: 'start-height', height: 1, resume: { round: 3, lockedRound: 3, lockedBlockHash: X, proposal: null, votes: own, prevoteWithheld: false } })
  const st = e.status()
  assert.equal(st.round, 3)
  assert.equal(st.lockedRound, 3)
  assert.deepEqual(st.lockedBlockHash, X)
  assert.deepEqual(only(outs, 'broadcast-vote').map((o) => o.vote), own)
  // Validator 0 proposes round 3 at height 1: it re-proposes its valid (locked) value.
  assert.deepEqual(only(outs, 'sign-proposal').map((o) => [o.proposal.polRound, o.proposal.blockHash]), [[3, X]])
})

test('engine: an observer (myIndex null) follows and commits but never signs', () => {
  const e = engine(null)
  const all: ConsensusOutput[] = []
  all.push(...feed(e, { type: 'start-height', height: 1 }, { type: 'proposal', proposal: proposal(0, X) }, { type: 'block-validated', height: 1, blockHash: X, valid: true }))
  all.push(...feed(e, ...votes(prevote(0, 0, X), prevote(1, 0, X), prevote(2, 0, X), precommit(0, 0, X), precommit(1, 0, X), precommit(2, 0, X))))
  assert.equal(all.filter((o) => o.type === 'sign-vote' || o.type === 'sign-proposal' || o.type === 'propose-block').length, 0)
  assert.equal(only(all, 'commit').length, 1)
})

test('engine: deterministic: the same inputs in the same order give the same outputs', () => {
  const script: ConsensusInput[] = [
    { type: 'start-height', height: 1 }, { type: 'proposal', proposal: proposal(0, X) },
    ...votes(prevote(2, 0, X), prevote(3, 0, NIL)), { type: 'timeout', height: 1, round: 0, step: 'propose' },
    ...votes(prevote(1, 0, X), prevote(0, 0, NIL)), { type: 'timeout', height: 1, round: 0, step: 'prevote' },
    ...votes(precommit(0, 0, NIL), precommit(1, 0, X), precommit(2, 0, NIL)), { type: 'timeout', height: 1, round: 0, step: 'precommit' },
    { type: 'block-validated', height: 1, blockHash: X, valid: true }, ...votes(prevote(2, 0, Y)),
  ]
  const run = () => { const e = engine(0); return script.flatMap((i) => e.handle(i)) }
  assert.deepEqual(run(), run())
})

test('engine: bad configuration is refused', () => {
  assert.throws(() => createConsensus({ chainId: CHAIN, validatorSet: set, myIndex: 4 }), /BAD_CONFIG/)
  assert.throws(() => createConsensus({ chainId: '', validatorSet: set, myIndex: 0 }), /BAD_CONFIG/)
  assert.throws(() => createConsensus({ chainId: CHAIN, validatorSet: set, myIndex: 0, timeouts: { proposeMs: -1 } }), /BAD_CONFIG/)
  assert.throws(() => engine(0).handle({ type: 'start-height', height: 0 }), /BAD_INPUT/)
})

test('engine: vote routing: votes for a block go to the collector with a fallback timer; nil votes and unrouted engines go to all', () => {
  const routed = createConsensus({ chainId: CHAIN, validatorSet: set, myIndex: 0, timeouts: { ...TIMEOUTS, voteFallbackMs: 300 }, routeVotes: true })
  feed(routed, { type: 'start-height', height: 1 }, { type: 'proposal', proposal: proposal(0, X) })
  let outs = feed(routed, { type: 'block-validated', height: 1, blockHash: X, valid: true })
  assert.deepEqual(only(outs, 'sign-vote').map((o) => o.sendTo), [1], 'the prevote for X goes to the round-0 proposer, #1')
  assert.deepEqual(only(outs, 'schedule-timeout').map((o) => [o.step, o.round, o.durationMs]), [['vote-fallback', 0, 300]])
  // A nil prevote (here: the block is invalid) goes to everyone, without a fallback timer.
  const nil = createConsensus({ chainId: CHAIN, validatorSet: set, myIndex: 0, timeouts: TIMEOUTS, routeVotes: true })
  feed(nil, { type: 'start-height', height: 1 }, { type: 'proposal', proposal: proposal(0, X) })
  outs = feed(nil, { type: 'block-validated', height: 1, blockHash: X, valid: false })
  assert.deepEqual(only(outs, 'sign-vote').map((o) => [o.vote.blockHash.length, o.sendTo]), [[0, undefined]])
  assert.equal(only(outs, 'schedule-timeout').filter((o) => o.step === 'vote-fallback').length, 0)
  // Routing is off by default.
  const plain = engine(0)
  outs = feed(plain, { type: 'start-height', height: 1 }, { type: 'proposal', proposal: proposal(0, X) }, { type: 'block-validated', height: 1, blockHash: X, valid: true })
  assert.deepEqual(only(outs, 'sign-vote').map((o) => o.sendTo), [undefined])
  assert.equal(only(outs, 'schedule-timeout').filter((o) => o.step === 'vote-fallback').length, 0)
})

test('engine: vote routing: the collector hands each quorum on once, as verified votes for one block', () => {
  const e = createConsensus({ chainId: CHAIN, validatorSet: set, myIndex: 1, timeouts: TIMEOUTS, routeVotes: true })
  feed(e, { type: 'start-height', height: 1 }, { type: 'block-proposal', height: 1, round: 0, blockHash: X })
  let outs = feed(e, { type: 'proposal', proposal: proposal(0, X) })
  assert.deepEqual(only(outs, 'sign-vote').map((o) => o.sendTo), [1], 'the collector keeps its own vote: it leaves in the bundle')
  assert.deepEqual(only(outs, 'schedule-timeout').map((o) => o.step), ['vote-fallback'])
  outs = feed(e, ...votes(prevote(1, 0, X), prevote(0, 0, X)))
  assert.equal(only(outs, 'broadcast-votes').length, 0, 'no quorum yet')
  outs = feed(e, ...votes(prevote(3, 0, X)))
  const [prevotes] = only(outs, 'broadcast-votes')
  assert.ok(prevotes)
  assert.deepEqual(prevotes.votes.map((v) => [v.type, v.validatorIndex]).sort(), [[VoteType.PREVOTE, 0], [VoteType.PREVOTE, 1], [VoteType.PREVOTE, 3]])
  for (const v of prevotes.votes) assert.deepEqual(v.blockHash, X)
  assert.equal(only(feed(e, ...votes(prevote(2, 0, X))), 'broadcast-votes').length, 0, 'a vote beyond the quorum is not handed on again')
  outs = feed(e, ...votes(precommit(1, 0, X), precommit(0, 0, X), precommit(2, 0, X)))
  const [precommits] = only(outs, 'broadcast-votes')
  assert.ok(precommits, 'the precommit quorum is handed on too (receivers commit on it)')
  verifyCommit(CHAIN, set, createCommit(1, 0, X, [...precommits.votes]), 1, X)
  assert.equal(only(outs, 'commit').length, 1)
  // A validator that is not the round's proposer gathers nothing.
  const other = createConsensus({ chainId: CHAIN, validatorSet: set, myIndex: 0, timeouts: TIMEOUTS, routeVotes: true })
  feed(other, { type: 'start-height', height: 1 }, { type: 'proposal', proposal: proposal(0, X) }, { type: 'block-validated', height: 1, blockHash: X, valid: true })
  outs = feed(other, ...votes(prevote(0, 0, X), prevote(1, 0, X), prevote(3, 0, X)))
  assert.equal(only(outs, 'broadcast-votes').length, 0)
})

test('engine: vote routing: the fallback timer sends our votes to all only while the round is undecided', () => {
  const start = (): ConsensusEngine => {
    const e = createConsensus({ chainId: CHAIN, validatorSet: set, myIndex: 0, timeouts: TIMEOUTS, routeVotes: true })
    feed(e, { type: 'start-height', height: 1 }, { type: 'proposal', proposal: proposal(0, X) }, { type: 'block-validated', height: 1, blockHash: X, valid: true })
    feed(e, ...votes(prevote(0, 0, X)))
    return e
  }
  const fallback: ConsensusInput = { type: 'timeout', height: 1, round: 0, step: 'vote-fallback' }
  // The collector withheld the prevotes: ours goes to everyone.
  const stuck = start()
  assert.deepEqual(only(feed(stuck, fallback), 'broadcast-vote').map((o) => [o.vote.type, o.vote.validatorIndex]), [[VoteType.PREVOTE, 0]])
  // After precommitting, both of our votes go.
  feed(stuck, ...votes(prevote(1, 0, X), prevote(2, 0, X)), ...votes(precommit(0, 0, X)))
  assert.equal(stuck.status().step, 'precommit')
  assert.deepEqual(only(feed(stuck, fallback), 'broadcast-vote').map((o) => o.vote.type), [VoteType.PREVOTE, VoteType.PRECOMMIT])
  // Decided: nothing to send.
  feed(stuck, ...votes(precommit(1, 0, X), precommit(2, 0, X)))
  assert.equal(stuck.status().step, 'decided')
  assert.deepEqual(feed(stuck, fallback), [])
  // A later round: the old round's timer is stale.
  const moved = start()
  feed(moved, { type: 'timeout', height: 1, round: 0, step: 'prevote' }, ...votes(precommit(1, 0, NIL), precommit(2, 0, NIL), precommit(3, 0, NIL)), { type: 'timeout', height: 1, round: 0, step: 'precommit' })
  assert.equal(moved.status().round, 1)
  assert.deepEqual(feed(moved, fallback), [])
})

test('engine: after a machine crash with round 0 withheld, it neither proposes nor prevotes there, precommits nil and moves to round 1', () => {
  const withheld = { round: 0, lockedRound: -1, lockedBlockHash: NIL, proposal: null, votes: [], prevoteWithheld: true }
  // Validator 1 proposes height 1 round 0: withheld, it asks for no block and no signature but a nil precommit.
  const e = engine(1)
  let outs = feed(e, { type: 'start-height', height: 1, resume: withheld })
  assert.equal(only(outs, 'propose-block').length, 0)
  assert.equal(only(outs, 'sign-proposal').length, 0)
  assert.deepEqual(signRequests(outs).map((v) => [v.type, v.round, v.blockHash]), [[VoteType.PRECOMMIT, 0, NIL]])
  assert.equal(e.status().round, 1, 'round 0 is over for it: its round-1 votes move the others on if they are stuck')
  // A round-0 proposal changes nothing it signs; a round-0 decision still counts.
  outs = feed(e, { type: 'proposal', proposal: proposal(0, X, -1, 1, 1) }, { type: 'block-validated', height: 1, blockHash: X, valid: true })
  assert.equal(signRequests(outs).length, 0)
  // Round 1 is normal: validator 2 proposes, it prevotes.
  outs = feed(e, { type: 'proposal', proposal: proposal(1, Y) }, { type: 'block-validated', height: 1, blockHash: Y, valid: true })
  assert.deepEqual(signRequests(outs).map((v) => [v.type, v.round, v.blockHash]), [[VoteType.PREVOTE, 1, Y]])
  // Validator 2 withheld proposes round 1 as usual.
  outs = feed(engine(2), { type: 'start-height', height: 1, resume: withheld })
  assert.deepEqual(only(outs, 'propose-block'), [{ type: 'propose-block', height: 1, round: 1 }])
})
