/**
 * Presenting a benchmark run: live progress on the terminal, the result table, the JSON file and
 * a self-contained HTML report (inline SVG, no external assets, the raw JSON embedded).
 *
 * Everything but `createTerminalProgress` and `writeReports` is a pure function of the
 * `BenchRunResult`, so tests check the output without a terminal or a chain.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { STEP_IDS, STEP_LABELS, type BenchRunResult, type ChainRunResult, type ProgressSink, type Series, type StepId } from './workload.ts'
import { formatKernelCosts } from './kernel-costs.ts'

// ---------------------------------------------------------------------------------------------
// Progress

interface ProgressStream {
  write(s: string): unknown
  readonly isTTY?: boolean
}

/**
 * Progress lines on a stream (stderr by default, so stdout keeps only the table). On a terminal
 * the current step's counter is rewritten in place; elsewhere (CI logs) a line per quarter.
 */
export function createTerminalProgress(stream: ProgressStream = process.stderr): ProgressSink {
  const tty = stream.isTTY === true
  let lastQuarter = -1
  let open = false
  const endLine = (): void => {
    if (open) stream.write('\n')
    open = false
  }
  return {
    stepStart(chain, step, total) {
      endLine()
      lastQuarter = -1
      const what = `[${chain}] ${step}${total > 0 ? ` 0/${total}` : ''} …`
      if (tty) {
        stream.write(what)
        open = true
      } else {
        stream.write(what + '\n')
      }
    },
    stepProgress(chain, step, done, total) {
      if (tty) {
        stream.write(`\r\x1b[K[${chain}] ${step} ${done}/${total}`)
        open = true
        return
      }
      const quarter = total > 0 ? Math.floor((4 * done) / total) : 4
      if (quarter > lastQuarter && quarter < 4) {
        lastQuarter = quarter
        if (quarter > 0) stream.write(`[${chain}] ${step} ${done}/${total}\n`)
      }
    },
    stepEnd(chain, step, ok, ms, detail) {
      if (tty) stream.write('\r\x1b[K')
      open = false
      stream.write(`[${chain}] ${step} ${ok ? 'ok' : 'FAILED'} in ${formatMs(ms)}: ${detail}\n`)
    },
    note(chain, message) {
      endLine()
      stream.write(`[${chain}] ${message}\n`)
    },
  }
}

// ---------------------------------------------------------------------------------------------
// Numbers

export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '—'
  if (ms < 10) return `${ms.toFixed(2)} ms`
  if (ms < 1000) return `${ms.toFixed(1)} ms`
  return `${Math.round(ms).toLocaleString('en-US')} ms`
}

/**
 * A ratio with three significant digits, cut rather than rounded, so a headline never shows more
 * than was measured (127.85 is 127×, 14.17 is 14.1×, 0.8398 is 0.83×).
 */
export function formatRatio(r: number): string {
  if (!Number.isFinite(r)) return '—'
  const decimals = r >= 100 ? 0 : r >= 10 ? 1 : 2
  const scale = 10 ** decimals
  return `${(Math.floor(r * scale + 1e-9) / scale).toFixed(decimals)}×`
}

/** The paper's figure for a step, scaled linearly from its 100 images to n, or undefined. */
export function paperMsFor(result: BenchRunResult, step: StepId | 'hash'): number | undefined {
  const { n } = result.options
  if (step === 'hash') return (result.paper.hashMs * n) / result.paper.images
  if (step === 'record-sequential') return (result.paper.uploadMs * n) / result.paper.images
  return undefined
}

export interface HeadlineRatio {
  readonly subject: string
  /** A chain id or `paper`. */
  readonly reference: string
  readonly step: StepId | 'hash'
  readonly subjectMs: number
  readonly referenceMs: number
  /** referenceMs / subjectMs: above 1 the subject is faster. */
  readonly speedup: number
}

/** Every timed step: a line left out of the headline would hide the lines medchain loses. */
const COMPARED_STEPS: readonly StepId[] = ['record-sequential', 'record-pipelined', 'read-profile', 'read-all', 'revoke-refused', 'setup']

/** A step's time, if the chain ran it and passed its checks. */
export function stepMs(c: ChainRunResult, step: StepId): number | undefined {
  const s = c.steps.find((x) => x.id === step)
  return s && s.ok ? s.ms : undefined
}

/**
 * The headline: every subject (medchain) against every Ethereum baseline, step by step, and every
 * chain's sequential upload against the paper's. Only verified steps count.
 */
export function headlineRatios(result: BenchRunResult): HeadlineRatio[] {
  const out: HeadlineRatio[] = []
  const subjects = result.chains.filter((c) => c.role === 'subject')
  const baselines = result.chains.filter((c) => c.role === 'baseline')
  for (const s of subjects) {
    for (const b of baselines) {
      for (const step of COMPARED_STEPS) {
        const sm = stepMs(s, step)
        const bm = stepMs(b, step)
        if (sm !== undefined && bm !== undefined && sm > 0) {
          out.push({ subject: s.id, reference: b.id, step, subjectMs: sm, referenceMs: bm, speedup: bm / sm })
        }
      }
    }
  }
  const paperUpload = paperMsFor(result, 'record-sequential')!
  for (const c of [...subjects, ...baselines]) {
    const ms = stepMs(c, 'record-sequential')
    if (ms !== undefined && ms > 0) {
      out.push({ subject: c.id, reference: 'paper', step: 'record-sequential', subjectMs: ms, referenceMs: paperUpload, speedup: paperUpload / ms })
    }
  }
  return out
}

// ---------------------------------------------------------------------------------------------
// Terminal table

function pad(s: string, w: number, right = false): string {
  return right ? s.padStart(w) : s.padEnd(w)
}

/** Columns padded to their widest cell; body cells after the first column right-aligned. */
export function renderGrid(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)))
  return rows.map((r, ri) => r.map((cell, i) => pad(cell, widths[i]!, i > 0 && ri > 0)).join('  ')).join('\n')
}

/** Rows = steps, columns = chains + the paper's figure scaled to N. */
export function stepTableRows(result: BenchRunResult): string[][] {
  const head = ['step', ...result.chains.map((c) => c.id), `paper (×${result.options.n}/100)`]
  const rows: string[][] = [head]
  rows.push([STEP_LABELS.hash, ...result.chains.map(() => formatMs(result.hashing.ms)), formatMs(paperMsFor(result, 'hash')!)])
  for (const step of STEP_IDS) {
    const paper = paperMsFor(result, step)
    rows.push([
      STEP_LABELS[step],
      ...result.chains.map((c) => {
        const s = c.steps.find((x) => x.id === step)
        if (!s) return 'not run'
        return s.ok ? formatMs(s.ms) : `FAILED ${formatMs(s.ms)}`
      }),
      paper === undefined ? '—' : formatMs(paper),
    ])
  }
  return rows
}

export function formatTable(result: BenchRunResult): string {
  const lines: string[] = []
  const im = result.images
  lines.push(
    `medchain bench — ${result.options.n} images (${im.minWidth}–${im.maxWidth} × ${im.minHeight}–${im.maxHeight} px, ` +
      `mean ${(im.meanBytes / 1024).toFixed(0)} KB, ${(im.totalBytes / 1e6).toFixed(1)} MB), ${result.machine.cpus} × ${result.machine.cpuModel}, Node ${result.machine.node}`,
  )
  if (result.machine.kernel) lines.push(`kernel at the start: ${formatKernelCosts(result.machine.kernel)}`)
  for (const c of result.chains) lines.push(`  ${c.id}: ${c.label}${c.ok ? '' : `  — FAILED: ${c.error?.message ?? 'a step failed'}`}`)
  lines.push('')
  lines.push(renderGrid(stepTableRows(result)))
  lines.push('')
  const perRecord: string[][] = [['per record', ...result.chains.map((c) => c.id)]]
  for (const step of ['record-sequential', 'record-pipelined', 'read-all'] as const) {
    perRecord.push([
      step,
      ...result.chains.map((c) => {
        const s = c.steps.find((x) => x.id === step)
        return s && s.ok && s.items > 0 ? `${formatMs(s.ms / s.items)} (${Math.round((1000 * s.items) / s.ms)}/s)` : '—'
      }),
    ])
  }
  perRecord.push([
    'latency p50/p99 (seq)',
    ...result.chains.map((c) => (c.latency.sequential ? `${formatMs(c.latency.sequential.p50Ms)} / ${formatMs(c.latency.sequential.p99Ms)}` : '—')),
  ])
  lines.push(renderGrid(perRecord))
  for (const c of result.chains) {
    for (const t of c.tables ?? []) {
      lines.push('')
      lines.push(`${t.title}:`)
      lines.push(renderGrid([[...t.columns], ...t.rows.map((r) => [...r])]).replace(/^/gm, '  '))
    }
  }
  const ratios = headlineRatios(result)
  if (ratios.length > 0) {
    lines.push('')
    lines.push('headline (reference time / subject time; above 1× the subject is faster):')
    for (const r of ratios) {
      lines.push(`  ${r.subject} vs ${r.reference}, ${r.step}: ${formatRatio(r.speedup)} (${formatMs(r.subjectMs)} vs ${formatMs(r.referenceMs)})`)
    }
  }
  lines.push('')
  lines.push(result.ok ? 'all checks passed' : 'SOME CHECKS FAILED (see above)')
  return lines.join('\n')
}

// ---------------------------------------------------------------------------------------------
// HTML

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;')
}

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#17becf']
const PAPER_COLOR = '#7f7f7f'

function niceMax(v: number): number {
  if (!(v > 0)) return 1
  const p = 10 ** Math.floor(Math.log10(v))
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p
  return 10 * p
}

function fmtTick(v: number): string {
  if (v === 0) return '0'
  // Ticks fall on quarters of a 1 / 2 / 2.5 / 5 step: 1,250 is 1.25k and 37.5 stays 37.5.
  if (Math.abs(v) >= 1000) return `${+(v / 1000).toFixed(2)}k`
  if (Math.abs(v) >= 10) return `${+v.toFixed(1)}`
  return +v.toFixed(2) + ''
}

/** Horizontal bars, one per entry, on a linear axis from 0. */
export function svgBars(title: string, entries: readonly { label: string; value: number; color: string; note?: string }[]): string {
  const rowH = 22
  const left = 150
  const width = 460
  const plotW = width - left - 90
  const height = 30 + entries.length * rowH + 24
  const max = niceMax(Math.max(...entries.map((e) => e.value), 0))
  const parts: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" role="img" aria-label="${escapeHtml(title)}">`]
  parts.push(`<text x="4" y="16" font-size="13" font-weight="bold">${escapeHtml(title)}</text>`)
  entries.forEach((e, i) => {
    const y = 28 + i * rowH
    const w = Math.max(1, (e.value / max) * plotW)
    parts.push(`<text x="${left - 6}" y="${y + 14}" font-size="12" text-anchor="end">${escapeHtml(e.label)}</text>`)
    parts.push(`<rect x="${left}" y="${y + 2}" width="${w.toFixed(1)}" height="${rowH - 6}" fill="${e.color}"><title>${escapeHtml(`${e.label}: ${formatMs(e.value)}`)}</title></rect>`)
    parts.push(`<text x="${(left + w + 4).toFixed(1)}" y="${y + 14}" font-size="11">${escapeHtml(e.note ?? formatMs(e.value))}</text>`)
  })
  const axisY = 28 + entries.length * rowH + 4
  parts.push(`<line x1="${left}" y1="${axisY}" x2="${left + plotW}" y2="${axisY}" stroke="#999"/>`)
  for (let t = 0; t <= 4; t++) {
    const x = left + (t / 4) * plotW
    parts.push(`<text x="${x.toFixed(1)}" y="${axisY + 14}" font-size="10" text-anchor="middle" fill="#555">${fmtTick((t / 4) * max)}</text>`)
  }
  parts.push('</svg>')
  return parts.join('')
}

/** An x/y chart: histogram series as bars, line series as polylines with markers. */
export function svgXY(title: string, series: readonly Series[]): string {
  const width = 520
  const height = 280
  const m = { l: 56, r: 16, t: 28, b: 44 }
  const pw = width - m.l - m.r
  const ph = height - m.t - m.b
  const pts = series.flatMap((s) => s.points)
  const parts: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height + 18 * series.length}" role="img" aria-label="${escapeHtml(title)}">`]
  parts.push(`<text x="4" y="16" font-size="13" font-weight="bold">${escapeHtml(title)}</text>`)
  if (pts.length === 0) {
    parts.push(`<text x="${m.l}" y="${m.t + 20}" font-size="12">no data</text></svg>`)
    return parts.join('')
  }
  const xs = pts.map((p) => p.x)
  const isHist = series.every((s) => s.kind === 'histogram')
  let xMin = Math.min(...xs)
  let xMax = Math.max(...xs)
  if (isHist) {
    // pad by half a bin so the outer bars are whole
    const bin = series[0]!.points.length > 1 ? series[0]!.points[1]!.x - series[0]!.points[0]!.x : Math.max(1, xMax * 0.1)
    xMin -= bin / 2
    xMax += bin / 2
    xMin = Math.max(0, xMin)
  }
  if (xMax === xMin) xMax = xMin + 1
  const yMax = niceMax(Math.max(...pts.map((p) => p.y)))
  const sx = (x: number): number => m.l + ((x - xMin) / (xMax - xMin)) * pw
  const sy = (y: number): number => m.t + ph - (y / yMax) * ph
  parts.push(`<rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}" fill="none" stroke="#ccc"/>`)
  for (let t = 0; t <= 4; t++) {
    const yv = (t / 4) * yMax
    parts.push(`<text x="${m.l - 4}" y="${(sy(yv) + 4).toFixed(1)}" font-size="10" text-anchor="end" fill="#555">${fmtTick(yv)}</text>`)
    const xv = xMin + (t / 4) * (xMax - xMin)
    parts.push(`<text x="${sx(xv).toFixed(1)}" y="${m.t + ph + 14}" font-size="10" text-anchor="middle" fill="#555">${fmtTick(xv)}</text>`)
  }
  parts.push(`<text x="${m.l + pw / 2}" y="${m.t + ph + 32}" font-size="11" text-anchor="middle">${escapeHtml(series[0]!.xLabel)}</text>`)
  parts.push(`<text x="12" y="${m.t + ph / 2}" font-size="11" text-anchor="middle" transform="rotate(-90 12 ${m.t + ph / 2})">${escapeHtml(series[0]!.yLabel)}</text>`)
  series.forEach((s, si) => {
    const color = PALETTE[si % PALETTE.length]!
    if (s.kind === 'histogram') {
      const n = s.points.length
      const bin = n > 1 ? s.points[1]!.x - s.points[0]!.x : (xMax - xMin) / 2
      const bw = Math.max(1, (bin / (xMax - xMin)) * pw / series.length)
      for (const p of s.points) {
        const x = sx(p.x - bin / 2) + si * bw
        parts.push(`<rect x="${x.toFixed(1)}" y="${sy(p.y).toFixed(1)}" width="${(bw - 0.5).toFixed(1)}" height="${(m.t + ph - sy(p.y)).toFixed(1)}" fill="${color}" fill-opacity="0.8"><title>${escapeHtml(`${s.name}: ${fmtTick(p.x)} → ${p.y}`)}</title></rect>`)
      }
    } else {
      const sorted = [...s.points].sort((a, b) => a.x - b.x)
      parts.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${sorted.map((p) => `${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(' ')}"/>`)
      for (const p of sorted) {
        parts.push(`<circle cx="${sx(p.x).toFixed(1)}" cy="${sy(p.y).toFixed(1)}" r="3" fill="${color}"><title>${escapeHtml(`${s.name}: (${fmtTick(p.x)}, ${fmtTick(p.y)})`)}</title></circle>`)
      }
    }
    const ly = height + 4 + si * 18
    parts.push(`<rect x="${m.l}" y="${ly}" width="12" height="12" fill="${color}"/><text x="${m.l + 18}" y="${ly + 11}" font-size="11">${escapeHtml(s.name)}</text>`)
  })
  parts.push('</svg>')
  return parts.join('')
}

/** Groups series by plot id; histograms with different ranges get one chart per series. */
function seriesCharts(result: BenchRunResult): string[] {
  const groups = new Map<string, Series[]>()
  for (const c of result.chains) for (const s of c.series) groups.set(s.plot, [...(groups.get(s.plot) ?? []), s])
  const charts: string[] = []
  for (const list of groups.values()) {
    const title = list[0]!.plotTitle
    if (list.every((s) => s.kind === 'histogram')) {
      for (const s of list) charts.push(svgXY(`${title}: ${s.name}`, [s]))
    } else {
      charts.push(svgXY(title, list))
    }
  }
  return charts
}

export function renderHtml(result: BenchRunResult): string {
  const colors = new Map(result.chains.map((c, i) => [c.id, PALETTE[i % PALETTE.length]!]))
  const ratios = headlineRatios(result)
  const im = result.images
  const stepCharts: string[] = []
  const hashPaper = paperMsFor(result, 'hash')!
  stepCharts.push(
    svgBars(STEP_LABELS.hash, [
      { label: 'this machine', value: result.hashing.ms, color: PALETTE[0]! },
      { label: 'paper (scaled)', value: hashPaper, color: PAPER_COLOR },
    ]),
  )
  for (const step of STEP_IDS) {
    const entries: { label: string; value: number; color: string; note?: string }[] = []
    for (const c of result.chains) {
      const s = c.steps.find((x) => x.id === step)
      if (s && s.ok) entries.push({ label: c.id, value: s.ms, color: colors.get(c.id)! })
    }
    const paper = paperMsFor(result, step)
    if (paper !== undefined) entries.push({ label: 'paper (scaled)', value: paper, color: PAPER_COLOR })
    if (entries.length > 0) stepCharts.push(svgBars(STEP_LABELS[step], entries))
  }
  const driverTables = result.chains
    .flatMap((c) => c.tables ?? [])
    .map((t) => `<h3>${escapeHtml(t.title)}</h3>${htmlTable([t.columns, ...t.rows])}`)
    .join('')
  const table = htmlTable(stepTableRows(result))
  const headline =
    ratios.length === 0
      ? '<p>No verified steps to compare.</p>'
      : `<div class="cards">${ratios
          .map(
            (r) =>
              `<div class="card"><div class="big">${escapeHtml(formatRatio(r.speedup))}</div><div>${escapeHtml(`${r.subject} vs ${r.reference}`)}</div><div class="small">${escapeHtml(`${r.step}: ${formatMs(r.subjectMs)} vs ${formatMs(r.referenceMs)}`)}</div></div>`,
          )
          .join('')}</div>`
  const chainList = result.chains
    .map((c) => `<li><b>${escapeHtml(c.id)}</b> (${escapeHtml(c.role)}): ${escapeHtml(c.label)} — ${c.ok ? 'all checks passed' : `<span class="bad">FAILED: ${escapeHtml(c.error?.message ?? 'a step failed')}</span>`}</li>`)
    .join('')
  return htmlPage(`medchain bench ${result.startedAt}`, `<h1>medchain benchmark</h1>
<p>${escapeHtml(`${result.startedAt} → ${result.finishedAt}; ${result.machine.cpus} × ${result.machine.cpuModel}, ${result.machine.memoryGB} GB, Node ${result.machine.node}, ${result.machine.platform}${result.machine.kernel ? `; kernel at the start: ${formatKernelCosts(result.machine.kernel)}` : ''}`)}</p>
<p>${escapeHtml(`${im.count} generated chest-X-ray-like JPEGs, ${im.minWidth}–${im.maxWidth} × ${im.minHeight}–${im.maxHeight} px, mean ${(im.meanBytes / 1024).toFixed(0)} KB, total ${(im.totalBytes / 1e6).toFixed(1)} MB. Paper: ${result.paper.images} Kaggle chest X-rays on Ganache with ${result.paper.nodes} nodes (i7-7700HQ); its figures are scaled linearly to N.`)}</p>
<ul>${chainList}</ul>
<h2>Headline</h2>
<p class="small">reference time ÷ subject time, verified steps only; above 1× the subject is faster.</p>
${headline}
<h2>Steps</h2>
${table}
<div class="charts">${stepCharts.join('')}</div>
<h2>Latency and load</h2>
<div class="charts">${seriesCharts(result).join('')}</div>
${driverTables}`, { id: 'bench-result', value: result })
}

/** The header row, then body rows; body cells after the first column right-aligned. */
export function htmlTable(rows: readonly (readonly string[])[]): string {
  return [
    '<table><thead><tr>',
    ...rows[0]!.map((h) => `<th>${escapeHtml(h)}</th>`),
    '</tr></thead><tbody>',
    ...rows.slice(1).map((r) => `<tr>${r.map((c, i) => (i === 0 ? `<td>${escapeHtml(c)}</td>` : `<td class="num">${escapeHtml(c)}</td>`)).join('')}</tr>`),
    '</tbody></table>',
  ].join('')
}

/** A self-contained report page; `data` is embedded as JSON in `<script id=…>` for tools. */
export function htmlPage(title: string, body: string, data: { id: string; value: unknown }): string {
  const json = JSON.stringify(data.value).replace(/</g, '\\u003c')
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:24px;max-width:1100px;color:#222}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ddd;padding:4px 8px}td.num{text-align:right;font-variant-numeric:tabular-nums}
.cards{display:flex;flex-wrap:wrap;gap:10px}.card{border:1px solid #ccc;border-radius:6px;padding:8px 12px;min-width:180px}
.big{font-size:26px;font-weight:bold}.small{font-size:12px;color:#555}.bad{color:#b00}
.charts{display:flex;flex-wrap:wrap;gap:16px}
</style></head><body>
${body}
<script type="application/json" id="${escapeHtml(data.id)}">${json}</script>
</body></html>
`
}

export interface WrittenReports {
  readonly jsonPath: string
  readonly htmlPath: string
}

/** Writes `bench-<timestamp>.json` and `.html` into `outDir` (created if missing). */
export async function writeReports(result: BenchRunResult, outDir: string): Promise<WrittenReports> {
  await mkdir(outDir, { recursive: true })
  const stamp = result.startedAt.replace(/[:.]/g, '-')
  const jsonPath = join(outDir, `bench-${stamp}.json`)
  const htmlPath = join(outDir, `bench-${stamp}.html`)
  await writeFile(jsonPath, JSON.stringify(result, null, 2) + '\n')
  await writeFile(htmlPath, renderHtml(result))
  return { jsonPath, htmlPath }
}
