import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateImages } from './images.ts'
import { hashFile } from '../client/image-hash.ts'
import { createMemoryDriver } from './memory-driver.ts'
import { PAPER_FIGURES, runBenchmark, runChain, STEP_IDS, type ProgressSink } from './workload.ts'
import { formatRatio, formatTable, headlineRatios, renderHtml, writeReports } from './report.ts'
import { formatKernelCosts } from './kernel-costs.ts'

const small = { width: 64, height: 48, sizeJitter: 4, quality: 80, seed: 'test' }

/** A clock that advances 1 ms per reading: deterministic durations, no real time involved. */
function tickingClock(): () => number {
  let t = 0
  return () => ++t
}

test('images are deterministic JPEGs whose manifest hashes match the files on disk', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'bench-img-'))
  try {
    const a = await generateImages({ ...small, dir: join(dir, 'a'), count: 3 })
    const b = await generateImages({ ...small, dir: join(dir, 'b'), count: 3 })
    assert.equal(a.generated, true)
    assert.deepEqual(a.images.map((i) => i.sha256), b.images.map((i) => i.sha256))
    assert.equal(new Set(a.images.map((i) => i.sha256)).size, 3, 'each image differs')
    for (const im of a.images) {
      const bytes = await readFile(im.path)
      assert.equal(bytes[0], 0xff)
      assert.equal(bytes[1], 0xd8, 'JPEG SOI marker')
      assert.equal((await hashFile(im.path)).sha256, im.sha256)
      assert.ok(Math.abs(im.width - 64) <= 4 && Math.abs(im.height - 48) <= 4)
    }
    const again = await generateImages({ ...small, dir: join(dir, 'a'), count: 2 })
    assert.equal(again.generated, false, 'a matching manifest is reused')
    const other = await generateImages({ ...small, seed: 'other', dir: join(dir, 'a'), count: 2 })
    assert.equal(other.generated, true, 'another seed redraws')
    assert.notEqual(other.images[0]!.sha256, a.images[0]!.sha256)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

test('runner with an in-memory driver writes well-formed JSON and HTML reports', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'bench-run-'))
  const events: string[] = []
  const progress: ProgressSink = {
    stepStart: (c, s) => events.push(`start ${c} ${s}`),
    stepProgress: () => {},
    stepEnd: (c, s, ok) => events.push(`end ${c} ${s} ${ok}`),
    note: () => {},
  }
  try {
    const now = tickingClock()
    const result = await runBenchmark({
      n: 3,
      quick: true,
      imagesDir: join(dir, 'images'),
      image: small,
      chains: [{ id: 'memory', factory: async () => createMemoryDriver({ now }) }],
      progress,
      now,
      wallClock: () => new Date('2026-01-02T03:04:05.678Z'),
    })
    assert.equal(result.ok, true, JSON.stringify(result.chains[0]?.error))
    assert.equal(result.images.count, 3)
    assert.deepEqual(result.chains[0]!.steps.map((s) => s.id), [...STEP_IDS])
    assert.ok(result.chains[0]!.steps.every((s) => s.ok && s.ms > 0))
    assert.equal(result.chains[0]!.steps.find((s) => s.id === 'read-all')!.items, 6)
    assert.ok(events.includes('end memory revoke-refused true'))

    const { jsonPath, htmlPath } = await writeReports(result, join(dir, 'out'))
    assert.deepEqual((await readdir(join(dir, 'out'))).sort(), ['bench-2026-01-02T03-04-05-678Z.html', 'bench-2026-01-02T03-04-05-678Z.json'])
    const parsed = JSON.parse(await readFile(jsonPath, 'utf8'))
    assert.equal(parsed.schema, 'medchain-bench/v1')
    assert.equal(parsed.chains[0].id, 'memory')
    // The kernel's prices at the start travel with the results, in the JSON, the HTML and the table.
    assert.ok(parsed.machine.kernel.syscallUs > 0 && parsed.machine.kernel.firstTouchUsPer4KiB > 0, JSON.stringify(parsed.machine))
    const html = await readFile(htmlPath, 'utf8')
    assert.ok(html.includes(`kernel at the start: ${formatKernelCosts(result.machine.kernel!)}`))
    assert.match(html, /^<!doctype html>/)
    assert.match(html, /<\/html>\n$/)
    assert.ok(!/(src|href)="http/.test(html), 'no external assets')
    assert.equal((html.match(/<svg /g) ?? []).length, (html.match(/<\/svg>/g) ?? []).length)
    assert.ok((html.match(/<svg /g) ?? []).length >= 5)
    const embedded = /<script type="application\/json" id="bench-result">(.*)<\/script>/s.exec(html)
    assert.ok(embedded)
    assert.deepEqual(JSON.parse(embedded[1]!), parsed)
    const table = formatTable(result)
    assert.match(table, /record, one at a time/)
    assert.match(table, /all checks passed/)
    assert.match(table, /^kernel at the start: syscall [\d.]+ µs, first touch [\d.]+ µs per 4 KiB page$/m)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

test('runner fails a chain that returns wrong records or lets the revoked doctor write', async () => {
  const hashes = ['a', 'b', 'c'].map((c) => c.repeat(64))
  const dropped = await runChain(async () => createMemoryDriver({ tamper: { dropLastRecord: true } }), 'memory', { hashes })
  assert.equal(dropped.ok, false)
  assert.equal(dropped.error?.code, 'VERIFY_FAILED')
  assert.equal(dropped.steps.find((s) => s.id === 'read-all')?.ok, false)
  const accepting = await runChain(async () => createMemoryDriver({ tamper: { acceptRevokedWrite: true } }), 'memory', { hashes })
  assert.equal(accepting.ok, false)
  assert.match(accepting.error?.message ?? '', /not refused/)
  const wired = await runChain(
    async () => {
      throw new Error('boom')
    },
    'x',
    { hashes },
  )
  assert.equal(wired.ok, false)
  assert.equal(wired.steps.length, 0)
})

test('headline compares subjects with baselines and with the paper; HTML escapes labels', async () => {
  const hashes = ['1', '2'].map((c) => c.repeat(64))
  let t = 0
  const slow = () => (t += 10)
  const subject = await runChain(async () => createMemoryDriver(), 'memory', { hashes, now: tickingClock() })
  const baseline = await runChain(async () => ({ ...createMemoryDriver(), id: 'base', label: '<i>base</i>', role: 'baseline' as const }), 'base', { hashes, now: slow })
  const result = {
    schema: 'medchain-bench/v1' as const,
    startedAt: 'x',
    finishedAt: 'y',
    options: { n: 2, quick: true, seed: 's', chains: ['memory', 'base'] },
    machine: { node: 'v24', platform: 'linux-x64', cpus: 2, cpuModel: 'cpu', memoryGB: 1 },
    images: { count: 2, totalBytes: 2, meanBytes: 1, minWidth: 1, maxWidth: 1, minHeight: 1, maxHeight: 1, dir: 'd', generateMs: 1, generated: true },
    hashing: { images: 2, bytes: 2, ms: 1 },
    paper: PAPER_FIGURES,
    chains: [subject, baseline],
    ok: true,
  }
  const ratios = headlineRatios(result)
  const seq = ratios.find((r) => r.subject === 'memory' && r.reference === 'base' && r.step === 'record-sequential')
  assert.ok(seq && seq.speedup > 1, 'the subject ran on a faster clock')
  const compared = ratios.filter((r) => r.subject === 'memory' && r.reference === 'base').map((r) => r.step)
  assert.deepEqual([...compared].sort(), [...STEP_IDS].sort(), 'every timed step is in the headline')
  const paper = ratios.find((r) => r.subject === 'base' && r.reference === 'paper')
  assert.ok(paper)
  assert.equal(paper.referenceMs, 56830 * 2 / 100)
  const html = renderHtml(result)
  assert.ok(html.includes('&lt;i&gt;base&lt;/i&gt;'))
  assert.ok(!html.includes('<i>base</i>'))
})

test('formatRatio shows three significant digits and never rounds up', () => {
  assert.deepEqual([127.85, 14.17, 9.999, 3.566, 0.8398, 0.29, 0.5, 100, 10].map(formatRatio), ['127×', '14.1×', '9.99×', '3.56×', '0.83×', '0.29×', '0.50×', '100×', '10.0×'])
  assert.equal(formatRatio(Number.NaN), '—')
  assert.equal(formatRatio(Number.POSITIVE_INFINITY), '—')
})
