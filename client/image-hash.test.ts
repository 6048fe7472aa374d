import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { promises as fs, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { isClientError } from './errors.ts'
import { createLimiter, fingerprintOf, hashFile, hashFiles, hashImages, isFingerprint, listImageFiles, mapWithConcurrency, DiskReadGauge, DEFAULT_IMAGE_EXTENSIONS, DISK_READ_BYTES_PER_MS, GAUGE_SLOW_READS, GAUGE_WINDOW, GAUGED_READ_MIN_BYTES, READ_AHEAD_FILES, type ReadAheadMode } from './image-hash.ts'
import { scratchDir } from './test-support/scratch-dir.ts'

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')

async function tree(): Promise<{ root: string; contents: Map<string, Buffer> }> {
  const root = await scratchDir('medchain-img-')
  const contents = new Map<string, Buffer>()
  const put = async (rel: string, data: Buffer): Promise<void> => {
    const p = join(root, rel)
    await fs.mkdir(join(p, '..'), { recursive: true })
    await fs.writeFile(p, data)
    contents.set(p, data)
  }
  await put('b/chest-2.JPG', randomBytes(3 * 1024 * 1024 + 17)) // more than one read chunk
  await put('a/chest-1.jpeg', randomBytes(1000))
  await put('a/study/ct.dcm', randomBytes(5000))
  await put('a/notes.txt', Buffer.from('not an image'))
  await put('Z.png', Buffer.alloc(0))
  await fs.symlink(join(root, 'a'), join(root, 'b', 'loop'))
  return { root, contents }
}

test('hashFile streams a file and gives the paper fingerprint format', async () => {
  const { root, contents } = await tree()
  const p = join(root, 'b/chest-2.JPG')
  const fp = await hashFile(p)
  assert.equal(fp.sha256, sha(contents.get(p)!))
  assert.equal(fp.size, contents.get(p)!.length)
  assert.ok(isFingerprint(fp.sha256))
  assert.ok(!isFingerprint('0x' + fp.sha256))
  await assert.rejects(hashFile(join(root, 'missing.png')), (e) => isClientError(e, 'FILE_NOT_FOUND'))
})

test('folders are walked recursively in a stable order, with an extension filter, skipping symlinks', async () => {
  const { root } = await tree()
  const files = await listImageFiles([root], { extensions: DEFAULT_IMAGE_EXTENSIONS })
  assert.deepEqual(files.map((f) => f.slice(root.length + 1)), ['Z.png', 'a/chest-1.jpeg', 'a/study/ct.dcm', 'b/chest-2.JPG'])
  const all = await listImageFiles([root])
  assert.ok(all.some((f) => f.endsWith('notes.txt')))
  assert.ok(!all.some((f) => f.includes('loop')))
  // a named file is kept whatever its extension; a path reached twice is listed once
  const named = await listImageFiles([join(root, 'a/notes.txt'), join(root, 'a'), join(root, 'a/chest-1.jpeg')], { extensions: ['jpeg'] })
  assert.deepEqual(named.map((f) => f.slice(root.length + 1)), ['a/notes.txt', 'a/chest-1.jpeg'])
  await assert.rejects(listImageFiles([join(root, 'nope')]), (e) => isClientError(e, 'FILE_NOT_FOUND'))
})

test('fingerprintOf passes a fingerprint through and hashes a path', async () => {
  const { root, contents } = await tree()
  const p = join(root, 'a/chest-1.jpeg')
  assert.equal(await fingerprintOf(p), sha(contents.get(p)!))
  const given = 'ab'.repeat(32)
  assert.equal(await fingerprintOf(given), given)
  await assert.rejects(fingerprintOf(join(root, 'missing.png')), (e) => isClientError(e, 'FILE_NOT_FOUND'))
})

test('hashImages hashes every file in order and reports progress', async () => {
  const { root, contents } = await tree()
  const progress: number[] = []
  const result = await hashImages([root], { extensions: DEFAULT_IMAGE_EXTENSIONS, onProgress: (p) => progress.push(p.done) })
  assert.equal(result.length, 4)
  for (const fp of result) assert.equal(fp.sha256, sha(contents.get(fp.path)!))
  assert.deepEqual(progress, [1, 2, 3, 4])
  assert.equal(result.find((r) => r.path.endsWith('Z.png'))!.sha256, 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')
})

const openFds = async (): Promise<number> => (await fs.readdir('/proc/self/fd')).length

async function manyFiles(root: string, contents: Map<string, Buffer>, sizes: readonly number[], prefix: string): Promise<string[]> {
  const paths: string[] = []
  for (const [i, size] of sizes.entries()) {
    const p = join(root, `${prefix}-${String(i).padStart(2, '0')}.jpg`)
    const data = randomBytes(size)
    await fs.writeFile(p, data)
    contents.set(p, data)
    paths.push(p)
  }
  return paths
}

for (const readAhead of ['always', 'never', 'auto'] as const satisfies readonly ReadAheadMode[]) {
  test(`hashFiles (read ahead: ${readAhead}) gives what hashFile gives, in order; a failing file is reported in its place and leaks no descriptor`, async () => {
    const { root, contents } = await tree()
    // More files than the read-ahead window, of sizes around the 1 MiB first read.
    const sizes = [0, 1, 1024 * 1024 - 1, 1024 * 1024, 1024 * 1024 + 1, 2 * 1024 * 1024 + 5, ...Array.from({ length: READ_AHEAD_FILES + 3 }, (_, i) => 300_000 + i)]
    const paths = await manyFiles(root, contents, sizes, 'many')
    const seen: number[] = []
    const result = await hashFiles(paths, (_fp, i) => seen.push(i), { readAhead })
    assert.deepEqual(seen, paths.map((_p, i) => i))
    for (const [i, fp] of result.entries()) {
      assert.equal(fp.path, paths[i])
      assert.equal(fp.size, sizes[i])
      assert.deepEqual(fp, await hashFile(paths[i]!))
      assert.equal(fp.sha256, sha(contents.get(fp.path)!))
    }
    const before = process.platform === 'linux' ? await openFds() : 0
    const broken = [...paths.slice(0, 3), join(root, 'missing.jpg'), ...paths.slice(3)]
    const reported: number[] = []
    await assert.rejects(hashFiles(broken, (_fp, i) => reported.push(i), { readAhead }), (e) => isClientError(e, 'FILE_NOT_FOUND') && /missing\.jpg/.test((e as Error).message))
    assert.deepEqual(reported, [0, 1, 2], 'the files before the failing one are done, none after')
    if (process.platform === 'linux') assert.equal(await openFds(), before, 'every descriptor opened ahead is closed')
    assert.deepEqual(await hashFiles([], undefined, { readAhead }), [])
  })
}

test('hashFiles starts reading ahead once most first reads look like the disk, not before, and not from the page cache', { skip: process.platform !== 'linux' }, async () => {
  const { root, contents } = await tree()
  await hashFile(join(root, 'b/chest-2.JPG')) // every byte of the chunk buffer written: no read below pays first-touch faults
  const paths = await manyFiles(root, contents, Array.from({ length: GAUGE_WINDOW + 4 }, (_, i) => 300_000 + i), 'gauge')
  let switchedAt: number[] = []
  const extraFdsPerFile = async (now: () => number): Promise<number[]> => {
    const base = await openFds()
    const extra: number[] = []
    switchedAt = []
    // readdir in onEach would yield; count synchronously instead.
    const result = await hashFiles(paths, () => extra.push(readdirSync('/proc/self/fd').length - base), { now, onReadAhead: (i) => switchedAt.push(i) })
    for (const fp of result) assert.equal(fp.sha256, sha(contents.get(fp.path)!))
    return extra
  }
  // Each call moves the clock 0.25 ms, so each ~300 KB first read takes 0.25 ms: 1.2 GB/s, the disk.
  let t = 0
  const slow = await extraFdsPerFile(() => (t += 0.25))
  assert.deepEqual(slow.slice(0, GAUGE_SLOW_READS), Array(GAUGE_SLOW_READS).fill(0), 'one file at a time until enough reads were slow')
  assert.ok(slow.slice(GAUGE_SLOW_READS, -1).every((n) => n > 0), `reading ahead (files still ahead) after ${GAUGE_SLOW_READS} slow reads: ${slow.join(',')}`)
  assert.deepEqual(switchedAt, [GAUGE_SLOW_READS], 'told once, at the file where reading ahead began')
  // A clock that never moves: every read from the page cache, never reading ahead.
  assert.deepEqual(await extraFdsPerFile(() => 0), Array(paths.length).fill(0))
  assert.deepEqual(switchedAt, [], 'never told')
  const always: number[] = []
  await hashFiles(paths.slice(0, 3), undefined, { readAhead: 'always', onReadAhead: (i) => always.push(i) })
  assert.deepEqual(always, [0])
})

test('DiskReadGauge: the disk once GAUGE_SLOW_READS of the last GAUGE_WINDOW timed reads were slower than DISK_READ_BYTES_PER_MS', () => {
  const bytes = 300_000
  const slowMs = (bytes / DISK_READ_BYTES_PER_MS) * 2 // half the threshold's rate
  const fastMs = (bytes / DISK_READ_BYTES_PER_MS) / 2 // twice it
  const gauge = new DiskReadGauge()
  for (let i = 0; i < GAUGE_SLOW_READS - 1; i++) assert.equal(gauge.observe(bytes, slowMs), false, 'not enough slow reads yet')
  assert.equal(gauge.observe(bytes, slowMs), true)
  // Small reads are mostly a system call: not counted either way.
  for (let i = 0; i < 20; i++) assert.equal(gauge.observe(GAUGED_READ_MIN_BYTES - 1, 1000), true)
  // Fast reads push the slow ones out of the window: one fast read in the window is tolerated,
  // GAUGE_WINDOW - GAUGE_SLOW_READS + 1 are not.
  const tolerated = GAUGE_WINDOW - GAUGE_SLOW_READS
  const more = new DiskReadGauge()
  for (let i = 0; i < GAUGE_WINDOW; i++) more.observe(bytes, slowMs)
  for (let i = 0; i < tolerated; i++) assert.equal(more.observe(bytes, fastMs), true)
  assert.equal(more.observe(bytes, fastMs), false)
  assert.equal(more.fromDisk, false)
  // Fast reads first: the slow ones must still fill the window to GAUGE_SLOW_READS.
  const late = new DiskReadGauge()
  for (let i = 0; i < GAUGE_WINDOW; i++) late.observe(bytes, fastMs)
  for (let i = 0; i < GAUGE_SLOW_READS - 1; i++) assert.equal(late.observe(bytes, slowMs), false)
  assert.equal(late.observe(bytes, slowMs), true)
  // The cache in a slow phase is not the disk: here three reads in four slow, over and over.
  const cached = new DiskReadGauge()
  for (let i = 0; i < 5 * GAUGE_WINDOW; i++) assert.equal(cached.observe(bytes, i % 4 === 0 ? fastMs : slowMs), false)
  // Exactly at the threshold is not slower than it.
  const edge = new DiskReadGauge()
  for (let i = 0; i < GAUGE_WINDOW; i++) edge.observe(bytes, bytes / DISK_READ_BYTES_PER_MS)
  assert.equal(edge.fromDisk, false)
})

test('mapWithConcurrency never runs more than the limit and keeps order; the first error wins', async () => {
  let running = 0
  let peak = 0
  const out = await mapWithConcurrency([5, 1, 4, 2, 3, 0], 3, async (n) => {
    running++
    peak = Math.max(peak, running)
    await new Promise((r) => setTimeout(r, n))
    running--
    return n * 10
  })
  assert.deepEqual(out, [50, 10, 40, 20, 30, 0])
  assert.ok(peak <= 3)
  let started = 0
  await assert.rejects(mapWithConcurrency([1, 2, 3, 4, 5, 6], 2, async (n) => {
    started++
    if (n === 2) throw new Error('boom')
    await new Promise((r) => setTimeout(r, 5))
  }), /boom/)
  assert.ok(started < 6, 'no new task starts after a failure')
})

test('createLimiter runs at most the limit at once, in order', async () => {
  const limit = createLimiter(2)
  let running = 0
  let peak = 0
  const order: number[] = []
  await Promise.all([0, 1, 2, 3, 4].map((i) => limit(async () => {
    running++
    peak = Math.max(peak, running)
    order.push(i)
    await new Promise((r) => setTimeout(r, 3))
    running--
  })))
  assert.equal(peak, 2)
  assert.deepEqual(order, [0, 1, 2, 3, 4])
  await assert.rejects(limit(async () => { throw new Error('x') }), /x/)
  assert.equal(await limit(async () => 5), 5, 'a failure frees its slot')
})
