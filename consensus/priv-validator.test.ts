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
  const store: PrivValidatorStore = {
    load: () => inner.load(),
    save: (s, durability) => { if (fail) throw new Error('disk full'); inner.save(s, durability) },
    mayHaveLostWrites: () => false,
  }
  const { pv } = setup(store)
  pv.signVote(pre(1, 0, X))
  fail = true
  assert.throws(() => pv.signVote(com(1, 0, X)), (e) => isConsensusError(e, 'SIGN_STORE'))
  assert.equal(pv.lastSigned!.step, 2)
  assert.equal(inner.load()!.step, 2)
  fail = false
  pv.signVote(com(1, 0, Y)) // nothing was released for X: Y is not a conflict
})

const proposal = (height: number, round: number, blockHash: Uint8Array) => ({ height, round, polRound: -1, blockHash, proposerIndex: 0 })

test('PrivValidator: one durable save per height: round 0 of the height after a precommit saves its proposal and prevote for the process only', () => {
  const store = new MemoryPrivValidatorStore()
  const { pv } = setup(store)
  const durable = () => store.durableSaves
  pv.signVote(pre(1, 0, X)) // nothing reserved yet: durable
  assert.equal(durable(), 1)
  pv.signVote(com(1, 0, X)) // durable, reserves height 2
  assert.deepEqual([durable(), store.load()!.reservedHeight], [2, 2])
  pv.signProposal(proposal(2, 0, Y))
  pv.signVote(pre(2, 0, Y))
  assert.deepEqual([store.saves, durable()], [4, 2], 'proposal and prevote at (2, 0) are process saves')
  pv.signVote(com(2, 0, NIL)) // a nil precommit reserves the next height too
  assert.deepEqual([durable(), store.load()!.reservedHeight], [3, 3])
  pv.signVote(pre(3, 1, X)) // round 1 is not reserved
  assert.equal(durable(), 4)
  pv.signVote(com(3, 1, X))
  pv.signVote(pre(5, 0, X)) // height 5 is not the reserved height 4
  assert.equal(durable(), 6)
})

test('PrivValidator: after a crash of the process, the process saves are there: the guard is exact', () => {
  const store = new MemoryPrivValidatorStore()
  const first = setup(store).pv
  first.signVote(com(1, 0, X))
  const prevote = first.signVote(pre(2, 0, Y)) // a process save
  const restarted = setup(store).pv
  assert.deepEqual(restarted.signVote(pre(2, 0, Y)).signature, prevote.signature, 'the same prevote can be sent again')
  assert.throws(() => restarted.signVote(pre(2, 0, X)), (e) => isConsensusError(e, 'SIGN_CONFLICT'))
  assert.deepEqual(restarted.resumePoint(2)!.votes.map((v) => v.type), [VoteType.PREVOTE])
})

test('PrivValidator: after a crash of the machine, round 0 of the reserved height counts as signed up to the prevote', () => {
  const store = new MemoryPrivValidatorStore()
  const first = setup(store).pv
  first.signVote(pre(1, 0, X))
  first.signVote(com(1, 0, X))
  first.signProposal(proposal(2, 0, Y))
  first.signVote(pre(2, 0, Y))
  store.loseProcessSaves() // the machine lost power: the proposal and prevote at (2, 0) are gone
  assert.equal(store.load()!.height, 1)
  const restarted = setup(store).pv
  // Whatever it signed there is unknown: nothing at (2, 0) up to the prevote, not even the same bytes.
  for (const [name, f] of [
    ['the same prevote', () => restarted.signVote(pre(2, 0, Y))],
    ['another prevote', () => restarted.signVote(pre(2, 0, X))],
    ['a nil prevote', () => restarted.signVote(pre(2, 0, NIL))],
    ['a proposal', () => restarted.signProposal(proposal(2, 0, X))],
    ['an earlier height', () => restarted.signVote(pre(1, 3, X))],
  ] as [string, () => unknown][]) {
    assert.throws(f, (e) => isConsensusError(e, 'SIGN_CONFLICT') && (name === 'an earlier height' || /machine restarted/.test((e as Error).message)), name)
  }
  assert.equal(restarted.resumePoint(2)!.votes.length, 0)
  assert.equal(restarted.resumePoint(2)!.prevoteWithheld, true, 'the engine is told not to propose or prevote there')
  // A precommit there is after the prevote (the polka it needs is other validators' votes), and so is round 1.
  restarted.signVote(com(2, 0, NIL))
  restarted.signVote(pre(2, 1, X))
  assert.equal(store.durableSaves, 4)
})

test('PrivValidator: a machine crash with no process save pending, or one past the reservation, changes nothing', () => {
  const store = new MemoryPrivValidatorStore()
  const first = setup(store).pv
  first.signVote(com(1, 0, X))
  first.signVote(pre(2, 1, X)) // durable (round 1)
  store.loseProcessSaves()
  assert.equal(store.mayHaveLostWrites(), false, 'every save was durable: nothing was lost')
  const restarted = setup(store).pv
  assert.equal(restarted.lastSigned!.round, 1)
  restarted.signVote(com(2, 1, X))
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
  assert.equal(back.reservedHeight, 10)
  assert.throws(() => decodeSignState(new Uint8Array([0x93, 1, 2, 3])), (e) => isConsensusError(e, 'SIGN_STORE'))
})

test('PrivValidator: a sign state of the format before reservations (8 fields) decodes with none', () => {
  const { pv } = setup()
  pv.signVote(com(4, 0, X))
  const full = decodeSignState(encodeSignState(pv.lastSigned!))
  // The same state without the 9th field, as stores wrote it before: msgpack fixarray 0x99 -> 0x98.
  const bytes = encodeSignState(full)
  assert.equal(bytes[0], 0x99)
  const old = Uint8Array.of(0x98, ...bytes.subarray(1, bytes.length - 1))
  assert.equal(bytes[bytes.length - 1], 5)
  const back = decodeSignState(old)
  assert.equal(back.reservedHeight, 0)
  assert.deepEqual(back.lock!.blockHash, X)
})

test('PrivValidator: proposal sign bytes carry polRound -1 as a plain negative integer', () => {
  const a = proposalSignBytes(CHAIN, { height: 1, round: 0, polRound: -1, blockHash: X })
  const b = proposalSignBytes(CHAIN, { height: 1, round: 0, polRound: 0, blockHash: X })
  assert.notDeepEqual(a, b)
  assert.equal(a.includes(0xff), true) // msgpack negative fixint -1
})

/** A store whose async saves finish when the test says so (or fail), recording what it saved. */
class DeferredStore extends MemoryPrivValidatorStore {
  readonly waiting: { state: LastSignState; finish: () => void; fail: (e: Error) => void }[] = []
  saveAsync(state: LastSignState, durability: 'durable' | 'process'): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ state, finish: () => { this.save(state, durability); resolve() }, fail: reject })
    })
  }
}

const settled = async <T>(p: Promise<T>): Promise<boolean> => {
  let done = false
  p.then(() => { done = true }, () => { done = true })
  for (let i = 0; i < 5; i++) await Promise.resolve()
  return done
}

test('PrivValidator async: a signature comes back only when its state is saved; later calls wait their turn', async () => {
  const store = new DeferredStore()
  const { pv } = setup(store)
  const first = pv.signVoteAsync(pre(1, 0, X))
  const conflicting = pv.signVoteAsync(pre(1, 0, Y))
  const repeat = pv.signVoteAsync(pre(1, 0, X))
  assert.equal(await settled(first), false, 'not before its save finished')
  assert.equal(store.waiting.length, 1, 'one save at a time')
  assert.equal(pv.lastSigned, null, 'nothing counts as signed yet')
  store.waiting[0]!.finish()
  const signed = await first
  assert.ok(verifyVote(CHAIN, createValidatorSet([pv.publicKey]), signed))
  await assert.rejects(conflicting, (e) => isConsensusError(e, 'SIGN_CONFLICT'), 'judged against the saved first vote')
  assert.deepEqual((await repeat).signature, signed.signature, 'a repeat is answered without a second save')
  assert.equal(store.waiting.length, 1)
  const proposal = pv.signProposalAsync({ height: 2, round: 0, polRound: -1, blockHash: Y, proposerIndex: 0 })
  await Promise.resolve()
  store.waiting[1]!.finish()
  assert.ok(verifyProposal(CHAIN, createValidatorSet([pv.publicKey]), await proposal))
})

test('PrivValidator async: a failed save gives SIGN_STORE and no signature; the same signing can be tried again', async () => {
  const store = new DeferredStore()
  const { pv } = setup(store)
  const failed = pv.signVoteAsync(com(4, 0, X))
  await Promise.resolve()
  store.waiting[0]!.fail(new Error('EIO'))
  await assert.rejects(failed, (e) => isConsensusError(e, 'SIGN_STORE') && /EIO/.test((e as Error).message))
  assert.equal(pv.lastSigned, null)
  const retried = pv.signVoteAsync(com(4, 0, Y))
  await Promise.resolve()
  store.waiting[1]!.finish()
  assert.deepEqual((await retried).blockHash, Y, 'the failed signature never left, so another block may be signed there')
  assert.equal(store.load()?.height, 4)
})

test('PrivValidator async: a store without saveAsync saves synchronously', async () => {
  const store = new MemoryPrivValidatorStore()
  const { pv } = setup(store)
  const v = await pv.signVoteAsync(pre(5, 0, X))
  assert.equal(store.saves, 1)
  assert.equal(pv.lastSigned?.height, 5)
  await assert.rejects(pv.signVoteAsync(pre(5, 0, Y)), (e) => isConsensusError(e, 'SIGN_CONFLICT'))
  assert.deepEqual((await pv.signVoteAsync(pre(5, 0, X))).signature, v.signature)
})
