/**
 * Runs records one at a time on a fresh testnet whose nodes trace their consensus steps
 * (node/consensus-runner/step-trace.ts) into one file, and returns the parsed steps with the
 * client's record windows (bench/medchain/height-trace.ts turns them into phases). The nodes get
 * the file through MEDCHAIN_TRACE_FILE, which the testnet passes on to them.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createHash } from 'node:crypto'
import { createMedchainDriverFactory } from '../medchain-driver.ts'
import { PAPER_SCENARIO } from '../workload.ts'
import { parseTrace, type RecordWindow, type TraceEvent } from './height-trace.ts'

export interface TracedRecordsOptions {
  readonly validators: number
  /** Records before the traced ones (untraced in the result), to warm the nodes' JIT. */
  readonly warmUpRecords: number
  readonly records: number
  readonly progress?: (message: string) => void
}

export interface TracedRecords {
  readonly events: TraceEvent[]
  readonly windows: RecordWindow[]
}

export async function runTracedRecords(o: TracedRecordsOptions): Promise<TracedRecords> {
  const now = (): number => performance.timeOrigin + performance.now()
  const fingerprints = (tag: string, count: number): string[] =>
    Array.from({ length: count }, (_, i) => createHash('sha256').update(`${tag}-${i}-${Date.now()}`).digest('hex'))
  const dir = await mkdtemp(join(tmpdir(), 'medchain-trace-'))
  const traceFile = join(dir, 'steps.trace')
  const before = process.env.MEDCHAIN_TRACE_FILE
  process.env.MEDCHAIN_TRACE_FILE = traceFile
  const windows: RecordWindow[] = []
  try {
    o.progress?.(`starting a ${o.validators}-validator testnet (untimed)…`)
    const driver = await createMedchainDriverFactory({ validators: o.validators, loadRates: [] })()
    try {
      await driver.setup(PAPER_SCENARIO, () => {})
      if (o.warmUpRecords > 0) {
        await driver.recordSequential(fingerprints('warm', o.warmUpRecords), (d, t) => (d % 25 === 0 || d === t) && o.progress?.(`warm-up ${d}/${t}`))
      }
      let start = now()
      await driver.recordSequential(fingerprints('traced', o.records), (d, t) => {
        const final = now()
        windows.push({ start, final })
        start = final // the driver starts the next record as soon as this one is final
        if (d % 25 === 0 || d === t) o.progress?.(`traced ${d}/${t}`)
      })
    } finally {
      await driver.teardown()
    }
    return { events: parseTrace(await readFile(traceFile, 'utf8')), windows }
  } finally {
    if (before === undefined) delete process.env.MEDCHAIN_TRACE_FILE
    else process.env.MEDCHAIN_TRACE_FILE = before
    await rm(dir, { recursive: true, force: true })
  }
}
