/**
 * `npm run node -- …`: runs one node in the foreground until SIGINT/SIGTERM, then stops cleanly.
 * Configuration errors print one line and exit 2; a crash at start exits 1.
 */
import { loadNodeConfig } from './config.ts'
import { NodeError } from './errors.ts'
import { createLogger, launchNode } from './launch.ts'

async function main(): Promise<number> {
  let config
  try {
    config = loadNodeConfig(process.argv.slice(2))
  } catch (e) {
    process.stderr.write(`medchain node: ${(e as Error).message}\n`)
    return 2
  }
  if (!config) return 0
  const logger = createLogger(config, config.dataDir.split('/').pop() ?? 'node')
  let node
  try {
    node = await launchNode(config, logger)
  } catch (e) {
    process.stderr.write(`medchain node: ${(e as Error).message}\n`)
    return e instanceof NodeError ? 2 : 1
  }
  logger.info({ height: node.chain.height }, 'node running')
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
  })
  return 0
}

main().then((code) => {
  process.exitCode = code
})
