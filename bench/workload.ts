/**
 * The paper's workload as a contract between the runner and every chain under test.
 *
 * A `ChainDriver` runs the paper's walk-through on one chain: deploy the `xr` contract for
 * patient Ken, let gov grant Dr. Lee the doctor role, record image fingerprints, let the host set
 * personal data, read everything back as the patient, then revoke Dr. Lee and see his next write
 * refused. The runner times each step (through an injected clock) and checks every answer (counts,
 * the exact fingerprints in order, the profile, the refusal), so a fast wrong answer fails the run
 * instead of winning it.
 *
 * Imports: node builtins, core/ (hashing), ./images.ts, ./errors.ts. No chain library: drivers
 * live beside (bench/ethereum/, and the medchain driver) and are handed in as factories.
 */
import { cpus, totalmem } from 'node:os'
import { DEFAULT_IMAGE_OPTIONS, generateImages, type BenchImage, type ImageSetOptions } from './images.ts'
import { createHash } from 'node:crypto'
import { hashFiles } from '../client/image-hash.ts'
import { BenchError, BenchErrorCode, isBenchError } from './errors.ts'
import { percentile } from './percentile.ts'
import { measureKernelCosts, type KernelCosts } from './kernel-costs.ts'

/** The constants of the paper's walk-through, shared by every driver. */
export const PAPER_SCENARIO = {
  patientName: 'Ken',
  patientAge: 25,
  /** The paper's last two constructor arguments: small integers whose meaning it does not give. */
  constructorCodes: [0, 1] as const,
  doctorName: 'Dr.Lee',
  /** userType 1 in the paper's enum of user types. */
  doctorUserType: 1,
  part: 'chest',
  birthday: '19970522',
  contact: '0912-321-456',
} as const
export type PaperScenario = typeof PAPER_SCENARIO

/** The paper's figures (Table I: i7-7700HQ, Ganache with 10 nodes, 100 Kaggle chest X-rays). */
export const PAPER_FIGURES = {
  images: 100,
  nodes: 10,
  hashMs: 685,
  uploadMs: 56_830,
} as const

/** One record as `getXrayhash(i)` returns it. `hash` is 64 lowercase hex characters, no `0x`. */
export interface XrayRecord {
  readonly doctorName: string
  readonly part: string
  readonly hash: string
}

/** What `profile()` returns to a reader with permission. */
export interface PatientProfile {
  readonly name: string
  readonly age: number
  readonly birthday: string
  readonly contact: string
}

/** `(done, total)`: drivers call it as items complete so the terminal can show progress. */
export type ProgressFn = (done: number, total: number) => void

/** Per-record latency of a write, in ms: from handing it to the chain to seeing it final. */
export interface RecordOutcome {
  readonly latenciesMs: readonly number[]
}

/** What the driver saw when the revoked doctor tried to record once more. */
export interface RefusalEvidence {
  /** True when the chain refused the write (reverted, rejected, failed receipt). */
  readonly refused: boolean
  /** How it was refused, for the report (e.g. `reverted: NOT_DOCTOR`). */
  readonly how: string
  /** getXrayhashCount before and after the attempt: must be equal. */
  readonly countBefore: number
  readonly countAfter: number
}

/** A generic plot series; the report groups series by `plot` and draws one chart per group. */
export interface Series {
  /** Stable plot id: series with the same id share a chart (e.g. `throughput-vs-offered-load`). */
  readonly plot: string
  readonly plotTitle: string
  readonly kind: 'histogram' | 'line'
  readonly name: string
  readonly xLabel: string
  readonly yLabel: string
  readonly points: readonly { readonly x: number; readonly y: number }[]
}

/** A small table a driver adds to the report (e.g. per-node CPU and memory); cells are display text. */
export interface ReportTable {
  readonly title: string
  readonly columns: readonly string[]
  readonly rows: readonly (readonly string[])[]
}

/**
 * One chain under test. The runner calls, in this order and once each:
 * setup → recordSequential → recordPipelined → readProfile → readAll → revokeAndCheckRefused
 * → extraSeries? → teardown (teardown always, also after a failure).
 *
 * Hashes are 64 lowercase hex characters without `0x`; every record is written by Dr. Lee with
 * part `PAPER_SCENARIO.part`.
 */
export interface ChainDriver {
  /** Stable id used on the command line and in the JSON (`ganache`, `hardhat`, `medchain`). */
  readonly id: string
  /** Human description with versions and topology, e.g. `Ganache 7.9.2, 1 node, instamine`. */
  readonly label: string
  /** `subject` = the system being evaluated, `baseline` = what it is compared against. */
  readonly role: 'subject' | 'baseline'
  /**
   * Starts the chain if the driver owns it, deploys the paper's contract with
   * (`'Ken'`, gov, 25, 0, 1), gov grants Dr. Lee the doctor role and grants the host and the
   * patient their roles, and the host sets birthday and contact (`PAPER_SCENARIO`).
   */
  setup(scenario: PaperScenario, progress: (message: string) => void): Promise<void>
  /** Records each hash as Dr. Lee, one at a time: submit, wait until final, then the next. */
  recordSequential(hashes: readonly string[], progress: ProgressFn): Promise<RecordOutcome>
  /** Records each hash as Dr. Lee, pipelined: submit all, then wait until all are final. */
  recordPipelined(hashes: readonly string[], progress: ProgressFn): Promise<RecordOutcome>
  /** `profile()` read by the patient. */
  readProfile(): Promise<PatientProfile>
  /** Reads `getXrayhashCount()` then every record `getXrayhash(i)` as the patient, in index order. */
  readAll(progress: ProgressFn): Promise<XrayRecord[]>
  /** Gov revokes Dr. Lee (`removePermission`), then Dr. Lee tries `setXrayhash` once more. */
  revokeAndCheckRefused(probeHash: string): Promise<RefusalEvidence>
  /** Optional extra plots (e.g. latency under load, throughput against offered load). */
  extraSeries?(progress: (message: string) => void): Promise<Series[]>
  /** Optional extra tables for the report (called after `extraSeries`), e.g. resource use per node. */
  extraTables?(): readonly ReportTable[]
  /** Stops whatever setup started. Must be safe to call after a failed or partial setup. */
  teardown(): Promise<void>
}

/** Builds a driver; called once per run, after the images exist. */
export type ChainDriverFactory = () => Promise<ChainDriver>

export const STEP_IDS = ['setup', 'record-sequential', 'record-pipelined', 'read-profile', 'read-all', 'revoke-refused'] as const
export type StepId = (typeof STEP_IDS)[number]

export const STEP_LABELS: Record<StepId | 'hash' | 'generate', string> = {
  generate: 'generate images (not compared)',
  hash: 'hash images from disk',
  setup: 'deploy + grant roles + set profile',
  'record-sequential': 'record, one at a time (wait for finality each)',
  'record-pipelined': 'record, pipelined (send all, then wait)',
  'read-profile': 'read profile',
  'read-all': 'read back count + all records',
  'revoke-refused': 'revoke Dr. Lee, his next write refused',
}

export interface StepResult {
  readonly id: StepId
  readonly ok: boolean
  /** Wall-clock duration measured by the runner; present also for a failed step. */
  readonly ms: number
  /** Items the step handled (records written or read); 0 when not meaningful. */
  readonly items: number
  readonly detail: string
  readonly error?: { code: string; message: string }
}

export interface LatencySummary {
  readonly count: number
  readonly minMs: number
  readonly p50Ms: number
  readonly p90Ms: number
  readonly p99Ms: number
  readonly maxMs: number
  readonly meanMs: number
}

export interface ChainRunResult {
  readonly id: string
  readonly label: string
  readonly role: 'subject' | 'baseline'
  /** True only when every step ran and every check passed. */
  readonly ok: boolean
  readonly steps: StepResult[]
  readonly latency: { sequential?: LatencySummary; pipelined?: LatencySummary }
  readonly series: Series[]
  /** Tables from the driver's `extraTables` (absent when it has none). */
  readonly tables?: readonly ReportTable[]
  readonly error?: { code: string; message: string }
}

export interface HashingResult {
  readonly images: number
  readonly bytes: number
  readonly ms: number
  readonly hashes: string[]
  /** The image (0-based) at which the hasher began reading ahead, taking the reads for the disk's; absent: it never did. */
  readonly readAheadFrom?: number
}

export interface BenchRunResult {
  readonly schema: 'medchain-bench/v1'
  readonly startedAt: string
  readonly finishedAt: string
  readonly options: { readonly n: number; readonly quick: boolean; readonly seed: string; readonly chains: string[] }
  readonly machine: {
    readonly node: string
    readonly platform: string
    readonly cpus: number
    readonly cpuModel: string
    readonly memoryGB: number
    /** What the kernel charged when the run started (kernel-costs.ts); absent in older results. */
    readonly kernel?: KernelCosts
  }
  readonly images: {
    readonly count: number
    readonly totalBytes: number
    readonly meanBytes: number
    readonly minWidth: number
    readonly maxWidth: number
    readonly minHeight: number
    readonly maxHeight: number
    readonly dir: string
    readonly generateMs: number
    readonly generated: boolean
  }
  readonly hashing: Omit<HashingResult, 'hashes'>
  readonly paper: typeof PAPER_FIGURES
  readonly chains: ChainRunResult[]
  readonly ok: boolean
}

/** Where the runner reports what it is doing; the terminal implementation is in report.ts. */
export interface ProgressSink {
  stepStart(chain: string, step: string, total: number): void
  stepProgress(chain: string, step: string, done: number, total: number): void
  stepEnd(chain: string, step: string, ok: boolean, ms: number, detail: string): void
  note(chain: string, message: string): void
}

export const silentProgress: ProgressSink = {
  stepStart() {},
  stepProgress() {},
  stepEnd() {},
  note() {},
}

export function summarizeLatencies(values: readonly number[]): LatencySummary | undefined {
  if (values.length === 0) return undefined
  const s = [...values].sort((a, b) => a - b)
  const q = (p: number): number => percentile(s, p)
  return {
    count: s.length,
    minMs: s[0]!,
    p50Ms: q(0.5),
    p90Ms: q(0.9),
    p99Ms: q(0.99),
    maxMs: s[s.length - 1]!,
    meanMs: s.reduce((a, b) => a + b, 0) / s.length,
  }
}

/** Histogram with `bins` equal-width bins over [min, max]; x = bin centre, y = count. */
export function latencyHistogram(values: readonly number[], bins = 20): { x: number; y: number }[] {
  if (values.length === 0) return []
  const lo = Math.min(...values)
  const hi = Math.max(...values)
  const width = hi > lo ? (hi - lo) / bins : 1
  const counts = new Array<number>(bins).fill(0)
  for (const v of values) counts[Math.min(bins - 1, Math.floor((v - lo) / width))]! += 1
  return counts.map((y, i) => ({ x: lo + (i + 0.5) * width, y }))
}

function verify(condition: boolean, step: StepId, message: string, detail?: Record<string, unknown>): asserts condition {
  if (!condition) throw new BenchError(BenchErrorCode.VERIFY_FAILED, `${step}: ${message}`, detail)
}

function errorInfo(e: unknown): { code: string; message: string } {
  if (isBenchError(e)) return { code: e.code, message: e.message }
  const code = typeof (e as { code?: unknown })?.code === 'string' ? (e as { code: string }).code : 'ERROR'
  return { code, message: e instanceof Error ? e.message : String(e) }
}

const HASH_RE = /^[0-9a-f]{64}$/

/** Checks records written by the two record steps: the sequential ones in order, then the pipelined ones as a multiset. */
export function checkRecords(records: readonly XrayRecord[], hashes: readonly string[], scenario: PaperScenario): void {
  const n = hashes.length
  verify(records.length === 2 * n, 'read-all', `expected ${2 * n} records, read ${records.length}`)
  records.forEach((r, i) => {
    verify(r.doctorName === scenario.doctorName, 'read-all', `record ${i} doctor is ${JSON.stringify(r.doctorName)}`)
    verify(r.part === scenario.part, 'read-all', `record ${i} part is ${JSON.stringify(r.part)}`)
    verify(HASH_RE.test(r.hash), 'read-all', `record ${i} hash is not 64 lowercase hex: ${JSON.stringify(r.hash)}`)
  })
  for (let i = 0; i < n; i++) {
    verify(records[i]!.hash === hashes[i], 'read-all', `sequential record ${i} is ${records[i]!.hash}, expected ${hashes[i]}`)
  }
  // A chain may order concurrently submitted writes differently; the pipelined half must hold
  // exactly the same fingerprints, each as many times as submitted.
  const expected = new Map<string, number>()
  for (const h of hashes) expected.set(h, (expected.get(h) ?? 0) + 1)
  for (let i = n; i < 2 * n; i++) {
    const h = records[i]!.hash
    const left = expected.get(h) ?? 0
    verify(left > 0, 'read-all', `pipelined record ${i} holds a fingerprint that was not submitted (or too often): ${h}`)
    expected.set(h, left - 1)
  }
}

export interface RunChainOptions {
  readonly hashes: readonly string[]
  readonly scenario?: PaperScenario
  readonly progress?: ProgressSink
  /** Monotonic milliseconds; injected so tests need no real clock. */
  readonly now?: () => number
}

/**
 * Runs the paper's walk-through on one driver, timing and checking each step. Never throws for a
 * chain failure: the failed step and its error are in the result, and teardown always runs.
 */
export async function runChain(factory: ChainDriverFactory, id: string, options: RunChainOptions): Promise<ChainRunResult> {
  const scenario = options.scenario ?? PAPER_SCENARIO
  const progress = options.progress ?? silentProgress
  const now = options.now ?? (() => performance.now())
  const hashes = options.hashes
  const n = hashes.length
  for (const h of hashes) if (!HASH_RE.test(h)) throw new BenchError(BenchErrorCode.BAD_OPTION, `not a 64-hex fingerprint: ${h}`)
  const steps: StepResult[] = []
  const latency: { sequential?: LatencySummary; pipelined?: LatencySummary } = {}
  const series: Series[] = []
  const tables: ReportTable[] = []
  let driver: ChainDriver | undefined
  let label = id
  let role: 'subject' | 'baseline' = 'baseline'
  let failure: { code: string; message: string } | undefined

  const step = async <T>(stepId: StepId, total: number, body: (p: ProgressFn) => Promise<T>, check: (value: T) => { items: number; detail: string }): Promise<T> => {
    progress.stepStart(id, stepId, total)
    const t0 = now()
    let value: T
    try {
      value = await body((done, tot) => progress.stepProgress(id, stepId, done, tot))
    } catch (e) {
      const ms = now() - t0
      const error = errorInfo(e)
      steps.push({ id: stepId, ok: false, ms, items: 0, detail: 'failed', error })
      progress.stepEnd(id, stepId, false, ms, error.message)
      throw e
    }
    const ms = now() - t0
    try {
      const { items, detail } = check(value)
      steps.push({ id: stepId, ok: true, ms, items, detail })
      progress.stepEnd(id, stepId, true, ms, detail)
    } catch (e) {
      const error = errorInfo(e)
      steps.push({ id: stepId, ok: false, ms, items: 0, detail: 'check failed', error })
      progress.stepEnd(id, stepId, false, ms, error.message)
      throw e
    }
    return value
  }

  try {
    const d = await factory()
    driver = d
    label = d.label
    role = d.role
    await step('setup', 0, async () => d.setup(scenario, (m) => progress.note(id, m)), () => ({ items: 0, detail: 'deployed, roles granted, profile set' }))
    const checkWrites = (stepId: StepId) => (o: RecordOutcome) => {
      verify(o.latenciesMs.length === n, stepId, `driver reported ${o.latenciesMs.length} latencies for ${n} records`)
      verify(o.latenciesMs.every((l) => Number.isFinite(l) && l >= 0), stepId, 'a latency is negative or not a number')
      return { items: n, detail: `${n} records final` }
    }
    const seq = await step('record-sequential', n, (p) => d.recordSequential(hashes, p), checkWrites('record-sequential'))
    latency.sequential = summarizeLatencies(seq.latenciesMs)
    const pip = await step('record-pipelined', n, (p) => d.recordPipelined(hashes, p), checkWrites('record-pipelined'))
    latency.pipelined = summarizeLatencies(pip.latenciesMs)
    await step('read-profile', 1, () => d.readProfile(), (p) => {
      const want = { name: scenario.patientName, age: scenario.patientAge, birthday: scenario.birthday, contact: scenario.contact }
      const got = { name: p.name, age: p.age, birthday: p.birthday, contact: p.contact }
      verify(JSON.stringify(got) === JSON.stringify(want), 'read-profile', `profile is ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`)
      return { items: 1, detail: `${p.name}, ${p.age}, ${p.birthday}, ${p.contact}` }
    })
    await step('read-all', 2 * n, (p) => d.readAll(p), (records) => {
      checkRecords(records, hashes, scenario)
      return { items: records.length, detail: `${records.length} records match` }
    })
    // A fingerprint that was never recorded, so a driver cannot "refuse" by deduplicating.
    const probe = 'f'.repeat(63) + '0'
    await step('revoke-refused', 1, () => d.revokeAndCheckRefused(probe), (ev) => {
      verify(ev.refused, 'revoke-refused', `the revoked doctor's write was not refused (${ev.how})`)
      verify(ev.countBefore === 2 * n, 'revoke-refused', `count before the attempt is ${ev.countBefore}, expected ${2 * n}`)
      verify(ev.countAfter === ev.countBefore, 'revoke-refused', `count changed from ${ev.countBefore} to ${ev.countAfter}`)
      return { items: 1, detail: `refused (${ev.how}), count stays ${ev.countAfter}` }
    })
    series.push({
      plot: 'latency-sequential',
      plotTitle: 'Write latency, one at a time (submit → final), histogram',
      kind: 'histogram',
      name: id,
      xLabel: 'latency (ms)',
      yLabel: 'records',
      points: latencyHistogram(seq.latenciesMs),
    })
    series.push({
      plot: 'latency-pipelined',
      plotTitle: 'Write latency, pipelined (submit → final), histogram',
      kind: 'histogram',
      name: id,
      xLabel: 'latency (ms)',
      yLabel: 'records',
      points: latencyHistogram(pip.latenciesMs),
    })
    if (d.extraSeries) series.push(...(await d.extraSeries((m) => progress.note(id, m))))
    if (d.extraTables) tables.push(...d.extraTables())
  } catch (e) {
    failure = errorInfo(e)
    progress.note(id, `FAILED: ${failure.message}`)
  } finally {
    if (driver) {
      try {
        await driver.teardown()
      } catch (e) {
        const info = errorInfo(e)
        progress.note(id, `teardown failed: ${info.message}`)
        failure ??= info
      }
    }
  }
  const ok = failure === undefined && steps.length === STEP_IDS.length && steps.every((s) => s.ok)
  return { id, label, role, ok, steps, latency, series, ...(tables.length > 0 ? { tables } : {}), ...(failure ? { error: failure } : {}) }
}


/** `count` fingerprints no earlier run recorded (tag, index and the time), for the CPU and trace benchmarks. */
export function freshFingerprints(tag: string, count: number): string[] {
  const salt = Date.now()
  return Array.from({ length: count }, (_, i) => createHash('sha256').update(`${tag}-${i}-${salt}`).digest('hex'))
}

/**
 * Hashes every image from disk (the paper's 685 ms step) and checks each fingerprint against the
 * one recorded when the image was written, so a hashing shortcut cannot pass.
 */
export async function hashImages(images: readonly BenchImage[], progress: ProgressSink = silentProgress, now: () => number = () => performance.now()): Promise<HashingResult> {
  progress.stepStart('images', 'hash', images.length)
  const t0 = now()
  // The hospital client's hasher (client/image-hash.ts `hashFiles`: in order, reading ahead from the disk).
  let readAheadFrom: number | undefined
  const hashes = (await hashFiles(images.map((im) => im.path), (_fp, i) => progress.stepProgress('images', 'hash', i + 1, images.length), {
    onReadAhead: (i) => (readAheadFrom = i),
  })).map((fp) => fp.sha256)
  const ms = now() - t0
  images.forEach((im, i) => {
    if (hashes[i] !== im.sha256) {
      throw new BenchError(BenchErrorCode.VERIFY_FAILED, `hash: ${im.path} hashes to ${hashes[i]}, its manifest says ${im.sha256}`)
    }
  })
  const bytes = images.reduce((a, im) => a + im.bytes, 0)
  // Says so when the hasher took the reads for the disk's: what a slow hashing round looks like.
  const how = readAheadFrom === undefined ? '' : `, read ahead from image ${readAheadFrom + 1} (the first reads were as slow as the disk)`
  progress.stepEnd('images', 'hash', true, ms, `${images.length} files, ${(bytes / 1e6).toFixed(1)} MB${how}`)
  return { images: images.length, bytes, ms, hashes, ...(readAheadFrom === undefined ? {} : { readAheadFrom }) }
}

export interface BenchRunOptions {
  readonly n: number
  readonly quick: boolean
  /** Folder for the images (reused across runs when the parameters match). */
  readonly imagesDir: string
  readonly image?: Partial<Omit<ImageSetOptions, 'dir' | 'count'>>
  readonly chains: readonly { readonly id: string; readonly factory: ChainDriverFactory }[]
  readonly progress?: ProgressSink
  readonly now?: () => number
  readonly wallClock?: () => Date
}

/**
 * The whole benchmark: draw (or reuse) N images, hash them from disk, then run the walk-through
 * on each chain in turn with the same fingerprints. Chains run one after another, never at the
 * same time, so they do not compete for the two cores.
 */
export async function runBenchmark(o: BenchRunOptions): Promise<BenchRunResult> {
  const progress = o.progress ?? silentProgress
  const now = o.now ?? (() => performance.now())
  const wallClock = o.wallClock ?? (() => new Date())
  const startedAt = wallClock().toISOString()
  const kernel = measureKernelCosts()
  const imageOptions: ImageSetOptions = { ...DEFAULT_IMAGE_OPTIONS, ...o.image, dir: o.imagesDir, count: o.n }
  progress.stepStart('images', 'generate', o.n)
  const g0 = now()
  const set = await generateImages(imageOptions, (done, total) => progress.stepProgress('images', 'generate', done, total))
  const generateMs = now() - g0
  progress.stepEnd('images', 'generate', true, generateMs, set.generated ? `drew ${o.n} images into ${o.imagesDir}` : `reused ${o.n} cached images in ${o.imagesDir}`)
  // The fingerprints go to the chains; the report keeps the rest of the hashing step.
  const { hashes, ...hashing } = await hashImages(set.images, progress, now)
  const chains: ChainRunResult[] = []
  for (const c of o.chains) chains.push(await runChain(c.factory, c.id, { hashes, progress, now }))
  const widths = set.images.map((im) => im.width)
  const heights = set.images.map((im) => im.height)
  const cpuList = cpus()
  return {
    schema: 'medchain-bench/v1',
    startedAt,
    finishedAt: wallClock().toISOString(),
    options: { n: o.n, quick: o.quick, seed: imageOptions.seed, chains: o.chains.map((c) => c.id) },
    machine: {
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
      cpus: cpuList.length,
      cpuModel: cpuList[0]?.model ?? 'unknown',
      memoryGB: Math.round(totalmem() / 2 ** 30),
      kernel,
    },
    images: {
      count: set.images.length,
      totalBytes: hashing.bytes,
      meanBytes: Math.round(hashing.bytes / set.images.length),
      minWidth: Math.min(...widths),
      maxWidth: Math.max(...widths),
      minHeight: Math.min(...heights),
      maxHeight: Math.max(...heights),
      dir: o.imagesDir,
      generateMs,
      generated: set.generated,
    },
    hashing,
    paper: PAPER_FIGURES,
    chains,
    ok: chains.length > 0 && chains.every((c) => c.ok),
  }
}
