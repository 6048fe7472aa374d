/**
 * Throughput and finality latency against offered load: for each offered rate, KV_PUT txs are
 * signed ahead (so the client's signing does not limit the rate), then sent on a fixed schedule
 * for a few seconds from several senders (each a different account on a different node, so
 * nonces do not serialise and no single node's RPC carries the load), then drained. Per rate:
 * sustained final tx/s counted from the final blocks seen over the subscription, send → final
 * latency percentiles as the client observes them, and each node process's CPU use from /proc.
 *
 * With `clocks` (node-block-clocks.ts) every step is also measured on every node: a tx is final
 * when the last node has its block final, and the sustained rate runs to the last node's last
 * block. The client-side figures (the node the watcher listens to) stay alongside.
 *
 * KV_PUT is the cheapest tx kind: the sweep measures the ledger (admission, gossip, consensus,
 * execution, storage), not the contract VM; the paper's workload itself is timed by the driver.
 */
import { RpcError, type RpcClient } from '../../client/rpc-client.ts'
import type { TxBuilder } from '../../client/tx-builder.ts'
import { toHex } from '../../core/hex.ts'
import type { SignedTx } from '../../core/tx.ts'
import type { FinalTxWatcher } from './final-tx-watcher.ts'
import type { NodeBlockClocks } from './node-block-clocks.ts'
import { readProcessUsage } from './process-usage.ts'
import { percentile } from '../percentile.ts'

export interface LoadSender {
  readonly builder: TxBuilder
  /** The node this sender talks to. */
  readonly client: RpcClient
}

export interface LoadSweepOptions {
  readonly rates: readonly number[]
  readonly secondsPerRate: number
  readonly senders: readonly LoadSender[]
  /** Observes final blocks with their txs at one node (the client's). */
  readonly watcher: FinalTxWatcher
  /** When each node announced each final block: adds the every-node measures. */
  readonly clocks?: NodeBlockClocks
  /** OS pids of the node processes (one per node, or fewer each running several: testnet.ts). */
  readonly nodeProcessPids: () => readonly (number | undefined)[]
  readonly progress: (message: string) => void
  readonly now?: () => number
  /** Longest wait for the backlog after sending stops. */
  readonly drainTimeoutMs?: number
}

export interface LoadStepResult {
  /** Offered rate, tx/s. */
  readonly offered: number
  /** Txs handed to the nodes and accepted, and refused at admission. */
  readonly sent: number
  readonly refused: number
  readonly sendSeconds: number
  /** Final txs of this step counted from final blocks. */
  readonly finalTxs: number
  /** finalTxs / (last final − first send), tx/s. */
  readonly sustainedTps: number
  readonly p50Ms: number
  readonly p95Ms: number
  readonly p99Ms: number
  /** Txs still not final when the drain timed out. */
  readonly unfinished: number
  /** CPU use of each node process during the step (send + drain), % of one core. */
  readonly nodeProcessCpuPercent: readonly number[]
  /** The same counted when every node has the tx's block final (with `clocks`). */
  readonly everyNode?: EveryNodeFinality
}

export interface EveryNodeFinality {
  /** Txs whose block every node announced final / (the last such announcement − first send). */
  readonly sustainedTps: number
  readonly p50Ms: number
  readonly p95Ms: number
  readonly p99Ms: number
  /** Txs final at the client's node whose block some node never announced (lost subscription or timeout). */
  readonly notFinal: number
}

export interface LoadSweepResult {
  readonly steps: readonly LoadStepResult[]
  /** Per node process (as `nodeProcessPids`) over the whole sweep. */
  readonly nodeProcesses: readonly { readonly cpuMs: number; readonly cpuPercent: number; readonly rssBytes: number; readonly peakRssBytes: number }[]
  readonly wallMs: number
}

const TICK_MS = 5
const BATCH_MAX = 100

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

function cpuSnapshot(pids: readonly (number | undefined)[]): number[] {
  return pids.map((p) => readProcessUsage(p)?.cpuMs ?? Number.NaN)
}

/**
 * Waits (up to `timeoutMs`) until every node has announced every height the step's txs landed
 * in, then measures: latency = the last node's announcement − send; rate = txs final everywhere
 * / (the last announcement − the step's first send).
 */
export async function everyNodeFinality(
  clocks: Pick<NodeBlockClocks, 'everyNodeAt' | 'lostNodes'>, finals: readonly { height: number; sentAt: number }[], t0: number, now: () => number, timeoutMs: number,
): Promise<EveryNodeFinality> {
  const heights = [...new Set(finals.map((f) => f.height))]
  const deadline = now() + timeoutMs
  while (heights.some((h) => clocks.everyNodeAt(h) === undefined) && clocks.lostNodes().length === 0 && now() < deadline) await sleep(20)
  const latencies: number[] = []
  let last = t0
  for (const f of finals) {
    const at = clocks.everyNodeAt(f.height)
    if (at === undefined) continue
    latencies.push(at - f.sentAt)
    last = Math.max(last, at)
  }
  latencies.sort((a, b) => a - b)
  const window = (last - t0) / 1000
  return {
    sustainedTps: window > 0 ? latencies.length / window : 0,
    p50Ms: percentile(latencies, 0.5), p95Ms: percentile(latencies, 0.95), p99Ms: percentile(latencies, 0.99),
    notFinal: finals.length - latencies.length,
  }
}

export async function runLoadSweep(o: LoadSweepOptions): Promise<LoadSweepResult> {
  const now = o.now ?? (() => performance.now())
  const drainTimeoutMs = o.drainTimeoutMs ?? 30_000
  const steps: LoadStepResult[] = []
  const sweepStart = now()
  const cpuStart = cpuSnapshot(o.nodeProcessPids())
  let seq = 0
  for (const rate of o.rates) {
    const total = Math.max(1, Math.round(rate * o.secondsPerRate))
    o.progress(`load ${rate} tx/s: signing ${total} KV_PUT txs from ${o.senders.length} senders`)
    const planned: { tx: SignedTx; sender: LoadSender }[] = []
    for (let i = 0; i < total; i++) {
      const sender = o.senders[i % o.senders.length]!
      const tx = await sender.builder.kvPut(`load/${seq}`, `v${seq}`)
      seq++
      planned.push({ tx, sender })
    }
    const latencies: number[] = []
    /** Per final tx: its block's height and when it was sent, for the every-node measure. */
    const finals: { height: number; sentAt: number }[] = []
    let refused = 0
    let lastFinal = 0
    let unfinished = 0
    const waits: Promise<void>[] = []
    const cpu0 = cpuSnapshot(o.nodeProcessPids())
    const t0 = now()
    const firstBlock = o.watcher.blocks.length
    let sent = 0
    let lastShown = t0
    // Fixed schedule: at each tick send every tx whose time has come (tx i is due at t0 + i/rate).
    while (sent < total) {
      const elapsed = now() - t0
      const due = Math.min(total, Math.floor((elapsed / 1000) * rate) + 1)
      const groups = new Map<RpcClient, SignedTx[]>()
      for (; sent < due; sent++) {
        const { tx, sender } = planned[sent]!
        const list = groups.get(sender.client) ?? []
        list.push(tx)
        groups.set(sender.client, list)
      }
      for (const [client, txs] of groups) {
        for (let i = 0; i < txs.length; i += BATCH_MAX) {
          const chunk = txs.slice(i, i + BATCH_MAX)
          const sentAt = now()
          waits.push(...chunk.map((tx) => o.watcher.wait(toHex(tx.id)).then((fin) => {
            latencies.push(fin.observedAt - sentAt)
            finals.push({ height: fin.height, sentAt })
            lastFinal = Math.max(lastFinal, fin.observedAt)
          }, () => {
            // Refused at admission (counted there) or never final (counted after the drain).
          })))
          void client.batch<{ id: string }>(chunk.map((tx) => ({ method: 'tx_send', params: { tx: toHex(tx.bytes) } }))).then((answers) => {
            answers.forEach((a, j) => {
              if (a instanceof RpcError) {
                refused++
                o.watcher.forget(toHex(chunk[j]!.id))
              }
            })
          }, () => {
            refused += chunk.length
            for (const tx of chunk) o.watcher.forget(toHex(tx.id))
          })
        }
      }
      if (now() - lastShown >= 1000) {
        lastShown = now()
        o.progress(`load ${rate} tx/s: sent ${sent}/${total}, final ${latencies.length}`)
      }
      if (sent < total) await sleep(TICK_MS)
    }
    const sendSeconds = (now() - t0) / 1000
    o.progress(`load ${rate} tx/s: sent ${total} in ${sendSeconds.toFixed(2)} s, waiting for finality (${latencies.length} final so far)`)
    let drainTimer: NodeJS.Timeout | undefined
    const drained = await Promise.race([
      Promise.all(waits).then(() => true),
      new Promise<false>((resolve) => { drainTimer = setTimeout(() => resolve(false), drainTimeoutMs) }),
    ])
    // Cleared, or the timer would hold the process for the rest of drainTimeoutMs after the sweep.
    clearTimeout(drainTimer)
    unfinished = total - refused - latencies.length
    if (!drained) for (const { tx } of planned) o.watcher.forget(toHex(tx.id))
    const cpu1 = cpuSnapshot(o.nodeProcessPids())
    const stepMs = now() - t0
    const blocks = o.watcher.blocks.slice(firstBlock).filter((b) => b.observedAt <= lastFinal)
    const finalTxs = blocks.reduce((a, b) => a + b.txCount, 0)
    const sorted = [...latencies].sort((a, b) => a - b)
    const window = (lastFinal - t0) / 1000
    const everyNode = o.clocks ? await everyNodeFinality(o.clocks, finals, t0, now, drainTimeoutMs) : undefined
    const result: LoadStepResult = {
      offered: rate, sent: total - refused, refused, sendSeconds, finalTxs,
      sustainedTps: window > 0 ? finalTxs / window : 0,
      p50Ms: percentile(sorted, 0.5), p95Ms: percentile(sorted, 0.95), p99Ms: percentile(sorted, 0.99),
      unfinished,
      nodeProcessCpuPercent: cpu1.map((c, i) => (100 * (c - cpu0[i]!)) / stepMs),
      ...(everyNode ? { everyNode } : {}),
    }
    steps.push(result)
    const cpuTotal = result.nodeProcessCpuPercent.reduce((a, b) => a + b, 0)
    o.progress(
      `load ${rate} tx/s: ${Math.floor(result.sustainedTps)} final tx/s sustained, latency p50 ${result.p50Ms.toFixed(1)} ms, ` +
        `p95 ${result.p95Ms.toFixed(1)} ms, p99 ${result.p99Ms.toFixed(1)} ms, nodes ${cpuTotal.toFixed(0)} % CPU` +
        (everyNode ? `; final on every node: ${Math.floor(everyNode.sustainedTps)} tx/s, p50 ${everyNode.p50Ms.toFixed(1)} ms, p99 ${everyNode.p99Ms.toFixed(1)} ms` : '') +
        `${refused ? `, ${refused} refused` : ''}${unfinished ? `, ${unfinished} not final` : ''}`,
    )
  }
  const wallMs = now() - sweepStart
  const pids = o.nodeProcessPids()
  const cpuEnd = cpuSnapshot(pids)
  const nodeProcesses = pids.map((pid, i) => {
    const u = readProcessUsage(pid)
    const cpuMs = cpuEnd[i]! - cpuStart[i]!
    return { cpuMs, cpuPercent: (100 * cpuMs) / wallMs, rssBytes: u?.rssBytes ?? 0, peakRssBytes: u?.peakRssBytes ?? 0 }
  })
  return { steps, nodeProcesses, wallMs }
}
