/**
 * Test support: a testnet in a temporary folder on free loopback ports, and helpers to drive it.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { TxKind, createSignedTx, generateKeyPair, type KeyPair } from '../../core/index.ts'
import { DEFAULT_TESTNET_OPTIONS, type TestnetOptions } from '../layout.ts'
import type { NodeProcessOptions } from '../node-process.ts'
import { startTestnet, waitUntilFinal, type RunningTestnet } from '../testnet.ts'
import { freePortRange } from '../free-ports.ts'

export { freePortRange } from '../free-ports.ts'

export interface TestCluster {
  readonly net: RunningTestnet
  readonly options: TestnetOptions
  cleanup(): Promise<void>
}

/** `processOptions` reaches every node process (e.g. `env` with MEDCHAIN_TRACE_FILE). */
export async function startCluster(nodes: number, extra: Partial<TestnetOptions> = {}, processOptions: NodeProcessOptions = {}): Promise<TestCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'medchain-cluster-'))
  const base = await freePortRange(nodes * 2)
  const options: TestnetOptions = {
    ...DEFAULT_TESTNET_OPTIONS, nodes, dir: join(dir, 'net'), basePort: base, baseRpcPort: base + nodes,
    blockIntervalMs: 200, chainId: 'medchain-itest', ...extra,
  }
  const net = await startTestnet(options, undefined, processOptions)
  try {
    await waitUntilFinal(net, 0, 60_000)
  } catch (e) {
    await net.stop()
    await rm(dir, { recursive: true, force: true })
    throw e
  }
  return {
    net, options,
    async cleanup() {
      await net.stop()
      await rm(dir, { recursive: true, force: true })
    },
  }
}

export function kvPut(key: KeyPair, nonce: number, k: string, v: string, chainId = 'medchain-itest') {
  return createSignedTx({ chainId, kind: TxKind.KV_PUT, nonce, target: new Uint8Array(0), method: k, args: [v], gasLimit: 100_000 }, key.secretKey, key.publicKey)
}

/**
 * One account sending KV_PUT txs with locally counted nonces: `sendVia(node, count)` sends
 * `count` through that node's RPC and waits until each is final there.
 */
export function kvSender(net: RunningTestnet, key: KeyPair = generateKeyPair()): { readonly key: KeyPair; readonly sent: number; sendVia(node: number, count: number): Promise<void> } {
  let nonce = 0
  return {
    key,
    get sent() {
      return nonce
    },
    async sendVia(node, count) {
      const client = net.clients[node]!
      const ids: string[] = []
      for (let i = 0; i < count; i++, nonce++) ids.push(await client.sendTx(kvPut(key, nonce, `k${nonce}`, `v${nonce}`).bytes))
      for (const id of ids) {
        const status = (await client.waitForFinal(id, { timeoutMs: 30_000, pollMs: 50 })).status
        if (status !== 'final') throw new Error(`tx ${id} via node ${node} ended ${status}, not final`)
      }
    },
  }
}

/** Waits until every listed node reports at least `height`. */
export async function waitForHeight(net: RunningTestnet, nodes: readonly number[], height: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const heights = await net.heights()
    if (nodes.every((i) => (heights[i] ?? -1) >= height)) return
    if (Date.now() > deadline) throw new Error(`nodes ${nodes.join(',')} did not reach height ${height}: ${heights.join(' ')}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}
