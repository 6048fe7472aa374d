/**
 * A node's consensus timeline, for diagnostics (`npm run bench:trace`): one line per step,
 *   `<epoch ms with µs> <node name> <event> <height>`
 * appended to a file named in the config (`traceFile`, `--trace-file`, MEDCHAIN_TRACE_FILE).
 * Several nodes may append to one file: each line is one write to a file opened with O_APPEND,
 * which the kernel does not interleave. Off by default (the runner then has no trace at all).
 *
 * Events (from the BFT runner): tx-local / tx-peer (a tx entered the mempool), the engine's
 * outputs by type (propose-block, sign-proposal, sign-prevote, sign-precommit, broadcast-votes,
 * validate-block, commit, …), prevote-signed and precommit-signed (after the PrivValidator's
 * save, a precommit's fsync included) and persisted (the block's LevelDB batch is written).
 */
import { closeSync, openSync, writeSync } from 'node:fs'

export interface StepTrace {
  record(event: string, height: number): void
  close(): void
}

/** Opens `path` for appending. @throws the fs error when it cannot be opened (a bad config). */
export function openStepTrace(path: string, nodeName: string, now: () => number = () => performance.timeOrigin + performance.now()): StepTrace {
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
