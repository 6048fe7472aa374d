/**
 * The execution seam between the ledger and the VM: the node calls a `TxExecutor` for every
 * transaction kind it does not handle itself. A contract's failure (out of gas, `require`) is a
 * value in its receipt, never an exception; an exception from an executor is a bug.
 */
import type { CanonicalValue } from './encoding.ts'
import { asArray, asBytes, asList, asString, asUint, decode, encodeTrusted, shapeError } from './encoding.ts'
import type { StateOverlay, StateView } from './state.ts'
import type { SignedTx, TxKind } from './tx.ts'

export interface BlockContext {
  readonly chainId: string
  readonly height: number
  /** Block time, ms since the Unix epoch. */
  readonly time: number
  readonly proposer: Uint8Array
}

export interface ContractEvent {
  readonly contract: Uint8Array
  readonly name: string
  /** Event fields in the order the ABI declares them. */
  readonly data: readonly CanonicalValue[]
}

export const ReceiptStatus = { OK: 0, FAILED: 1 } as const
export type ReceiptStatus = (typeof ReceiptStatus)[keyof typeof ReceiptStatus]

export interface Receipt {
  readonly status: ReceiptStatus
  readonly gasUsed: number
  readonly events: readonly ContractEvent[]
  readonly returnValue: CanonicalValue
  /** Stable code ('' when OK): OUT_OF_GAS, REQUIRE_FAILED, … */
  readonly errorCode: string
  /** For `require(cond, message)`, the message verbatim. */
  readonly errorMessage: string
  /** Address of a deployed contract (empty otherwise). */
  readonly contractAddress: Uint8Array
}

export interface CallResult {
  readonly status: ReceiptStatus
  readonly gasUsed: number
  readonly returnValue: CanonicalValue
  readonly errorCode: string
  readonly errorMessage: string
}

export interface TxExecutor {
  /** The tx kinds this executor handles. */
  readonly kinds: readonly TxKind[]
  /**
   * Executes one transaction. Writes go to `state`; the executor checkpoints and reverts its own
   * writes on failure, so a failed tx leaves `state` as it found it. Nonces are the node's job.
   */
  execute(tx: SignedTx, state: StateOverlay, ctx: BlockContext): Receipt
  /** A read-only call without a transaction, metered with `gasCap`; never writes. */
  call(target: Uint8Array, method: string, args: readonly CanonicalValue[], caller: Uint8Array, state: StateView, ctx: BlockContext, gasCap: number): CallResult
}

export function receiptRaw(r: Receipt): CanonicalValue[] {
  return [r.status, r.gasUsed, r.events.map((e) => [e.contract, e.name, e.data as CanonicalValue[]]), r.returnValue, r.errorCode, r.errorMessage, r.contractAddress]
}

export function encodeReceipt(r: Receipt): Uint8Array {
  return encodeTrusted(receiptRaw(r))
}

export function decodeReceipt(bytes: Uint8Array): Receipt {
  const r = asArray(decode(bytes), 7, 'receipt')
  const status = asUint(r[0], 'receipt.status') as ReceiptStatus
  if (status !== ReceiptStatus.OK && status !== ReceiptStatus.FAILED) throw shapeError('receipt.status', `unknown status ${status}`)
  return {
    status,
    gasUsed: asUint(r[1], 'receipt.gasUsed'),
    events: asList(r[2], 'receipt.events', 100_000).map((e) => {
      const ev = asArray(e, 3, 'event')
      return { contract: asBytes(ev[0], 'event.contract'), name: asString(ev[1], 'event.name'), data: asList(ev[2], 'event.data', 1024) }
    }),
    returnValue: r[3]!,
    errorCode: asString(r[4], 'receipt.errorCode'),
    errorMessage: asString(r[5], 'receipt.errorMessage', 4096),
    contractAddress: asBytes(r[6], 'receipt.contractAddress'),
  }
}

export function okReceipt(gasUsed: number, extra: Partial<Receipt> = {}): Receipt {
  return { status: ReceiptStatus.OK, gasUsed, events: [], returnValue: null, errorCode: '', errorMessage: '', contractAddress: new Uint8Array(0), ...extra }
}

export function failedReceipt(gasUsed: number, errorCode: string, errorMessage: string): Receipt {
  return { status: ReceiptStatus.FAILED, gasUsed, events: [], returnValue: null, errorCode, errorMessage, contractAddress: new Uint8Array(0) }
}
