/**
 * JSON-RPC client of a medchain node (wire contract: node/rpc/README.md, types in
 * core/rpc-wire.ts). Requests go over HTTP POST on a keep-alive connection (json-http.ts); subscriptions open one
 * WebSocket (Node's global WebSocket) lazily on first use, at `<url>/ws`. With
 * `transport: 'websocket'` requests and batches share that WebSocket too: one connection and no
 * HTTP exchange per call, for a gateway that sends txs all day.
 *
 * Every failure is an `RpcError`: server errors carry the server's code and `data.code`; errors
 * the client detects itself use -32006 TIMEOUT (no answer in time) and -32603 with dataCode
 * TRANSPORT_ERROR (cannot reach the node), BAD_RESPONSE (not JSON-RPC) or CONNECTION_CLOSED
 * (the WebSocket closed with requests outstanding).
 */
import type { CanonicalValue } from '../core/encoding.ts'
import { fromJsonValue, toJsonValue } from '../core/json-value.ts'
import {
  RpcErrorCode, SUBSCRIPTION_NOTIFICATION_METHOD, type BlockJson, type BlockNotificationJson, type CallResultJson, type AccountNonceJson,
  type ChainStatusJson, type EventNotificationJson, type RpcErrorObject, type SubscribeParams,
  type SubscriptionNotificationParams, type TxGetJson, type TxProofJson,
} from '../core/rpc-wire.ts'
import { toHex } from '../core/hex.ts'
import { HttpPostError, JsonHttpPoster, type HttpAnswer } from './json-http.ts'

export class RpcError extends Error {
  readonly code: number
  /** The stable string code (error.data.code), e.g. BAD_SIGNATURE, NOT_FOUND. */
  readonly dataCode: string
  readonly data: unknown
  constructor(code: number, message: string, data?: unknown) {
    super(message)
    this.name = 'RpcError'
    this.code = code
    this.data = data
    const dataCode = (data as { code?: unknown } | undefined)?.code
    this.dataCode = typeof dataCode === 'string' ? dataCode : String(code)
  }

  static from(error: RpcErrorObject): RpcError {
    return new RpcError(error.code, error.message, error.data)
  }
}

export const ClientRpcDataCode = {
  TIMEOUT: 'TIMEOUT',
  TRANSPORT_ERROR: 'TRANSPORT_ERROR',
  BAD_RESPONSE: 'BAD_RESPONSE',
  CONNECTION_CLOSED: 'CONNECTION_CLOSED',
} as const

const clientError = (code: number, dataCode: string, message: string): RpcError => new RpcError(code, message, { code: dataCode })

export interface RpcClientOptions {
  /** Per request (HTTP and WebSocket). Default 10 000 ms. */
  readonly timeoutMs?: number
  /**
   * How requests and batches travel: 'http' (default), one POST each; 'websocket', over the one
   * WebSocket that subscriptions use (opened on first use). A node answers both the same way.
   */
  readonly transport?: 'http' | 'websocket'
}

export interface GetBlockParams {
  readonly height?: number
  readonly hash?: string
  readonly fullTxs?: boolean
}

export interface CallResultValue {
  readonly status: 'ok' | 'failed'
  readonly gasUsed: number
  readonly returnValue: CanonicalValue
  readonly errorCode: string
  readonly errorMessage: string
}

export interface Subscription {
  readonly id: string
  unsubscribe(): Promise<void>
}

export type SubscriptionResult = BlockNotificationJson | EventNotificationJson

interface PendingCall {
  resolve(value: unknown): void
  reject(error: RpcError): void
  /** A single call's own timeout; a batch's calls share the batch's (see #wsBatch). */
  timer?: NodeJS.Timeout
}

interface SubscriptionHandlers {
  onResult(result: SubscriptionResult): void
  onError?: (error: RpcError) => void
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

export class RpcClient {
  readonly #url: string
  readonly #wsUrl: string
  readonly #timeoutMs: number
  readonly #overWebSocket: boolean
  readonly #http: JsonHttpPoster
  #nextId = 1
  #ws: WebSocket | undefined
  #wsOpening: Promise<WebSocket> | undefined
  readonly #pending = new Map<number, PendingCall>()
  /** Fails a whole WebSocket batch (transport-level failure), by batch. */
  readonly #wsBatches = new Set<(error: RpcError) => void>()
  readonly #subscriptions = new Map<string, SubscriptionHandlers>()
  /** Woken on every block notification; used by waitForFinal. */
  readonly #blockWaiters = new Set<() => void>()

  constructor(url: string, options: RpcClientOptions = {}) {
    const parsed = new URL(url)
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new TypeError(`RPC url must be http(s): ${url}`)
    this.#url = parsed.href
    const ws = new URL(parsed.href)
    ws.protocol = parsed.protocol === 'https:' ? 'wss:' : 'ws:'
    ws.pathname = ws.pathname.replace(/\/?$/, '/ws')
    this.#wsUrl = ws.href
    this.#timeoutMs = options.timeoutMs ?? 10_000
    this.#overWebSocket = options.transport === 'websocket'
    this.#http = new JsonHttpPoster(parsed)
  }

  /** One JSON-RPC call (over HTTP, or the WebSocket with `transport: 'websocket'`). @throws RpcError */
  async request<T>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    if (this.#overWebSocket) return this.#wsRequest<T>(method, params)
    const id = this.#nextId++
    return unwrap<T>(await this.#post({ jsonrpc: '2.0', id, method, params }, method), method)
  }

  /** POSTs one JSON-RPC body; transport failures and timeouts become RpcErrors naming `what`. */
  async #post(body: unknown, what: string): Promise<unknown> {
    let answer: HttpAnswer
    try {
      answer = await this.#http.post(JSON.stringify(body), this.#timeoutMs)
    } catch (e) {
      if (e instanceof HttpPostError && e.kind === 'timeout') {
        throw clientError(RpcErrorCode.TIMEOUT, ClientRpcDataCode.TIMEOUT, `${what}: no answer within ${this.#timeoutMs} ms`)
      }
      throw clientError(RpcErrorCode.INTERNAL, ClientRpcDataCode.TRANSPORT_ERROR, `${what}: cannot reach ${this.#url}: ${(e as Error)?.message ?? e}`)
    }
    return parseResponse(answer.text, answer.status)
  }

  /**
   * Several calls as one JSON-RPC batch over HTTP: one round trip. Each entry of the answer is
   * the call's result or its RpcError, in the order of `calls`. The server caps a batch (100 by
   * default): split larger sets. @throws RpcError when the batch as a whole fails (transport,
   * timeout, a batch-level error such as BATCH_TOO_LARGE).
   */
  async batch<T = unknown>(calls: readonly { readonly method: string; readonly params?: Record<string, unknown> }[]): Promise<(T | RpcError)[]> {
    if (calls.length === 0) return []
    if (this.#overWebSocket) return this.#wsBatch<T>(calls)
    const firstId = this.#nextId
    this.#nextId += calls.length
    const body = calls.map((c, i) => ({ jsonrpc: '2.0', id: firstId + i, method: c.method, params: c.params ?? {} }))
    const what = `batch of ${calls.length} (${calls[0]!.method}…)`
    const parsed = await this.#post(body, what)
    if (!Array.isArray(parsed)) return unwrap<never>(parsed, what)
    const byId = new Map<unknown, unknown>()
    for (const r of parsed) if (typeof r === 'object' && r !== null) byId.set((r as { id?: unknown }).id, r)
    return calls.map((c, i) => {
      const r = byId.get(firstId + i)
      if (r === undefined) return clientError(RpcErrorCode.INTERNAL, ClientRpcDataCode.BAD_RESPONSE, `${c.method}: no answer in the batch`)
      try {
        return unwrap<T>(r, c.method)
      } catch (e) {
        return e as RpcError
      }
    })
  }

  /** Read-only contract calls as one batch (see `batch`); each entry is its result or RpcError. */
  async callBatch(address: string, calls: readonly { readonly method: string; readonly args: readonly CanonicalValue[] }[], caller?: string): Promise<(CallResultValue | RpcError)[]> {
    const results = await this.batch<CallResultJson>(calls.map((c) => ({
      method: 'contract_call',
      params: { address, method: c.method, args: c.args.map((a, i) => toJsonValue(a, `args[${i}]`)), ...(caller !== undefined ? { caller } : {}) },
    })))
    return results.map((r) => (r instanceof RpcError ? r : { ...r, returnValue: fromJsonValue(r.returnValue, 'returnValue') }))
  }

  status(): Promise<ChainStatusJson> {
    return this.request('chain_status')
  }

  getBlock(params: GetBlockParams = {}): Promise<BlockJson> {
    return this.request('chain_getBlock', { ...params })
  }

  /** Submits signed tx bytes; resolves to the tx id (0x-hex). */
  async sendTx(bytes: Uint8Array): Promise<string> {
    const { id } = await this.request<{ id: string }>('tx_send', { tx: toHex(bytes) })
    return id
  }

  getTx(id: string): Promise<TxGetJson> {
    return this.request('tx_get', { id })
  }

  getProof(id: string): Promise<TxProofJson> {
    return this.request('tx_proof', { id })
  }

  /** The account's next nonce, final and counting its pending txs. */
  async getNonce(address: string): Promise<AccountNonceJson> {
    return this.request<AccountNonceJson>('account_getNonce', { address })
  }

  /** Read-only contract call; arguments and return value are canonical values. */
  async call(address: string, method: string, args: readonly CanonicalValue[], caller?: string): Promise<CallResultValue> {
    const result = await this.request<CallResultJson>('contract_call', {
      address, method, args: args.map((a, i) => toJsonValue(a, `args[${i}]`)), ...(caller !== undefined ? { caller } : {}),
    })
    return { ...result, returnValue: fromJsonValue(result.returnValue, 'returnValue') }
  }

  /**
   * Resolves when the tx is final (status "final" or "failed"). With an open WebSocket it
   * re-checks on every new block (subscribing to blocks), else it polls every `pollMs`.
   * A tx not (yet) known to the node is waited for, not an error.
   * @throws RpcError TIMEOUT after `timeoutMs` (default 30 000).
   */
  async waitForFinal(id: string, options: { timeoutMs?: number; pollMs?: number } = {}): Promise<TxGetJson> {
    const timeoutMs = options.timeoutMs ?? 30_000
    const pollMs = options.pollMs ?? 250
    const deadline = Date.now() + timeoutMs
    let subscription: Subscription | undefined
    if (this.#ws?.readyState === WebSocket.OPEN) {
      subscription = await this.subscribe({ kind: 'blocks' }, () => {}).catch(() => undefined)
    }
    try {
      for (;;) {
        let wake: (() => void) | undefined
        // Arm the block signal before checking, so a block landing during the check is not missed.
        const woken = new Promise<void>((resolve) => {
          wake = resolve
          this.#blockWaiters.add(resolve)
        })
        try {
          const found = await this.getTx(id).catch((e: unknown) => {
            if (e instanceof RpcError && e.dataCode === 'NOT_FOUND') return undefined
            throw e
          })
          if (found && found.status !== 'pending') return found
          const left = deadline - Date.now()
          if (left <= 0) throw clientError(RpcErrorCode.TIMEOUT, ClientRpcDataCode.TIMEOUT, `tx ${id} not final within ${timeoutMs} ms`)
          // With a subscription, polling is only a safety net against a lost notification.
          const interval = Math.min(left, subscription ? Math.max(pollMs, 2_000) : pollMs)
          let timer: NodeJS.Timeout | undefined
          await Promise.race([woken, new Promise<void>((resolve) => { timer = setTimeout(resolve, interval) })])
          clearTimeout(timer)
        } finally {
          this.#blockWaiters.delete(wake!)
        }
      }
    } finally {
      await subscription?.unsubscribe().catch(() => {})
    }
  }

  /**
   * Subscribes over the WebSocket (opened on first use). `onResult` gets each notification
   * result; `onError` gets SUBSCRIPTION_DROPPED (slow consumer) or CONNECTION_CLOSED, after which
   * the subscription is gone.
   */
  async subscribe(params: SubscribeParams, onResult: (result: SubscriptionResult) => void, onError?: (error: RpcError) => void): Promise<Subscription> {
    const result = await this.#wsRequest<{ subscription: string }>('subscribe', { ...params })
    const id = result.subscription
    this.#subscriptions.set(id, { onResult, ...(onError ? { onError } : {}) })
    return {
      id,
      unsubscribe: async () => {
        if (!this.#subscriptions.delete(id)) return
        if (this.#ws?.readyState === WebSocket.OPEN) await this.#wsRequest('unsubscribe', { subscription: id })
      },
    }
  }

  /** Closes the WebSocket (if open; outstanding WebSocket calls fail with CONNECTION_CLOSED) and idle HTTP connections. */
  async close(): Promise<void> {
    this.#http.close()
    const ws = this.#ws ?? (await this.#wsOpening?.catch(() => undefined))
    this.#ws = undefined
    this.#wsOpening = undefined
    if (!ws || ws.readyState === WebSocket.CLOSED) return
    await new Promise<void>((resolve) => {
      ws.addEventListener('close', () => resolve(), { once: true })
      ws.close(1000, 'client closing')
    })
  }

  async #wsRequest<T>(method: string, params: Record<string, unknown>): Promise<T> {
    const ws = await this.#openWs()
    const id = this.#nextId++
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id)
        reject(clientError(RpcErrorCode.TIMEOUT, ClientRpcDataCode.TIMEOUT, `${method}: no answer within ${this.#timeoutMs} ms`))
      }, this.#timeoutMs)
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer })
      ws.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }))
    })
  }

  /**
   * A batch over the WebSocket: one message out, one array back, answers matched by id, with the
   * HTTP batch's contract: per-call errors are values; the batch as a whole rejects on timeout,
   * on a refusal the node cannot tie to a call (id null, e.g. BATCH_TOO_LARGE) or when the
   * WebSocket closes.
   */
  async #wsBatch<T>(calls: readonly { readonly method: string; readonly params?: Record<string, unknown> }[]): Promise<(T | RpcError)[]> {
    const ws = await this.#openWs()
    const firstId = this.#nextId
    this.#nextId += calls.length
    const ids = calls.map((_, i) => firstId + i)
    const what = `batch of ${calls.length} (${calls[0]!.method}…)`
    return new Promise<(T | RpcError)[]>((resolve, reject) => {
      const results = new Array<T | RpcError>(calls.length)
      let left = calls.length
      const done = (): void => {
        clearTimeout(timer)
        this.#wsBatches.delete(fail)
      }
      const fail = (error: RpcError): void => {
        for (const id of ids) this.#pending.delete(id)
        done()
        reject(error)
      }
      const settle = (i: number, value: T | RpcError): void => {
        results[i] = value
        if (--left > 0) return
        done()
        resolve(results)
      }
      const timer = setTimeout(() => fail(clientError(RpcErrorCode.TIMEOUT, ClientRpcDataCode.TIMEOUT, `${what}: no answer within ${this.#timeoutMs} ms`)), this.#timeoutMs)
      ids.forEach((id, i) => this.#pending.set(id, { resolve: (v) => settle(i, v as T), reject: (e) => settle(i, e) }))
      this.#wsBatches.add(fail)
      ws.send(JSON.stringify(calls.map((c, i) => ({ jsonrpc: '2.0', id: ids[i], method: c.method, params: c.params ?? {} }))))
    })
  }

  #openWs(): Promise<WebSocket> {
    if (this.#ws?.readyState === WebSocket.OPEN) return Promise.resolve(this.#ws)
    if (this.#wsOpening) return this.#wsOpening
    this.#wsOpening = new Promise<WebSocket>((resolve, reject) => {
      const ws = new WebSocket(this.#wsUrl)
      const timer = setTimeout(() => {
        ws.close()
        reject(clientError(RpcErrorCode.TIMEOUT, ClientRpcDataCode.TIMEOUT, `WebSocket ${this.#wsUrl} did not open within ${this.#timeoutMs} ms`))
      }, this.#timeoutMs)
      ws.addEventListener('open', () => {
        clearTimeout(timer)
        this.#ws = ws
        this.#wsOpening = undefined
        resolve(ws)
      }, { once: true })
      ws.addEventListener('error', () => {
        clearTimeout(timer)
        this.#wsOpening = undefined
        reject(clientError(RpcErrorCode.INTERNAL, ClientRpcDataCode.TRANSPORT_ERROR, `cannot open WebSocket ${this.#wsUrl}`))
      }, { once: true })
      ws.addEventListener('message', (event) => this.#onWsMessage(event.data))
      ws.addEventListener('close', () => this.#onWsClose(ws))
    })
    return this.#wsOpening
  }

  #onWsMessage(data: unknown): void {
    if (typeof data !== 'string') return
    let message: unknown
    try {
      message = JSON.parse(data)
    } catch {
      return
    }
    const responses = Array.isArray(message) ? message : [message]
    for (const m of responses) {
      if (typeof m !== 'object' || m === null) continue
      const msg = m as { id?: unknown; method?: unknown; params?: SubscriptionNotificationParams; result?: unknown; error?: RpcErrorObject }
      if (msg.method === SUBSCRIPTION_NOTIFICATION_METHOD && msg.params) {
        this.#onNotification(msg.params)
        continue
      }
      if (msg.id === null && msg.error) {
        this.#failPending(RpcError.from(msg.error))
        continue
      }
      if (typeof msg.id !== 'number') continue
      const call = this.#pending.get(msg.id)
      if (!call) continue
      this.#pending.delete(msg.id)
      clearTimeout(call.timer)
      if (msg.error) call.reject(RpcError.from(msg.error))
      else call.resolve(msg.result)
    }
  }

  #onNotification(params: SubscriptionNotificationParams): void {
    const handlers = this.#subscriptions.get(params.subscription)
    if (params.error) {
      this.#subscriptions.delete(params.subscription)
      handlers?.onError?.(RpcError.from(params.error))
      return
    }
    if (params.result && 'txCount' in params.result) for (const wake of this.#blockWaiters) wake()
    if (handlers && params.result) handlers.onResult(params.result)
  }

  /** Fails every call and batch waiting for a WebSocket answer. */
  #failPending(error: RpcError): void {
    for (const fail of [...this.#wsBatches]) fail(error)
    for (const [id, call] of this.#pending) {
      clearTimeout(call.timer)
      call.reject(error)
      this.#pending.delete(id)
    }
  }

  #onWsClose(ws: WebSocket): void {
    if (this.#ws === ws) this.#ws = undefined
    this.#failPending(clientError(RpcErrorCode.INTERNAL, ClientRpcDataCode.CONNECTION_CLOSED, 'WebSocket closed'))
    const closed = clientError(RpcErrorCode.INTERNAL, ClientRpcDataCode.CONNECTION_CLOSED, 'WebSocket closed')
    for (const [id, handlers] of this.#subscriptions) {
      this.#subscriptions.delete(id)
      handlers.onError?.(closed)
    }
  }
}

function parseResponse(text: string, httpStatus: number): unknown {
  try {
    return JSON.parse(text)
  } catch {
    throw clientError(RpcErrorCode.INTERNAL, ClientRpcDataCode.BAD_RESPONSE, `HTTP ${httpStatus}: the answer is not JSON: ${text.slice(0, 100)}`)
  }
}

function unwrap<T>(body: unknown, method: string): T {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw clientError(RpcErrorCode.INTERNAL, ClientRpcDataCode.BAD_RESPONSE, `${method}: the answer is not a JSON-RPC response`)
  }
  const r = body as { error?: RpcErrorObject; result?: unknown }
  if (r.error) throw RpcError.from(r.error)
  if (!('result' in r)) throw clientError(RpcErrorCode.INTERNAL, ClientRpcDataCode.BAD_RESPONSE, `${method}: the answer has neither result nor error`)
  return r.result as T
}
