/**
 * The `anchor` pipeline: fingerprint many images and record each fingerprint on the chain,
 * with many transactions in flight, resumable after an interruption.
 *
 * - Pipelined: up to `window` images (default 64) are between "start hashing" and "final" at
 *   once; hashing itself is limited separately (disk and CPU bound). Recording and waiting for
 *   finality are injected (`record`, `waitFinal`), so the pipeline is tested without a chain and
 *   the CLI plugs in the RPC client.
 * - Journal: an append-only JSON-lines file, one line per state change:
 *     {"path": "...", "sha256": "...", "txId": "0x..", "status": "pending"|"final"|"failed", "error"?: "...", "at": "ISO time"}
 *   The last line for a fingerprint wins. A re-run skips fingerprints already final, re-checks
 *   pending ones with `waitFinal` (recording again only if the chain lost the tx), and records
 *   failed and new ones. A torn last line (crash mid-write) is ignored.
 * - Fingerprints, not paths, are the unit: the same image at two paths is recorded once.
 * - Stop on error: the first `record` or `waitFinal` error stops new work; transactions already
 *   sent are journalled as pending before the error is rethrown, so nothing is recorded twice on
 *   the next run. (The one window left: a process killed between the node accepting a tx and the
 *   journal line being written; the re-run then records that image a second time.)
 */
import { promises as fs } from 'node:fs'
import { resolve } from 'node:path'
import { ClientError, ClientErrorCode } from './errors.ts'
import { createLimiter, hashFile, listImageFiles, mapWithConcurrency } from './image-hash.ts'

export type JournalStatus = 'pending' | 'final' | 'failed'

export interface JournalEntry {
  readonly path: string
  readonly sha256: string
  readonly txId: string | null
  readonly status: JournalStatus
  readonly error?: string
  readonly at: string
}

/** What the chain says about a recorded tx: `unknown` = not pending and not in a block (dropped). */
export interface FinalityResult {
  readonly status: 'final' | 'failed' | 'unknown'
  readonly error?: string
}

export interface AnchorDeps {
  /** Sends the tx that records `sha256Hex` for body part `part`; resolves with its id once the node accepted it. */
  readonly record: (part: string, sha256Hex: string) => Promise<string>
  /** Resolves once the tx is final or failed (or the chain no longer knows it). */
  readonly waitFinal: (txId: string) => Promise<FinalityResult>
}

export type AnchorOutcome = 'recorded' | 'already-final' | 'duplicate' | 'failed' | 'pending'

export interface AnchorProgress {
  readonly done: number
  readonly total: number
  readonly inFlight: number
  readonly path: string
  readonly sha256: string
  readonly outcome: AnchorOutcome
}

export interface AnchorOptions {
  readonly inputs: readonly string[]
  readonly journalPath: string
  /** Body part passed to `record`: one for all images, or chosen per path. */
  readonly part: string | ((path: string) => string)
  readonly extensions?: readonly string[]
  /** Images in flight at once (default 64). */
  readonly window?: number
  /** Files hashed at once (default 4). */
  readonly hashConcurrency?: number
  readonly onProgress?: (p: AnchorProgress) => void
}

export interface AnchorItemResult {
  readonly path: string
  readonly sha256: string
  readonly txId: string | null
  readonly outcome: AnchorOutcome
  readonly error?: string
}

export interface AnchorResult {
  readonly total: number
  readonly recorded: number
  readonly alreadyFinal: number
  readonly duplicates: number
  readonly failed: number
  readonly pending: number
  readonly items: readonly AnchorItemResult[]
}

export const DEFAULT_ANCHOR_WINDOW = 64

/** The journal: its state (last entry per fingerprint) and serialized appends. */
export class AnchorJournal {
  readonly path: string
  private readonly state = new Map<string, JournalEntry>()
  private tail: Promise<void> = Promise.resolve()
  private needsNewline = false

  private constructor(path: string) {
    this.path = path
  }

  /** Opens (or creates) a journal. @throws ClientError JOURNAL_CORRUPT, IO_ERROR */
  static async open(path: string): Promise<AnchorJournal> {
    const j = new AnchorJournal(path)
    let text = ''
    try {
      text = await fs.readFile(path, 'utf8')
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new ClientError(ClientErrorCode.IO_ERROR, `${path}: ${(e as Error).message}`)
    }
    const lines = text.split('\n')
    const complete = text.endsWith('\n') || text.length === 0
    lines.forEach((line, i) => {
      if (line.trim() === '') return
      const isLast = i === lines.length - 1
      let entry: JournalEntry
      try {
        entry = parseEntry(JSON.parse(line))
      } catch {
        // A torn final line is what a crash mid-append leaves: drop it. Anything else is damage.
        if (isLast && !complete) return
        throw new ClientError(ClientErrorCode.JOURNAL_CORRUPT, `${path}:${i + 1} is not a journal entry`)
      }
      j.state.set(entry.sha256, entry)
    })
    j.needsNewline = !complete
    return j
  }

  get(sha256: string): JournalEntry | undefined {
    return this.state.get(sha256)
  }

  entries(): JournalEntry[] {
    return [...this.state.values()]
  }

  /** Appends one line; appends are written in call order. */
  append(entry: Omit<JournalEntry, 'at'>): Promise<void> {
    const full: JournalEntry = { ...entry, at: new Date().toISOString() }
    this.state.set(full.sha256, full)
    const prefix = this.needsNewline ? '\n' : ''
    this.needsNewline = false
    const line = prefix + JSON.stringify(full) + '\n'
    const write = this.tail.then(() => fs.appendFile(this.path, line, { encoding: 'utf8', mode: 0o600 }))
    this.tail = write.catch(() => undefined)
    return write.catch((e: unknown) => { throw new ClientError(ClientErrorCode.IO_ERROR, `${this.path}: ${(e as Error).message}`) })
  }

  /** Waits for every append so far. */
  async flush(): Promise<void> {
    await this.tail
  }
}

function parseEntry(v: unknown): JournalEntry {
  const o = v as Record<string, unknown>
  if (typeof o !== 'object' || o === null || typeof o.path !== 'string' || typeof o.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(o.sha256)
    || (o.txId !== null && typeof o.txId !== 'string') || !['pending', 'final', 'failed'].includes(o.status as string)) {
    throw new Error('bad entry')
  }
  return {
    path: o.path, sha256: o.sha256, txId: o.txId as string | null, status: o.status as JournalStatus,
    ...(typeof o.error === 'string' ? { error: o.error } : {}), at: typeof o.at === 'string' ? o.at : '',
  }
}

/**
 * Runs the pipeline over the images of `options.inputs`.
 * @throws the first error of `record` / `waitFinal` (after journalling what was sent), and
 *   ClientError FILE_NOT_FOUND, IO_ERROR, JOURNAL_CORRUPT.
 */
export async function anchorImages(options: AnchorOptions, deps: AnchorDeps): Promise<AnchorResult> {
  const journal = await AnchorJournal.open(options.journalPath)
  // The journal may live inside the folder being anchored: it is never an image.
  const journalFile = resolve(options.journalPath)
  const files = (await listImageFiles(options.inputs, { ...(options.extensions ? { extensions: options.extensions } : {}) }))
    .filter((f) => resolve(f) !== journalFile)
  const hashLimit = createLimiter(options.hashConcurrency ?? 4)
  const partOf = typeof options.part === 'function' ? options.part : (): string => options.part as string
  const seen = new Set<string>()
  let stopped = false
  let done = 0
  let inFlight = 0

  const processOne = async (path: string): Promise<AnchorItemResult> => {
    inFlight++
    let result: AnchorItemResult | undefined
    try {
      const { sha256 } = await hashLimit(() => hashFile(path))
      result = await anchorOne(path, sha256)
      return result
    } catch (e) {
      stopped = true
      throw e
    } finally {
      inFlight--
      if (result) {
        done++
        options.onProgress?.({ done, total: files.length, inFlight, path, sha256: result.sha256, outcome: result.outcome })
      }
    }
  }

  const anchorOne = async (path: string, sha256: string): Promise<AnchorItemResult> => {
    if (seen.has(sha256)) return { path, sha256, txId: null, outcome: 'duplicate' }
    seen.add(sha256)
    const prior = journal.get(sha256)
    if (prior?.status === 'final') return { path, sha256, txId: prior.txId, outcome: 'already-final' }
    if (prior?.status === 'pending' && prior.txId) {
      const r = await deps.waitFinal(prior.txId)
      if (r.status === 'final') {
        await journal.append({ path, sha256, txId: prior.txId, status: 'final' })
        return { path, sha256, txId: prior.txId, outcome: 'already-final' }
      }
      if (r.status === 'failed') {
        await journal.append({ path, sha256, txId: prior.txId, status: 'failed', error: r.error ?? 'failed' })
        return { path, sha256, txId: prior.txId, outcome: 'failed', error: r.error ?? 'failed' }
      }
      // unknown: the chain lost it (evicted, node restarted); record it again below
    }
    // Another image failed: send nothing new (mapWithConcurrency rethrows that first error).
    if (stopped) throw new ClientError(ClientErrorCode.IO_ERROR, 'anchoring stopped after an earlier error')
    const txId = await deps.record(partOf(path), sha256)
    await journal.append({ path, sha256, txId, status: 'pending' })
    if (stopped) return { path, sha256, txId, outcome: 'pending' }
    const r = await deps.waitFinal(txId)
    if (r.status === 'final') {
      await journal.append({ path, sha256, txId, status: 'final' })
      return { path, sha256, txId, outcome: 'recorded' }
    }
    if (r.status === 'failed') {
      await journal.append({ path, sha256, txId, status: 'failed', error: r.error ?? 'failed' })
      return { path, sha256, txId, outcome: 'failed', error: r.error ?? 'failed' }
    }
    return { path, sha256, txId, outcome: 'pending' }
  }

  let items: AnchorItemResult[]
  try {
    items = await mapWithConcurrency(files, options.window ?? DEFAULT_ANCHOR_WINDOW, processOne)
  } finally {
    await journal.flush()
  }
  const count = (o: AnchorOutcome): number => items.filter((i) => i.outcome === o).length
  return {
    total: files.length, recorded: count('recorded'), alreadyFinal: count('already-final'), duplicates: count('duplicate'),
    failed: count('failed'), pending: count('pending'), items,
  }
}
