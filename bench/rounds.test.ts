import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { formatRounds, renderRoundsHtml, summarizeRounds, type RoundsSummary } from './rounds.ts'
import { PAPER_FIGURES, STEP_IDS, type BenchRunResult, type ChainRunResult, type Series, type StepId } from './workload.ts'
import { LOAD_PLOTS, LOAD_SERIES } from './medchain/load-series.ts'

type StepTimes = Partial<Record<StepId, number | 'failed'>>

function chain(id: string, role: 'subject' | 'baseline', times: StepTimes, series: Series[] = []): ChainRunResult {
  const steps = STEP_IDS.filter((s) => times[s] !== undefined).map((s) => {
    const t = times[s]!
    return { id: s, ok: t !== 'failed', ms: t === 'failed' ? 5 : t, items: 0, detail: '' }
  })
  return { id, label: id, role, ok: steps.every((s) => s.ok), steps, latency: {}, series }
}

function loadSeries(tps: number[], p50At100: number, p99At100: number): Series[] {
  const line = (plot: string, name: string, points: { x: number; y: number }[]): Series =>
    ({ plot, plotTitle: plot, kind: 'line', name, xLabel: 'offered', yLabel: 'y', points })
  const offered = [100, 500, 1000, 2000]
  return [
    line(LOAD_PLOTS.throughput, LOAD_SERIES.everyNodeTps, offered.map((x, i) => ({ x, y: tps[i]! }))),
    line(LOAD_PLOTS.throughput, LOAD_SERIES.clientNodeTps, offered.map((x) => ({ x, y: 99_999 }))), // not the target's series
    line(LOAD_PLOTS.latency, LOAD_SERIES.everyNodeP50, [{ x: 100, y: p50At100 }, { x: 500, y: 1 }]),
    line(LOAD_PLOTS.latency, LOAD_SERIES.everyNodeP99, [{ x: 100, y: p99At100 }, { x: 500, y: 1 }]),
  ]
}

function round(hashMs: number, chains: ChainRunResult[], n = 100): BenchRunResult {
  return {
    schema: 'medchain-bench/v1', startedAt: '2026-12-02T00:00:00.000Z', finishedAt: '2026-12-02T00:01:00.000Z',
    options: { n, quick: false, seed: 's', chains: chains.map((c) => c.id) },
    machine: { node: 'v24', platform: 'linux-x64', cpus: 2, cpuModel: 'cpu', memoryGB: 8 },
    images: { count: n, totalBytes: 1, meanBytes: 1, minWidth: 1, maxWidth: 1, minHeight: 1, maxHeight: 1, dir: '/x', generateMs: 0, generated: false },
    hashing: { images: n, bytes: 1, ms: hashMs }, paper: PAPER_FIGURES, chains, ok: chains.every((c) => c.ok),
  }
}

// Three rounds: medchain wins one at a time against Ganache in rounds 1 and 3 only, loses it to
// Hardhat every time, fails its read-back in round 2; Hardhat's pipelined step fails in round 3.
const ROUNDS = [
  round(30, [
    chain('medchain', 'subject', { 'record-sequential': 2000, 'record-pipelined': 200, 'read-all': 20 }, loadSeries([99, 496, 979, 1204], 39.1, 84.1)),
    chain('ganache', 'baseline', { 'record-sequential': 2400, 'record-pipelined': 2300, 'read-all': 1700 }),
    chain('hardhat', 'baseline', { 'record-sequential': 500, 'record-pipelined': 500, 'read-all': 400 }),
  ]),
  round(150, [
    chain('medchain', 'subject', { 'record-sequential': 3700, 'record-pipelined': 260, 'read-all': 'failed' }, loadSeries([99, 471, 614, 845], 59, 124.3)),
    chain('ganache', 'baseline', { 'record-sequential': 2410, 'record-pipelined': 2600, 'read-all': 2400 }),
    chain('hardhat', 'baseline', { 'record-sequential': 740, 'record-pipelined': 650, 'read-all': 515 }),
  ]),
  round(27, [
    chain('medchain', 'subject', { 'record-sequential': 2401, 'record-pipelined': 151, 'read-all': 18 }),
    chain('ganache', 'baseline', { 'record-sequential': 2419, 'record-pipelined': 2250, 'read-all': 1754 }),
    chain('hardhat', 'baseline', { 'record-sequential': 527, 'record-pipelined': 'failed', 'read-all': 436 }),
  ]),
]

test('rounds: each line per chain gets its nearest-rank median and range; failed steps are n/a, not zero', () => {
  const s = summarizeRounds(ROUNDS, ['a.json', 'b.json', 'c.json'])
  assert.equal(s.rounds, 3)
  assert.equal(s.subject, 'medchain')
  assert.deepEqual(s.files, ['a.json', 'b.json', 'c.json'])
  const line = (l: string, c: string) => s.lines.find((x) => x.line === l && x.chain === c)!
  assert.deepEqual(line('record-sequential', 'medchain'), { line: 'record-sequential', chain: 'medchain', valuesMs: [2000, 3700, 2401], medianMs: 2401, minMs: 2000, maxMs: 3700 })
  assert.deepEqual(line('read-all', 'medchain').valuesMs, [20, null, 18])
  // Two values: the nearest-rank median is the lower one, a measured value.
  assert.equal(line('read-all', 'medchain').medianMs, 18)
  assert.deepEqual(line('hash', 'ganache').valuesMs, [30, 150, 27])
  const setup = line('setup', 'hardhat')
  assert.deepEqual([setup.medianMs, setup.minMs, setup.maxMs], [null, null, null])
})

test('rounds: wins against each baseline count only rounds where both passed the step', () => {
  const s = summarizeRounds(ROUNDS)
  const cmp = (b: string, l: string) => s.comparisons.find((x) => x.baseline === b && x.line === l)!
  assert.deepEqual([cmp('ganache', 'record-sequential').wins, cmp('ganache', 'record-sequential').rounds], [2, 3])
  assert.equal(cmp('ganache', 'record-sequential').medianSpeedup, 2419 / 2401)
  assert.deepEqual([cmp('hardhat', 'record-sequential').wins, cmp('hardhat', 'record-sequential').rounds], [0, 3])
  assert.deepEqual([cmp('hardhat', 'record-pipelined').wins, cmp('hardhat', 'record-pipelined').rounds], [2, 2])
  assert.deepEqual([cmp('ganache', 'read-all').wins, cmp('ganache', 'read-all').rounds], [2, 2])
  assert.equal(cmp('ganache', 'setup').rounds, 0)
  assert.equal(cmp('ganache', 'setup').medianSpeedup, null)
  assert.equal(s.comparisons.filter((c) => c.baseline === 'medchain').length, 0, 'the subject is not its own baseline')
})

test('rounds: issue 6 targets per round, per-100 limits scaled to N, load targets from the every-node series', () => {
  const s = summarizeRounds(ROUNDS)
  const t = (id: string) => s.targets.find((x) => x.id === id)!
  assert.deepEqual([t('hash').values, t('hash').met], [[30, 150, 27], 2])
  assert.deepEqual([t('record-sequential').met, t('record-pipelined').met], [0, 2])
  assert.deepEqual([t('read-all').values, t('read-all').met], [[20, null, 18], 2])
  // The highest every-node rate at any offered load; the client's-node series is not the target's.
  assert.deepEqual([t('sustained-tps').values, t('sustained-tps').met], [[1204, 845, null], 1])
  assert.deepEqual([t('p50-at-100').values, t('p50-at-100').met], [[39.1, 59, null], 1])
  assert.deepEqual([t('p99-at-100').values, t('p99-at-100').met], [[84.1, 124.3, null], 2])

  const half = summarizeRounds([round(19, [chain('medchain', 'subject', { 'record-sequential': 760, 'record-pipelined': 130, 'read-all': 26 })], 50)])
  const h = (id: string) => half.targets.find((x) => x.id === id)!
  assert.deepEqual([h('hash').limit, h('record-sequential').limit, h('record-pipelined').limit, h('read-all').limit], [20, 750, 125, 25])
  assert.deepEqual([h('hash').met, h('record-sequential').met, h('record-pipelined').met, h('read-all').met], [1, 0, 0, 0])
  assert.equal(h('sustained-tps').limit, 1000, 'load targets do not scale with N')
})

test('rounds: the text says which lines were won, which targets met, and never claims a clean sweep it lacks', () => {
  const text = formatRounds(summarizeRounds(ROUNDS))
  assert.match(text, /3 rounds of N=100/)
  assert.match(text, /record, one at a time \(wait for finality each\)\s+2,401 ms \(2,000 ms–3,700 ms\)/)
  assert.match(text, /medchain did not beat every baseline on every line in every round/)
  assert.match(text, /records one at a time\s+≤ 1,500 ms\s+2,000 ms \/ 3,700 ms \/ 2,401 ms\s+0\/3/)
  assert.match(text, /sustained tx\/s, final on every node\s+≥ 1,000 tx\/s\s+1,204 tx\/s \/ 845 tx\/s \/ n\/a\s+1\/3 \(1 not measured\)/)
  const one = formatRounds(summarizeRounds([ROUNDS[0]!]))
  assert.doesNotMatch(one, /rounds of N=/, 'one round: its own table already has the times')
  assert.match(one, /1\/1/)
})

test('rounds: the HTML page has the three tables, a chart per line and the summary as JSON', () => {
  const s = summarizeRounds(ROUNDS, ['<b>a.json</b>'])
  const html = renderRoundsHtml(s)
  assert.match(html, /^<!doctype html>/)
  assert.equal((html.match(/<table>/g) ?? []).length, 3)
  assert.equal((html.match(/<svg /g) ?? []).length, 7, 'hash and the six steps')
  assert.ok(html.includes('&lt;b&gt;a.json&lt;/b&gt;') && !html.includes('<b>a.json</b>'), 'file names are escaped')
  assert.match(html, /medchain did not beat every baseline on every line in every round/)
  const json = /<script type="application\/json" id="bench-rounds">(.*)<\/script>/s.exec(html)?.[1]
  assert.ok(json)
  assert.deepEqual(JSON.parse(json), JSON.parse(JSON.stringify(s)))
})

test('rounds: nothing to summarise, or rounds that ran differently, is an error', () => {
  assert.throws(() => summarizeRounds([]), /no rounds/)
  assert.throws(() => summarizeRounds([ROUNDS[0]!, round(30, ROUNDS[0]!.chains, 50)]), /rounds differ/)
})

test('npm run bench -- --rounds 2 runs the workload twice and writes the rounds summary (JSON and HTML) beside the reports', { timeout: 120_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'bench-rounds-'))
  try {
    const run = fileURLToPath(new URL('./run.ts', import.meta.url))
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', run, '--chains', 'memory', '--n', '2', '--rounds', '2', '--out', dir, '--images', join(dir, 'images')], { timeout: 100_000 })
    assert.match(stdout, /round 1 of 2/)
    assert.match(stdout, /round 2 of 2/)
    const path = /rounds JSON: (.+)\n/.exec(stdout)?.[1]
    assert.ok(path, stdout)
    const htmlPath = /rounds HTML: (.+)\n/.exec(stdout)?.[1]
    assert.ok(htmlPath, stdout)
    assert.match(await readFile(htmlPath, 'utf8'), /<h1>medchain benchmark: 2 rounds<\/h1>/)
    const summary = JSON.parse(await readFile(path, 'utf8')) as RoundsSummary
    assert.equal(summary.schema, 'medchain-bench-rounds/v1')
    assert.equal(summary.rounds, 2)
    assert.equal(summary.files?.length, 2)
    for (const f of summary.files!) assert.equal((JSON.parse(await readFile(f, 'utf8')) as BenchRunResult).options.n, 2)
    assert.equal(summary.lines.find((l) => l.line === 'record-sequential')!.valuesMs.filter((v) => v !== null).length, 2)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})
