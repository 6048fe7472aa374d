/**
 * Errors of the RPC edge and THE one place where any error becomes a JSON-RPC error object.
 * Handlers throw `RpcMethodError` for conditions they detect themselves; errors from the backend
 * (CoreError, NodeError, anything else) are mapped here by `toRpcErrorObject`. Every error
 * object carries `data.code`, a stable string clients can switch on.
 */
import { CoreError, CoreErrorCode } from '../../core/errors.ts'
import { RpcErrorCode, type RpcErrorObject } from '../../core/rpc-wire.ts'
import { NodeError } from '../errors.ts'

/** Stable string codes of errors the RPC edge detects itself (data.code). */
export const RpcDataCode = {
  PARSE_ERROR: 'PARSE_ERROR',
  INVALID_REQUEST: 'INVALID_REQUEST',
  BATCH_TOO_LARGE: 'BATCH_TOO_LARGE',
  METHOD_NOT_FOUND: 'METHOD_NOT_FOUND',
  WEBSOCKET_ONLY: 'WEBSOCKET_ONLY',
  INVALID_PARAMS: 'INVALID_PARAMS',
  INTERNAL: 'INTERNAL',
  NOT_FOUND: 'NOT_FOUND',
  RATE_LIMITED: 'RATE_LIMITED',
  TOO_MANY_SUBSCRIPTIONS: 'TOO_MANY_SUBSCRIPTIONS',
  SUBSCRIPTION_DROPPED: 'SUBSCRIPTION_DROPPED',
  CALL_FAILED: 'CALL_FAILED',
  REQUEST_TOO_LARGE: 'REQUEST_TOO_LARGE',
  TIMEOUT: 'TIMEOUT',
} as const
export type RpcDataCode = (typeof RpcDataCode)[keyof typeof RpcDataCode]

/** An error a method handler or the dispatcher raises on purpose. */
export class RpcMethodError extends Error {
  readonly rpcCode: RpcErrorCode
  readonly dataCode: string
  readonly data: Record<string, unknown> | undefined
  constructor(rpcCode: RpcErrorCode, dataCode: string, message: string, data?: Record<string, unknown>) {
    super(message)
    this.name = 'RpcMethodError'
    this.rpcCode = rpcCode
    this.dataCode = dataCode
    this.data = data
  }
}

export const invalidParams = (message: string, field?: string): RpcMethodError =>
  new RpcMethodError(RpcErrorCode.INVALID_PARAMS, RpcDataCode.INVALID_PARAMS, message, field === undefined ? undefined : { field })
export const notFound = (what: string): RpcMethodError => new RpcMethodError(RpcErrorCode.NOT_FOUND, RpcDataCode.NOT_FOUND, `${what} not found`)

/** Core codes that mean "the caller's input is malformed" (outside tx_send they are -32602). */
const INPUT_SHAPE_CODES = new Set<string>([
  CoreErrorCode.BAD_HEX, CoreErrorCode.BAD_ADDRESS, CoreErrorCode.BAD_SHAPE, CoreErrorCode.BAD_PUBLIC_KEY,
  CoreErrorCode.DECODE_EMPTY, CoreErrorCode.DECODE_TOO_LARGE, CoreErrorCode.DECODE_MALFORMED,
  CoreErrorCode.DECODE_NOT_CANONICAL, CoreErrorCode.DECODE_BAD_TYPE, CoreErrorCode.DECODE_TOO_DEEP,
])

/**
 * Maps anything thrown while serving `method` to a JSON-RPC error object.
 * - RpcMethodError: its own code.
 * - CoreError from tx_send: -32000 TX_REJECTED (data.code = the core code, e.g. BAD_SIGNATURE).
 * - CoreError from contract_call: -32602 for malformed input, else -32004 CALL_FAILED.
 * - other CoreError: -32602 for malformed input, else -32000 with its code.
 * - NodeError: -32603 with its code (e.g. STOPPED); anything else: -32603 INTERNAL, and the
 *   caller logs it (`isInternal`), because it is a bug, and its text is not sent to clients.
 */
export function toRpcErrorObject(error: unknown, method?: string): RpcErrorObject {
  if (error instanceof RpcMethodError) {
    return { code: error.rpcCode, message: error.message, data: { ...error.data, code: error.dataCode } }
  }
  if (error instanceof CoreError) {
    const data = { ...error.detail, code: error.code }
    if (method === 'tx_send') return { code: RpcErrorCode.TX_REJECTED, message: error.message, data }
    if (INPUT_SHAPE_CODES.has(error.code)) return { code: RpcErrorCode.INVALID_PARAMS, message: error.message, data }
    if (method === 'contract_call') return { code: RpcErrorCode.CALL_FAILED, message: error.message, data }
    return { code: RpcErrorCode.TX_REJECTED, message: error.message, data }
  }
  if (error instanceof NodeError) {
    return { code: RpcErrorCode.INTERNAL, message: error.message, data: { code: error.code } }
  }
  return { code: RpcErrorCode.INTERNAL, message: 'internal error', data: { code: RpcDataCode.INTERNAL } }
}

/** True when the error is unexpected (a bug or an I/O failure) and deserves an error log. */
export function isInternal(error: unknown): boolean {
  return !(error instanceof RpcMethodError) && !(error instanceof CoreError)
}
