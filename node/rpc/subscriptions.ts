/**
 * Subscriptions over WebSocket: one `SubscriptionHub` per server fans final blocks and contract
 * events out to per-socket `SubscriptionSession`s.
 *
 * The node must never wait for a subscriber. The hub's listener on `backend.onFinalBlock` only
 * appends the block to a list and schedules a flush on the next event-loop turn; the flush
 * formats each block once, serializes each notification result once, and writes to every
 * matching socket without awaiting anything. A socket that does not keep up, i.e. has more than
 * `queueLimit` messages handed to `send` but not yet flushed to the kernel, or more than
 * `bufferLimitBytes` buffered in user space, is dropped: it gets one SUBSCRIPTION_DROPPED error
 * notification per subscription, then a close frame, and is terminated after `dropGraceMs` if
 * it never answers the close. Dropping removes it from the hub at once, so its backlog costs
 * the node no more work; only its already-buffered bytes wait for the grace period.
 */
import type { Block } from '../../core/block.ts'
import type { Receipt } from '../../core/execution.ts'
import { formatAddress, parseAddress } from '../../core/keys.ts'
import { RpcErrorCode, SUBSCRIPTION_NOTIFICATION_METHOD, type SubscribeParams } from '../../core/rpc-wire.ts'
import type { RpcBackend } from './backend.ts'
import { RpcDataCode, RpcMethodError, invalidParams } from './errors.ts'
import { formatBlockNotification, formatEventNotification } from './result-format.ts'

/** The part of a `ws` WebSocket the hub uses (also lets tests use a fake socket). */
export interface SubscriberSocket {
  readonly bufferedAmount: number
  readonly readyState: number
  send(data: string, callback?: (error?: Error) => void): void
  close(code?: number, reason?: string): void
  terminate(): void
}

const OPEN = 1

export interface SubscriptionHubOptions {
  readonly maxSubscriptionsPerSocket: number
  /** Messages handed to a socket and not yet flushed to the kernel before it is dropped. */
  readonly queueLimit: number
  /** Bytes buffered for a socket in user space before it is dropped. */
  readonly bufferLimitBytes: number
  /** How long a dropped socket may take to finish its close handshake. */
  readonly dropGraceMs: number
  readonly onDrop?: (reason: string) => void
  /** A block that could not be published (a bug: e.g. a malformed receipt from the backend). */
  readonly onError?: (error: unknown) => void
  /** Defers the flush out of the node's call stack; setImmediate by default. */
  readonly schedule?: (fn: () => void) => void
}

type Filter = { readonly kind: 'blocks'; readonly txs: boolean } | { readonly kind: 'events'; readonly contract?: string; readonly name?: string }

export class SubscriptionSession {
  readonly #hub: SubscriptionHub
  readonly #socket: SubscriberSocket
  readonly #subscriptions = new Map<string, Filter>()
  #inFlight = 0
  #closed = false

  constructor(hub: SubscriptionHub, socket: SubscriberSocket) {
    this.#hub = hub
    this.#socket = socket
  }

  get subscriptions(): ReadonlyMap<string, Filter> {
    return this.#subscriptions
  }

  get closed(): boolean {
    return this.#closed
  }

  /**
   * Writes one message (a response or a notification) unless the socket is over its limits, in
   * which case the socket is dropped. Never blocks. Returns false if nothing was sent.
   */
  send(text: string): boolean {
    if (this.#closed || this.#socket.readyState !== OPEN) return false
    const { queueLimit, bufferLimitBytes } = this.#hub.options
    if (this.#inFlight >= queueLimit || this.#socket.bufferedAmount > bufferLimitBytes) {
      this.drop(`slow subscriber: ${this.#inFlight} messages in flight, ${this.#socket.bufferedAmount} bytes buffered`)
      return false
    }
    this.#inFlight += 1
    this.#socket.send(text, () => {
      this.#inFlight -= 1
    })
    return true
  }

  /** @throws RpcMethodError INVALID_PARAMS, RATE_LIMITED (TOO_MANY_SUBSCRIPTIONS) */
  subscribe(params: SubscribeParams): string {
    if (this.#subscriptions.size >= this.#hub.options.maxSubscriptionsPerSocket) {
      throw new RpcMethodError(RpcErrorCode.RATE_LIMITED, RpcDataCode.TOO_MANY_SUBSCRIPTIONS,
        `at most ${this.#hub.options.maxSubscriptionsPerSocket} subscriptions per socket`)
    }
    let filter: Filter
    if (params.kind === 'blocks') {
      const extra = Object.keys(params).find((k) => k !== 'kind' && k !== 'txs')
      if (extra) throw invalidParams(`params.${extra} applies to kind "events" only`, `params.${extra}`)
      filter = { kind: 'blocks', txs: params.txs === true }
    } else {
      if ('txs' in params) throw invalidParams('params.txs applies to kind "blocks" only', 'params.txs')
      // Normalise the address so the filter compares canonical text.
      const contract = params.contract === undefined ? undefined : formatAddress(parseAddress(params.contract))
      filter = { kind: 'events', ...(contract !== undefined ? { contract } : {}), ...(params.name !== undefined ? { name: params.name } : {}) }
    }
    const id = this.#hub.nextSubscriptionId()
    this.#subscriptions.set(id, filter)
    return id
  }

  unsubscribe(id: string): boolean {
    return this.#subscriptions.delete(id)
  }

  /** Drops a slow socket: error notification per subscription, close, terminate after the grace. */
  drop(reason: string): void {
    if (this.#closed) return
    const error = { code: RpcErrorCode.SUBSCRIPTION_DROPPED, message: reason, data: { code: RpcDataCode.SUBSCRIPTION_DROPPED } }
    for (const id of this.#subscriptions.keys()) {
      this.#socket.send(JSON.stringify({ jsonrpc: '2.0', method: SUBSCRIPTION_NOTIFICATION_METHOD, params: { subscription: id, error } }))
    }
    this.#end()
    this.#hub.recordDrop(reason)
    this.#socket.close(1008, 'slow subscriber')
    setTimeout(() => this.#socket.terminate(), this.#hub.options.dropGraceMs).unref()
  }

  /** The socket closed (or the server stops). */
  close(code = 1001, reason = 'server stopping'): void {
    if (this.#closed) return
    this.#end()
    if (this.#socket.readyState === OPEN) {
      this.#socket.close(code, reason)
      setTimeout(() => this.#socket.terminate(), this.#hub.options.dropGraceMs).unref()
    }
  }

  #end(): void {
    this.#closed = true
    this.#subscriptions.clear()
    this.#hub.removeSession(this)
  }
}

interface PreparedEvent {
  readonly contract: string
  readonly name: string
  /** The notification result, serialized once for all subscribers. */
  readonly text: string
}

export class SubscriptionHub {
  readonly options: SubscriptionHubOptions
  readonly #sessions = new Set<SubscriptionSession>()
  #pending: [Block, readonly Receipt[]][] = []
  #flushScheduled = false
  #unsubscribeBackend: (() => void) | undefined
  #nextId = 1
  #dropped = 0

  constructor(options: SubscriptionHubOptions) {
    this.options = options
  }

  start(backend: Pick<RpcBackend, 'onFinalBlock'>): void {
    if (this.#unsubscribeBackend) return
    this.#unsubscribeBackend = backend.onFinalBlock((block, receipts) => this.#enqueue(block, receipts))
  }

  stop(): void {
    this.#unsubscribeBackend?.()
    this.#unsubscribeBackend = undefined
    this.#pending = []
    for (const s of [...this.#sessions]) s.close()
  }

  openSession(socket: SubscriberSocket): SubscriptionSession {
    const session = new SubscriptionSession(this, socket)
    this.#sessions.add(session)
    return session
  }

  removeSession(session: SubscriptionSession): void {
    this.#sessions.delete(session)
  }

  nextSubscriptionId(): string {
    return '0x' + (this.#nextId++).toString(16)
  }

  stats(): { sessions: number; subscriptions: number; droppedSubscribers: number } {
    let subscriptions = 0
    for (const s of this.#sessions) subscriptions += s.subscriptions.size
    return { sessions: this.#sessions.size, subscriptions, droppedSubscribers: this.#dropped }
  }

  recordDrop(reason: string): void {
    this.#dropped += 1
    this.options.onDrop?.(reason)
  }

  /** The backend's listener: O(1), never throws, never awaits. */
  #enqueue(block: Block, receipts: readonly Receipt[]): void {
    if (this.#sessions.size === 0) return
    this.#pending.push([block, receipts])
    if (this.#flushScheduled) return
    this.#flushScheduled = true
    ;(this.options.schedule ?? setImmediate)(() => this.#flush())
  }

  #flush(): void {
    this.#flushScheduled = false
    const pending = this.#pending
    this.#pending = []
    for (const [block, receipts] of pending) {
      // This runs outside any request: an exception here would crash the process.
      try {
        this.#publish(block, receipts)
      } catch (e) {
        this.options.onError?.(e)
      }
    }
  }

  #publish(block: Block, receipts: readonly Receipt[]): void {
    let blockText: string | undefined
    let blockWithTxsText: string | undefined
    let events: PreparedEvent[] | undefined
    for (const session of [...this.#sessions]) {
      for (const [id, filter] of session.subscriptions) {
        if (filter.kind === 'blocks') {
          const text = filter.txs
            ? (blockWithTxsText ??= JSON.stringify(formatBlockNotification(block, receipts)))
            : (blockText ??= JSON.stringify(formatBlockNotification(block)))
          if (!session.send(notification(id, text))) break
          continue
        }
        events ??= prepareEvents(block, receipts)
        let alive = true
        for (const e of events) {
          if (filter.contract !== undefined && filter.contract !== e.contract) continue
          if (filter.name !== undefined && filter.name !== e.name) continue
          if (!session.send(notification(id, e.text))) {
            alive = false
            break
          }
        }
        if (!alive) break
      }
    }
  }
}

function notification(subscription: string, resultText: string): string {
  return `{"jsonrpc":"2.0","method":"${SUBSCRIPTION_NOTIFICATION_METHOD}","params":{"subscription":${JSON.stringify(subscription)},"result":${resultText}}}`
}

function prepareEvents(block: Block, receipts: readonly Receipt[]): PreparedEvent[] {
  const out: PreparedEvent[] = []
  receipts.forEach((receipt, txIndex) => {
    // A failed tx's writes and events are reverted; executors already leave them out.
    if (receipt.status !== 0) return
    for (const event of receipt.events) {
      const result = formatEventNotification(block, txIndex, event)
      out.push({ contract: result.contract, name: result.name, text: JSON.stringify(result) })
    }
  })
  return out
}
