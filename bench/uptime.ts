/**
 * The pure part of `npm run bench:uptime`: one-at-a-time records in passes on one running chain,
 * so the table shows how a chain's latency moves as its processes have been up longer (the
 * nodes' JIT keeps tiering up for hundreds of heights; `npm run bench` measures only the first
 * pass after setup). Option parsing, per-pass summaries and the table; the script
 * (uptime.bench.ts) runs the drivers.
 */
import { BenchError, BenchErrorCode } from './errors.ts'
import { formatMs, formatRatio, renderGrid } from './report.ts'
import { summarizeLatencies } from './workload.ts'

export const DEFAULT_PASSES = 5

export interface UptimeArgs {
  readonly passes: number
  /** Everything else, for bench/run.ts `parseCliOptions` (--n, --chains, --out, --validators, --processes, --eth-client). */
  readonly rest: string[]
}

/** Takes `--passes P` (1..100) out of the arguments. @throws BenchError BAD_OPTION */
export function parseUptimeArgs(argv: readonly string[]): UptimeArgs {
  let passes = DEFAULT_PASSES
  const rest: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    if (a !== '--passes' && !a.startsWith('--passes=')) {
      rest.push(a)
      continue
    }
    const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i]
    const p = Number(v)
    if (v === undefined || !Number.isInteger(p) || p < 1 || p > 100) throw new BenchError(BenchErrorCode.BAD_OPTION, `--passes must be an integer 1..100, got ${v ?? 'nothing'}`)
    passes = p
  }
  return { passes, rest }
}

export interface PassSummary {
  /** 1 = the first N records after setup. */
  readonly pass: number
  readonly records: number
  /** Wall time of the whole pass, measured around the driver's `recordSequential`. */
  readonly wallMs: number
  readonly p50Ms: number
  readonly p99Ms: number
}

export function summarisePass(pass: number, wallMs: number, latenciesMs: readonly number[]): PassSummary {
  const s = summarizeLatencies(latenciesMs)
  if (!s) throw new BenchError(BenchErrorCode.VERIFY_FAILED, `pass ${pass} returned no latencies`)
  return { pass, records: s.count, wallMs, p50Ms: s.p50Ms, p99Ms: s.p99Ms }
}

export interface UptimeChainResult {
  readonly id: string
  readonly label: string
  readonly passes: readonly PassSummary[]
}

/** One row per pass, one column per chain: `wall (p50 / p99)`; then medchain's ratio per pass. */
export function formatUptimeTable(chains: readonly UptimeChainResult[]): string {
  const passCount = Math.max(0, ...chains.map((c) => c.passes.length))
  const header = ['pass', ...chains.map((c) => c.id)]
  const rows: string[][] = []
  for (let p = 0; p < passCount; p++) {
    // Every chain records the same N per pass.
    const n = chains.find((c) => c.passes[p])?.passes[p]?.records ?? 0
    rows.push([
      `${p + 1} (records ${p * n + 1}–${(p + 1) * n})`,
      ...chains.map((c) => {
        const s = c.passes[p]
        return s ? `${formatMs(s.wallMs)} (${formatMs(s.p50Ms)} / ${formatMs(s.p99Ms)})` : '—'
      }),
    ])
  }
  const out = [renderGrid([header, ...rows])]
  const subject = chains.find((c) => c.id === 'medchain')
  for (const base of chains) {
    if (!subject || base === subject) continue
    const ratios = subject.passes.map((s, p) => {
      const b = base.passes[p]
      return b ? formatRatio(b.wallMs / s.wallMs) : '—'
    })
    out.push(`medchain vs ${base.id} per pass (${base.id} time / medchain time): ${ratios.join(', ')}`)
  }
  return out.join('\n')
}
