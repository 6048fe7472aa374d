/**
 * `npm run node -- …`: runs one node in the foreground until SIGINT/SIGTERM, then stops cleanly;
 * started with an IPC channel (by the testnet), also once the process that started it is gone.
 * `npm run node -- keygen --key FILE` creates a validator key (0600) and prints its public key,
 * which the hospital sends to the consortium for genesis.json.
 * Configuration errors print one line and exit 2; a crash at start exits 1.
 */
// First: it sets how V8 compiles, before the other modules load (v8-tiering.ts).
import './v8-tiering.ts'
import { existsSync } from 'node:fs'
import { generateKeyPair, toHex } from '../core/index.ts'
import { saveValidatorKey } from './validator-key.ts'
import { loadNodeConfig } from './config.ts'
import { NodeError } from './errors.ts'
import { createLogger, launchNode } from './launch.ts'
import { collectStartupGarbage } from './startup-gc.ts'

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

async function main(): Promise<number> {
  if (process.argv[2] === 'keygen') return keygen(process.argv.slice(3))
  let config
  try {
    config = loadNodeConfig(process.argv.slice(2))
  } catch (e) {
    process.stderr.write(`medchain node: ${(e as Error).message}\n`)
    return 2
  }
  if (!config) return 0
  const logger = createLogger(config, config.name)
  let node
  try {
    node = await launchNode(config, logger)
  } catch (e) {
    process.stderr.write(`medchain node: ${(e as Error).message}\n`)
    return e instanceof NodeError ? 2 : 1
  }
  logger.info({ height: node.chain.height }, 'node running')
  // Startup's garbage, collected before the first clients and blocks rather than among them.
  const gc = collectStartupGarbage()
  if (gc) logger.info({ heapUsedMbBefore: +(gc.heapUsedBeforeBytes / 2 ** 20).toFixed(1), heapUsedMbAfter: +(gc.heapUsedAfterBytes / 2 ** 20).toFixed(1), ms: +gc.ms.toFixed(1) }, 'startup garbage collected')
  await new Promise<void>((resolveStop) => {
    let stopping = false
    const stop = (signal: string) => {
      if (stopping) return
      stopping = true
      logger.info({ signal }, 'stopping')
      node.stop().then(resolveStop, (e) => {
        logger.error({ err: e }, 'error while stopping')
        resolveStop()
      })
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
