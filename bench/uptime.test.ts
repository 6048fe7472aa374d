import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { isBenchError } from './errors.ts'
import { DEFAULT_PASSES, formatUptimeTable, parseUptimeArgs, summarisePass } from './uptime.ts'

test('--passes is taken out of the arguments; the rest goes on to the bench options', () => {
  assert.deepEqual(parseUptimeArgs([]), { passes: DEFAULT_PASSES, rest: [] })
  assert.deepEqual(parseUptimeArgs(['--n', '7', '--passes', '3', '--chains', 'memory']), { passes: 3, rest: ['--n', '7', '--chains', 'memory'] })
  assert.deepEqual(parseUptimeArgs(['--passes=2']), { passes: 2, rest: [] })
  for (const bad of [['--passes'], ['--passes', '0'], ['--passes', '101'], ['--passes=x']]) {
    assert.throws(() => parseUptimeArgs(bad), (e: unknown) => isBenchError(e), bad.join(' '))
  }
})

test('a pass is summarised from its wall time and its records; the table has a row per pass and the ratios', () => {
  const s = summarisePass(2, 150, [10, 30, 20, 40, 50])
  assert.deepEqual(s, { pass: 2, records: 5, wallMs: 150, p50Ms: 30, p99Ms: 50 })
  assert.throws(() => summarisePass(1, 1, []), (e: unknown) => isBenchError(e))
  const table = formatUptimeTable([
    { id: 'medchain', label: 'm', passes: [summarisePass(1, 2000, [20, 20]), summarisePass(2, 1000, [10, 10])] },
    { id: 'hardhat', label: 'h', passes: [summarisePass(1, 500, [5, 5]), summarisePass(2, 500, [5, 5])] },
  ])
  const lines = table.split('\n')
  assert.match(lines[0]!, /^pass\s+medchain\s+hardhat\s*$/)
  assert.match(lines[1]!, /^1 \(records 1–2\)\s+2,000 ms \(20\.0 ms \/ 20\.0 ms\)\s+500\.0 ms/)
  assert.match(lines[2]!, /^2 \(records 3–4\)\s+1,000 ms/)
  assert.equal(lines[3], 'medchain vs hardhat per pass (hardhat time / medchain time): 0.25×, 0.50×')
})

test('npm run bench:uptime runs end to end on the in-memory chain and writes its JSON', async () => {
  const out = await mkdtemp(join(tmpdir(), 'medchain-uptime-'))
  try {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'uptime.bench.ts'), '--chains', 'memory', '--n', '4', '--passes', '2', '--out', out])
    assert.match(stdout, /2 \(records 5–8\)/)
    const [file] = await readdir(out)
    const json = JSON.parse(await readFile(join(out, file!), 'utf8')) as { ok: boolean; n: number; chains: { id: string; passes: { records: number }[] }[] }
    assert.equal(json.ok, true)
    assert.equal(json.n, 4)
    assert.deepEqual(json.chains.map((c) => [c.id, c.passes.map((p) => p.records)]), [['memory', [4, 4]]])
  } finally {
    await rm(out, { recursive: true, force: true })
  }
})
