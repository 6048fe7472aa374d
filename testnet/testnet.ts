/**
 * A running local testnet: layout on disk + the NodeProcesses that run its validators (one each
 * by default; see TestnetOptions.processes). `startTestnet` is what `npm run testnet`, the
 * multi-process tests and the benchmark use.
 */
import { RpcClient } from '../client/rpc-client.ts'
import { DEMO_PASSPHRASE, createOrLoadTestnet, type TestnetLayout, type TestnetOptions } from './layout.ts'
import { NodeProcess, v8PoolSizeFor, type NodeProcessOptions } from './node-process.ts'
import { portFree } from './free-ports.ts'

export interface RunningTestnet {
  readonly layout: TestnetLayout
  /** The OS processes; with one per node (the default), processes[i] runs node i. */
  readonly processes: readonly NodeProcess[]
  /** The process that runs node `index` (and whichever others share it). */
  processOf(index: number): NodeProcess
  readonly clients: readonly RpcClient[]
  /** Heights of every node's latest final block (null for a node that does not answer). */
  heights(): Promise<(number | null)[]>
  stop(): Promise<void>
}

/**
 * Which nodes each of `processes` OS processes runs: node i in process i mod `processes`, so
 * consecutive proposers alternate between processes.
 */
export function assignNodesToProcesses<T>(nodes: readonly T[], processes: number = nodes.length): T[][] {
  if (!Number.isInteger(processes) || processes < 1 || processes > nodes.length) throw new Error(`processes must be an integer 1..${nodes.length} (the node count), got ${processes}`)
  const groups: T[][] = Array.from({ length: processes }, () => [])
  nodes.forEach((n, i) => groups[i % processes]!.push(n))
  return groups
}

/** `processOptions`: how each node process is started (extra env, Node.js flags); see NodeProcessOptions. */
export async function startTestnet(options: TestnetOptions, out: (line: string) => void = () => {}, processOptions: NodeProcessOptions = {}): Promise<RunningTestnet> {
  const layout = await createOrLoadTestnet(options)
  out(`${layout.reused ? 'Reusing' : 'Created'} a ${layout.nodes.length}-validator testnet in ${layout.dir} (chain ${layout.genesis.chainId}, quorum ${layout.genesis.quorumMode}: ${layout.genesis.validatorSet.quorum} of ${layout.nodes.length})`)
  const busy: string[] = []
  for (const n of layout.nodes) {
    if (!(await portFree(n.p2pPort))) busy.push(`${n.name} p2p ${n.p2pPort}`)
    if (!(await portFree(n.rpcPort))) busy.push(`${n.name} rpc ${n.rpcPort}`)
  }
  if (busy.length > 0) throw new Error(`ports in use: ${busy.join(', ')}. Is another testnet running? Stop it, or pick --base-port/--base-rpc-port`)
  const groups = assignNodesToProcesses(layout.nodes, options.processes)
  // The processes share this machine's cores: each V8 gets an even share of worker threads.
  const nodeProcesses = groups.map((g) => new NodeProcess(g.map((n) => n.name).join('+'), g.map((n) => n.configFile), { v8PoolSize: v8PoolSizeFor(groups.length), ...processOptions }))
  const processOfNode = new Map(groups.flatMap((g, p) => g.map((n) => [n.index, nodeProcesses[p]!] as const)))
  const clients = layout.nodes.map((n) => new RpcClient(n.rpcUrl, { timeoutMs: 2_000 }))
  for (const p of nodeProcesses) p.start()
  const running: RunningTestnet = {
    layout, processes: nodeProcesses, clients,
    processOf(index) {
      const p = processOfNode.get(index)
      if (!p) throw new RangeError(`no node ${index} in a ${layout.nodes.length}-node testnet`)
      return p
    },
    heights: () => Promise.all(clients.map((c) => c.status().then((s) => s.height as number, () => null))),
    async stop() {
      await Promise.all(nodeProcesses.map((p) => p.stop()))
      for (const c of clients) c.close()
    },
  }
  return running
}

/** Waits until every node reports a final block above `minHeight`; shows progress; fails fast if a node dies. */
export async function waitUntilFinal(net: RunningTestnet, minHeight: number, timeoutMs: number, out: (line: string) => void = () => {}): Promise<number[]> {
  const started = Date.now()
  let lastShown = ''
  for (;;) {
    const dead = net.processes.find((p) => !p.running)
    if (dead) throw new Error(dead.exitReason ?? `${dead.name} is not running`)
    const heights = await net.heights()
    const ready = heights.filter((h) => h !== null && h > minHeight).length
    const line = `  final blocks on ${ready}/${heights.length} nodes (heights ${heights.map((h) => h ?? '-').join(' ')})`
    if (line !== lastShown) {
      out(line)
      lastShown = line
    }
    if (ready === heights.length) return heights as number[]
    if (Date.now() - started > timeoutMs) throw new Error(`not every node had a final block after ${timeoutMs} ms; see the node logs in ${net.layout.dir}/node*/node.log`)
    await new Promise((r) => setTimeout(r, 250))
  }
}

export async function runTestnet(options: TestnetOptions, io: { out: (line: string) => void; untilSignal: boolean }): Promise<void> {
  const { out } = io
  const started = Date.now()
  const net = await startTestnet(options, out)
  const stopOnSignal = new Promise<string>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'))
    process.once('SIGTERM', () => resolve('SIGTERM'))
  })
  try {
    const nodes = net.layout.nodes.length
    out(`Starting ${nodes} nodes${net.processes.length < nodes ? ` in ${net.processes.length} processes (node i in process i mod ${net.processes.length})` : ''}…`)
    const startHeight = Math.max(0, ...((await net.heights()).filter((h): h is number => h !== null)))
    await Promise.race([waitUntilFinal(net, startHeight, 120_000, out), stopOnSignal.then((s) => { throw new Error(`interrupted (${s})`) })])
    out(`All ${nodes} nodes have final blocks after ${Date.now() - started} ms.\n`)
    out('  node     RPC URL                   p2p port  log')
    for (const n of net.layout.nodes) out(`  ${n.name.padEnd(8)} ${n.rpcUrl.padEnd(25)} ${String(n.p2pPort).padEnd(9)} ${n.logFile}`)
    out(`\nGenesis: ${net.layout.genesisFile}`)
    out(`\nDemo accounts (keystore ${net.layout.keystoreDir}, passphrase '${DEMO_PASSPHRASE}'):`)
    for (const a of net.layout.accounts) out(`  ${a.name.padEnd(8)} ${a.address}`)
    out(`\nTry:  export MEDCHAIN_KEYSTORE=${net.layout.keystoreDir} MEDCHAIN_PASSPHRASE=${DEMO_PASSPHRASE} MEDCHAIN_RPC=${net.layout.nodes[0]!.rpcUrl}`)
    out('      npm run medchain -- status')
    if (!io.untilSignal) return
    out('\nPress Ctrl-C to stop every node.')
    const signal = await stopOnSignal
    out(`\n${signal}: stopping ${nodes} nodes…`)
  } finally {
    await net.stop()
    out('All nodes stopped.')
  }
}
