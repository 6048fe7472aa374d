/**
 * Image fingerprints: SHA-256 of each file, streamed from disk (a DICOM study can be hundreds of
 * MB; nothing is read whole into memory). The fingerprint format is the paper's: 64 lowercase hex
 * characters, no `0x` (`16c8a694…0134`).
 *
 * Inputs are files and folders. Folders are walked recursively in a stable order (entries sorted
 * by code unit, not locale), following neither symlinks nor special files, so the same tree
 * always gives the same list. Files named explicitly are always hashed; the extension filter
 * applies to what a folder walk finds.
 */
import { closeSync, openSync, promises as fs, read as readAt, readSync, type Dirent } from 'node:fs'
import { setImmediate as yieldToEventLoop } from 'node:timers/promises'
import { extname, join } from 'node:path'
import { createSha256 } from '../core/hash.ts'
import { ClientError, ClientErrorCode } from './errors.ts'

export const DEFAULT_IMAGE_EXTENSIONS: readonly string[] = ['.dcm', '.jpg', '.jpeg', '.png']

export interface ImageFingerprint {
  readonly path: string
  readonly size: number
  /** 64 lowercase hex characters, no 0x. */
  readonly sha256: string
}

export interface HashProgress {
  readonly done: number
  readonly total: number
  readonly bytes: number
  readonly path: string
}

export interface HashImagesOptions {
  /** Extensions (with or without the dot, any case) a folder walk keeps; undefined or empty = every file. */
  readonly extensions?: readonly string[]
  readonly onProgress?: (p: HashProgress) => void
}

const FINGERPRINT_RE = /^[0-9a-f]{64}$/
export function isFingerprint(text: string): boolean {
  return typeof text === 'string' && FINGERPRINT_RE.test(text)
}

function ioError(e: unknown, path: string): ClientError {
  const err = e as NodeJS.ErrnoException
  if (err?.code === 'ENOENT') return new ClientError(ClientErrorCode.FILE_NOT_FOUND, `no such file or folder: ${path}`)
  return new ClientError(ClientErrorCode.IO_ERROR, `${path}: ${err?.message ?? String(e)}`)
}

const HASH_CHUNK_BYTES = 1 << 20
/** A long file yields to the event loop after this many bytes, so a server stays responsive. */
const HASH_YIELD_BYTES = 16 * HASH_CHUNK_BYTES
/** One chunk buffer for every call: each chunk is read and hashed before anything else runs. */
let chunkBuffer: Buffer | undefined
/** Bytes of `chunkBuffer` some read has written: a read past them also pays first-touch page faults. */
let chunkTouchedBytes = 0

/**
 * Streams one file through SHA-256 in 1 MiB chunks.
 *
 * Why synchronous reads: an X-ray is a few hundred KB, already in the page cache when it was just
 * written or listed, and an asynchronous read costs a thread-pool round trip per chunk (open,
 * read, read to EOF, close: four per file), which is what limited hashing, not SHA-256. Reading
 * with `readSync` into one reused buffer hashes 100 Kaggle-sized images about twice as fast.
 * Memory stays one chunk for any file size, and a file larger than 16 MiB (a DICOM study) yields
 * to the event loop every 16 MiB, so a server calling this never stalls for long. Many files:
 * `hashFiles`, which reads ahead once they come from the disk.
 * @throws ClientError FILE_NOT_FOUND, IO_ERROR
 */
export async function hashFile(path: string): Promise<ImageFingerprint> {
  return hashFileTimingFirstRead(path)
}

/**
 * `hashFile`, telling `onFirstRead` how long the first read took. A read into bytes of the chunk
 * buffer no read has written yet is not told: its page faults are not the source's speed.
 */
async function hashFileTimingFirstRead(path: string, onFirstRead?: (bytes: number, ms: number) => void, now: () => number = () => performance.now()): Promise<ImageFingerprint> {
  let fd: number
  try {
    fd = openSync(path, 'r')
  } catch (e) {
    throw ioError(e, path)
  }
  try {
    const buffer = (chunkBuffer ??= Buffer.allocUnsafe(HASH_CHUNK_BYTES))
    let first: number
    const t0 = now()
    try {
      first = readSync(fd, buffer, 0, buffer.length, 0)
    } catch (e) {
      throw ioError(e, path)
    }
    const ms = now() - t0
    if (first > chunkTouchedBytes) chunkTouchedBytes = first
    else onFirstRead?.(first, ms)
    return await hashRest(fd, path, buffer.subarray(0, first))
  } finally {
    closeSync(fd)
  }
}

/** The fingerprint of a file whose first chunk has been read into `firstChunk`: hashes it, then reads and hashes the rest. */
async function hashRest(fd: number, path: string, firstChunk: Uint8Array): Promise<ImageFingerprint> {
  const h = createSha256()
  h.update(firstChunk)
  return fingerprint(path, await hashFrom(fd, h, firstChunk.length, path), h)
}

function fingerprint(path: string, size: number, h: ReturnType<typeof createSha256>): ImageFingerprint {
  return { path, size, sha256: Buffer.from(h.digest()).toString('hex') }
}

/** Feeds the file from byte `offset` to its end into `h`; returns the file's size. */
async function hashFrom(fd: number, h: ReturnType<typeof createSha256>, offset: number, path: string): Promise<number> {
  const buffer = (chunkBuffer ??= Buffer.allocUnsafe(HASH_CHUNK_BYTES))
  let size = offset
  let sinceYield = 0
  try {
    for (;;) {
      const n = readSync(fd, buffer, 0, buffer.length, size)
      if (n === 0) return size
      if (n > chunkTouchedBytes) chunkTouchedBytes = n
      h.update(buffer.subarray(0, n))
      size += n
      sinceYield += n
      if (sinceYield >= HASH_YIELD_BYTES) {
        sinceYield = 0
        await yieldToEventLoop()
      }
    }
  } catch (e) {
    throw ioError(e, path)
  }
}

/** Files whose first MiB `hashFiles` reads on the thread pool while it hashes the current one. */
export const READ_AHEAD_FILES = 8

/**
 * A first read at least this large is timed by `DiskReadGauge`: a smaller one is mostly the
 * system call's own cost, whichever the source.
 */
export const GAUGED_READ_MIN_BYTES = 64 * 1024
/**
 * Reads slower than this (bytes per ms: 1.5 GB/s) came from the disk. First reads of the bench's
 * ~300 KB images on the EPYC (bench/README.md, round of 2026-12-02, 14:35), into a buffer already
 * written: from the page cache 3.05–4.04 GB/s at the median in a slow phase, but 0–15 % of them
 * below this; after `drop_caches` 0.69–1.07 GB/s at the median and 96–100 % below it.
 */
export const DISK_READ_BYTES_PER_MS = 1.5e6
/** `DiskReadGauge` judges the last this many timed reads… */
export const GAUGE_WINDOW = 8
/** …and calls it the disk when at least this many of them were slow. */
export const GAUGE_SLOW_READS = 7

/**
 * Tells whether the files being hashed come from the disk or from the page cache, from how fast
 * their first reads copy: at least `GAUGE_SLOW_READS` of the last `GAUGE_WINDOW` timed reads
 * slower than `DISK_READ_BYTES_PER_MS` means the disk. Nearly all, not a majority: a read from
 * the cache is now and then slow too (preempted, or the machine in a slow phase), and the cache
 * is the common case (images just received, written or listed). Either mistake costs about the
 * same per 100 images here (reading ahead from the cache 6–27 ms, reading the disk one file at a
 * time 2–16 ms). A majority of 7 below 2.5 GB/s, the first rule, took the cache for the disk in
 * 3 of 6 recorded runs of the bench images.
 * Pure: the caller times the reads.
 */
export class DiskReadGauge {
  private readonly slow: boolean[] = []
  private slowCount = 0

  /** Feeds one read (`bytes` copied in `ms`); true while the recent reads look like the disk. */
  observe(bytes: number, ms: number): boolean {
    if (bytes >= GAUGED_READ_MIN_BYTES) {
      const isSlow = bytes < ms * DISK_READ_BYTES_PER_MS
      this.slow.push(isSlow)
      if (isSlow) this.slowCount++
      if (this.slow.length > GAUGE_WINDOW && this.slow.shift()) this.slowCount--
    }
    return this.fromDisk
  }

  get fromDisk(): boolean {
    return this.slowCount >= GAUGE_SLOW_READS
  }
}

/** How `hashFiles` reads: 'auto' (the default) reads ahead once `DiskReadGauge` sees the disk. */
export type ReadAheadMode = 'auto' | 'always' | 'never'

export interface HashFilesOptions {
  readonly readAhead?: ReadAheadMode
  /** The clock that times first reads for 'auto' (ms); tests pass a fake one. */
  readonly now?: () => number
  /**
   * Told once, with the index of the file it happened at, when reading ahead begins ('always':
   * 0; 'auto': when the gauge sees the disk). A slow call can then say how it read.
   */
  readonly onReadAhead?: (index: number) => void
}

type ReadAhead = { readonly fd: number; readonly buffer: Buffer; readonly read: Promise<number> } | { readonly error: ClientError }

/**
 * Hashes files in order. From the page cache it reads each one synchronously into one buffer, as
 * `hashFile` does; once the files turn out to come from the disk (`DiskReadGauge`), it reads
 * ahead: while one file is hashed, the first MiB of each of the next `READ_AHEAD_FILES` is read
 * by the thread pool (one read each, into a pooled buffer), keeping several disk reads in flight
 * instead of one, and the rest of a longer file is read as in `hashFile`.
 *
 * Why not always read ahead: on a machine whose kernel charges much for a fresh page, reading
 * ahead from the page cache costs more than it overlaps (thread-pool round trips, and the first
 * touch of nine 1 MiB buffers: ~1,000 page faults against ~300). 100 bench images, first call in
 * a fresh process, 2 × AMD EPYC (bench/README.md, round of 2026-12-02, 14:35): cached, always
 * reading ahead 50.56–64.53 ms against 35.58–45.47 ms as here (5 interleaved runs each, 292–373
 * page faults in 12 more runs: never taken for the disk); after `drop_caches`, 65.26–70.16 ms
 * against 67.40–83.44 ms.
 * Memory: `hashFile`'s chunk, plus nine 1 MiB read-ahead buffers once reading ahead.
 * `onEach` sees each fingerprint as it is done (progress).
 * @throws ClientError FILE_NOT_FOUND, IO_ERROR for the first file that fails (in order)
 */
export async function hashFiles(paths: readonly string[], onEach?: (fp: ImageFingerprint, index: number) => void, options: HashFilesOptions = {}): Promise<ImageFingerprint[]> {
  const mode = options.readAhead ?? 'auto'
  const now = options.now ?? (() => performance.now())
  const gauge = mode === 'auto' ? new DiskReadGauge() : undefined
  let readingAhead = mode === 'always'
  const spare: Buffer[] = []
  const ahead = new Map<number, ReadAhead>()
  let started = 0
  /** The file at which reading ahead began (undefined: not yet). */
  let readAheadFrom: number | undefined
  const startReading = (i: number): void => {
    const path = paths[i]!
    let fd: number
    try {
      fd = openSync(path, 'r')
    } catch (e) {
      ahead.set(i, { error: ioError(e, path) })
      return
    }
    const buffer = spare.pop() ?? Buffer.allocUnsafe(HASH_CHUNK_BYTES)
    const read = new Promise<number>((resolve, reject) => readAt(fd, buffer, 0, buffer.length, 0, (err, n) => (err ? reject(err) : resolve(n))))
    read.catch(() => {}) // observed when this file's turn comes
    ahead.set(i, { fd, buffer, read })
  }
  const out: ImageFingerprint[] = []
  try {
    for (let i = 0; i < paths.length; i++) {
      if (readingAhead) {
        if (readAheadFrom === undefined) {
          readAheadFrom = i
          options.onReadAhead?.(i)
        }
        started = Math.max(started, i)
        while (started < paths.length && started <= i + READ_AHEAD_FILES) startReading(started++)
      }
      const path = paths[i]!
      const next = ahead.get(i)
      ahead.delete(i)
      let fp: ImageFingerprint
      if (next === undefined) {
        fp = await hashFileTimingFirstRead(path, gauge && ((bytes, ms) => (readingAhead = gauge.observe(bytes, ms))), now)
      } else {
        if ('error' in next) throw next.error
        try {
          let first: number
          try {
            first = await next.read
          } catch (e) {
            throw ioError(e, path)
          }
          fp = await hashRest(next.fd, path, next.buffer.subarray(0, first))
        } finally {
          closeSync(next.fd)
          spare.push(next.buffer)
        }
      }
      out.push(fp)
      onEach?.(fp, i)
    }
    return out
  } finally {
    // After a failure: close what was opened ahead, once its read has settled (it writes the buffer).
    for (const rest of ahead.values()) {
      if ('error' in rest) continue
      await rest.read.catch(() => 0)
      closeSync(rest.fd)
    }
  }
}

/**
 * The fingerprint a command line names: given as 64 hex characters, or the SHA-256 of the file
 * at that path. @throws ClientError FILE_NOT_FOUND, IO_ERROR
 */
export async function fingerprintOf(fingerprintOrPath: string): Promise<string> {
  return isFingerprint(fingerprintOrPath) ? fingerprintOrPath : (await hashFile(fingerprintOrPath)).sha256
}

function normaliseExtensions(exts: readonly string[] | undefined): Set<string> | null {
  if (!exts || exts.length === 0) return null
  return new Set(exts.map((e) => (e.startsWith('.') ? e : '.' + e).toLowerCase()))
}

const byCodeUnit = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

/**
 * The files to hash, in a stable order: inputs in the order given, each folder's files sorted,
 * duplicates (the same path reached twice) dropped.
 * @throws ClientError FILE_NOT_FOUND, IO_ERROR
 */
export async function listImageFiles(inputs: readonly string[], options: Pick<HashImagesOptions, 'extensions'> = {}): Promise<string[]> {
  const exts = normaliseExtensions(options.extensions)
  const out: string[] = []
  const seen = new Set<string>()
  const add = (p: string): void => {
    if (!seen.has(p)) {
      seen.add(p)
      out.push(p)
    }
  }
  const walk = async (dir: string): Promise<void> => {
    let entries: Dirent[]
    try {
      entries = await fs.readdir(dir, { withFileTypes: true })
    } catch (e) {
      throw ioError(e, dir)
    }
    entries.sort((a, b) => byCodeUnit(a.name, b.name))
    for (const entry of entries) {
      const p = join(dir, entry.name)
      if (entry.isDirectory()) await walk(p)
      else if (entry.isFile() && (!exts || exts.has(extname(entry.name).toLowerCase()))) add(p)
      // symlinks, sockets, devices: skipped (no loops, no blocking reads)
    }
  }
  for (const input of inputs) {
    let stat
    try {
      stat = await fs.stat(input)
    } catch (e) {
      throw ioError(e, input)
    }
    if (stat.isDirectory()) await walk(input)
    else if (stat.isFile()) add(input)
    else throw new ClientError(ClientErrorCode.IO_ERROR, `${input} is neither a file nor a folder`)
  }
  return out
}

/**
 * Runs `task` over `items` with at most `limit` running at once; results keep the input order.
 * The first failure stops new tasks from starting and is rethrown once the running ones settle.
 */
export async function mapWithConcurrency<T, R>(items: readonly T[], limit: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length)
  let next = 0
  let failure: { error: unknown } | null = null
  const worker = async (): Promise<void> => {
    while (failure === null && next < items.length) {
      const i = next++
      try {
        results[i] = await task(items[i]!, i)
      } catch (error) {
        failure ??= { error }
      }
    }
  }
  const n = Math.max(1, Math.min(Math.floor(limit) || 1, items.length))
  await Promise.all(Array.from({ length: n }, worker))
  if (failure) throw (failure as { error: unknown }).error
  return results
}

/** A limiter: at most `limit` of the functions passed to it run at once, the rest queue in order. */
export function createLimiter(limit: number): <T>(fn: () => Promise<T>) => Promise<T> {
  const max = Math.max(1, Math.floor(limit) || 1)
  let running = 0
  const queue: (() => void)[] = []
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    if (running >= max) await new Promise<void>((resolve) => queue.push(resolve))
    else running++
    try {
      return await fn()
    } finally {
      // Hand the slot straight to the next waiter (running stays the same), or free it.
      const next = queue.shift()
      if (next) next()
      else running--
    }
  }
}

/** Hashes every image of the inputs, in order, reading ahead from the disk (see hashFiles). @throws ClientError FILE_NOT_FOUND, IO_ERROR */
export async function hashImages(inputs: readonly string[], options: HashImagesOptions = {}): Promise<ImageFingerprint[]> {
  const files = await listImageFiles(inputs, options)
  let bytes = 0
  return hashFiles(files, (fp, i) => {
    bytes += fp.size
    options.onProgress?.({ done: i + 1, total: files.length, bytes, path: fp.path })
  })
}
