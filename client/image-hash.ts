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
import { createReadStream, promises as fs, type Dirent } from 'node:fs'
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
  /** Files hashed at once (default 4: enough to overlap disk reads with hashing on 2 cores). */
  readonly concurrency?: number
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

/** Streams one file through SHA-256. @throws ClientError FILE_NOT_FOUND, IO_ERROR */
export async function hashFile(path: string): Promise<ImageFingerprint> {
  const h = createSha256()
  let size = 0
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) {
      const bytes = chunk as Buffer
      size += bytes.length
      h.update(bytes)
    }
  } catch (e) {
    throw ioError(e, path)
  }
  return { path, size, sha256: Buffer.from(h.digest()).toString('hex') }
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

/** Hashes every image of the inputs. @throws ClientError FILE_NOT_FOUND, IO_ERROR */
export async function hashImages(inputs: readonly string[], options: HashImagesOptions = {}): Promise<ImageFingerprint[]> {
  const files = await listImageFiles(inputs, options)
  let done = 0
  let bytes = 0
  return mapWithConcurrency(files, options.concurrency ?? 4, async (path) => {
    const fp = await hashFile(path)
    done++
    bytes += fp.size
    options.onProgress?.({ done, total: files.length, bytes, path })
    return fp
  })
}
