import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { createMedchainDriverFactory, defaultBenchProcesses } from './medchain-driver.ts'
import { runChain, type BenchRunResult } from './workload.ts'
import { formatTable, renderHtml } from './report.ts'
import { readProcessUsage, readProcStat, parseProcStat, parseProcStatCpuMs, parseProcStatusKb } from './medchain/process-usage.ts'

test('process usage: /proc stat and status parse (command names with spaces and parentheses)', () => {
  const stat = '1234 (node (x) y) S 1 2 3 4 5 6 7 8 9 10 250 50 0 0 20 0 12 0 100 0 0'
  assert.equal(parseProcStatCpuMs(stat, 100), 3000)
  assert.deepEqual(parseProcStat(stat, 100), { cpuMs: 3000, minorFaults: 7 })
  assert.throws(() => parseProcStat('1234 (node) S 1 2'), /no minflt\/utime\/stime/)
  assert.equal(parseProcStatusKb('Name:\tnode\nVmHWM:\t  2048 kB\nVmRSS:\t  1024 kB\n', 'VmRSS'), 1024 * 1024)
  assert.equal(parseProcStatusKb('Name:\tnode\n', 'VmRSS'), 0)
  assert.equal(readProcessUsage(undefined), undefined)
  if (process.platform === 'linux') {
    assert.ok(readProcessUsage(process.pid)!.rssBytes > 0)
    assert.ok(readProcStat(process.pid)!.minorFaults > 0)
  }
})

test('defaultBenchProcesses: one node process per core, never more than the validators', () => {
  assert.equal(defaultBenchProcesses(10, 2), 2)
  assert.equal(defaultBenchProcesses(4, 8), 4)
  assert.equal(defaultBenchProcesses(1, 2), 1)
  assert.equal(defaultBenchProcesses(10, 0), 1)
})

test('medchain driver: the paper walk-through on a real 4-validator testnet in 2 processes passes every check, with a 1-second load step', { timeout: 120_000 }, async () => {
  const hashes = ['xray-1', 'xray-2', 'xray-3'].map((s) => createHash('sha256').update(s).digest('hex'))
  const notes: string[] = []
  const factory = createMedchainDriverFactory({ validators: 4, processes: 2, loadRates: [40], loadSecondsPerRate: 1, blockIntervalMs: 500 })
  const chain = await runChain(factory, 'medchain', {
    hashes,
    progress: { stepStart() {}, stepProgress() {}, stepEnd() {}, note: (_c, m) => void notes.push(m) },
  })
  assert.equal(chain.ok, true, `${chain.error?.message ?? ''}\n${notes.join('\n')}`)
  assert.equal(chain.role, 'subject')
  assert.match(chain.label, /4 BFT validators \(quorum 3\), in 2 processes \(node i in process i mod 2\)/)
  assert.deepEqual(chain.steps.map((s) => [s.id, s.ok]), [
    ['setup', true], ['record-sequential', true], ['record-pipelined', true], ['read-profile', true], ['read-all', true], ['revoke-refused', true],
  ])
  assert.match(chain.steps.find((s) => s.id === 'read-profile')!.detail, /19970522, 0912-321-456/)
  assert.match(chain.steps.find((s) => s.id === 'revoke-refused')!.detail, /REQUIRE_FAILED/)
  const plots = new Set(chain.series.map((s) => s.plot))
  for (const p of ['throughput-vs-offered-load', 'latency-vs-offered-load']) assert.ok(plots.has(p), p)
  for (const name of ['medchain, final on every node', "medchain, final at the client's node"]) {
    const tput = chain.series.find((s) => s.plot === 'throughput-vs-offered-load' && s.name === name)!
    assert.equal(tput.points.length, 1, name)
    assert.ok(tput.points[0]!.y > 0, name)
  }
  const [load, nodes] = chain.tables ?? []
  assert.equal(load?.rows.length, 1)
  const column = (name: string): string | undefined => load?.rows[0]?.[load.columns.indexOf(name)]
  assert.equal(column('not final'), '0', 'every load tx became final, on every node')
  assert.ok(Number(column('all nodes tx/s')) > 0)
  // Final everywhere is not before final at the client's node (two sockets: allow their ordering a few ms).
  assert.ok(Number(column('all p50 ms')) >= Number(column('p50 ms')) - 5)
  assert.deepEqual(nodes?.rows.map((r) => r[0]), ['node0+node2', 'node1+node3'])
  const perNode = nodes!.columns.indexOf('RSS MB per node')
  for (const r of nodes!.rows) assert.ok(Number(r[perNode]) > 0 && Number(r[perNode]) < Number(r[nodes!.columns.indexOf('RSS MB')]), r.join(' '))
  // The report shows the chain and its tables.
  const result = {
    schema: 'medchain-bench/v1', startedAt: 'a', finishedAt: 'b', options: { n: 3, quick: true, seed: 's', chains: ['medchain'] },
    machine: { node: process.version, platform: 'x', cpus: 2, cpuModel: 'cpu', memoryGB: 1 },
    images: { count: 3, totalBytes: 3, meanBytes: 1, minWidth: 1, maxWidth: 1, minHeight: 1, maxHeight: 1, dir: '/tmp', generateMs: 0, generated: false },
    hashing: { images: 3, bytes: 3, ms: 1 }, paper: { images: 100, nodes: 10, hashMs: 685, uploadMs: 56_830 }, chains: [chain], ok: true,
  } satisfies BenchRunResult
  const table = formatTable(result)
  assert.match(table, /medchain node processes during the load sweep/)
  assert.match(renderHtml(result), /medchain under offered load/)
})
