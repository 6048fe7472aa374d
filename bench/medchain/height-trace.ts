/**
 * Where a one-at-a-time record's time goes, from the nodes' step traces
 * (node/consensus-runner/step-trace.ts) and the client's record windows. Pure: lines in, phases out.
 *
 * A record's window runs from the moment the client starts it (signing the tx) to the moment it
 * sees the tx final. In it, the client's node is the one whose mempool took the tx from its RPC
 * (`tx-local`), and the record's height is the block that node persisted. Each phase is the time
 * from the window's start to the first step of that kind at that height (for the quorum phases:
 * to the quorum-th validator's signed vote), so phases read as a timeline.
 */
import type { TraceEvent } from '../../node/consensus-runner/step-trace.ts'

export interface RecordWindow {
  readonly start: number
  readonly final: number
}

/** The phases of one record, ms from its window's start (undefined: not seen). */
export interface RecordPhases {
  readonly height: number
  readonly clientNode: string
  readonly phases: Readonly<Record<PhaseName, number | undefined>>
}

export const PHASES = [
  'tx at the client\'s node',
  'proposer starts the block',
  'proposal signed',
  'prevote quorum signed',
  'prevote bundle sent',
  'precommit quorum signed (fsync done)',
  'precommit bundle sent',
  'client\'s node commits',
  'client\'s node has written the block',
  'client sees it final',
] as const
export type PhaseName = (typeof PHASES)[number]

/** Splits the events by record window and times each phase. Windows with no traced height are left out. */
export function recordPhases(events: readonly TraceEvent[], windows: readonly RecordWindow[], quorum: number): RecordPhases[] {
  const out: RecordPhases[] = []
  for (const w of windows) {
    const inWindow = events.filter((e) => e.at >= w.start && e.at <= w.final)
    const local = inWindow.find((e) => e.event === 'tx-local')
    if (!local) continue
    const persisted = inWindow.filter((e) => e.node === local.node && e.event === 'persisted').at(-1)
    if (!persisted) continue
    const h = persisted.height
    const at = (event: string, nth = 1, node?: string): number | undefined => {
      const hits = inWindow.filter((e) => e.event === event && e.height === h && (node === undefined || e.node === node))
      const hit = hits[nth - 1]
      return hit === undefined ? undefined : hit.at - w.start
    }
    out.push({
      height: h,
      clientNode: local.node,
      phases: {
        'tx at the client\'s node': local.at - w.start,
        'proposer starts the block': at('propose-block'),
        'proposal signed': at('sign-proposal'),
        'prevote quorum signed': at('prevote-signed', quorum),
        'prevote bundle sent': at('broadcast-votes', 1),
        'precommit quorum signed (fsync done)': at('precommit-signed', quorum),
        'precommit bundle sent': at('broadcast-votes', 2),
        'client\'s node commits': at('commit', 1, local.node),
        'client\'s node has written the block': persisted.at - w.start,
        'client sees it final': w.final - w.start,
      },
    })
  }
  return out
}

/**
 * How long each validator's precommit took from the engine's request to the signed, saved vote
 * (the PrivValidator's fsync is most of it), ms, over all nodes and heights in the windows.
 */
export function precommitSaveTimes(events: readonly TraceEvent[], windows: readonly RecordWindow[]): number[] {
  const inAny = (t: number): boolean => windows.some((w) => t >= w.start && t <= w.final)
  const asked = new Map<string, number>()
  const times: number[] = []
  for (const e of events) {
    if (!inAny(e.at)) continue
    const key = `${e.node} ${e.height}`
    if (e.event === 'sign-precommit') asked.set(key, e.at)
    else if (e.event === 'precommit-signed' && asked.has(key)) {
      times.push(e.at - asked.get(key)!)
      asked.delete(key)
    }
  }
  return times
}

export function quantile(sorted: readonly number[], q: number): number | undefined {
  if (sorted.length === 0) return undefined
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]
}

export interface PhaseSummary {
  readonly phase: string
  readonly samples: number
  readonly p50Ms: number | undefined
  readonly p90Ms: number | undefined
}

/** Median and 90th percentile of every phase over the records. */
export function summarisePhases(records: readonly RecordPhases[]): PhaseSummary[] {
  return PHASES.map((phase) => {
    const xs = records.map((r) => r.phases[phase]).filter((x): x is number => x !== undefined).sort((a, b) => a - b)
    return { phase, samples: xs.length, p50Ms: quantile(xs, 0.5), p90Ms: quantile(xs, 0.9) }
  })
}
