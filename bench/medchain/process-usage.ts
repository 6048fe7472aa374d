/**
 * CPU time and memory of the node processes, read from Linux's /proc (no dependency, no
 * sampling thread): `/proc/<pid>/stat` fields 14 and 15 (utime, stime, in clock ticks) and
 * `/proc/<pid>/status` VmRSS / VmHWM (resident and peak resident set, kB). Parsing is pure and
 * tested; reading returns undefined where /proc is missing (not Linux) or the process is gone.
 */
import { readFileSync } from 'node:fs'

/** Clock ticks per second of /proc CPU times: USER_HZ, 100 on every Linux build in use. */
export const CLOCK_TICKS_PER_SECOND = 100

export interface ProcessUsage {
  /** User + system CPU time since the process started, ms. */
  readonly cpuMs: number
  /** Resident set size now, bytes. */
  readonly rssBytes: number
  /** Peak resident set size, bytes. */
  readonly peakRssBytes: number
}

/** utime + stime in ms from the text of /proc/<pid>/stat. The command name may hold spaces and ')'. */
export function parseProcStatCpuMs(text: string, ticksPerSecond = CLOCK_TICKS_PER_SECOND): number {
  const close = text.lastIndexOf(')')
  if (close < 0) throw new Error('not a /proc/<pid>/stat line')
  // Fields after the command: state is field 3, so utime (14) and stime (15) are at 11 and 12 here.
  const fields = text.slice(close + 2).trim().split(/\s+/)
  const utime = Number(fields[11])
  const stime = Number(fields[12])
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error('no utime/stime in /proc/<pid>/stat')
  return ((utime + stime) * 1000) / ticksPerSecond
}

/** A `Vm*:   1234 kB` line of /proc/<pid>/status, in bytes (0 when absent). */
export function parseProcStatusKb(text: string, field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(text)
  return m ? Number(m[1]) * 1024 : 0
}

export function readProcessUsage(pid: number | undefined): ProcessUsage | undefined {
  if (pid === undefined) return undefined
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    return { cpuMs: parseProcStatCpuMs(stat), rssBytes: parseProcStatusKb(status, 'VmRSS'), peakRssBytes: parseProcStatusKb(status, 'VmHWM') }
  } catch {
    return undefined
  }
}
