import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { VoteType } from '../../core/commit.ts'
import { PrivValidator, createEd25519Signer, isConsensusError } from '../../consensus/index.ts'
import { encodeSignState } from '../../consensus/priv-validator.ts'
import { FilePrivValidatorStore, decodeSlot, encodeSlot } from './priv-validator-file-store.ts'

const CHAIN = 'pv-file-test'
const SECRET = new Uint8Array(32).fill(5)
const X = new Uint8Array(32).fill(0xaa)
const Y = new Uint8Array(32).fill(0xbb)
const pre = (height: number, blockHash: Uint8Array) => ({ type: VoteType.PREVOTE, height, round: 0, blockHash, validatorIndex: 0 })
const com = (height: number, blockHash: Uint8Array) => ({ type: VoteType.PRECOMMIT, height, round: 0, blockHash, validatorIndex: 0 })
const validator = (path: string) => new PrivValidator({ chainId: CHAIN, signer: createEd25519Signer(SECRET), store: new FilePrivValidatorStore(path) })

function withDir(body: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'pv-store-'))
  try {
    body(dir)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

test('file store: the guard survives restarts; saves alternate between the two slots', () => withDir((dir) => {
  const path = join(dir, 'sign-state')
  const first = validator(path)
  first.signVote(pre(1, X))
  const signed = first.signVote(com(1, X))
  const file = readFileSync(path)
  assert.equal(file.length, 8192)
  const slots = [decodeSlot(file.subarray(0, 4096)), decodeSlot(file.subarray(4096))]
  assert.deepEqual(slots.map((s) => s?.sequence), [2n, 1n])
  const restarted = validator(path)
  assert.throws(() => restarted.signVote(com(1, Y)), (e) => isConsensusError(e, 'SIGN_CONFLICT'))
  assert.deepEqual(restarted.signVote(com(1, X)).signature, signed.signature)
  restarted.signVote(pre(2, Y))
  // A third instance sees the newest of three saves made by two instances.
  assert.throws(() => validator(path).signVote(pre(2, X)), (e) => isConsensusError(e, 'SIGN_CONFLICT'))
}))

test('file store: a torn newest slot falls back to the previous one; a corrupt slot is never taken', () => withDir((dir) => {
  const path = join(dir, 'sign-state')
  const pv = validator(path)
  pv.signVote(pre(1, X))
  pv.signVote(pre(2, X))
  const file = readFileSync(path)
  // Sequence 2 lives in slot 0: tear it (as a crash in the middle of its write would).
  file[100] = file[100]! ^ 0xff
  writeFileSync(path, file)
  const after = validator(path)
  // Height 1 is signed (slot 1 survived); height 2 was never released, so it may be signed again.
  assert.throws(() => after.signVote(pre(1, Y)), (e) => isConsensusError(e, 'SIGN_CONFLICT'))
  after.signVote(pre(2, Y))
  assert.equal(decodeSlot(new Uint8Array(4096)), null)
  const good = encodeSlot(9n, new Uint8Array([1, 2, 3]))
  assert.equal(decodeSlot(good)?.sequence, 9n)
  const bad = good.slice()
  bad[17] = bad[17]! ^ 1
  assert.equal(decodeSlot(bad), null)
}))

test('file store: a sign state in the older whole-file format is read, then converted on the next save', () => withDir((dir) => {
  const path = join(dir, 'sign-state')
  validator(join(dir, 'scratch')).signVote(pre(4, X))
  writeFileSync(path, encodeSignState(new FilePrivValidatorStore(join(dir, 'scratch')).load()!))
  const pv = validator(path)
  assert.throws(() => pv.signVote(pre(4, Y)), (e) => isConsensusError(e, 'SIGN_CONFLICT'))
  pv.signVote(pre(5, X))
  assert.equal(readFileSync(path).length, 8192)
  assert.throws(() => validator(path).signVote(pre(5, Y)), (e) => isConsensusError(e, 'SIGN_CONFLICT'))
}))
