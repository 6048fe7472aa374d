/**
 * Runs records one at a time on a fresh testnet whose nodes trace their consensus steps
 * (node/consensus-runner/step-trace.ts) into one file, and returns the parsed steps with the
 * client's record windows (bench/medchain/height-trace.ts turns them into phases). The nodes get
 * the file in their environment (MEDCHAIN_TRACE_FILE, the driver's `nodeEnv`).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createMedchainDriverFactory } from '../medchain-driver.ts'
import { freshFingerprints, PAPER_SCENARIO } from '../workload.ts'
import { machineClockMs, parseTrace, type TraceEvent } from '../../node/consensus-runner/step-trace.ts'
import type { RecordWindow } from './height-trace.ts'

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
  // The nodes' trace clock: times from both sides are compared, so both read the machine's.
  const now = machineClockMs
  const dir = await mkdtemp(join(tmpdir(), 'medchain-trace-'))
  const traceFile = join(dir, 'steps.trace')
  const windows: RecordWindow[] = []
  try {
    o.progress?.(`starting a ${o.validators}-validator testnet (untimed)…`)
    const driver = await createMedchainDriverFactory({ validators: o.validators, loadRates: [], nodeEnv: { MEDCHAIN_TRACE_FILE: traceFile } })()
    try {
      await driver.setup(PAPER_SCENARIO, () => {})
      if (o.warmUpRecords > 0) {
        await driver.recordSequential(freshFingerprints('warm', o.warmUpRecords), (d, t) => (d % 25 === 0 || d === t) && o.progress?.(`warm-up ${d}/${t}`))
      }
      let start = now()
      await driver.recordSequential(freshFingerprints('traced', o.records), (d, t) => {
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
    await rm(dir, { recursive: true, force: true })
  }
}
