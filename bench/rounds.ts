/**
 * What several runs of the benchmark say together (`npm run bench -- --rounds K`): each line's
 * times per chain (median and range), in how many rounds the subject beat each baseline on that
 * line, and issue 6's targets, met or missed, round by round.
 *
 * The machines are shared and noisy: one run's ratio can flip with the machine's phase. Each
 * round runs every chain one after the other, so a round's ratios are side by side; counting
 * wins over rounds, rather than averaging times across them, keeps that pairing. Medians are
 * nearest-rank (a measured value, never a mean of two).
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { STEP_IDS, STEP_LABELS, type BenchRunResult, type ChainRunResult, type Series, type StepId } from './workload.ts'
import { LOAD_PLOTS, LOAD_SERIES } from './medchain/load-series.ts'
import { percentile } from './percentile.ts'
import { escapeHtml, formatMs, formatRatio, htmlPage, htmlTable, renderGrid, stepMs, svgXY } from './report.ts'

export type LineId = StepId | 'hash'
export const LINE_IDS: readonly LineId[] = ['hash', ...STEP_IDS]

/** One line of one chain over the rounds; `null` where the step failed or did not run. */
export interface LineOverRounds {
  readonly line: LineId
  readonly chain: string
  readonly valuesMs: readonly (number | null)[]
  readonly medianMs: number | null
  readonly minMs: number | null
  readonly maxMs: number | null
}

/** The subject against one baseline on one line: rounds where both passed, and wins among them. */
export interface LineComparison {
  readonly subject: string
  readonly baseline: string
  readonly line: StepId
  readonly rounds: number
  /** Rounds in which the subject took less time than the baseline. */
  readonly wins: number
  /** baseline ms / subject ms per compared round (above 1 the subject is faster). */
  readonly speedups: readonly number[]
  readonly medianSpeedup: number | null
}

export type TargetId = 'hash' | 'record-sequential' | 'record-pipelined' | 'read-all' | 'sustained-tps' | 'p50-at-100' | 'p99-at-100'

export interface TargetOverRounds {
  readonly id: TargetId
  readonly label: string
  readonly unit: 'ms' | 'tx/s'
  /** The limit for this run's N (the per-100-records limits scale linearly with N). */
  readonly limit: number
  readonly atMost: boolean
  /** The subject's figure per round; `null` when that round did not measure it. */
  readonly values: readonly (number | null)[]
  readonly met: number
}

export interface RoundsSummary {
  readonly schema: 'medchain-bench-rounds/v1'
  readonly rounds: number
  readonly n: number
  readonly chains: readonly string[]
  readonly subject: string | null
  readonly lines: readonly LineOverRounds[]
  readonly comparisons: readonly LineComparison[]
  readonly targets: readonly TargetOverRounds[]
  /** The per-round reports, when written. */
  readonly files?: readonly string[]
}

/** Issue 6's targets for 100 records; the per-record ones scale with N, the load ones do not. */
const TARGETS: readonly { id: TargetId; label: string; unit: 'ms' | 'tx/s'; limit: number; atMost: boolean; perHundred: boolean }[] = [
  { id: 'hash', label: 'hash the images', unit: 'ms', limit: 40, atMost: true, perHundred: true },
  { id: 'record-sequential', label: 'records one at a time', unit: 'ms', limit: 1500, atMost: true, perHundred: true },
  { id: 'record-pipelined', label: 'records pipelined', unit: 'ms', limit: 250, atMost: true, perHundred: true },
  { id: 'read-all', label: 'read them back', unit: 'ms', limit: 50, atMost: true, perHundred: true },
  { id: 'sustained-tps', label: 'sustained tx/s, final on every node', unit: 'tx/s', limit: 1000, atMost: false, perHundred: false },
  { id: 'p50-at-100', label: 'p50 at 100 tx/s, every node', unit: 'ms', limit: 50, atMost: true, perHundred: false },
  { id: 'p99-at-100', label: 'p99 at 100 tx/s, every node', unit: 'ms', limit: 250, atMost: true, perHundred: false },
]

const sortedNumbers = (xs: readonly (number | null)[]): number[] => xs.filter((x): x is number => x !== null).sort((a, b) => a - b)
const orNull = (x: number): number | null => (Number.isFinite(x) ? x : null)

function lineMs(r: BenchRunResult, chain: string, line: LineId): number | null {
  const c = r.chains.find((x) => x.id === chain)
  if (!c) return null
  return line === 'hash' ? r.hashing.ms : stepMs(c, line) ?? null
}

function seriesPoints(c: ChainRunResult | undefined, plot: string, name: string): readonly { x: number; y: number }[] {
  return c?.series.find((s) => s.plot === plot && s.name === name)?.points ?? []
}

/** The subject's figure for a target in one round, or null when the round did not measure it. */
function targetValue(r: BenchRunResult, subject: string, id: TargetId): number | null {
  const c = r.chains.find((x) => x.id === subject)
  if (!c) return null
  switch (id) {
    case 'hash':
    case 'record-sequential':
    case 'record-pipelined':
    case 'read-all':
      return lineMs(r, subject, id)
    case 'sustained-tps': {
      // The highest sustained rate at any offered load: what the chain can carry.
      const ys = seriesPoints(c, LOAD_PLOTS.throughput, LOAD_SERIES.everyNodeTps).map((p) => p.y)
      return ys.length === 0 ? null : Math.max(...ys)
    }
    case 'p50-at-100':
    case 'p99-at-100': {
      const name = id === 'p50-at-100' ? LOAD_SERIES.everyNodeP50 : LOAD_SERIES.everyNodeP99
      return seriesPoints(c, LOAD_PLOTS.latency, name).find((p) => p.x === 100)?.y ?? null
    }
  }
}

/** @throws Error when `results` is empty or the rounds ran with different N or chains. */
export function summarizeRounds(results: readonly BenchRunResult[], files?: readonly string[]): RoundsSummary {
  const first = results[0]
  if (!first) throw new Error('no rounds to summarise')
  const n = first.options.n
  const chains = first.options.chains
  for (const r of results) {
    if (r.options.n !== n || r.options.chains.join(',') !== chains.join(',')) {
      throw new Error(`rounds differ: N=${r.options.n} chains ${r.options.chains.join(',')} against N=${n} chains ${chains.join(',')}`)
    }
  }
  const roleOf = (id: string): ChainRunResult['role'] | undefined => results.flatMap((r) => r.chains).find((c) => c.id === id)?.role
  const subject = chains.find((id) => roleOf(id) === 'subject') ?? null
  const baselines = chains.filter((id) => roleOf(id) === 'baseline')

  const lines: LineOverRounds[] = []
  for (const line of LINE_IDS) {
    for (const chain of chains) {
      const valuesMs = results.map((r) => lineMs(r, chain, line))
      const sorted = sortedNumbers(valuesMs)
      lines.push({
        line, chain, valuesMs,
        medianMs: orNull(percentile(sorted, 0.5)),
        minMs: sorted[0] ?? null,
        maxMs: sorted.at(-1) ?? null,
      })
    }
  }

  const comparisons: LineComparison[] = []
  if (subject !== null) {
    for (const baseline of baselines) {
      for (const line of STEP_IDS) {
        const speedups: number[] = []
        for (const r of results) {
          const s = lineMs(r, subject, line)
          const b = lineMs(r, baseline, line)
          if (s !== null && b !== null && s > 0) speedups.push(b / s)
        }
        comparisons.push({
          subject, baseline, line, rounds: speedups.length,
          wins: speedups.filter((x) => x > 1).length,
          speedups,
          medianSpeedup: orNull(percentile([...speedups].sort((a, b) => a - b), 0.5)),
        })
      }
    }
  }

  const targets: TargetOverRounds[] = subject === null ? [] : TARGETS.map((t) => {
    const limit = t.perHundred ? (t.limit * n) / 100 : t.limit
    const values = results.map((r) => targetValue(r, subject, t.id))
    const met = values.filter((v) => v !== null && (t.atMost ? v <= limit : v >= limit)).length
    return { id: t.id, label: t.label, unit: t.unit, limit, atMost: t.atMost, values, met }
  })

  return { schema: 'medchain-bench-rounds/v1', rounds: results.length, n, chains, subject, lines, comparisons, targets, ...(files ? { files } : {}) }
}

const cell = (v: number | null, unit: 'ms' | 'tx/s'): string => {
  if (v === null) return 'n/a'
  return unit === 'ms' ? formatMs(v) : `${Math.floor(v).toLocaleString('en-US')} tx/s`
}

function timesRows(s: RoundsSummary): string[][] {
  const rows: string[][] = [['line', ...s.chains]]
  for (const line of LINE_IDS) {
    rows.push([
      STEP_LABELS[line],
      ...s.chains.map((chain) => {
        const l = s.lines.find((x) => x.line === line && x.chain === chain)!
        return l.medianMs === null ? 'n/a' : `${formatMs(l.medianMs)} (${formatMs(l.minMs!)}–${formatMs(l.maxMs!)})`
      }),
    ])
  }
  return rows
}

function winsRows(s: RoundsSummary): string[][] {
  const baselines = [...new Set(s.comparisons.map((c) => c.baseline))]
  const rows: string[][] = [['line', ...baselines]]
  for (const line of STEP_IDS) {
    rows.push([
      STEP_LABELS[line],
      ...baselines.map((b) => {
        const c = s.comparisons.find((x) => x.baseline === b && x.line === line)!
        return c.rounds === 0 ? 'n/a' : `${c.wins}/${c.rounds}, ${formatRatio(c.medianSpeedup!)}`
      }),
    ])
  }
  return rows
}

function targetRows(s: RoundsSummary): string[][] {
  const rows: string[][] = [['target', 'limit', 'per round', 'met']]
  for (const t of s.targets) {
    const unmeasured = t.values.filter((v) => v === null).length
    rows.push([t.label, `${t.atMost ? '≤' : '≥'} ${cell(t.limit, t.unit)}`, t.values.map((v) => cell(v, t.unit)).join(' / '),
      `${t.met}/${s.rounds}${unmeasured > 0 ? ` (${unmeasured} not measured)` : ''}`])
  }
  return rows
}

const winsTitle = (s: RoundsSummary): string =>
  `${s.subject} faster than each baseline in how many rounds (median speedup = baseline time / ${s.subject} time):`
const targetsTitle = (s: RoundsSummary): string => `issue 6's targets for ${s.subject} (per-100-record limits scaled to N=${s.n}):`
const verdict = (s: RoundsSummary): string =>
  s.comparisons.every((c) => c.rounds === s.rounds && c.wins === s.rounds)
    ? `${s.subject} beat every baseline on every line in every round`
    : `${s.subject} did not beat every baseline on every line in every round`

/** The summary as terminal text: times per line, wins against each baseline, targets. */
export function formatRounds(s: RoundsSummary): string {
  const out: string[] = []
  // One round's times are the run's own table; several rounds get theirs side by side.
  if (s.rounds > 1) {
    out.push(`${s.rounds} rounds of N=${s.n}, chains ${s.chains.join(', ')} (median, then fastest–slowest):`)
    out.push(renderGrid(timesRows(s)))
  }
  if (s.subject !== null && s.comparisons.length > 0) {
    if (out.length > 0) out.push('')
    out.push(winsTitle(s))
    out.push(renderGrid(winsRows(s)))
    out.push(verdict(s))
  }
  if (s.targets.length > 0) {
    if (out.length > 0) out.push('')
    out.push(targetsTitle(s))
    out.push(renderGrid(targetRows(s)))
  }
  return out.join('\n')
}

/** A self-contained page: the three tables, and each line's time per round for every chain. */
export function renderRoundsHtml(s: RoundsSummary): string {
  const charts = LINE_IDS.map((line) => {
    const chains = line === 'hash' ? s.chains.slice(0, 1) : s.chains // hashing is one step for all chains
    const series: Series[] = chains.map((chain) => ({
      plot: line, plotTitle: STEP_LABELS[line], kind: 'line', name: line === 'hash' ? 'every chain' : chain, xLabel: 'round', yLabel: 'ms',
      points: s.lines.find((l) => l.line === line && l.chain === chain)!.valuesMs.flatMap((y, i) => (y === null ? [] : [{ x: i + 1, y }])),
    }))
    return svgXY(STEP_LABELS[line], series)
  })
  const files = (s.files ?? []).map((f) => `<li>${escapeHtml(f)}</li>`).join('')
  const body = [
    `<h1>medchain benchmark: ${s.rounds} rounds</h1>`,
    `<p>${escapeHtml(`N=${s.n}, chains ${s.chains.join(', ')}, one after another in every round. Medians are nearest-rank (a measured value); wins count the rounds in which ${s.subject ?? 'the subject'} took less time than the baseline on that line.`)}</p>`,
    '<h2>Times (median, then fastest–slowest)</h2>',
    htmlTable(timesRows(s)),
    ...(s.subject !== null && s.comparisons.length > 0 ? [`<h2>Rounds won</h2><p>${escapeHtml(winsTitle(s))}</p>`, htmlTable(winsRows(s)), `<p><b>${escapeHtml(verdict(s))}</b></p>`] : []),
    ...(s.targets.length > 0 ? [`<h2>Targets</h2><p>${escapeHtml(targetsTitle(s))}</p>`, htmlTable(targetRows(s))] : []),
    '<h2>Each round</h2>',
    `<div class="charts">${charts.join('')}</div>`,
    ...(files ? [`<p>Reports of the rounds:</p><ul>${files}</ul>`] : []),
  ].join('\n')
  return htmlPage(`medchain bench, ${s.rounds} rounds`, body, { id: 'bench-rounds', value: s })
}

/** Writes `bench-rounds-<first round's start>.json` and `.html` into `outDir`. */
export async function writeRoundsSummary(s: RoundsSummary, startedAt: string, outDir: string): Promise<{ jsonPath: string; htmlPath: string }> {
  await mkdir(outDir, { recursive: true })
  const base = join(outDir, `bench-rounds-${startedAt.replace(/[:.]/g, '-')}`)
  await writeFile(`${base}.json`, JSON.stringify(s, null, 2) + '\n')
  await writeFile(`${base}.html`, renderRoundsHtml(s))
  return { jsonPath: `${base}.json`, htmlPath: `${base}.html` }
}
