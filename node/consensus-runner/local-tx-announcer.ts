/**
 * How a tx submitted to this node (over RPC) reaches the other validators: at once to the
 * validator that proposes the next height it can enter (the runner's `nextProposer`: the height
 * after the one running, if any), and to every other validator `delayMs` later.
 *
 * Why: on 10 validators sharing 2 cores, gossiping a fresh tx to all nine woke nine processes that
 * each decoded and verified it while the one that mattered, the next proposer, waited for the
 * CPU among them. Sent to the proposer first, the tx starts its height sooner; the others meet
 * it in the proposal (checked there once, and the late gossip copy is then admitted unchecked or
 * dropped as committed: Mempool.noteVerified, committedRecently). 100 records one at a time,
 * `bench:seq-cpu`, three interleaved pairs against broadcasting at once: warm 2,327.5 → 2,197.2,
 * 2,180.8 → 2,125.9, 2,322.7 → 2,174.3 ms, with less node CPU per record in each; just after start
 * 3,019.5 → 3,189.4, 2,899.8 → 2,826.6, 3,176.7 → 2,815.3 ms. Under load, within the noise.
 *
 * The delayed broadcast leaves out the proposer the tx went to: under load a second copy to it
 * was one more message to receive, hash and drop per tx.
 *
 * Nothing is withheld: every validator still gets every tx within `delayMs`, so a later
 * proposer never waits for a nonce it has not seen (forwarding to proposers only, without the
 * broadcast, stalled that way under load). When the next proposer is this node, or the direct
 * send finds no open stream, the broadcast is the only path (at once in the second case).
 */

export interface LocalTxAnnouncerOptions {
  /** Public key of the validator that proposes the next height in round 0; undefined when it is this node. */
  readonly nextProposer: () => Uint8Array | undefined
  /** Sends to one validator; false when nothing was sent (no open stream). */
  readonly sendTo: (publicKey: Uint8Array, payload: Uint8Array) => boolean
  /** Gossips to every validator but `except` (the proposer it was sent to), if given. */
  readonly broadcast: (payload: Uint8Array, except: Uint8Array | undefined) => void
  /** Wait before the broadcast. Default LOCAL_TX_BROADCAST_DELAY_MS. */
  readonly delayMs?: number
  /** Runs `fn` after `ms` (setTimeout); returns a cancel function. */
  readonly schedule?: (fn: () => void, ms: number) => () => void
}

/** 3 ms: long enough for the next proposer to start its height alone, short next to any height under load. */
export const LOCAL_TX_BROADCAST_DELAY_MS = 3

const defaultSchedule = (fn: () => void, ms: number): (() => void) => {
  const timer = setTimeout(fn, ms)
  return () => clearTimeout(timer)
}

export class LocalTxAnnouncer {
  private readonly delayMs: number
  private readonly schedule: (fn: () => void, ms: number) => () => void
  /** Txs waiting for the broadcast, each with the proposer that has it already. */
  private waiting: { readonly tx: Uint8Array; readonly sentTo: Uint8Array | undefined }[] = []
  private cancelBroadcast: (() => void) | undefined

  constructor(private readonly options: LocalTxAnnouncerOptions) {
    this.delayMs = options.delayMs ?? LOCAL_TX_BROADCAST_DELAY_MS
    this.schedule = options.schedule ?? defaultSchedule
  }

  announce(tx: Uint8Array): void {
    const proposer = this.options.nextProposer()
    if (proposer !== undefined && !this.options.sendTo(proposer, tx)) {
      this.options.broadcast(tx, undefined)
      return
    }
    this.waiting.push({ tx, sentTo: proposer })
    this.cancelBroadcast ??= this.schedule(() => this.flush(), this.delayMs)
  }

  /** Broadcasts everything waiting now (the timer's job; also before the node stops). */
  flush(): void {
    this.cancelBroadcast?.()
    this.cancelBroadcast = undefined
    const txs = this.waiting
    this.waiting = []
    for (const { tx, sentTo } of txs) this.options.broadcast(tx, sentTo)
  }
}
