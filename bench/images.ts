/**
 * The benchmark's images: deterministic, seeded chest-X-ray-like phantoms written to disk as
 * baseline JPEGs, sized like the Kaggle chest X-ray (pneumonia) set the paper hashed (grayscale,
 * ~1 megapixel, a few hundred KB). No data set can be downloaded here, so we make images of the
 * same kind: what the benchmark measures (hashing bytes from disk, then anchoring 32-byte
 * fingerprints) depends on file count and size, not on the pictures being real patients.
 *
 * `renderChestPhantom` is pure (parameters → grayscale pixels); `generateImages` does the I/O and
 * keeps a manifest so a second run with the same parameters reuses the files instead of spending
 * seconds re-encoding them. The manifest records each file's SHA-256 computed from the encoded
 * bytes in memory; the benchmark's hashing step reads the files back from disk independently and
 * must find the same fingerprints.
 */
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import jpeg from 'jpeg-js'
import { sha256 } from '../core/hash.ts'
import { toHex, utf8 } from '../core/hex.ts'
import { BenchError, BenchErrorCode } from './errors.ts'

/** Bumped whenever the drawing changes, so cached images from an older generator are redrawn. */
export const PHANTOM_GENERATOR = 'chest-phantom/v1'

export interface ImageSetOptions {
  /** Folder the JPEGs and `manifest.json` are written to (created if missing). */
  readonly dir: string
  readonly count: number
  readonly seed: string
  /** Nominal size; each image varies by up to ±`sizeJitter` pixels per side like real films. */
  readonly width: number
  readonly height: number
  readonly sizeJitter: number
  /** JPEG quality 1..100 (jpeg-js baseline encoder). */
  readonly quality: number
}

export const DEFAULT_IMAGE_OPTIONS: Omit<ImageSetOptions, 'dir' | 'count'> = {
  seed: 'medchain-bench',
  width: 1024,
  height: 1024,
  sizeJitter: 64,
  quality: 90,
}

export interface BenchImage {
  readonly index: number
  readonly path: string
  readonly width: number
  readonly height: number
  readonly bytes: number
  /** SHA-256 of the file, 64 lowercase hex characters without `0x` (the paper's form). */
  readonly sha256: string
}

export interface ImageSet {
  readonly images: BenchImage[]
  /** True when the files were drawn in this call, false when a matching manifest was reused. */
  readonly generated: boolean
}

/** A fingerprint as the paper writes it on chain: 64 lowercase hex characters, no `0x`. */
export function fingerprintHex(digest: Uint8Array): string {
  return toHex(digest).slice(2)
}

/** mulberry32: a tiny seeded PRNG; quality is ample for drawing noise and shape jitter. */
export function createSeededRandom(seed32: number): () => number {
  let a = seed32 >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function seedFor(seed: string, index: number): number {
  const d = sha256(utf8.encode(`${PHANTOM_GENERATOR}/${seed}/${index}`))
  return ((d[0]! << 24) | (d[1]! << 16) | (d[2]! << 8) | d[3]!) >>> 0
}

export interface PhantomParams {
  readonly width: number
  readonly height: number
  readonly random: () => number
}

/**
 * Draws one chest-like radiograph: dark air outside the body, soft tissue, two dark lungs with
 * domed diaphragms, the heart shadow, the spine with vertebrae, arched ribs, clavicles, and
 * per-image Gaussian noise (film grain, which is also what keeps JPEGs a few hundred KB).
 * Returns one byte per pixel, row-major.
 */
export function renderChestPhantom(p: PhantomParams): Uint8Array {
  const { width: W, height: H, random } = p
  const jitter = (amount: number): number => (random() * 2 - 1) * amount
  const cx = W * (0.5 + jitter(0.02))
  const cy = H * (0.5 + jitter(0.02))
  const scale = Math.min(W, H)
  const lungRx = 0.14 * (1 + jitter(0.08))
  const lungRy = 0.3 * (1 + jitter(0.08))
  const lungDx = 0.18 * (1 + jitter(0.05))
  const ribSpacing = 0.062 * (1 + jitter(0.06))
  const ribPhase = jitter(0.02)
  const ribArch = 0.9 + jitter(0.15)
  const heartX = 0.05 + jitter(0.02)
  const heartR = 0.13 * (1 + jitter(0.08))
  const brightness = jitter(12)
  const grain = 5 + random() * 3
  const out = new Uint8Array(W * H)
  // Box-Muller pairs: one normal sample per pixel.
  let spare = 0
  let hasSpare = false
  const normal = (): number => {
    if (hasSpare) {
      hasSpare = false
      return spare
    }
    const u = Math.max(random(), 1e-12)
    const v = random()
    const r = Math.sqrt(-2 * Math.log(u))
    spare = r * Math.sin(2 * Math.PI * v)
    hasSpare = true
    return r * Math.cos(2 * Math.PI * v)
  }
  const smoothInside = (d: number, edge: number): number => {
    // 1 well inside (d < 1 - edge), 0 outside (d > 1), smooth between.
    if (d <= 1 - edge) return 1
    if (d >= 1) return 0
    const t = (1 - d) / edge
    return t * t * (3 - 2 * t)
  }
  for (let y = 0; y < H; y++) {
    const v = (y - cy) / scale
    for (let x = 0; x < W; x++) {
      const u = (x - cx) / scale
      const au = Math.abs(u)
      // body: soft tissue ellipse, slightly wider at the shoulders
      const bodyD = Math.sqrt((u / (0.46 - 0.04 * v)) ** 2 + ((v - 0.06) / 0.58) ** 2)
      const body = smoothInside(bodyD, 0.08)
      let g = 18 + 150 * body
      if (body > 0) {
        // lungs with a domed diaphragm at the bottom
        const ly = v + 0.02
        const lungD = Math.sqrt(((au - lungDx) / lungRx) ** 2 + (ly / lungRy) ** 2)
        const dome = ly - (lungRy * 0.72 - 0.5 * (au - lungDx) ** 2 * 4)
        const lung = smoothInside(lungD, 0.18) * (dome > 0 ? Math.max(0, 1 - dome * 25) : 1)
        g -= 95 * lung
        // heart shadow over the left lung (patient's left = image right)
        const heartD = Math.sqrt(((u - heartX) / (heartR * 1.1)) ** 2 + ((v - 0.14) / heartR) ** 2)
        g += 55 * smoothInside(heartD, 0.3)
        // spine and vertebrae
        const spine = Math.exp(-((u / 0.035) ** 4))
        g += spine * (38 + 10 * Math.cos(v * 2 * Math.PI / 0.055))
        // ribs: arches v = v0 + k*spacing + arch*u^2 on each side, nearest one only
        if (au > 0.03 && au < 0.36) {
          const base = v - ribPhase - ribArch * au * au + 0.34
          const k = Math.round(base / ribSpacing)
          if (k >= 0 && k <= 10) {
            const d = (base - k * ribSpacing) / (ribSpacing * 0.18)
            g += 34 * Math.exp(-d * d) * body
          }
        }
        // clavicles
        const clav = v + 0.33 - 0.12 * au
        if (au > 0.04 && au < 0.3) g += 40 * Math.exp(-((clav / 0.012) ** 2))
      }
      g += brightness + grain * normal()
      out[y * W + x] = g < 0 ? 0 : g > 255 ? 255 : g
    }
  }
  return out
}

/** Encodes grayscale pixels as a baseline JPEG (jpeg-js writes RGB; gray pixels stay gray). */
export function encodeGrayJpeg(gray: Uint8Array, width: number, height: number, quality: number): Uint8Array {
  const rgba = new Uint8Array(width * height * 4)
  for (let i = 0, j = 0; i < gray.length; i++, j += 4) {
    const g = gray[i]!
    rgba[j] = g
    rgba[j + 1] = g
    rgba[j + 2] = g
    rgba[j + 3] = 255
  }
  const encoded = jpeg.encode({ data: rgba, width, height }, quality)
  return new Uint8Array(encoded.data.buffer, encoded.data.byteOffset, encoded.data.byteLength)
}

interface Manifest {
  generator: string
  seed: string
  width: number
  height: number
  sizeJitter: number
  quality: number
  files: { name: string; width: number; height: number; bytes: number; sha256: string }[]
}

function checkOptions(o: ImageSetOptions): void {
  const intIn = (v: number, lo: number, hi: number): boolean => Number.isInteger(v) && v >= lo && v <= hi
  if (!intIn(o.count, 1, 100_000)) throw new BenchError(BenchErrorCode.BAD_OPTION, `image count must be 1..100000, got ${o.count}`)
  if (!intIn(o.width, 16, 8192) || !intIn(o.height, 16, 8192)) {
    throw new BenchError(BenchErrorCode.BAD_OPTION, `image size must be 16..8192 pixels, got ${o.width}x${o.height}`)
  }
  if (!intIn(o.sizeJitter, 0, Math.floor(Math.min(o.width, o.height) / 4))) {
    throw new BenchError(BenchErrorCode.BAD_OPTION, `sizeJitter must be 0..quarter of the size, got ${o.sizeJitter}`)
  }
  if (!intIn(o.quality, 1, 100)) throw new BenchError(BenchErrorCode.BAD_OPTION, `quality must be 1..100, got ${o.quality}`)
}

async function readManifest(dir: string): Promise<Manifest | null> {
  try {
    return JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as Manifest
  } catch {
    return null // no manifest or unreadable: draw the images again
  }
}

async function reuseCached(o: ImageSetOptions): Promise<BenchImage[] | null> {
  const m = await readManifest(o.dir)
  if (
    !m ||
    m.generator !== PHANTOM_GENERATOR ||
    m.seed !== o.seed ||
    m.width !== o.width ||
    m.height !== o.height ||
    m.sizeJitter !== o.sizeJitter ||
    m.quality !== o.quality ||
    !Array.isArray(m.files) ||
    m.files.length < o.count
  ) {
    return null
  }
  const images: BenchImage[] = []
  for (let i = 0; i < o.count; i++) {
    const f = m.files[i]!
    const path = join(o.dir, f.name)
    const s = await stat(path).catch(() => null)
    if (!s || s.size !== f.bytes) return null
    images.push({ index: i, path, width: f.width, height: f.height, bytes: f.bytes, sha256: f.sha256 })
  }
  return images
}

/**
 * Writes `count` phantoms to `dir` (or reuses them when `manifest.json` there was written with the
 * same parameters and at least as many images). Image i depends only on (seed, i), so the first
 * 20 images of a 100-image set are the 20 images of a 20-image set.
 * @throws BenchError BAD_OPTION on out-of-range options, IMAGE_GENERATION_FAILED on I/O errors.
 */
export async function generateImages(
  options: ImageSetOptions,
  onProgress: (done: number, total: number) => void = () => {},
): Promise<ImageSet> {
  checkOptions(options)
  const cached = await reuseCached(options)
  if (cached) {
    onProgress(options.count, options.count)
    return { images: cached, generated: false }
  }
  try {
    await mkdir(options.dir, { recursive: true })
    const images: BenchImage[] = []
    for (let i = 0; i < options.count; i++) {
      const random = createSeededRandom(seedFor(options.seed, i))
      const dw = Math.round((random() * 2 - 1) * options.sizeJitter)
      const dh = Math.round((random() * 2 - 1) * options.sizeJitter)
      const width = options.width + dw
      const height = options.height + dh
      const gray = renderChestPhantom({ width, height, random })
      const bytes = encodeGrayJpeg(gray, width, height, options.quality)
      const name = `xray-${String(i + 1).padStart(4, '0')}.jpg`
      const path = join(options.dir, name)
      await writeFile(path, bytes)
      images.push({ index: i, path, width, height, bytes: bytes.length, sha256: fingerprintHex(sha256(bytes)) })
      onProgress(i + 1, options.count)
    }
    const manifest: Manifest = {
      generator: PHANTOM_GENERATOR,
      seed: options.seed,
      width: options.width,
      height: options.height,
      sizeJitter: options.sizeJitter,
      quality: options.quality,
      files: images.map((im) => ({
        name: im.path.slice(options.dir.length + 1),
        width: im.width,
        height: im.height,
        bytes: im.bytes,
        sha256: im.sha256,
      })),
    }
    await writeFile(join(options.dir, 'manifest.json'), JSON.stringify(manifest, null, 1))
    return { images, generated: true }
  } catch (e) {
    throw new BenchError(BenchErrorCode.IMAGE_GENERATION_FAILED, `cannot write images to ${options.dir}: ${(e as Error).message}`)
  }
}

