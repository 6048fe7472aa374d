/**
 * Testnet layout on disk: creates (or reuses) a local network of N validators.
 *
 *   <dir>/testnet.json         what was created (node count, ports, quorum, chain id)
 *   <dir>/genesis.json         shared genesis, validators with their p2p addresses
 *   <dir>/nodeI/key.json       validator key (0600)
 *   <dir>/nodeI/config.json    node config (data dir, ports, log file)
 *   <dir>/nodeI/data/          LevelDB
 *   <dir>/nodeI/node.log       the node's log (pino JSON lines)
 *   <dir>/keys/NAME.json       demo accounts (gov, host, doctor, patient) in the client's
 *                              keystore format, passphrase DEMO_PASSPHRASE
 *
 * A layout is reused when it matches the requested options; `fresh` deletes it first.
 */
import { existsSync } from 'node:fs'
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { generateKeyPair, toHex, type QuorumMode } from '../core/index.ts'
import { genesisFromJson, genesisToJson, type Genesis } from '../node/genesis.ts'
import { saveValidatorKey } from '../node/validator-key.ts'
import { Keystore, type KeyInfo } from '../client/keystore.ts'

/** The paper's roles, as demo accounts of a local testnet. */
export const DEMO_ACCOUNTS = ['gov', 'host', 'doctor', 'patient'] as const
/** Passphrase of the demo keystore: a local testnet's accounts guard nothing of value. */
export const DEMO_PASSPHRASE = 'medchain-demo'

export interface TestnetOptions {
  readonly nodes: number
  readonly basePort: number
  readonly baseRpcPort: number
  readonly dir: string
  readonly quorumMode: QuorumMode
  readonly fresh: boolean
  readonly blockIntervalMs: number
  readonly chainId: string
  /**
   * OS processes the nodes run in: node i in process i mod `processes` (testnet.ts). Default one
   * per node. Fewer saves CPU where nodes outnumber cores (one V8 and its compiled code per
   * process instead of per node, fewer context switches) but a process stops its nodes together.
   * Not part of the layout: a testnet can be started either way.
   */
  readonly processes?: number
}

export const DEFAULT_TESTNET_OPTIONS: TestnetOptions = {
  nodes: 10, basePort: 26000, baseRpcPort: 8545, dir: '.data/testnet', quorumMode: 'bft', fresh: false,
  blockIntervalMs: 1000, chainId: 'medchain-testnet',
}

export interface TestnetNode {
  readonly index: number
  readonly name: string
  readonly dir: string
  readonly configFile: string
  readonly logFile: string
  readonly rpcUrl: string
  readonly p2pPort: number
  readonly rpcPort: number
  readonly publicKey: string
}

export interface TestnetLayout {
  readonly dir: string
  readonly genesisFile: string
  readonly genesis: Genesis
  readonly nodes: readonly TestnetNode[]
  readonly reused: boolean
  readonly keystoreDir: string
  readonly accounts: readonly KeyInfo[]
}

interface Manifest {
  nodes: number
  basePort: number
  baseRpcPort: number
  quorumMode: QuorumMode
  chainId: string
  blockIntervalMs: number
  createdAt: string
}

function nodeEntry(dir: string, i: number, o: Pick<TestnetOptions, 'basePort' | 'baseRpcPort'>, publicKey: string): TestnetNode {
  const nodeDir = join(dir, `node${i}`)
  return {
    index: i, name: `node${i}`, dir: nodeDir, configFile: join(nodeDir, 'config.json'), logFile: join(nodeDir, 'node.log'),
    rpcUrl: `http://127.0.0.1:${o.baseRpcPort + i}`, p2pPort: o.basePort + i, rpcPort: o.baseRpcPort + i, publicKey,
  }
}

function matches(m: Manifest, o: TestnetOptions): boolean {
  return m.nodes === o.nodes && m.basePort === o.basePort && m.baseRpcPort === o.baseRpcPort && m.quorumMode === o.quorumMode &&
    m.chainId === o.chainId && m.blockIntervalMs === o.blockIntervalMs
}

export async function createOrLoadTestnet(options: TestnetOptions, now: () => number = Date.now): Promise<TestnetLayout> {
  const dir = resolve(options.dir)
  const manifestFile = join(dir, 'testnet.json')
  const genesisFile = join(dir, 'genesis.json')
  // Only ever delete a folder this module made: one holding a testnet manifest or genesis.
  const ours = existsSync(manifestFile) || existsSync(genesisFile)
  if (existsSync(dir) && !ours && (await readdir(dir)).length > 0) {
    throw new Error(`${dir} exists and is not a medchain testnet folder; pick another --data-dir`)
  }
  if (options.fresh && ours) await rm(dir, { recursive: true, force: true })
  if (!existsSync(manifestFile) && existsSync(genesisFile)) {
    // A creation interrupted before its manifest was written: make it again.
    await rm(dir, { recursive: true, force: true })
  }
  if (existsSync(manifestFile)) {
    const manifest = JSON.parse(await readFile(manifestFile, 'utf8')) as Manifest
    if (matches(manifest, options)) {
      const genesis = genesisFromJson(JSON.parse(await readFile(genesisFile, 'utf8')))
      const nodes = genesis.validators.map((v, i) => nodeEntry(dir, i, options, toHex(v.publicKey)))
      const keystore = new Keystore(join(dir, 'keys'))
      return { dir, genesisFile, genesis, nodes, reused: true, keystoreDir: keystore.dir, accounts: await keystore.list() }
    }
    throw new Error(`${dir} holds a testnet made with other options (${manifest.nodes} nodes, quorum ${manifest.quorumMode}, ports ${manifest.basePort}/${manifest.baseRpcPort}); use --fresh to replace it or --data-dir for another one`)
  }
  await mkdir(dir, { recursive: true })
  const keys = Array.from({ length: options.nodes }, () => generateKeyPair())
  const genesis = genesisFromJson({
    chainId: options.chainId,
    genesisTime: now(),
    quorumMode: options.quorumMode,
    validators: keys.map((k, i) => ({ name: `node${i}`, publicKey: toHex(k.publicKey), p2p: { host: '127.0.0.1', port: options.basePort + i } })),
  })
  await writeFile(genesisFile, JSON.stringify(genesisToJson(genesis), null, 2) + '\n')
  const nodes: TestnetNode[] = []
  for (let i = 0; i < options.nodes; i++) {
    const n = nodeEntry(dir, i, options, toHex(keys[i]!.publicKey))
    await mkdir(n.dir, { recursive: true })
    await saveValidatorKey(join(n.dir, 'key.json'), keys[i]!)
    const config = {
      name: n.name, dataDir: 'data', genesisFile: '../genesis.json', keyFile: 'key.json',
      rpc: { host: '127.0.0.1', port: n.rpcPort }, p2p: { host: '127.0.0.1', port: n.p2pPort },
      blockIntervalMs: options.blockIntervalMs, produceOnTxs: true, logLevel: 'info', logFile: 'node.log',
    }
    await writeFile(n.configFile, JSON.stringify(config, null, 2) + '\n')
    nodes.push(n)
  }
  const manifest: Manifest = {
    nodes: options.nodes, basePort: options.basePort, baseRpcPort: options.baseRpcPort, quorumMode: options.quorumMode,
    chainId: options.chainId, blockIntervalMs: options.blockIntervalMs, createdAt: new Date(now()).toISOString(),
  }
  const keystore = new Keystore(join(dir, 'keys'))
  const accounts: KeyInfo[] = []
  for (const name of DEMO_ACCOUNTS) accounts.push(await keystore.create(name, DEMO_PASSPHRASE))
  // The manifest is written last: a layout without one is incomplete and is made again.
  await writeFile(manifestFile, JSON.stringify(manifest, null, 2) + '\n')
  return { dir, genesisFile, genesis, nodes, reused: false, keystoreDir: keystore.dir, accounts }
}
