/**
 * A node's consensus timeline, for diagnostics (`npm run bench:trace`): one line per step,
 *   `<machine ms with µs> <node name> <event> <height>`
 * appended to a file named in the config (`traceFile`, `--trace-file`, MEDCHAIN_TRACE_FILE).
 * Several nodes may append to one file: each line is one write to a file opened with O_APPEND,
 * which the kernel does not interleave. Off by default (the runner then has no trace at all).
 *
 * Events (from the BFT runner): tx-local / tx-peer (a tx entered the mempool), the engine's
 * outputs by type (propose-block, sign-proposal, sign-prevote, sign-precommit, broadcast-votes,
 * validate-block, commit, …), prevote-signed and precommit-signed (after the PrivValidator's
 * save, a precommit's fsync included) and persisted (the block's LevelDB batch is written,
 * whether consensus or block sync brought it).
 */
import { closeSync, openSync, writeSync } from 'node:fs'

/**
 * Milliseconds on the machine's monotonic clock (libuv's hrtime: CLOCK_MONOTONIC on Linux), which
 * every process on the machine reads alike. The trace's readers set these times against times
 * taken in other processes (the client's record windows). `performance.timeOrigin +
 * performance.now()` is only nearly shared: each process fixes its origin from the wall clock
 * when it starts, so two processes disagree by however far the wall clock moved against the
 * monotonic one between their starts (here, 18 processes started over two minutes disagreed by
 * up to 0.068 ms, measured against this clock).
 */
export function machineClockMs(): number {
  return Number(process.hrtime.bigint()) / 1e6
}

export interface StepTrace {
  record(event: string, height: number): void
  close(): void
}

/** Opens `path` for appending. @throws the fs error when it cannot be opened (a bad config). */
export function openStepTrace(path: string, nodeName: string, now: () => number = machineClockMs): StepTrace {
  let fd: number | undefined = openSync(path, 'a', 0o600)
  const name = nodeName.replace(/\s/g, '_')
  return {
    record(event, height) {
      if (fd === undefined) return
      try {
        writeSync(fd, `${now().toFixed(3)} ${name} ${event} ${height}\n`)
      } catch {
        // A diagnostic must never stop consensus: a failed write (disk full) ends the trace.
        fd = undefined
      }
    },
    close() {
      if (fd !== undefined) closeSync(fd)
      fd = undefined
    },
  }
}

/** One parsed trace line. */
export interface TraceEvent {
  readonly at: number
  readonly node: string
  readonly event: string
  readonly height: number
}

/** Parses trace lines (the format above), in time order; lines that do not parse are skipped. */
export function parseTrace(text: string): TraceEvent[] {
  const events: TraceEvent[] = []
  for (const line of text.split('\n')) {
    const [at, node, event, height, extra] = line.trim().split(' ')
    if (extra !== undefined || !at || !node || !event || height === undefined) continue
    const e = { at: Number(at), node, event, height: Number(height) }
    if (Number.isFinite(e.at) && Number.isSafeInteger(e.height)) events.push(e)
  }
  return events.sort((a, b) => a.at - b.at)
}
