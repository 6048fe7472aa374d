import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { VoteType } from '../../core/commit.ts'
import { PrivValidator, createEd25519Signer, isConsensusError } from '../../consensus/index.ts'
import { encodeSignState } from '../../consensus/priv-validator.ts'
import { sha256 } from '../../core/hash.ts'
import { FilePrivValidatorStore, currentBootId, decodeSlot, encodeSlot } from './priv-validator-file-store.ts'

const CHAIN = 'pv-file-test'
const SECRET = new Uint8Array(32).fill(5)
const X = new Uint8Array(32).fill(0xaa)
const Y = new Uint8Array(32).fill(0xbb)
const NIL_HASH = new Uint8Array(0)
const pre = (height: number, blockHash: Uint8Array) => ({ type: VoteType.PREVOTE, height, round: 0, blockHash, validatorIndex: 0 })
const com = (height: number, blockHash: Uint8Array) => ({ type: VoteType.PRECOMMIT, height, round: 0, blockHash, validatorIndex: 0 })
const BOOT_A = new Uint8Array(16).fill(0xa1)
const BOOT_B = new Uint8Array(16).fill(0xb2)
const validator = (path: string, bootId = BOOT_A) =>
  new PrivValidator({ chainId: CHAIN, signer: createEd25519Signer(SECRET), store: new FilePrivValidatorStore(path, { bootId }) })
const slotsOf = (path: string) => {
  const file = readFileSync(path)
  return [0, 1, 2].map((i) => decodeSlot(file.subarray(i * 4096, (i + 1) * 4096))?.sequence)
}

function withDir(body: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'pv-store-'))
  try {
    body(dir)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

test('file store: the guard survives restarts; durable saves alternate between slots 0 and 1, process saves go to slot 2', () => withDir((dir) => {
  const path = join(dir, 'sign-state')
  const first = validator(path)
  first.signVote(pre(1, X))
  const signed = first.signVote(com(1, X))
  assert.equal(readFileSync(path).length, 3 * 4096)
  assert.deepEqual(slotsOf(path), [1n, 2n, undefined])
  first.signVote(pre(2, X)) // reserved by the precommit at 1: a process save
  assert.deepEqual(slotsOf(path), [1n, 2n, 3n])
  first.signVote(com(2, X))
  assert.deepEqual(slotsOf(path), [4n, 2n, 3n], 'the newest durable slot (1) is never overwritten')
  const restarted = validator(path)
  assert.throws(() => restarted.signVote(com(2, Y)), (e) => isConsensusError(e, 'SIGN_CONFLICT'))
  assert.throws(() => validator(path).signVote(com(1, Y)), (e) => isConsensusError(e, 'SIGN_CONFLICT'))
  assert.notDeepEqual(restarted.signVote(com(2, X)).signature, signed.signature)
  restarted.signVote(pre(3, Y))
  // A third instance sees the newest save, made by the second instance in slot 2.
  assert.throws(() => validator(path).signVote(pre(3, X)), (e) => isConsensusError(e, 'SIGN_CONFLICT'))
}))

test('file store: same boot, the process slot is exact; another boot, round 0 of the reserved height is withheld', () => withDir((dir) => {
  const path = join(dir, 'sign-state')
  const first = validator(path)
  first.signVote(com(1, X))
  const prevote = first.signVote(pre(2, Y)) // slot 2 only
  // The process crashed, the machine did not: the prevote may be sent again, nothing else signed there.
  const sameBoot = validator(path, BOOT_A)
  assert.deepEqual(sameBoot.signVote(pre(2, Y)).signature, prevote.signature)
  assert.throws(() => sameBoot.signVote(pre(2, X)), (e) => isConsensusError(e, 'SIGN_CONFLICT'))
  // The machine restarted and the prevote is on disk: nothing after it is ever a process save, so it is exact too.
  assert.deepEqual(validator(path, BOOT_B).signVote(pre(2, Y)).signature, prevote.signature)

  // A proposal is on disk, and the machine restarted: a prevote after it may have been lost.
  const path2 = join(dir, 'sign-state-2')
  const proposer = validator(path2)
  proposer.signVote(com(1, X))
  proposer.signProposal({ height: 2, round: 0, polRound: -1, blockHash: Y, proposerIndex: 0 })
  const otherBoot = validator(path2, BOOT_B)
  assert.throws(() => otherBoot.signVote(pre(2, Y)), (e) => isConsensusError(e, 'SIGN_CONFLICT') && /machine restarted/.test((e as Error).message))
  otherBoot.signVote(com(2, NIL_HASH))
  // Its saves carry the new boot id: a restart on this boot is exact again.
  assert.throws(() => validator(path2, BOOT_B).signVote(com(2, X)), (e) => isConsensusError(e, 'SIGN_CONFLICT'))
  validator(path2, BOOT_B).signVote(pre(3, X))
}))

/** Flips one byte inside slot `index` of the file, as a write cut short by a crash would leave it. */
function tearSlot(path: string, index: number): void {
  const file = readFileSync(path)
  file[index * 4096 + 100] = file[index * 4096 + 100]! ^ 0xff
  writeFileSync(path, file)
}

test('file store: a lost or torn process slot falls back to the newest durable slot, whose reservation covers it', () => withDir((dir) => {
  const path = join(dir, 'sign-state')
  const first = validator(path)
  first.signVote(com(1, X))
  first.signVote(pre(2, Y))
  tearSlot(path, 2) // the power failed while slot 2 was being written
  const after = validator(path, BOOT_B)
  assert.equal(after.lastSigned!.height, 2, 'the reservation from the precommit at height 1')
  assert.throws(() => after.signVote(pre(2, X)), (e) => isConsensusError(e, 'SIGN_CONFLICT'))
  after.signVote(com(2, X))
}))

test('file store: a torn durable slot falls back to the previous one; a corrupt slot is never taken', () => withDir((dir) => {
  const path = join(dir, 'sign-state')
  const pv = validator(path)
  pv.signVote(pre(1, X))
  pv.signVote(pre(2, X))
  // Sequence 2 lives in slot 1: tear it (as a crash in the middle of its write would).
  tearSlot(path, 1)
  const after = validator(path)
  // Height 1 is signed (slot 0 survived); height 2 was never released, so it may be signed again.
  assert.throws(() => after.signVote(pre(1, Y)), (e) => isConsensusError(e, 'SIGN_CONFLICT'))
  after.signVote(pre(2, Y))
  assert.equal(decodeSlot(new Uint8Array(4096)), null)
  const good = encodeSlot(9n, BOOT_A, new Uint8Array([1, 2, 3]))
  assert.equal(decodeSlot(good)?.sequence, 9n)
  for (const at of [17, 40, 66]) {
    const bad = good.slice()
    bad[at] = bad[at]! ^ 1 // boot id, checksum, state
    assert.equal(decodeSlot(bad), null, `byte ${at}`)
  }
}))

test('file store: older formats (whole file; two version 1 slots) are read as exact and converted on the next save', () => withDir((dir) => {
  const scratch = validator(join(dir, 'scratch'))
  scratch.signVote(com(4, X))
  scratch.signVote(pre(5, X))
  const state = new FilePrivValidatorStore(join(dir, 'scratch'), { bootId: BOOT_A }).load()!
  // Version 1: 'MCPV' 1 ‖ sequence ‖ length ‖ SHA-256(sequence ‖ state) ‖ state, in slot 1 of two.
  const v1 = new Uint8Array(8192)
  const body = encodeSignState(state)
  const seq = Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 7)
  v1.set([0x4d, 0x43, 0x50, 0x56, 1, ...seq], 4096)
  new DataView(v1.buffer).setUint32(4096 + 13, body.length)
  v1.set(sha256(seq, body), 4096 + 17)
  v1.set(body, 4096 + 49)
  for (const [name, bytes] of [['whole file', encodeSignState(state)], ['version 1 slots', v1]] as const) {
    const path = join(dir, name)
    writeFileSync(path, bytes)
    const pv = validator(path, BOOT_B) // another boot: an old format was written durably, so it is exact anyway
    assert.deepEqual(pv.signVote(pre(5, X)).signature, state.votes[0]!.signature, `${name}: the same prevote again`)
    assert.throws(() => pv.signVote(pre(5, Y)), (e) => isConsensusError(e, 'SIGN_CONFLICT'), name)
    pv.signVote(com(5, X))
    assert.equal(readFileSync(path).length, 3 * 4096, name)
    assert.throws(() => validator(path, BOOT_B).signVote(com(5, Y)), (e) => isConsensusError(e, 'SIGN_CONFLICT'), name)
  }
}))

test('file store: the boot id is this boot\'s (16 bytes; all zero only where the OS has none)', () => {
  const id = currentBootId()
  assert.equal(id.length, 16)
  if (process.platform === 'linux') assert.ok(id.some((b) => b !== 0))
})

test('file store saveAsync: the same slots as save, in call order, each durable save synced before the next starts', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pv-store-'))
  try {
    const path = join(dir, 'sign-state')
    const asyncPv = new PrivValidator({ chainId: CHAIN, signer: createEd25519Signer(SECRET), store: new FilePrivValidatorStore(path, { bootId: BOOT_A }) })
    // Four signings at once, as the node would never ask: each waits for the one before it.
    const signed = await Promise.all([asyncPv.signVoteAsync(pre(1, X)), asyncPv.signVoteAsync(com(1, X)), asyncPv.signVoteAsync(pre(2, X)), asyncPv.signVoteAsync(com(2, X))])
    assert.deepEqual(signed.map((v) => [v.height, v.type]), [[1, VoteType.PREVOTE], [1, VoteType.PRECOMMIT], [2, VoteType.PREVOTE], [2, VoteType.PRECOMMIT]])
    assert.deepEqual(slotsOf(path), [4n, 2n, 3n], 'as the synchronous saves left them (first test)')
    const restarted = validator(path)
    assert.throws(() => restarted.signVote(com(2, Y)), (e) => isConsensusError(e, 'SIGN_CONFLICT'))
    assert.deepEqual(restarted.signVote(com(2, X)).blockHash, X)
    // A store whose file cannot be synced: SIGN_STORE, and nothing signed.
    const broken = new FilePrivValidatorStore(join(dir, 'no-such-dir', 'sign-state'), { bootId: BOOT_A })
    const brokenPv = new PrivValidator({ chainId: CHAIN, signer: createEd25519Signer(SECRET), store: broken })
    await assert.rejects(brokenPv.signVoteAsync(com(1, X)), (e) => isConsensusError(e, 'SIGN_STORE'))
    assert.equal(brokenPv.lastSigned, null)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})
