/**
 * The built-in key/value transaction kind (TxKind.KV_PUT): method = key, args = [value], where
 * value is bytes or a string. It exists to exercise the ledger spine without a contract, and
 * stays useful for operators (e.g. a consortium notice board). Gas: 1,000 + 16 per byte written.
 */
import {
  TxKind, ReceiptStatus, decode, encodeTrusted, failedReceipt, okReceipt, stateKey, utf8,
  type BlockContext, type CallResult, type CanonicalValue, type Receipt, type SignedTx, type StateOverlay,
  type StateView, type TxExecutor,
} from '../../core/index.ts'

export const KV_BASE_GAS = 1_000
export const KV_GAS_PER_BYTE = 16
export const KV_MAX_VALUE_BYTES = 16 * 1024

export function createKvExecutor(): TxExecutor {
  return {
    kinds: [TxKind.KV_PUT],
    execute(tx: SignedTx, state: StateOverlay, _ctx: BlockContext): Receipt {
      const value = tx.args[0]
      if (tx.args.length !== 1 || !(typeof value === 'string' || value instanceof Uint8Array) || tx.method.length === 0) {
        return failedReceipt(KV_BASE_GAS, 'BAD_ARGS', 'KV_PUT takes a non-empty key (method) and one value (string or bytes)')
      }
      const encoded = encodeTrusted(value)
      if (encoded.length > KV_MAX_VALUE_BYTES) return failedReceipt(KV_BASE_GAS, 'VALUE_TOO_LARGE', `value over ${KV_MAX_VALUE_BYTES} bytes`)
      const gas = KV_BASE_GAS + KV_GAS_PER_BYTE * (encoded.length + tx.method.length)
      if (gas > tx.gasLimit) return failedReceipt(tx.gasLimit, 'OUT_OF_GAS', `KV_PUT needs ${gas} gas, limit ${tx.gasLimit}`)
      state.set(stateKey.kv(utf8.encode(tx.method)), encoded)
      return okReceipt(gas)
    },
    call(_target: Uint8Array, method: string, _args: readonly CanonicalValue[], _caller: Uint8Array, state: StateView, _ctx: BlockContext, _gasCap: number): CallResult {
      const raw = state.get(stateKey.kv(utf8.encode(method)))
      return { status: ReceiptStatus.OK, gasUsed: KV_BASE_GAS, returnValue: raw ? decode(raw) : null, errorCode: '', errorMessage: '' }
    },
  }
}
