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
import { runWarmUp } from './warm-up.ts'
import { PrivValidator, createEd25519Signer } from '../consensus/index.ts'
import { bytesEqual, toHex, type KeyPair } from '../core/index.ts'
import { BftRunner, RELAY_TOPICS } from './consensus-runner/bft-runner.ts'
import { openStepTrace, type StepTrace } from './consensus-runner/step-trace.ts'
import { FilePrivValidatorStore } from './consensus-runner/priv-validator-file-store.ts'
import { DEFAULT_PRODUCTION } from './consensus-runner/consensus-runner.ts'
import { createValidatorNetwork } from './network/index.ts'
import type { Genesis } from './genesis.ts'
import { NodeError, NodeErrorCode } from './errors.ts'
import { signStatePath, type NodeOptions } from './node.ts'

export function createLogger(config: Pick<NodeConfig, 'logLevel' | 'logFile'>, name: string): Logger {
  const destination = config.logFile ? pino.destination({ dest: config.logFile, mkdir: true, sync: false }) : pino.destination(1)
  return pino({ name, level: config.logLevel, base: { node: name } }, destination)
}

/**
 * The BFT runner over the libp2p validator network, for a genesis of several validators. Peer
 * addresses come from genesis, overridden per key by the config's peers.
 */
function bftConsensus(config: NodeConfig, genesis: Genesis, key: KeyPair | null, logger: Logger): NonNullable<NodeOptions['createConsensus']> {
  if (!key) throw new NodeError(NodeErrorCode.BAD_CONFIG, 'a node of a multi-validator chain needs its validator key (--key); observers are not supported yet')
  if (!genesis.validators.some((v) => bytesEqual(v.publicKey, key.publicKey))) {
    throw new NodeError(NodeErrorCode.NOT_VALIDATOR, `key ${toHex(key.publicKey)} is not a validator of genesis ${genesis.chainId}`)
  }
  const override = new Map(config.peers.map((p) => [p.publicKey, p]))
  const peers = genesis.validators.flatMap((v) => {
    const o = override.get(toHex(v.publicKey))
    const at = o ? { host: o.host, port: o.port } : v.p2p
    return at ? [{ publicKey: v.publicKey, host: at.host, port: at.port }] : []
  })
  let trace: StepTrace | undefined
  if (config.traceFile) {
    try {
      trace = openStepTrace(config.traceFile, config.name)
    } catch (e) {
      throw new NodeError(NodeErrorCode.BAD_CONFIG, `cannot open the trace file ${config.traceFile}: ${(e as Error).message}`)
    }
  }
  return (node) => new BftRunner({
    node,
    network: createValidatorNetwork({
      secretKey: key.secretKey, listen: config.p2p, peers, allowedPublicKeys: genesis.validators.map((v) => v.publicKey),
      logger, relayTopics: RELAY_TOPICS,
    }),
    privValidator: new PrivValidator({ chainId: genesis.chainId, signer: createEd25519Signer(key.secretKey), store: new FilePrivValidatorStore(signStatePath(config.dataDir)) }),
    production: { ...DEFAULT_PRODUCTION, blockIntervalMs: config.blockIntervalMs, produceOnTxs: config.produceOnTxs },
    logger,
    ...(trace ? { trace } : {}),
  })
}

export async function launchNode(config: NodeConfig, logger: Logger): Promise<MedchainNode> {
  const genesis = await loadGenesis(config.genesisFile)
  const validatorKey = config.keyFile ? await loadValidatorKey(config.keyFile) : null
  if (config.warmUp) {
    // Before the store opens and before any peer: a build that executes contracts differently
    // stops here, and the first real txs run on code that has run once (node/warm-up.ts).
    const warm = await runWarmUp({ executors: [createVmExecutor()], rpc: config.rpc !== null })
    logger.info({ ms: +warm.ms.toFixed(1), blocks: warm.blocks, stateRoot: warm.stateRoot }, 'start-up self-test passed')
  }
  const node = new MedchainNode({
    dataDir: config.dataDir,
    genesis,
    validatorKey,
    production: { blockIntervalMs: config.blockIntervalMs, produceOnTxs: config.produceOnTxs },
    executors: [createVmExecutor()],
    logger,
    ...(genesis.validators.length > 1 ? { createConsensus: bftConsensus(config, genesis, validatorKey, logger) } : {}),
  })
  if (config.traceFile && genesis.validators.length === 1) logger.warn({ traceFile: config.traceFile }, 'the step trace is written by multi-validator nodes only; this one-validator node writes none')
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
