/**
 * `npm run node -- …`: runs one node in the foreground until SIGINT/SIGTERM, then stops cleanly;
 * started with an IPC channel (by the testnet), also once the process that started it is gone.
 * `--config A --config B …` runs several nodes in this process (the testnet on few cores).
 * `npm run node -- keygen --key FILE` creates a validator key (0600) and prints its public key,
 * which the hospital sends to the consortium for genesis.json.
 * Configuration errors print one line and exit 2; a crash at start exits 1.
 */
// First: it sets how V8 compiles, before the other modules load (v8-tiering.ts).
import './v8-tiering.ts'
import { existsSync } from 'node:fs'
import { generateKeyPair, toHex } from '../core/index.ts'
import { saveValidatorKey } from './validator-key.ts'
import { loadNodeConfigs, type NodeConfig } from './config.ts'
import { NodeError } from './errors.ts'
import { createLogger, launchNode } from './launch.ts'
import { collectStartupGarbage } from './startup-gc.ts'
import type { Logger } from './logger.ts'
import type { MedchainNode } from './node.ts'

async function keygen(args: string[]): Promise<number> {
  const at = args.indexOf('--key')
  const file = at >= 0 ? args[at + 1] : undefined
  if (!file || args.includes('--help') || args.includes('-h')) {
    process.stdout.write('Usage: npm run node -- keygen --key FILE\n\nCreates a validator key file (mode 0600) and prints its public key for genesis.json.\n')
    return file ? 0 : 2
  }
  if (existsSync(file)) {
    process.stderr.write(`medchain node: ${file} exists; refusing to overwrite a validator key\n`)
    return 2
  }
  const key = generateKeyPair()
  await saveValidatorKey(file, key)
  process.stdout.write(`${toHex(key.publicKey)}\n`)
  return 0
}

/** A node this process runs, with its logger. */
interface RunningNode {
  readonly node: MedchainNode
  readonly logger: Logger
}

/**
 * Starts the nodes of `configs`. Several in one process run the start-up self-test once, before
 * the first (it checks this build, which they share); the rest start together after it. If one
 * fails to start, those already running are stopped and the first failure is thrown.
 */
async function launchAll(configs: readonly NodeConfig[]): Promise<RunningNode[]> {
  const launch = async (config: NodeConfig): Promise<RunningNode> => {
    const logger = createLogger(config, config.name)
    try {
      return { node: await launchNode(config, logger), logger }
    } catch (e) {
      // Among several nodes, say which one failed (the error keeps its type for the exit code).
      if (configs.length > 1 && e instanceof Error) e.message = `${config.name}: ${e.message}`
      throw e
    }
  }
  const [first, ...rest] = configs
  const running = [await launch({ ...first!, warmUp: configs.some((c) => c.warmUp) })]
  const started = await Promise.allSettled(rest.map((c) => launch({ ...c, warmUp: false })))
  for (const s of started) if (s.status === 'fulfilled') running.push(s.value)
  const failed = started.find((s) => s.status === 'rejected')
  if (failed) {
    await Promise.allSettled(running.map((r) => r.node.stop()))
    throw failed.reason
  }
  return running
}

async function main(): Promise<number> {
  if (process.argv[2] === 'keygen') return keygen(process.argv.slice(3))
  let configs
  try {
    configs = loadNodeConfigs(process.argv.slice(2))
  } catch (e) {
    process.stderr.write(`medchain node: ${(e as Error).message}\n`)
    return 2
  }
  if (!configs) return 0
  let nodes: RunningNode[]
  try {
    nodes = await launchAll(configs)
  } catch (e) {
    process.stderr.write(`medchain node: ${(e as Error).message}\n`)
    return e instanceof NodeError ? 2 : 1
  }
  for (const { node, logger } of nodes) logger.info({ height: node.chain.height, nodesInProcess: nodes.length }, 'node running')
  // Startup's garbage, collected before the first clients and blocks rather than among them.
  const gc = collectStartupGarbage()
  if (gc) for (const { logger } of nodes) logger.info({ heapUsedMbBefore: +(gc.heapUsedBeforeBytes / 2 ** 20).toFixed(1), heapUsedMbAfter: +(gc.heapUsedAfterBytes / 2 ** 20).toFixed(1), ms: +gc.ms.toFixed(1) }, 'startup garbage collected')
  await new Promise<void>((resolveStop) => {
    let stopping = false
    const stop = (signal: string) => {
      if (stopping) return
      stopping = true
      Promise.all(nodes.map(({ node, logger }) => {
        logger.info({ signal }, 'stopping')
        return node.stop().catch((e) => logger.error({ err: e }, 'error while stopping'))
      })).then(() => resolveStop())
    }
    process.on('SIGINT', () => stop('SIGINT'))
    process.on('SIGTERM', () => stop('SIGTERM'))
    // Started with an IPC channel (testnet/node-process.ts): the starting process going away,
    // however it ended, stops this node too. The channel itself must not keep the node alive.
    if (process.channel) {
      process.channel.unref()
      process.on('disconnect', () => stop('parent process gone'))
    }
  })
  return 0
}

main().then((code) => {
  process.exitCode = code
})
