/**
 * Several validators in one OS process (`--processes`): 4 validators in 3 processes (nodes 0 and
 * 3 share one). Each node keeps its own key, store, ports and log and the chain is final on all;
 * the process that runs node 1 alone is killed and restarted while the shared one runs on; a
 * process stops all its nodes together; one whose second node cannot start stops the first.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { readFileSync } from 'node:fs'
import { spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { tempDir } from '../node/test-support/fixtures.ts'
import { DEFAULT_TESTNET_OPTIONS, createOrLoadTestnet } from './layout.ts'
import { assignNodesToProcesses } from './testnet.ts'
import { freePortRange, kvSender, startCluster, waitForHeight } from './test-support/cluster.ts'

test('assignNodesToProcesses: node i in process i mod N; N from 1 to the node count', () => {
  assert.deepEqual(assignNodesToProcesses([0, 1, 2, 3, 4], 2), [[0, 2, 4], [1, 3]])
  assert.deepEqual(assignNodesToProcesses([0, 1, 2]), [[0], [1], [2]], 'one per node by default')
  assert.deepEqual(assignNodesToProcesses([0, 1, 2], 1), [[0, 1, 2]])
  for (const bad of [0, 4, 1.5]) assert.throws(() => assignNodesToProcesses([0, 1, 2], bad), /processes must be an integer 1\.\.3/)
})

test('4 validators in 3 processes: final on all; a one-node process killed and restarted; a shared one stops both', { timeout: 180_000 }, async () => {
  const cluster = await startCluster(4, { processes: 3 })
  const { net } = cluster
  const send = kvSender(net).sendVia
  try {
    assert.equal(net.processes.length, 3)
    assert.equal(net.processOf(0), net.processOf(3))
    assert.notEqual(net.processOf(0), net.processOf(1))
    assert.throws(() => net.processOf(4), RangeError)
    assert.deepEqual(net.processes.map((p) => [p.name, p.nodeCount]), [['node0+node3', 2], ['node1', 1], ['node2', 1]])
    const shared = net.processOf(0)
    const argv = readFileSync(`/proc/${shared.pid}/cmdline`, 'utf8').split('\0')
    assert.deepEqual(argv.filter((a) => a.endsWith('config.json')), [net.layout.nodes[0]!.configFile, net.layout.nodes[3]!.configFile])
    await send(3, 5)

    // Node 1's process runs it alone: the other three (quorum 3) go on without it.
    await net.processOf(1).kill()
    assert.ok(shared.running, 'the shared process is not touched')
    const before = (await net.heights())[0]!
    await send(0, 5)
    const during = (await net.heights())[0]!
    assert.ok(during > before, 'final with node 1 down')
    net.processOf(1).start()
    await waitForHeight(net, [1], during, 60_000)
    await send(1, 3)

    const heights = await net.heights()
    const common = Math.min(...(heights as number[]))
    const blocks = await Promise.all(net.clients.map((c) => c.getBlock({ height: common })))
    for (const b of blocks) assert.equal(b.hash, blocks[0]!.hash)
    const signers = new Set(blocks[0]!.commit!.signatures.map((s) => s.index))
    assert.ok(signers.size >= 3, 'a quorum of distinct validators signed')

    // Each node logs to its own file; the shared process ran the start-up self-test once, before node 0.
    const log = async (i: number) => (await readFile(net.layout.nodes[i]!.logFile, 'utf8')).split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { msg: string; node: string; nodesInProcess?: number })
    const [log0, log3] = [await log(0), await log(3)]
    assert.ok(log0.every((l) => l.node === 'node0') && log3.every((l) => l.node === 'node3'))
    assert.equal(log0.find((l) => l.msg === 'node running')?.nodesInProcess, 2)
    assert.equal(log0.filter((l) => l.msg === 'start-up self-test passed').length, 1)
    assert.equal(log3.filter((l) => l.msg === 'start-up self-test passed').length, 0)

    // Stopping the shared process stops both of its nodes, cleanly.
    await shared.stop()
    assert.equal(shared.running, false)
    const after = await net.heights()
    assert.deepEqual([after[0], after[3]], [null, null])
    for (const i of [0, 3]) assert.ok((await log(i)).some((l) => l.msg === 'stopping'), `node${i} logged its stop`)
  } finally {
    await cluster.cleanup()
  }
})

test('a process whose second node cannot start stops the first and exits 1, naming the node', { timeout: 60_000 }, async () => {
  const dir = await tempDir('medchain-shared-')
  const base = await freePortRange(4)
  const layout = await createOrLoadTestnet({ ...DEFAULT_TESTNET_OPTIONS, nodes: 2, dir: join(dir.path, 'net'), basePort: base, baseRpcPort: base + 2, chainId: 'medchain-itest' })
  // Node 1's p2p port is taken.
  const squatter = createServer()
  await new Promise<void>((resolve) => squatter.listen(layout.nodes[1]!.p2pPort, '127.0.0.1', resolve))
  try {
    const cli = fileURLToPath(new URL('../node/cli.ts', import.meta.url))
    const child = spawn(process.execPath, ['--import', 'tsx', cli, ...layout.nodes.flatMap((n) => ['--config', n.configFile])], { stdio: ['ignore', 'ignore', 'pipe'] })
    let stderr = ''
    child.stderr!.on('data', (d: Buffer) => void (stderr += d.toString()))
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
    assert.equal(code, 1, stderr)
    assert.match(stderr, /^medchain node: node1: .*EADDRINUSE/s)
    const log0 = (await readFile(layout.nodes[0]!.logFile, 'utf8')).split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { msg: string })
    assert.ok(log0.some((l) => l.msg === 'node stopped'), 'node0 was started, then stopped')
  } finally {
    squatter.close()
    await dir.cleanup()
  }
})
