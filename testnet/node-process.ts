/**
 * One node as a child process: start, stop (SIGTERM, then SIGKILL after a grace period), kill
 * (SIGKILL, for fault tests) and restart. Output goes to the node's own log file; the process's
 * stderr is kept (bounded) to explain an early exit.
 */
import { spawn, type ChildProcess } from 'node:child_process'
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
}

/** Node.js flags from $MEDCHAIN_NODE_ARGS (space-separated), for profiling nodes. */
export function nodeArgsFromEnv(env: NodeJS.ProcessEnv = process.env): string[] {
  return (env.MEDCHAIN_NODE_ARGS ?? '').split(' ').filter((a) => a !== '')
}

export class NodeProcess {
  private child: ChildProcess | undefined
  private stderrTail = ''
  private exitInfo: string | undefined

  constructor(readonly name: string, private readonly configFile: string, private readonly options: NodeProcessOptions = {}) {}

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
    const nodeArgs = this.options.nodeArgs ?? nodeArgsFromEnv()
    const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', NODE_CLI, '--config', this.configFile], {
      stdio: ['ignore', 'ignore', 'pipe'],
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
