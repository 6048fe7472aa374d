/**
 * Admission of the txs that peers gossip, with a budget per event-loop turn.
 *
 * Admitting a tx costs a signature check (~40 µs) plus decoding, and a validator receives every
 * tx of the chain. Admitted in arrival order inside the network's receive handler, a burst of
 * txs held up the proposals and votes that arrived behind it: at 2,000 tx/s offered on 10
 * validators a proposal reached the others 1.1-1.5 s after it was signed. Now a turn admits
 * txs at once only while its budget lasts (`sliceMs`, at least `minPerSlice` txs); beyond it
 * they wait in a queue drained a budget per later turn, and consensus messages arriving
 * meanwhile are handled as they come. Under moderate load nothing waits.
 *
 * A tx that a block commits before its turn here is dropped from its bytes, undecoded, by the
 * runner's `admit` (Mempool.committedRecently), or else refused by its nonce before its
 * signature is checked (Mempool.add), so no tx is verified twice. The queue is bounded: beyond
 * `maxQueued` txs (or bytes) new ones are dropped and counted; gossip is best effort, and the
 * tx stays in the mempool of the validator it was sent to, which proposes it in its turn.
 */

export interface GossipTxIntakeOptions {
  /** Admits one tx (throws or returns; a refusal is the caller's to count or ignore). */
  readonly admit: (payload: Uint8Array) => void
  /** Runs `fn` on a later event-loop turn (setImmediate); returns a cancel function. */
  readonly later?: (fn: () => void) => () => void
  /** Monotonic milliseconds, for the budget. */
  readonly now?: () => number
  /** Admission work per turn before txs wait for a later turn. Default 2 ms. */
  readonly sliceMs?: number
  /** Txs admitted per turn whatever the clock says (progress under any load). Default 8. */
  readonly minPerSlice?: number
  /** Most txs waiting. Default 50,000 (the mempool's own default size). */
  readonly maxQueued?: number
  /** Most bytes waiting. Default 64 MiB. */
  readonly maxQueuedBytes?: number
}

export interface GossipTxIntakeStats {
  readonly queued: number
  readonly queuedBytes: number
  /** Txs handed to `admit` (accepted or not). */
  readonly processed: number
  /** Txs that had to wait for a later turn. */
  readonly deferred: number
  readonly dropped: number
}

const defaultLater = (fn: () => void): (() => void) => {
  const handle = setImmediate(fn)
  return () => clearImmediate(handle)
}

const EMPTY = new Uint8Array(0)

export class GossipTxIntake {
  private readonly admit: (payload: Uint8Array) => void
  private readonly later: (fn: () => void) => () => void
  private readonly now: () => number
  private readonly sliceMs: number
  private readonly minPerSlice: number
  private readonly maxQueued: number
  private readonly maxQueuedBytes: number
  /** Waiting payloads from `head` on; the consumed prefix is cut off now and then, not per tx. */
  private queue: Uint8Array[] = []
  private head = 0
  private bytes = 0
  /** This turn's budget: when it started and how many txs it admitted (undefined: no turn open). */
  private turnStartedAt: number | undefined
  private turnCount = 0
  private cancelTurnEnd: (() => void) | undefined
  private processedCount = 0
  private deferredCount = 0
  private droppedCount = 0

  constructor(options: GossipTxIntakeOptions) {
    this.admit = options.admit
    this.later = options.later ?? defaultLater
    this.now = options.now ?? (() => performance.now())
    this.sliceMs = options.sliceMs ?? 2
    this.minPerSlice = options.minPerSlice ?? 8
    this.maxQueued = options.maxQueued ?? 50_000
    this.maxQueuedBytes = options.maxQueuedBytes ?? 64 * 1024 * 1024
  }

  get size(): number {
    return this.queue.length - this.head
  }

  stats(): GossipTxIntakeStats {
    return { queued: this.size, queuedBytes: this.bytes, processed: this.processedCount, deferred: this.deferredCount, dropped: this.droppedCount }
  }

  /** Admits a gossiped tx now if this turn's budget allows and nothing waits; else queues it (false: dropped, the queue is full). */
  push(payload: Uint8Array): boolean {
    if (this.size === 0 && this.budgetLeft()) {
      this.run(payload)
      return true
    }
    if (this.size >= this.maxQueued || this.bytes + payload.length > this.maxQueuedBytes) {
      this.droppedCount++
      return false
    }
    this.queue.push(payload)
    this.bytes += payload.length
    this.deferredCount++
    this.openTurn()
    return true
  }

  /** Drops everything waiting (the node is stopping). */
  clear(): void {
    this.cancelTurnEnd?.()
    this.cancelTurnEnd = undefined
    this.turnStartedAt = undefined
    this.queue = []
    this.head = 0
    this.bytes = 0
  }

  private budgetLeft(): boolean {
    this.openTurn()
    return this.turnCount < this.minPerSlice || this.now() - this.turnStartedAt! < this.sliceMs
  }

  /** Starts this turn's budget if none is open; it ends on the next turn, which drains the queue. */
  private openTurn(): void {
    if (this.turnStartedAt !== undefined) return
    this.turnStartedAt = this.now()
    this.turnCount = 0
    this.cancelTurnEnd = this.later(() => this.nextTurn())
  }

  private run(payload: Uint8Array): void {
    this.turnCount++
    this.processedCount++
    try {
      this.admit(payload)
    } catch {
      // The admit function decides what a refusal means; the intake only keeps going.
    }
  }

  /** A new turn: a fresh budget, spent first on what waits. */
  private nextTurn(): void {
    this.cancelTurnEnd = undefined
    this.turnStartedAt = undefined
    if (this.size === 0) return
    while (this.head < this.queue.length && this.budgetLeft()) {
      const payload = this.queue[this.head]!
      this.queue[this.head++] = EMPTY
      this.bytes -= payload.length
      this.run(payload)
    }
    if (this.head === this.queue.length) {
      this.queue = []
      this.head = 0
    } else if (this.head > 4096 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head)
      this.head = 0
    }
  }
}
