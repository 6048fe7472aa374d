/**
 * When each node announced each final block: one `{kind: 'blocks'}` subscription per node (no
 * tx lists: a height, a hash and a count per block), stamped on arrival with the client's clock.
 * The load sweep counts a tx final when EVERY node has its block final, not only the node the
 * client watches (final-tx-watcher.ts): a validator that lags is part of the measure.
 *
 * A node whose subscription is lost (it closed, or dropped a slow client) stays unknown from
 * then on: `everyNodeAt` answers undefined for the heights it did not announce, and the sweep
 * reports those txs as not final everywhere instead of guessing.
 */
import type { RpcClient, SubscriptionResult, Subscription } from '../../client/rpc-client.ts'
import type { BlockNotificationJson } from '../../core/rpc-wire.ts'

export class NodeBlockClocks {
  readonly #now: () => number
  /** height → arrival time at each node (undefined: not yet). */
  readonly #seen = new Map<number, (number | undefined)[]>()
  readonly #lost: boolean[]
  readonly #subscriptions: Subscription[] = []

  private constructor(readonly nodes: number, now: () => number) {
    this.#now = now
    this.#lost = new Array<boolean>(nodes).fill(false)
  }

  /** Subscribes to every node's final blocks. @throws RpcError when a node refuses or cannot be reached */
  static async open(clients: readonly RpcClient[], now: () => number = () => performance.now()): Promise<NodeBlockClocks> {
    const clocks = new NodeBlockClocks(clients.length, now)
    try {
      for (const [i, client] of clients.entries()) {
        clocks.#subscriptions.push(await client.subscribe({ kind: 'blocks' }, (r) => clocks.onBlock(i, r), () => { clocks.#lost[i] = true }))
      }
    } catch (e) {
      await clocks.close()
      throw e
    }
    return clocks
  }

  /** Records that node `node` announced the block of `result` (exposed for tests). */
  onBlock(node: number, result: SubscriptionResult): void {
    const height = (result as BlockNotificationJson).height
    if (!Number.isSafeInteger(height) || node < 0 || node >= this.nodes) return
    let times = this.#seen.get(height)
    if (!times) {
      times = new Array<number | undefined>(this.nodes).fill(undefined)
      this.#seen.set(height, times)
    }
    times[node] ??= this.#now()
  }

  /** When the last node announced `height` final, or undefined while some node has not. */
  everyNodeAt(height: number): number | undefined {
    const times = this.#seen.get(height)
    if (!times) return undefined
    let last = 0
    for (const t of times) {
      if (t === undefined) return undefined
      last = Math.max(last, t)
    }
    return last
  }

  /** Nodes whose subscription was lost (their later heights stay unknown). */
  lostNodes(): number[] {
    return this.#lost.flatMap((lost, i) => (lost ? [i] : []))
  }

  async close(): Promise<void> {
    for (const s of this.#subscriptions) await s.unsubscribe().catch(() => {})
    this.#subscriptions.length = 0
  }
}
