/**
 * Starts the Ethereum baselines as child processes serving JSON-RPC on 127.0.0.1, the way the
 * paper's Truffle talked to Ganache: the client (this process) and the chain do not share an
 * event loop, so the chain's work is not hidden in, or added to, the client's.
 *
 * - Ganache 7 (`ganache` CLI): one node, instamine "eager" (a transaction is mined before its
 *   hash is returned), hardfork Shanghai, logging off.
 * - Hardhat 3 (`hardhat node`, its Rust EDR engine): automine, started on port 0 (it prints the
 *   port it got); its per-request console logging is switched off after start, like Ganache's.
 *
 * Both run on this process's Node (24); Hardhat 3 needs >= 22.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'
import { join } from 'node:path'
import { BenchError, BenchErrorCode } from '../errors.ts'

export const ETHEREUM_DIR = fileURLToPath(new URL('.', import.meta.url))

export type EthereumChainKind = 'ganache' | 'hardhat'

export interface EthereumNodeProcess {
  readonly kind: EthereumChainKind
  readonly url: string
  readonly pid: number
  /** Sends SIGTERM, then SIGKILL after a grace period; resolves when the process is gone. */
  stop(): Promise<void>
}

export interface StartOptions {
  /** How long to wait for the node to answer `eth_chainId`. */
  readonly startTimeoutMs?: number
  readonly onOutput?: (line: string) => void
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address()
      const port = typeof addr === 'object' && addr ? addr.port : 0
      srv.close(() => resolve(port))
    })
  })
}

/** One JSON-RPC call over HTTP, without ethers: used only to see that the node is up. */
export async function rawRpc(url: string, method: string, params: unknown[] = []): Promise<unknown> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  })
  const body = (await res.json()) as { result?: unknown; error?: { message?: string } }
  if (body.error) throw new BenchError(BenchErrorCode.CHAIN_CALL_FAILED, `${method}: ${body.error.message ?? 'error'}`)
  return body.result
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

const liveChildren = new Set<ChildProcess>()
let exitHookInstalled = false
/** A crashed or interrupted bench must not leave chains listening: kill children on exit. */
function trackChild(child: ChildProcess): void {
  liveChildren.add(child)
  child.once('exit', () => liveChildren.delete(child))
  if (!exitHookInstalled) {
    exitHookInstalled = true
    process.once('exit', () => {
      for (const c of liveChildren) c.kill('SIGKILL')
    })
  }
}

interface SpawnSpec {
  readonly kind: EthereumChainKind
  readonly args: string[]
  readonly env?: NodeJS.ProcessEnv
  /** Fixed URL, or undefined to take it from the first output line matching `urlPattern`. */
  readonly url?: string
  readonly urlPattern?: RegExp
}

async function startChild(spec: SpawnSpec, options: StartOptions): Promise<EthereumNodeProcess> {
  const timeoutMs = options.startTimeoutMs ?? 60_000
  const child = spawn(process.execPath, spec.args, {
    cwd: ETHEREUM_DIR,
    env: { ...process.env, ...spec.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  trackChild(child)
  const tail: string[] = []
  let url = spec.url
  let exited: string | undefined
  const onData = (chunk: Buffer): void => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line.trim() === '') continue
      tail.push(line)
      if (tail.length > 30) tail.shift()
      options.onOutput?.(line)
      if (url === undefined && spec.urlPattern) {
        const m = spec.urlPattern.exec(line)
        if (m) url = m[1]
      }
    }
  }
  child.stdout!.on('data', onData)
  child.stderr!.on('data', onData)
  child.once('exit', (code, signal) => {
    exited = `exited with ${signal ?? code}`
  })
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return
    const gone = new Promise<void>((r) => child.once('exit', () => r()))
    child.kill('SIGTERM')
    const killTimer = setTimeout(() => child.kill('SIGKILL'), 5_000)
    await gone
    clearTimeout(killTimer)
  }
  const fail = async (why: string): Promise<never> => {
    await stop()
    throw new BenchError(BenchErrorCode.CHAIN_START_FAILED, `${spec.kind} did not start: ${why}\n${tail.join('\n')}`)
  }
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (exited) return fail(exited)
    if (Date.now() > deadline) return fail(`no answer within ${timeoutMs} ms`)
    if (url !== undefined) {
      try {
        await rawRpc(url, 'eth_chainId')
        return { kind: spec.kind, url, pid: child.pid!, stop }
      } catch {
        // not listening yet
      }
    }
    await sleep(100)
  }
}

export async function startGanache(options: StartOptions = {}): Promise<EthereumNodeProcess> {
  const port = await freePort()
  const cli = join(ETHEREUM_DIR, 'node_modules', 'ganache', 'dist', 'node', 'cli.js')
  return startChild(
    {
      kind: 'ganache',
      url: `http://127.0.0.1:${port}`,
      args: [
        cli,
        '--server.host', '127.0.0.1',
        '--server.port', String(port),
        '--chain.hardfork', 'shanghai',
        '--miner.instamine', 'eager',
        '--wallet.totalAccounts', '1',
        '--wallet.defaultBalance', '100000',
        '--logging.quiet',
      ],
    },
    options,
  )
}

export async function startHardhatNode(options: StartOptions = {}): Promise<EthereumNodeProcess> {
  const cli = join(ETHEREUM_DIR, 'node_modules', 'hardhat', 'dist', 'src', 'cli.js')
  const node = await startChild(
    {
      kind: 'hardhat',
      args: [cli, 'node', '--hostname', '127.0.0.1', '--port', '0'],
      env: { HARDHAT_DISABLE_TELEMETRY: 'true' },
      urlPattern: /JSON-RPC server at (http:\/\/127\.0\.0\.1:\d+)\/?/,
    },
    options,
  )
  // `hardhat node` logs every request to stdout; Ganache runs quiet, so this one does too.
  await rawRpc(node.url, 'hardhat_setLoggingEnabled', [false])
  return node
}

export function startEthereumNode(kind: EthereumChainKind, options: StartOptions = {}): Promise<EthereumNodeProcess> {
  return kind === 'ganache' ? startGanache(options) : startHardhatNode(options)
}
