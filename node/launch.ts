/**
 * Assembles a running node from its config: genesis, key, store, executors, consensus, then the
 * network and the JSON-RPC server when configured. One place knows every part; the parts know
 * only what they are given.
 */
import { pino } from 'pino'
import { loadGenesis } from './genesis.ts'
import type { Logger } from './logger.ts'
import type { NodeConfig } from './config.ts'
import { MedchainNode } from './node.ts'
import { loadValidatorKey } from './validator-key.ts'
import { createRpcServer } from './rpc/index.ts'
import { createNodeRpcBackend } from './node-rpc-backend.ts'
import type { FastifyBaseLogger } from 'fastify'
import { createVmExecutor } from '../vm/index.ts'

export function createLogger(config: Pick<NodeConfig, 'logLevel' | 'logFile'>, name: string): Logger {
  const destination = config.logFile ? pino.destination({ dest: config.logFile, mkdir: true, sync: false }) : pino.destination(1)
  return pino({ name, level: config.logLevel, base: { node: name } }, destination)
}

export async function launchNode(config: NodeConfig, logger: Logger): Promise<MedchainNode> {
  const genesis = await loadGenesis(config.genesisFile)
  const validatorKey = config.keyFile ? await loadValidatorKey(config.keyFile) : null
  const node = new MedchainNode({
    dataDir: config.dataDir,
    genesis,
    validatorKey,
    production: { blockIntervalMs: config.blockIntervalMs, produceOnTxs: config.produceOnTxs },
    executors: [createVmExecutor()],
    logger,
  })
  await node.start()
  if (config.rpc) {
    const rpc = createRpcServer({
      backend: createNodeRpcBackend(node), host: config.rpc.host, port: config.rpc.port,
      rateLimit: { requestsPerSecond: config.rpc.rateLimitPerSecond, burst: config.rpc.rateLimitPerSecond * 2 },
      logger: logger as unknown as FastifyBaseLogger,
    })
    try {
      const at = await rpc.start()
      logger.info(at, 'json-rpc listening')
    } catch (e) {
      await node.stop()
      throw e
    }
    node.onStop(() => rpc.stop())
  }
  return node
}
