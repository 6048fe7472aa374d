/**
 * CPU time and memory of the node processes, read from Linux's /proc (no dependency, no
 * sampling thread): `/proc/<pid>/stat` fields 10, 14 and 15 (minor faults; utime, stime, in clock ticks) and
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

/** What the bench reads from /proc/<pid>/stat. */
export interface ProcStat {
  /** utime + stime, ms. */
  readonly cpuMs: number
  /** Minor page faults so far: pages the kernel mapped on first touch, without disk I/O. */
  readonly minorFaults: number
}

/** CPU time and minor faults from the text of /proc/<pid>/stat. The command name may hold spaces and ')'. */
export function parseProcStat(text: string, ticksPerSecond = CLOCK_TICKS_PER_SECOND): ProcStat {
  const close = text.lastIndexOf(')')
  if (close < 0) throw new Error('not a /proc/<pid>/stat line')
  // Fields after the command: state is field 3, so minflt (10), utime (14) and stime (15) are at
  // 7, 11 and 12 here.
  const fields = text.slice(close + 2).trim().split(/\s+/)
  const minorFaults = Number(fields[7])
  const utime = Number(fields[11])
  const stime = Number(fields[12])
  if (!Number.isFinite(utime) || !Number.isFinite(stime) || !Number.isFinite(minorFaults)) throw new Error('no minflt/utime/stime in /proc/<pid>/stat')
  return { cpuMs: ((utime + stime) * 1000) / ticksPerSecond, minorFaults }
}

/** utime + stime in ms from the text of /proc/<pid>/stat. */
export function parseProcStatCpuMs(text: string, ticksPerSecond = CLOCK_TICKS_PER_SECOND): number {
  return parseProcStat(text, ticksPerSecond).cpuMs
}

/** `parseProcStat` of a live process; undefined where /proc is missing or the process is gone. */
export function readProcStat(pid: number): ProcStat | undefined {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return undefined
  }
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
