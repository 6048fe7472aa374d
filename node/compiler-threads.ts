/**
 * Runs V8's background threads ("V8Worker": concurrent Maglev and TurboFan compiles, and GC
 * helper tasks) at a lower CPU priority than the node's main thread, so that consensus, block
 * execution and the network come first when the cores are busy, and compiles fill the idle time.
 *
 * Why: on a machine shared by several validators (the 10-node testnet on 2 cores) the compiler
 * threads took 15.2 % of the nodes' CPU samples over the first 100 records after setup, competing
 * with every vote. Niced to 19, setup and the first 100 records one at a time ran faster in every
 * interleaved pair measured (bench/README.md). On a machine with idle cores this changes nothing.
 *
 * Linux only: a thread's nice value is set through its id (`setpriority(PRIO_PROCESS, tid)`, which
 * Linux applies to that one thread). Raising nice needs no privilege; it cannot be undone by an
 * unprivileged process, so the node does it once, after start. Elsewhere it does nothing.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { setPriority } from 'node:os'

/** Name Node.js gives the threads of V8's platform worker pool (`--v8-pool-size`). */
export const V8_WORKER_THREAD_NAME = 'V8Worker'
export const DEFAULT_COMPILER_NICE = 19

export interface ThreadPriorityDeps {
  /** Folder listing this process's threads (Linux: /proc/self/task). */
  readonly tasksDir: string
  readonly readFile: (path: string) => string
  readonly listDir: (path: string) => string[]
  readonly setPriority: (threadId: number, nice: number) => void
}

const linuxDeps: ThreadPriorityDeps = {
  tasksDir: '/proc/self/task',
  readFile: (p) => readFileSync(p, 'utf8'),
  listDir: (p) => readdirSync(p),
  setPriority,
}

export interface ThreadPriorityResult {
  /** Threads whose nice value was set. */
  readonly threads: number
  /** Why nothing was done (nice 0, no /proc), or the first error met. */
  readonly note?: string
}

/**
 * Sets the nice value of every V8 worker thread of this process (0..19; 0 leaves them alone).
 * Never throws: a thread that ended meanwhile, or a platform without /proc, is reported in `note`.
 */
export function lowerV8WorkerPriority(nice: number = DEFAULT_COMPILER_NICE, deps: ThreadPriorityDeps = linuxDeps): ThreadPriorityResult {
  if (!Number.isInteger(nice) || nice < 0 || nice > 19) throw new RangeError(`nice must be an integer 0..19, got ${nice}`)
  if (nice === 0) return { threads: 0, note: 'nice 0: left as they are' }
  let ids: string[]
  try {
    ids = deps.listDir(deps.tasksDir)
  } catch {
    return { threads: 0, note: `no ${deps.tasksDir} (not Linux)` }
  }
  let threads = 0
  let note: string | undefined
  for (const id of ids) {
    try {
      if (deps.readFile(`${deps.tasksDir}/${id}/comm`).trim() !== V8_WORKER_THREAD_NAME) continue
      deps.setPriority(Number(id), nice)
      threads++
    } catch (e) {
      note ??= `thread ${id}: ${(e as Error).message}`
    }
  }
  return note === undefined ? { threads } : { threads, note }
}
