/**
 * JSON-RPC 2.0 envelope handling, independent of the transport (HTTP body or WebSocket
 * message): parse, batch, validate the request object, rate-limit, find the method, validate
 * params, run the handler under a timeout, and turn every outcome into a response object.
 * It never throws: any input yields a response (or nothing, for notifications).
 */
import { RpcErrorCode, type RpcErrorObject, type RpcId, type RpcResponse } from '../../core/rpc-wire.ts'
import { RpcDataCode, RpcMethodError, isInternal, toRpcErrorObject } from './errors.ts'
import type { ParamValidator } from './param-validator.ts'
import type { RateLimiter } from './rate-limiter.ts'
import type { MethodSpec } from './schemas.ts'
import type { SubscriptionSession } from './subscriptions.ts'

export interface CallContext {
  /** Rate-limit key: the client's IP address. */
  readonly clientKey: string
  /** Present on WebSocket connections only. */
  readonly session?: SubscriptionSession
}

export type MethodHandler = (params: Record<string, unknown>, ctx: CallContext) => Promise<unknown>

export interface DispatcherOptions {
  readonly specs: readonly MethodSpec[]
  readonly handlers: ReadonlyMap<string, MethodHandler>
  readonly validator: ParamValidator
  readonly rateLimiter?: RateLimiter
  readonly requestTimeoutMs: number
  readonly maxBatchSize: number
  readonly onInternalError?: (error: unknown, method: string) => void
  readonly onRateLimited?: () => void
}

export type DispatchResult = RpcResponse | RpcResponse[] | undefined

export interface Dispatcher {
  /** Handles one HTTP body or WebSocket message. `undefined` = nothing to send. */
  handle(text: string, ctx: CallContext): Promise<DispatchResult>
}

const errorResponse = (id: RpcId, error: RpcErrorObject): RpcResponse => ({ jsonrpc: '2.0', id, error })
const invalidRequest = (id: RpcId, message: string, dataCode: string = RpcDataCode.INVALID_REQUEST): RpcResponse =>
  errorResponse(id, { code: RpcErrorCode.INVALID_REQUEST, message, data: { code: dataCode } })

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

export function createDispatcher(options: DispatcherOptions): Dispatcher {
  const specs = new Map(options.specs.map((s) => [s.name, s]))

  const withTimeout = async <T>(work: Promise<T>, method: string): Promise<T> => {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new RpcMethodError(RpcErrorCode.TIMEOUT, RpcDataCode.TIMEOUT,
        `${method} did not complete within ${options.requestTimeoutMs} ms`)), options.requestTimeoutMs)
    })
    try {
      return await Promise.race([work, timeout])
    } finally {
      clearTimeout(timer)
    }
  }

  const callOne = async (request: unknown, ctx: CallContext): Promise<RpcResponse | undefined> => {
    if (!isPlainObject(request)) return invalidRequest(null, 'a request must be an object')
    const rawId = request.id
    const idValid = rawId === null || typeof rawId === 'string' || (typeof rawId === 'number' && Number.isFinite(rawId))
    if ('id' in request && !idValid) return invalidRequest(null, 'id must be a string, a number or null')
    const id: RpcId = idValid ? (rawId as RpcId) : null
    const isNotification = !('id' in request)
    if (request.jsonrpc !== '2.0') return invalidRequest(id, 'jsonrpc must be "2.0"')
    const method = request.method
    if (typeof method !== 'string') return invalidRequest(id, 'method must be a string')

    const reply = (outcome: { result: unknown } | { error: RpcErrorObject }): RpcResponse | undefined => {
      if (isNotification) return undefined
      return 'error' in outcome ? errorResponse(id, outcome.error) : { jsonrpc: '2.0', id, result: outcome.result }
    }
    try {
      if (options.rateLimiter && !options.rateLimiter.take(ctx.clientKey)) {
        options.onRateLimited?.()
        throw new RpcMethodError(RpcErrorCode.RATE_LIMITED, RpcDataCode.RATE_LIMITED, 'too many requests from this client; retry later')
      }
      const spec = specs.get(method)
      const handler = options.handlers.get(method)
      if (!spec || !handler) {
        throw new RpcMethodError(RpcErrorCode.METHOD_NOT_FOUND, RpcDataCode.METHOD_NOT_FOUND, `method '${method.slice(0, 64)}' not found`)
      }
      if (spec.websocketOnly && !ctx.session) {
        throw new RpcMethodError(RpcErrorCode.METHOD_NOT_FOUND, RpcDataCode.WEBSOCKET_ONLY, `${method} is only available over WebSocket at /ws`)
      }
      const params = normaliseParams(request.params)
      options.validator.validate(method, params)
      const result = await withTimeout(handler(params, ctx), method)
      return reply({ result })
    } catch (e) {
      if (isInternal(e)) options.onInternalError?.(e, method)
      return reply({ error: toRpcErrorObject(e, method) })
    }
  }

  return {
    async handle(text, ctx) {
      let body: unknown
      try {
        body = JSON.parse(text)
      } catch {
        return errorResponse(null, { code: RpcErrorCode.PARSE_ERROR, message: 'parse error: the body is not valid JSON', data: { code: RpcDataCode.PARSE_ERROR } })
      }
      if (!Array.isArray(body)) return callOne(body, ctx)
      if (body.length === 0) return invalidRequest(null, 'empty batch')
      if (body.length > options.maxBatchSize) {
        return invalidRequest(null, `batch of ${body.length} requests exceeds the limit of ${options.maxBatchSize}`, RpcDataCode.BATCH_TOO_LARGE)
      }
      const responses = await Promise.all(body.map((r) => callOne(r, ctx)))
      const sent = responses.filter((r): r is RpcResponse => r !== undefined)
      return sent.length === 0 ? undefined : sent
    },
  }
}

/** By-name params only; absent params and an empty positional list mean "no params". */
function normaliseParams(params: unknown): Record<string, unknown> {
  if (params === undefined) return {}
  if (Array.isArray(params)) {
    if (params.length === 0) return {}
    throw new RpcMethodError(RpcErrorCode.INVALID_PARAMS, RpcDataCode.INVALID_PARAMS, 'params must be an object of named parameters', { field: 'params' })
  }
  if (isPlainObject(params)) return params
  throw new RpcMethodError(RpcErrorCode.INVALID_PARAMS, RpcDataCode.INVALID_PARAMS, 'params must be an object of named parameters', { field: 'params' })
}
