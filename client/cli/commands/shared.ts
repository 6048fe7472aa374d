/** Pieces several commands share: option parsing, tx submission and finality, personal fields. */
import type { SignedTx } from '../../../core/tx.ts'
import { toHex } from '../../../core/hex.ts'
import type { TxGetJson } from '../../../core/rpc-wire.ts'
import { ClientError, ClientErrorCode } from '../../errors.ts'
import type { TxBuilder } from '../../tx-builder.ts'
import type { CommandContext } from '../context.ts'
import type { OptionSpec } from '../framework.ts'

export function positiveInt(v: unknown, name: string, fallback: number): number {
  if (v === undefined) return fallback
  const n = Number(v)
  if (typeof v !== 'string' || !/^\d+$/.test(v) || !Number.isSafeInteger(n) || n <= 0) {
    throw new ClientError(ClientErrorCode.BAD_ARGUMENT, `--${name} must be a positive integer`)
  }
  return n
}

export function requireString(v: unknown, name: string): string {
  if (typeof v !== 'string' || v === '') throw new ClientError(ClientErrorCode.USAGE, `--${name} is required`)
  return v
}

export const txOptions: Record<string, OptionSpec> = {
  gas: { type: 'string', valueName: 'N', description: 'gas limit (default depends on the kind)' },
  'no-wait': { type: 'boolean', description: 'return once the node accepted the tx, without waiting for finality' },
  timeout: { type: 'string', valueName: 'MS', description: 'how long to wait for finality (default 60000)' },
}

export const contractOption: Record<string, OptionSpec> = {
  contract: { type: 'string', valueName: 'ADDRESS', description: 'the patient contract (mc…), default $MEDCHAIN_CONTRACT' },
}

export function contractOf(ctx: CommandContext, values: Record<string, unknown>): string {
  const c = (values.contract as string | undefined) ?? ctx.cli.env.MEDCHAIN_CONTRACT
  if (!c) throw new ClientError(ClientErrorCode.USAGE, 'this command needs --contract ADDRESS (or $MEDCHAIN_CONTRACT)')
  return c
}

export interface SubmittedTx {
  readonly id: string
  readonly nonce: number
  readonly status: 'pending' | 'final' | 'failed'
  readonly height?: number
  readonly receipt?: TxGetJson['receipt']
}

/**
 * Builds, signs and sends a tx with the --key key; waits for finality unless --no-wait.
 * @throws ClientError TX_FAILED when the tx is final but its receipt failed (e.g. not permitted)
 */
export async function submitTx(ctx: CommandContext, values: Record<string, unknown>, build: (b: TxBuilder, gas: { gasLimit?: number }) => Promise<SignedTx>): Promise<SubmittedTx> {
  const gas = values.gas === undefined ? {} : { gasLimit: positiveInt(values.gas, 'gas', 0) }
  const { tx: sender } = await ctx.txSender()
  const tx = await sender.send((b) => build(b, gas))
  const id = toHex(tx.id)
  if (values['no-wait'] === true) return { id, nonce: tx.nonce, status: 'pending' }
  const chain = await ctx.chain()
  const got = await chain.waitForFinal(id, { timeoutMs: positiveInt(values.timeout, 'timeout', 60_000) })
  const result: SubmittedTx = { id, nonce: tx.nonce, status: got.status, ...(got.height !== undefined ? { height: got.height } : {}), ...(got.receipt ? { receipt: got.receipt } : {}) }
  if (got.status === 'failed' || got.receipt?.status === 'failed') {
    const r = got.receipt
    throw new ClientError(ClientErrorCode.TX_FAILED, `tx ${id} failed${r ? `: ${r.errorCode}${r.errorMessage ? ` (${r.errorMessage})` : ''}` : ''}`, { id, receipt: r })
  }
  return result
}

export function renderSubmitted(s: SubmittedTx): string {
  if (s.status === 'pending') return `sent tx ${s.id} (nonce ${s.nonce}), not waiting for finality`
  return `tx ${s.id} final in block ${s.height ?? '?'}${s.receipt ? `, gas used ${s.receipt.gasUsed}` : ''}`
}
