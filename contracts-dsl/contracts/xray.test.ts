/**
 * The paper's walk-through, through real signed transactions executed by the VM's TxExecutor
 * over a StateOverlay / MapStateView (the node does the same through a live chain).
 */
import assert from 'node:assert/strict'
import { readFileSync, writeFileSync } from 'node:fs'
import { test } from 'node:test'
import type { CanonicalValue } from '../../core/encoding.ts'
import { ReceiptStatus, decodeReceipt, encodeReceipt, type BlockContext, type Receipt } from '../../core/execution.ts'
import { keyPairFromSecretKey, addressFromPublicKey, type KeyPair } from '../../core/keys.ts'
import { MapStateView, StateOverlay, readNonce, writeNonce, stateKey } from '../../core/state.ts'
import { TxKind, createSignedTx } from '../../core/tx.ts'
import { contractAddress, createVmExecutor } from '../../vm/index.ts'
import { compileXrayContract, deployTxArgs, xrayContractSource, XrayRole } from '../index.ts'

const CHAIN = 'medchain-test'
const HASH = '16c8a694c91b80f1d97efb91455ab8b3facd6221ea401d740086722d4bad0134'
const GAS_VECTORS = new URL('./xray.gas-vectors.json', import.meta.url)

function account(seed: number): KeyPair & { address: Uint8Array } {
  const kp = keyPairFromSecretKey(new Uint8Array(32).fill(seed))
  return { ...kp, address: addressFromPublicKey(kp.publicKey) }
}

/** A minimal stand-in for the node: nonces, one overlay per block, receipts. */
function createChain() {
  const base = new MapStateView()
  const executor = createVmExecutor()
  let overlay = new StateOverlay(base)
  let height = 1
  const ctx = (): BlockContext => ({ chainId: CHAIN, height, time: 1_700_000_000_000 + height * 1000, proposer: new Uint8Array(20) })
  return {
    base,
    executor,
    get overlay() { return overlay },
    ctx,
    send(from: KeyPair & { address: Uint8Array }, kind: TxKind, target: Uint8Array, method: string, args: CanonicalValue[]): Receipt {
      const nonce = readNonce(overlay, from.address)
      const tx = createSignedTx({ chainId: CHAIN, kind, nonce, target, method, args, gasLimit: 5_000_000 }, from.secretKey, from.publicKey)
      writeNonce(overlay, from.address, nonce + 1)
      const r = executor.execute(tx, overlay, ctx())
      assert.deepEqual(decodeReceipt(encodeReceipt(r)).gasUsed, r.gasUsed, 'receipt encodes canonically')
      return r
    },
    /** Seals the block: applies the overlay to the base state. */
    seal() {
      base.apply(overlay.writeSet())
      overlay = new StateOverlay(base)
      height++
    },
    view(target: Uint8Array, method: string, args: CanonicalValue[], caller = new Uint8Array(20)) {
      return executor.call(target, method, args, caller, base, ctx(), 1_000_000)
    },
  }
}

const gov = account(1)
const hospital = account(2)
const drLee = account(3)
const birthdayCiphertext = Uint8Array.from({ length: 40 }, (_, i) => (i * 7 + 1) & 0xff)
const contactCiphertext = Uint8Array.from({ length: 44 }, (_, i) => (i * 13 + 5) & 0xff)

function contractSlots(state: { writeSet(): readonly (readonly [Uint8Array, Uint8Array | null])[] }, address: Uint8Array): string {
  const prefix = Buffer.from(stateKey.contractSlot(address, new Uint8Array(0))).toString('hex')
  return JSON.stringify(state.writeSet().map(([k, v]) => [Buffer.from(k).toString('hex'), v ? Buffer.from(v).toString('hex') : null]).filter(([k]) => (k as string).startsWith(prefix)).sort())
}

function runWalkthrough() {
  const chain = createChain()
  const compiled = compileXrayContract()
  const gas: Record<string, number> = {}
  const ok = (name: string, r: Receipt): Receipt => {
    assert.equal(r.status, ReceiptStatus.OK, `${name}: ${r.errorCode} ${r.errorMessage}`)
    gas[name] = r.gasUsed
    return r
  }

  // 1. deploy with the paper's arguments ('Ken', gov, 25, 0, 1)
  const deploy = ok('deploy', chain.send(hospital, TxKind.DEPLOY, new Uint8Array(0), '', deployTxArgs(compiled, xrayContractSource, ['Ken', gov.address, 25, 0, 1])))
  const xr = deploy.contractAddress
  assert.deepEqual(xr, contractAddress(hospital.address, 0))
  chain.seal()

  // 2. gov grants Dr. Lee the doctor role
  const grant = ok('setPermission', chain.send(gov, TxKind.CALL, xr, 'setPermission', [drLee.address, 'Dr.Lee', XrayRole.Doctor, true]))
  assert.equal(grant.events[0]!.name, 'PermissionChanged')
  chain.seal()

  // 3. Dr. Lee records the chest X-ray fingerprint
  const rec = ok('setXrayhash', chain.send(drLee, TxKind.CALL, xr, 'setXrayhash', ['chest', HASH]))
  assert.equal(rec.returnValue, 0)
  assert.deepEqual(rec.events.map((e) => [e.name, e.data]), [['XrayRecorded', [0, drLee.address, 'chest', HASH]]])
  const recordedAt = chain.ctx()
  chain.seal()

  // 4. the host sets birthday and contact (ciphertext made by the client)
  ok('setBirthday', chain.send(hospital, TxKind.CALL, xr, 'setBirthday', [birthdayCiphertext]))
  ok('setContact', chain.send(hospital, TxKind.CALL, xr, 'setContact', [contactCiphertext]))
  chain.seal()

  // 5. profile, count, record
  const profile = chain.view(xr, 'profile', [])
  assert.equal(profile.status, ReceiptStatus.OK)
  assert.deepEqual(profile.returnValue, ['Ken', 25, 0, 1, birthdayCiphertext, contactCiphertext])
  gas.profile = profile.gasUsed
  const count = chain.view(xr, 'getXrayhashCount', [])
  assert.equal(count.returnValue, 1)
  gas.getXrayhashCount = count.gasUsed
  const record = chain.view(xr, 'getXrayhash', [0])
  assert.deepEqual(record.returnValue, [0, drLee.address, 'Dr.Lee', 'chest', HASH, recordedAt.height, recordedAt.time])
  gas.getXrayhash = record.gasUsed
  const found = chain.view(xr, 'findXrayhash', [HASH.toUpperCase()])
  assert.deepEqual(found.returnValue, [record.returnValue])
  gas.findXrayhash = found.gasUsed
  const outOfRange = chain.view(xr, 'getXrayhash', [1])
  assert.equal(outOfRange.errorCode, 'REQUIRE_FAILED')
  assert.equal(outOfRange.errorMessage, 'index out of range')

  // 6. gov revokes Dr. Lee; his next record is refused and writes nothing
  ok('removePermission', chain.send(gov, TxKind.CALL, xr, 'removePermission', [drLee.address]))
  chain.seal()
  const before = contractSlots(chain.overlay, xr)
  const baseBefore = chain.view(xr, 'getXrayhashCount', []).returnValue
  const refused = chain.send(drLee, TxKind.CALL, xr, 'setXrayhash', ['chest', HASH])
  assert.equal(refused.status, ReceiptStatus.FAILED)
  assert.equal(refused.errorCode, 'REQUIRE_FAILED')
  assert.equal(refused.errorMessage, 'only a permitted doctor may record an X-ray hash')
  assert.deepEqual(refused.events, [])
  assert.ok(refused.gasUsed > 0)
  gas.setXrayhashRefused = refused.gasUsed
  assert.equal(contractSlots(chain.overlay, xr), before, 'the refused call wrote nothing')
  chain.seal()
  assert.equal(chain.view(xr, 'getXrayhashCount', []).returnValue, baseBefore)
  return { chain, xr, gas }
}

test('the paper walk-through runs through signed transactions', () => {
  runWalkthrough()
})

test('gas is identical on every run and matches the recorded vectors', () => {
  const a = runWalkthrough().gas
  const b = runWalkthrough().gas
  assert.deepEqual(a, b)
  if (process.env.UPDATE_GAS_VECTORS === '1') writeFileSync(GAS_VECTORS, JSON.stringify({ contract: 'xray', codeHash: Buffer.from(compileXrayContract().codeHash).toString('hex'), gas: a }, null, 2) + '\n')
  const recorded = JSON.parse(readFileSync(GAS_VECTORS, 'utf8')) as { codeHash: string; gas: Record<string, number> }
  assert.equal(Buffer.from(compileXrayContract().codeHash).toString('hex'), recorded.codeHash, 'the X-ray contract changed: review and regenerate with UPDATE_GAS_VECTORS=1')
  assert.deepEqual(a, recorded.gas)
})

test('only gov changes permissions, only doctors record, only the host sets personal data', () => {
  const { chain, xr } = runWalkthrough()
  const stranger = account(9)
  const cases: Array<[KeyPair & { address: Uint8Array }, string, CanonicalValue[], string]> = [
    [drLee, 'setPermission', [stranger.address, 'x', XrayRole.Doctor, true], 'only gov may change permissions'],
    [gov, 'setPermission', [gov.address, 'x', XrayRole.Doctor, true], "gov's own permission cannot be changed"],
    [gov, 'setPermission', [stranger.address, 'x', XrayRole.Gov, true], 'role must be doctor, host or patient'],
    [gov, 'removePermission', [stranger.address], 'the user has no permission'],
    [hospital, 'setXrayhash', ['chest', HASH], 'only a permitted doctor may record an X-ray hash'],
    [drLee, 'setBirthday', [new Uint8Array(4)], 'only the host may set personal data'],
  ]
  for (const [who, method, args, message] of cases) {
    const r = chain.send(who, TxKind.CALL, xr, method, args)
    assert.equal(r.errorMessage, message, method)
  }
  // a doctor whose permission is not allowed cannot record, and bad hashes are refused
  chain.send(gov, TxKind.CALL, xr, 'setPermission', [stranger.address, 'Dr.No', XrayRole.Doctor, false])
  assert.equal(chain.send(stranger, TxKind.CALL, xr, 'setXrayhash', ['chest', HASH]).errorMessage, 'only a permitted doctor may record an X-ray hash')
  chain.send(gov, TxKind.CALL, xr, 'setPermission', [stranger.address, 'Dr.Kim', XrayRole.Doctor, true])
  assert.equal(chain.send(stranger, TxKind.CALL, xr, 'setXrayhash', ['chest', HASH.slice(1)]).errorMessage, 'hash must be 64 hex characters (a SHA-256 fingerprint)')
  assert.equal(chain.send(stranger, TxKind.CALL, xr, 'setXrayhash', ['chest', 'z' + HASH.slice(1)]).errorMessage, 'hash must be 64 hex characters (a SHA-256 fingerprint)')
  assert.equal(chain.send(stranger, TxKind.CALL, xr, 'setXrayhash', ['', HASH]).errorMessage, 'part must be 1 to 32 characters')
  // a second record of the same image: the lookup returns both, oldest first
  assert.equal(chain.send(stranger, TxKind.CALL, xr, 'setXrayhash', ['chest', HASH]).returnValue, 1)
  chain.seal()
  const found = chain.view(xr, 'findXrayhash', [HASH]).returnValue as CanonicalValue[][]
  assert.deepEqual(found.map((r) => r[2]), ['Dr.Lee', 'Dr.Kim'])
  assert.deepEqual(chain.view(xr, 'findXrayhash', ['0'.repeat(64)]).returnValue, [])
  assert.deepEqual(chain.view(xr, 'getPermission', [stranger.address]).returnValue, ['Dr.Kim', XrayRole.Doctor, true])
  assert.deepEqual(chain.view(xr, 'getGov', []).returnValue, gov.address)
})

test('the ABI marks reads as read-only and the deploy stores the code hash', () => {
  const { chain, xr } = runWalkthrough()
  const abi = compileXrayContract().abi
  const readOnly = abi.methods.filter((m) => m.readOnly).map((m) => m.name).sort()
  assert.deepEqual(readOnly, ['findXrayhash', 'getGov', 'getPermission', 'getXrayhash', 'getXrayhashCount', 'profile'])
  assert.deepEqual(abi.constructorInputs.map((f) => [f.name, f.type.kind]), [['name', 'string'], ['govAddress', 'address'], ['age', 'int'], ['genderCode', 'int'], ['bloodTypeCode', 'int']])
  assert.ok(chain.base.get(stateKey.code(xr)))
})
