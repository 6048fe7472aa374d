import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { promises as fs } from 'node:fs'
import { join } from 'node:path'
import { AnchorJournal, anchorImages, type AnchorDeps, type FinalityResult } from './anchor.ts'
import { isClientError } from './errors.ts'
import { scratchDir } from './test-support/scratch-dir.ts'

async function images(n: number, extra: Record<string, Buffer> = {}): Promise<{ dir: string; hashes: string[] }> {
  const dir = await scratchDir('medchain-anchor-')
  const hashes: string[] = []
  for (let i = 0; i < n; i++) {
    const data = randomBytes(2000 + i)
    hashes.push(createHash('sha256').update(data).digest('hex'))
    await fs.writeFile(join(dir, `xray-${String(i).padStart(3, '0')}.jpg`), data)
  }
  for (const [name, data] of Object.entries(extra)) await fs.writeFile(join(dir, name), data)
  return { dir, hashes }
}

/** A fake chain: txs become final after a few ms; `failRecordAt` makes the n-th record call throw. */
class FakeChain {
  readonly recordedBy = new Map<string, number>()
  readonly txs = new Map<string, { sha: string; status: 'pending' | 'final' | 'failed' }>()
  recordCalls = 0
  inFlight = 0
  peakInFlight = 0
  failRecordAt = -1
  refuse = new Set<string>()
  private seq = 0

  deps(): AnchorDeps {
    return {
      record: async (part, sha) => {
        assert.equal(part, 'chest')
        const call = this.recordCalls++
        await new Promise((r) => setTimeout(r, 1))
        if (call === this.failRecordAt) throw new Error('node down')
        this.recordedBy.set(sha, (this.recordedBy.get(sha) ?? 0) + 1)
        const id = '0x' + (this.seq++).toString(16).padStart(64, '0')
        this.txs.set(id, { sha, status: 'pending' })
        this.inFlight++
        this.peakInFlight = Math.max(this.peakInFlight, this.inFlight)
        return id
      },
      waitFinal: async (id): Promise<FinalityResult> => {
        const tx = this.txs.get(id)
        if (!tx) return { status: 'unknown' }
        await new Promise((r) => setTimeout(r, 2 + Math.floor(Math.random() * 4)))
        if (tx.status === 'pending') {
          tx.status = this.refuse.has(tx.sha) ? 'failed' : 'final'
          this.inFlight--
        }
        return tx.status === 'failed' ? { status: 'failed', error: 'NOT_PERMITTED' } : { status: 'final' }
      },
    }
  }
}

test('a run that fails midway resumes without recording any image twice', async () => {
  const { dir, hashes } = await images(40)
  const journalPath = join(dir, 'anchor.journal')
  const chain = new FakeChain()
  chain.failRecordAt = 15
  await assert.rejects(anchorImages({ inputs: [dir], journalPath, part: 'chest', window: 8 }, chain.deps()), /node down/)
  const afterFirst = await AnchorJournal.open(journalPath)
  assert.ok(afterFirst.entries().length >= 15, 'everything sent before the failure is journalled')
  assert.ok(afterFirst.entries().every((e) => e.txId !== null))
  const firstRecorded = chain.recordedBy.size
  const firstCalls = chain.recordCalls

  chain.failRecordAt = -1
  const progress: string[] = []
  const result = await anchorImages({ inputs: [dir], journalPath, part: 'chest', window: 8, onProgress: (p) => progress.push(p.outcome) }, chain.deps())
  assert.equal(result.total, 40)
  assert.equal(result.recorded + result.alreadyFinal, 40)
  assert.equal(result.recorded, 40 - firstRecorded)
  assert.equal(progress.length, 40)
  for (const h of hashes) assert.equal(chain.recordedBy.get(h), 1, `image ${h} recorded exactly once`)
  assert.ok(chain.peakInFlight <= 8, `window respected (peak ${chain.peakInFlight})`)

  // a third run has nothing to do
  const again = await anchorImages({ inputs: [dir], journalPath, part: 'chest' }, chain.deps())
  assert.equal(again.alreadyFinal, 40)
  assert.equal(chain.recordCalls, firstCalls + result.recorded)
})

test('pending txs the chain lost are recorded again; failed ones are reported, then retried on the next run', async () => {
  const { dir, hashes } = await images(6)
  const journalPath = join(dir, 'anchor.journal')
  const journal = await AnchorJournal.open(journalPath)
  await journal.append({ path: 'old', sha256: hashes[0]!, txId: '0x' + 'ee'.repeat(32), status: 'pending' })
  await journal.flush()
  const chain = new FakeChain()
  chain.refuse.add(hashes[1]!)
  const r1 = await anchorImages({ inputs: [dir], journalPath, part: 'chest' }, chain.deps())
  assert.equal(r1.recorded, 5)
  assert.equal(r1.failed, 1)
  assert.equal(r1.items.find((i) => i.sha256 === hashes[1])!.error, 'NOT_PERMITTED')
  assert.equal(chain.recordedBy.get(hashes[0]!), 1, 'the lost pending tx was recorded again')
  chain.refuse.clear()
  const r2 = await anchorImages({ inputs: [dir], journalPath, part: 'chest' }, chain.deps())
  assert.equal(r2.recorded, 1)
  assert.equal(r2.alreadyFinal, 5)
  assert.equal(chain.recordedBy.get(hashes[1]!), 2)
})

test('identical images are recorded once; a torn journal line is tolerated, damage is not', async () => {
  const same = randomBytes(500)
  const { dir } = await images(3, { 'copy-a.png': same, 'copy-b.png': same, 'notes.txt': Buffer.from('x') })
  const journalPath = join(dir, 'j.jsonl')
  const chain = new FakeChain()
  const r = await anchorImages({ inputs: [dir], journalPath, part: 'chest', extensions: ['.jpg', '.png'] }, chain.deps())
  assert.equal(r.total, 5)
  assert.equal(r.recorded, 4)
  assert.equal(r.duplicates, 1)
  await fs.appendFile(journalPath, '{"path":"x","sha2')
  const r2 = await anchorImages({ inputs: [dir], journalPath, part: 'chest', extensions: ['.jpg', '.png'] }, chain.deps())
  assert.equal(r2.alreadyFinal, 4)
  // the torn line was terminated before the next append, so the file parses again
  const j = await AnchorJournal.open(journalPath)
  await j.append({ path: 'p', sha256: 'ab'.repeat(32), txId: null, status: 'failed' })
  await j.flush()
  const lines = (await fs.readFile(journalPath, 'utf8')).split('\n')
  assert.equal(JSON.parse(lines[lines.length - 2]!).path, 'p')
  await fs.writeFile(journalPath, 'garbage\n{"ok":1}\n')
  await assert.rejects(AnchorJournal.open(journalPath), (e) => isClientError(e, 'JOURNAL_CORRUPT'))
})
