/**
 * VM benchmark: setXrayhash executions per second on one core, through the node's path
 * (TxExecutor.execute on a StateOverlay over a MapStateView, one overlay per 1,000-tx block,
 * applied to the base state between blocks), and the gas of each X-ray call.
 *
 *   npm run bench:vm            prints a table and a JSON line
 *
 * Transactions are signed once and re-used with fresh args (the executor does not check
 * signatures: the node does that before execution, and signing is not what is measured here).
 */
import { createHash } from 'node:crypto'
import type { CanonicalValue } from '../core/encoding.ts'
import { ReceiptStatus, type BlockContext } from '../core/execution.ts'
import { addressFromPublicKey, keyPairFromSecretKey } from '../core/keys.ts'
import { MapStateView, StateOverlay } from '../core/state.ts'
import { TxKind, createSignedTx, type SignedTx } from '../core/tx.ts'
import { compileXrayContract, deployTxArgs, xrayContractSource, XrayRole } from '../contracts-dsl/index.ts'
import { createVmExecutor } from '../vm/index.ts'

const CHAIN = 'bench'
const BLOCK = 1_000
const gov = keyPairFromSecretKey(new Uint8Array(32).fill(1))
const host = keyPairFromSecretKey(new Uint8Array(32).fill(2))
const doctor = keyPairFromSecretKey(new Uint8Array(32).fill(3))
const ctx = (height: number): BlockContext => ({ chainId: CHAIN, height, time: 1_700_000_000_000 + height, proposer: new Uint8Array(20) })
const signed = (kp: typeof gov, kind: TxKind, target: Uint8Array, method: string, args: CanonicalValue[], nonce: number): SignedTx =>
  createSignedTx({ chainId: CHAIN, kind, nonce, target, method, args, gasLimit: 5_000_000 }, kp.secretKey, kp.publicKey)
const fingerprint = (i: number): string => createHash('sha256').update(`image-${i}`).digest('hex')

function setup() {
  const base = new MapStateView()
  const executor = createVmExecutor()
  const compiled = compileXrayContract()
  let overlay = new StateOverlay(base)
  const dep = executor.execute(signed(host, TxKind.DEPLOY, new Uint8Array(0), '', deployTxArgs(compiled, xrayContractSource, ['Ken', addressFromPublicKey(gov.publicKey), 25, 0, 1]), 0), overlay, ctx(1))
  if (dep.status !== ReceiptStatus.OK) throw new Error(`deploy failed: ${dep.errorCode} ${dep.errorMessage}`)
  const xr = dep.contractAddress
  const grant = executor.execute(signed(gov, TxKind.CALL, xr, 'setPermission', [addressFromPublicKey(doctor.publicKey), 'Dr.Lee', XrayRole.Doctor, true], 0), overlay, ctx(1))
  if (grant.status !== ReceiptStatus.OK) throw new Error('grant failed')
  base.apply(overlay.writeSet())
  overlay = new StateOverlay(base)
  return { base, executor, xr, deployGas: dep.gasUsed, grantGas: grant.gasUsed }
}

function measureSetXrayhash(total: number): { perSecond: number; gasPerCall: number; calls: number; ms: number } {
  const { base, executor, xr } = setup()
  const template = signed(doctor, TxKind.CALL, xr, 'setXrayhash', ['chest', fingerprint(0)], 0)
  const txs: SignedTx[] = []
  for (let i = 0; i < total; i++) txs.push({ ...template, nonce: i, args: ['chest', fingerprint(i)] })
  let gas = -1
  const t0 = process.hrtime.bigint()
  for (let b = 0; b < total; b += BLOCK) {
    const overlay = new StateOverlay(base)
    const c = ctx(2 + b / BLOCK)
    for (let i = b; i < Math.min(total, b + BLOCK); i++) {
      const r = executor.execute(txs[i]!, overlay, c)
      if (r.status !== ReceiptStatus.OK) throw new Error(`setXrayhash failed: ${r.errorCode} ${r.errorMessage}`)
      // Gas grows by a few units as the record index needs more bytes; report the first call's.
      if (gas === -1) gas = r.gasUsed
    }
    base.apply(overlay.writeSet())
  }
  const ms = Number(process.hrtime.bigint() - t0) / 1e6
  return { perSecond: Math.round((total / ms) * 1000), gasPerCall: gas, calls: total, ms: Math.round(ms) }
}

function gasTable(): Record<string, number> {
  const { base, executor, xr, deployGas, grantGas } = setup()
  const overlay = new StateOverlay(base)
  const out: Record<string, number> = { deploy: deployGas, setPermission: grantGas }
  const run = (name: string, kp: typeof gov, args: CanonicalValue[], nonce: number): void => {
    const r = executor.execute(signed(kp, TxKind.CALL, xr, name, args, nonce), overlay, ctx(2))
    if (r.status !== ReceiptStatus.OK) throw new Error(`${name} failed: ${r.errorMessage}`)
    out[name] = r.gasUsed
  }
  run('setXrayhash', doctor, ['chest', fingerprint(0)], 0)
  run('setBirthday', host, [new Uint8Array(40)], 1)
  run('setContact', host, [new Uint8Array(44)], 2)
  base.apply(overlay.writeSet())
  const reads: Array<[string, CanonicalValue[]]> = [['profile', []], ['getXrayhashCount', []], ['getXrayhash', [0]], ['findXrayhash', [fingerprint(0)]]]
  for (const [name, args] of reads) {
    out[name] = executor.call(xr, name, args, new Uint8Array(20), base, ctx(3), 1_000_000).gasUsed
  }
  return out
}

const warm = measureSetXrayhash(5_000)
const sizes = [10_000, 50_000]
const rows = sizes.map((n) => measureSetXrayhash(n))
const gas = gasTable()

console.log('\nvm.setXrayhash: executions per second on one core (TxExecutor.execute, 1,000-tx blocks)')
console.log('| id | calls | ms | calls/s | gas/call |')
console.log('| --- | ---: | ---: | ---: | ---: |')
for (const r of rows) console.log(`| vm.setXrayhash.${r.calls} | ${r.calls} | ${r.ms} | ${r.perSecond.toLocaleString('en-US')} | ${r.gasPerCall} |`)
console.log('\nvm.gas: gas per X-ray call')
console.log('| call | gas |')
console.log('| --- | ---: |')
for (const [k, v] of Object.entries(gas)) console.log(`| ${k} | ${v} |`)
console.log('\n' + JSON.stringify({ bench: 'vm', target: { setXrayhashPerSecond: 20_000 }, warmup: warm, setXrayhash: rows, gas }))
