/**
 * One node (or several: see `configFiles`) as a child process: start, stop (SIGTERM, then
 * SIGKILL after a grace period), kill (SIGKILL, for fault tests) and restart. Output goes to the
 * node's own log file; the process's stderr is kept (bounded) to explain an early exit. A node
 * stops by itself when the process that started it is gone (IPC channel), so a crashed test or
 * benchmark leaves no nodes behind.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { availableParallelism } from 'node:os'
import { fileURLToPath } from 'node:url'

const NODE_CLI = fileURLToPath(new URL('../node/cli.ts', import.meta.url))
const STDERR_KEEP = 8 * 1024

export interface NodeProcessOptions {
  /** Extra environment for the node (over this process's), e.g. MEDCHAIN_RPC_RATE_LIMIT. */
  readonly env?: Readonly<Record<string, string>>
  /**
   * Extra Node.js flags before the script (e.g. `--cpu-prof`). Default: $MEDCHAIN_NODE_ARGS split
   * on spaces, so a node can be profiled without changing code.
   */
  readonly nodeArgs?: readonly string[]
  /** V8 worker threads per process (`--v8-pool-size`); see `v8PoolSizeFor`. Default: Node's own (4). */
  readonly v8PoolSize?: number
  /** Cap on each of V8's two young-generation semi-spaces, in MB; 0 = V8's own. Default `NODE_MAX_SEMI_SPACE_MB`. */
  readonly maxSemiSpaceMb?: number
}

/**
 * The young generation's cap for the node processes started here (`--max-semi-space-size`, MB
 * per semi-space). V8's own cap on these 24 GB machines is 64 MB (a 128 MB young generation),
 * and a node process grew into it during the bench's setup and first 100 records: every page of
 * that growth is a fresh page, which these virtual machines charge 5–18 µs each to touch.
 * With five validators per process, 100 records one at a time right after setup took ~300 page
 * faults per record against 80–96 with this cap (`npm run bench:seq-cpu`, three interleaved
 * runs each: 3,734.1 / 3,266.1 / 3,800.6 ms against 3,021.6 / 2,935.7 / 2,853.6 ms). Three
 * interleaved `npm run bench -- --chains medchain` pairs (bench/README.md, round of 2026-12-02,
 * 14:35): one at a time, every node's tx/s at 2,000 offered and p50 at 100 tx/s better in all
 * three, and 489–563 MB resident per process after the load sweep against 568–621 MB. 16 MB cut
 * the faults as well but made the pipelined step slower in three pairs of three.
 */
export const NODE_MAX_SEMI_SPACE_MB = 32

/**
 * The Node.js flags a node process starts with: the V8 pool size, the young generation's cap,
 * then `nodeArgs` (default $MEDCHAIN_NODE_ARGS), last so that they can override either (V8 takes
 * the last value of a flag).
 */
export function nodeProcessFlags(options: NodeProcessOptions, env: NodeJS.ProcessEnv = process.env): string[] {
  const semiSpaceMb = options.maxSemiSpaceMb ?? NODE_MAX_SEMI_SPACE_MB
  return [
    ...(options.v8PoolSize ? [`--v8-pool-size=${options.v8PoolSize}`] : []),
    ...(semiSpaceMb > 0 ? [`--max-semi-space-size=${semiSpaceMb}`] : []),
    ...(options.nodeArgs ?? nodeArgsFromEnv(env)),
  ]
}

/**
 * V8 worker threads (concurrent compilation and GC helpers) for each of `processes` node
 * processes sharing this machine's `cores`: an even share, 1 to 4 (Node's default is 4 per
 * process, so 10 local nodes on 2 cores ran 40 such threads against each other). Measured with
 * `npm run bench:seq-cpu`, 10 nodes on 2 cores, pool 1 against 4, two interleaved runs each:
 * 100 records one at a time 2,437-2,515 ms against 2,702-2,787 ms right after start, 1,736-1,867
 * ms against 1,931-1,974 ms warm, with 41.0-42.7 against 46.7-47.8 ms of node CPU per record;
 * throughput at 2,000 tx/s offered unchanged (1,161-1,166 against 1,130-1,156 final tx/s).
 */
export function v8PoolSizeFor(processes: number, cores: number = availableParallelism()): number {
  return Math.min(4, Math.max(1, Math.floor(cores / Math.max(1, processes))))
}

/** Node.js flags from $MEDCHAIN_NODE_ARGS (space-separated), for profiling nodes. */
export function nodeArgsFromEnv(env: NodeJS.ProcessEnv = process.env): string[] {
  return (env.MEDCHAIN_NODE_ARGS ?? '').split(' ').filter((a) => a !== '')
}

export class NodeProcess {
  private child: ChildProcess | undefined
  private stderrTail = ''
  private exitInfo: string | undefined

  /**
   * `configFiles`: the nodes this process runs, one config file each (node/cli.ts runs several
   * in one process when given several). `name` names the process in errors.
   */
  constructor(readonly name: string, private readonly configFiles: readonly string[], private readonly options: NodeProcessOptions = {}) {
    if (configFiles.length === 0) throw new Error(`${name}: a node process needs at least one config file`)
  }

  /** How many nodes this process runs. */
  get nodeCount(): number {
    return this.configFiles.length
  }

  /** OS process id while running (for CPU and memory readings from /proc), else undefined. */
  get pid(): number | undefined {
    return this.running ? this.child!.pid : undefined
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null
  }

  /** Why the process ended, with the end of its stderr. */
  get exitReason(): string | undefined {
    return this.exitInfo
  }

  start(): void {
    if (this.running) return
    this.exitInfo = undefined
    this.stderrTail = ''
    const child = spawn(process.execPath, [...nodeProcessFlags(this.options), '--import', 'tsx', NODE_CLI, ...this.configFiles.flatMap((f) => ['--config', f])], {
      // The IPC channel is the node's tie to this process: when this process dies, even by
      // SIGKILL or a crash that skips every cleanup, the channel closes and the node stops
      // itself (node/cli.ts) instead of running on as an orphan.
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      ...(this.options.env ? { env: { ...process.env, ...this.options.env } } : {}),
    })
    child.stderr!.on('data', (d: Buffer) => {
      this.stderrTail = (this.stderrTail + d.toString()).slice(-STDERR_KEEP)
    })
    child.on('exit', (code, signal) => {
      this.exitInfo = `${this.name} exited (${signal ?? code})${this.stderrTail ? `: ${this.stderrTail.trim()}` : ''}`
    })
    this.child = child
  }

  private waitExit(timeoutMs: number): Promise<boolean> {
    const child = this.child
    if (!child || !this.running) return Promise.resolve(true)
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), timeoutMs)
      child.once('exit', () => {
        clearTimeout(t)
        resolve(true)
      })
    })
  }

  async stop(graceMs = 10_000): Promise<void> {
    if (!this.running) return
    this.child!.kill('SIGTERM')
    if (!(await this.waitExit(graceMs))) {
      this.child!.kill('SIGKILL')
      await this.waitExit(5_000)
    }
  }

  async kill(): Promise<void> {
    if (!this.running) return
    this.child!.kill('SIGKILL')
    await this.waitExit(5_000)
  }
}
