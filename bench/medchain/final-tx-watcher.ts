/**
 * Waits for many transactions at once over ONE WebSocket subscription, instead of one `tx_get`
 * poll per transaction per block (RpcClient.waitForFinal). This is how a hospital gateway that
 * keeps hundreds of records in flight learns finality, and what the benchmark times.
 *
 * - `{kind: 'blocks', txs: true}`: each final block's notification lists its txs with their
 *   receipt status (a failed one with its error, a deploy with its contract's address), so a
 *   waiter settles the moment the notification arrives, with no further round trip (`tx_get`
 *   only for a failed tx listed without its error: a node older than that field).
 * - A safety net polls `tx_get` for waiters older than `pollAfterMs`, but only while no block
 *   notification has arrived for `pollAfterMs` (the chain makes an empty block every second, so
 *   silence means a notification may have been lost), so a dropped notification costs time,
 *   never correctness. While notifications flow, polling could only learn what the next
 *   notification says, and under overload, when every waiter is older than `pollAfterMs`, its
 *   `tx_get`s were the busiest work of the node serving them.
 *
 * Register the waiter (`wait`) BEFORE sending the tx: its id is known once it is signed.
 */
import { RpcError, type RpcClient, type Subscription, type SubscriptionResult } from '../../client/rpc-client.ts'
import type { BlockNotificationJson, BlockTxJson, ReceiptJson, TxGetJson } from '../../core/rpc-wire.ts'
import { BenchError, BenchErrorCode } from '../errors.ts'

export interface FinalTx {
  readonly id: string
  readonly height: number
  /** 'final' = in a final block with an ok receipt; 'failed' = in a final block with a failed receipt. */
  readonly status: 'final' | 'failed'
  /** Monotonic ms at which the client learned it (the clock passed to `open`). */
  readonly observedAt: number
  /** Why a failed tx failed (its receipt's errorCode and errorMessage); absent for an ok one. */
  readonly error?: { readonly code: string; readonly message: string }
  /** Where a deploy put its contract; absent for any other tx. */
  readonly contractAddress?: string
}

/** The part of a `tx_get` answer the watcher reads. */
type TxGetAnswer = Pick<TxGetJson, 'status' | 'height' | 'receipt'>

/** A FinalTx's receipt fields, from a notification's tx entry or a `tx_get` receipt. */
function outcomeOf(r: BlockTxJson | ReceiptJson | undefined): Pick<FinalTx, 'error' | 'contractAddress'> {
  if (r?.status === 'failed' && r.errorCode !== undefined) return { error: { code: r.errorCode, message: r.errorMessage ?? '' } }
  return r?.status === 'ok' && r.contractAddress ? { contractAddress: r.contractAddress } : {}
}

interface Waiter {
  readonly id: string
  readonly since: number
  resolve(v: FinalTx): void
  reject(e: Error): void
}

export interface FinalTxWatcherOptions {
  readonly now?: () => number
  /** Poll `tx_get` for waiters older than this (ms). */
  readonly pollAfterMs?: number
  readonly timeoutMs?: number
}

export class FinalTxWatcher {
  readonly #client: RpcClient
  readonly #now: () => number
  readonly #pollAfterMs: number
  readonly #timeoutMs: number
  readonly #waiters = new Map<string, Waiter>()
  readonly #subscriptions: Subscription[] = []
  readonly #timer: NodeJS.Timeout
  #polling = false
  #lastBlockAt: number
  #closed = false
  #failure: Error | undefined
  /** Final blocks seen, with their tx counts: the load sweep counts throughput from these. */
  readonly blocks: { height: number; txCount: number; observedAt: number }[] = []

  private constructor(client: RpcClient, o: FinalTxWatcherOptions) {
    this.#client = client
    this.#now = o.now ?? (() => performance.now())
    this.#pollAfterMs = o.pollAfterMs ?? 2_000
    this.#timeoutMs = o.timeoutMs ?? 60_000
    this.#lastBlockAt = this.#now()
    this.#timer = setInterval(() => void this.#poll(), Math.max(250, this.#pollAfterMs / 2))
  }

  static async open(client: RpcClient, options: FinalTxWatcherOptions = {}): Promise<FinalTxWatcher> {
    const w = new FinalTxWatcher(client, options)
    try {
      w.#subscriptions.push(await client.subscribe({ kind: 'blocks', txs: true }, (r) => w.#onBlock(r), (e) => w.#fail(e)))
    } catch (e) {
      await w.close()
      throw e
    }
    return w
  }

  get pending(): number {
    return this.#waiters.size
  }

  /** Resolves when tx `id` (0x-hex) is final. @throws BenchError CHAIN_CALL_FAILED on timeout or a lost subscription */
  wait(id: string): Promise<FinalTx> {
    if (this.#failure) return Promise.reject(this.#failure)
    const key = id.toLowerCase()
    return new Promise<FinalTx>((resolve, reject) => {
      if (this.#waiters.has(key)) return reject(new BenchError(BenchErrorCode.CHAIN_CALL_FAILED, `already waiting for tx ${id}`))
      this.#waiters.set(key, { id: key, since: this.#now(), resolve, reject })
    })
  }

  /** Stops waiting for `id` (e.g. the node refused it); its `wait` rejects. */
  forget(id: string): void {
    const key = id.toLowerCase()
    const w = this.#waiters.get(key)
    if (!w) return
    this.#waiters.delete(key)
    w.reject(new BenchError(BenchErrorCode.CHAIN_CALL_FAILED, `stopped waiting for tx ${id}`))
  }

  #settle(id: string, v: Omit<FinalTx, 'id'>): void {
    const w = this.#waiters.get(id)
    if (!w) return
    this.#waiters.delete(id)
    w.resolve({ id, ...v })
  }

  #onBlock(r: SubscriptionResult): void {
    const b = r as BlockNotificationJson
    const at = this.#now()
    this.#lastBlockAt = at
    this.blocks.push({ height: b.height, txCount: b.txCount, observedAt: at })
    if (this.#waiters.size === 0 || !Array.isArray(b.txs)) return
    for (const tx of b.txs) {
      if (!this.#waiters.has(tx.id)) continue
      if (tx.status === 'ok' || tx.errorCode !== undefined) {
        this.#settle(tx.id, { height: b.height, status: tx.status === 'ok' ? 'final' : 'failed', observedAt: at, ...outcomeOf(tx) })
      } else void this.#settleFromTx(tx.id)
    }
  }

  /** Settles a waiter from a `tx_get` answer, unless the tx is still pending. */
  #settleFromAnswer(id: string, a: TxGetAnswer): void {
    if (a.status === 'pending') return
    this.#settle(id, { height: a.height ?? 0, status: a.status === 'failed' ? 'failed' : 'final', observedAt: this.#now(), ...outcomeOf(a.receipt) })
  }

  /** Settles a waiter from `tx_get` (its receipt says ok or failed). */
  async #settleFromTx(id: string): Promise<void> {
    try {
      this.#settleFromAnswer(id, await this.#client.getTx(id))
    } catch (e) {
      if (e instanceof RpcError && e.dataCode === 'NOT_FOUND') return
      const w = this.#waiters.get(id)
      if (w) {
        this.#waiters.delete(id)
        w.reject(e as Error)
      }
    }
  }

  async #poll(): Promise<void> {
    if (this.#polling || this.#closed) return
    this.#polling = true
    try {
      const now = this.#now()
      const old = [...this.#waiters.values()].filter((w) => now - w.since >= this.#pollAfterMs)
      for (const w of old) {
        if (now - w.since > this.#timeoutMs) {
          this.#waiters.delete(w.id)
          w.reject(new BenchError(BenchErrorCode.CHAIN_CALL_FAILED, `tx ${w.id} not final within ${this.#timeoutMs} ms`))
        }
      }
      if (now - this.#lastBlockAt < this.#pollAfterMs) return
      const stillOld = old.filter((w) => this.#waiters.has(w.id)).slice(0, 100)
      for (let i = 0; i < stillOld.length; i += 50) {
        const chunk = stillOld.slice(i, i + 50)
        const answers = await this.#client.batch<TxGetAnswer>(chunk.map((w) => ({ method: 'tx_get', params: { id: w.id } })))
        answers.forEach((a, j) => {
          if (!(a instanceof RpcError)) this.#settleFromAnswer(chunk[j]!.id, a)
        })
      }
    } catch {
      // Next tick tries again.
    } finally {
      this.#polling = false
    }
  }

  #fail(e: Error): void {
    this.#failure = new BenchError(BenchErrorCode.CHAIN_CALL_FAILED, `subscription lost: ${e.message}`)
    for (const w of this.#waiters.values()) w.reject(this.#failure)
    this.#waiters.clear()
  }

  async close(): Promise<void> {
    this.#closed = true
    clearInterval(this.#timer)
    for (const s of this.#subscriptions) await s.unsubscribe().catch(() => {})
    this.#subscriptions.length = 0
    for (const w of this.#waiters.values()) w.reject(new BenchError(BenchErrorCode.CHAIN_CALL_FAILED, 'watcher closed'))
    this.#waiters.clear()
  }
}
