import { test } from 'node:test'
import assert from 'node:assert/strict'
import { VoteType, verifyVote } from '../core/commit.ts'
import { sign } from '../core/keys.ts'
import { createValidatorSet } from '../core/validators.ts'
import { isConsensusError } from './errors.ts'
import { proposalSignBytes, verifyProposal } from './messages.ts'
import {
  MemoryPrivValidatorStore, PrivValidator, decodeSignState, encodeSignState,
  type LastSignState, type PrivValidatorStore,
} from './priv-validator.ts'
import { createEd25519Signer } from './signer.ts'

const CHAIN = 'pv-test'
const SECRET = new Uint8Array(32).fill(9)
const X = new Uint8Array(32).fill(0xaa)
const Y = new Uint8Array(32).fill(0xbb)
const NIL = new Uint8Array(0)

function setup(store: PrivValidatorStore = new MemoryPrivValidatorStore()) {
  return { store, pv: new PrivValidator({ chainId: CHAIN, signer: createEd25519Signer(SECRET), store }) }
}
const pre = (height: number, round: number, blockHash: Uint8Array) => ({ type: VoteType.PREVOTE, height, round, blockHash, validatorIndex: 0 })
const com = (height: number, round: number, blockHash: Uint8Array) => ({ type: VoteType.PRECOMMIT, height, round, blockHash, validatorIndex: 0 })

test('signer: node:crypto Ed25519 gives the same bytes as core sign', () => {
  const s = createEd25519Signer(SECRET)
  const msg = new Uint8Array([1, 2, 3])
  assert.deepEqual(s.sign(msg), sign(msg, SECRET))
})

test('PrivValidator: signs votes that verify, in increasing (height, round, step)', () => {
  const { pv } = setup()
  const set = createValidatorSet([pv.publicKey])
  const a = pv.signVote(pre(1, 0, X))
  const b = pv.signVote(com(1, 0, X))
  const c = pv.signVote(pre(1, 1, NIL))
  const d = pv.signVote(pre(2, 0, Y))
  for (const v of [a, b, c, d]) assert.ok(verifyVote(CHAIN, set, v))
  const p = pv.signProposal({ height: 2, round: 1, polRound: 0, blockHash: Y, proposerIndex: 0 })
  assert.ok(verifyProposal(CHAIN, set, p))
})

test('PrivValidator: re-signing the identical vote returns the same signature', () => {
  const { pv, store } = setup()
  const a = pv.signVote(pre(3, 2, X))
  const saves = (store as MemoryPrivValidatorStore).saves
  const b = pv.signVote(pre(3, 2, X))
  assert.deepEqual(a.signature, b.signature)
  assert.equal((store as MemoryPrivValidatorStore).saves, saves)
})

test('PrivValidator: refuses anything that would conflict', () => {
  const { pv } = setup()
  pv.signVote(pre(3, 2, X))
  pv.signVote(com(3, 2, X))
  const cases: [string, () => unknown][] = [
    ['same step, other block', () => pv.signVote(com(3, 2, Y))],
    ['same step, nil instead', () => pv.signVote(com(3, 2, NIL))],
    ['earlier step (prevote after precommit)', () => pv.signVote(pre(3, 2, X))],
    ['earlier round', () => pv.signVote(pre(3, 1, X))],
    ['earlier height', () => pv.signVote(pre(2, 9, X))],
    ['proposal after votes in the round', () => pv.signProposal({ height: 3, round: 2, polRound: -1, blockHash: X, proposerIndex: 0 })],
  ]
  for (const [name, f] of cases) assert.throws(f, (e) => isConsensusError(e, 'SIGN_CONFLICT'), name)
})

test('PrivValidator: the guard survives a crash (a new instance on the same store)', () => {
  const store = new MemoryPrivValidatorStore()
  const first = setup(store).pv
  const signed = first.signVote(pre(7, 0, X))
  const restarted = setup(store).pv
  assert.throws(() => restarted.signVote(pre(7, 0, Y)), (e) => isConsensusError(e, 'SIGN_CONFLICT'))
  assert.deepEqual(restarted.signVote(pre(7, 0, X)).signature, signed.signature)
})

test('PrivValidator: persists before releasing; a failing store releases nothing and changes nothing', () => {
  let fail = false
  const inner = new MemoryPrivValidatorStore()
  const store: PrivValidatorStore = { load: () => inner.load(), save: (s) => { if (fail) throw new Error('disk full'); inner.save(s) } }
  const { pv } = setup(store)
  pv.signVote(pre(1, 0, X))
  fail = true
  assert.throws(() => pv.signVote(com(1, 0, X)), (e) => isConsensusError(e, 'SIGN_STORE'))
  assert.equal(pv.lastSigned!.step, 2)
  assert.equal(inner.load()!.step, 2)
  fail = false
  pv.signVote(com(1, 0, Y)) // nothing was released for X: Y is not a conflict
})

test('PrivValidator: the lock is the last non-nil precommit, and resumePoint gives it back', () => {
  const { pv, store } = setup()
  assert.equal(pv.resumePoint(4), undefined)
  pv.signVote(pre(4, 0, X))
  pv.signVote(com(4, 0, X)) // locks X at round 0
  pv.signVote(pre(4, 1, X))
  pv.signVote(com(4, 1, NIL)) // a nil precommit does not unlock (Algorithm 1 has no unlock)
  const r = setup(store).pv.resumePoint(4)!
  assert.equal(r.round, 1)
  assert.equal(r.lockedRound, 0)
  assert.deepEqual(r.lockedBlockHash, X)
  assert.deepEqual(r.votes.map((v) => v.type), [VoteType.PREVOTE, VoteType.PRECOMMIT])
  assert.equal(r.proposal, null)
  pv.signVote(pre(4, 2, Y))
  pv.signVote(com(4, 2, Y)) // re-locks on Y at round 2
  assert.equal(pv.resumePoint(4)!.lockedRound, 2)
  assert.deepEqual(pv.resumePoint(4)!.lockedBlockHash, Y)
  assert.equal(pv.resumePoint(5), undefined, 'nothing signed at height 5 yet')
  pv.signVote(pre(5, 0, NIL))
  assert.equal(pv.resumePoint(5)!.lockedRound, -1, 'a lock from an earlier height does not carry over')
})

test('PrivValidator: sign state encodes canonically and decodes to the same state', () => {
  const { pv } = setup()
  pv.signProposal({ height: 9, round: 3, polRound: 1, blockHash: X, proposerIndex: 0 })
  pv.signVote(pre(9, 3, X))
  pv.signVote(com(9, 3, X))
  const state = pv.lastSigned as LastSignState
  const bytes = encodeSignState(state)
  const back = decodeSignState(bytes)
  assert.ok(Buffer.from(encodeSignState(back)).equals(Buffer.from(bytes)))
  assert.equal(back.proposal!.polRound, 1)
  assert.equal(back.votes.length, 2)
  assert.deepEqual(back.lock!.blockHash, X)
  assert.throws(() => decodeSignState(new Uint8Array([0x93, 1, 2, 3])), (e) => isConsensusError(e, 'SIGN_STORE'))
})

test('PrivValidator: proposal sign bytes carry polRound -1 as a plain negative integer', () => {
  const a = proposalSignBytes(CHAIN, { height: 1, round: 0, polRound: -1, blockHash: X })
  const b = proposalSignBytes(CHAIN, { height: 1, round: 0, polRound: 0, blockHash: X })
  assert.notDeepEqual(a, b)
  assert.equal(a.includes(0xff), true) // msgpack negative fixint -1
})
