/**
 * MedchainNode: builds a node from its parts in order and tears it down in reverse (Lodestar's
 * `beacon-node/src/node/nodejs.ts`). Parts: store → mempool → chain → consensus runner (→ network
 * and RPC, added by their own modules through `attach*`).
 */
import { join } from 'node:path'
import {
  createTxFromBytes, type KeyPair, type SignedTx, type TxExecutor,
} from '../core/index.ts'
import { Chain, DEFAULT_CHAIN_OPTIONS, systemClock, type ChainOptions, type Clock } from './chain.ts'
import { NodeError, NodeErrorCode } from './errors.ts'
import { BlockExecutor } from './execution/block-executor.ts'
import { createKvExecutor } from './execution/kv-executor.ts'
import type { Genesis } from './genesis.ts'
import { silentLogger, type Logger } from './logger.ts'
import { DEFAULT_MEMPOOL_OPTIONS, Mempool, type MempoolOptions } from './mempool.ts'
import { ChainStore } from './store/chain-store.ts'
import { DEFAULT_PRODUCTION, type ConsensusRunner, type ProductionOptions } from './consensus-runner/consensus-runner.ts'
import { SoloRunner } from './consensus-runner/solo-runner.ts'
import { createMemoizedVerifier, type MemoizedVerifier } from './verified-signatures.ts'
import type { EvidenceRecord } from './rpc/backend.ts'

/** Layout of a node's data directory: the LevelDB store and the PrivValidator's sign state. */
export const chainStorePath = (dataDir: string): string => join(dataDir, 'chain')
export const signStatePath = (dataDir: string): string => join(dataDir, 'priv-validator-state')

export interface NodeOptions {
  readonly dataDir: string
  readonly genesis: Genesis
  /** This node's validator key; null for a non-validating observer. */
  readonly validatorKey: KeyPair | null
  readonly production?: Partial<ProductionOptions>
  readonly mempool?: Partial<Omit<MempoolOptions, 'chainId'>>
  readonly chain?: Partial<ChainOptions>
  readonly clock?: Clock
  /** Executors for tx kinds beyond the built-in KV_PUT (the contract VM). */
  readonly executors?: readonly TxExecutor[]
  readonly logger?: Logger
  /**
   * Builds the consensus runner; defaults to SoloRunner for a one-validator set. Multi-validator
   * nodes pass the BFT runner factory.
   */
  readonly createConsensus?: (node: MedchainNode) => ConsensusRunner
}

export class MedchainNode {
  readonly logger: Logger
  readonly genesis: Genesis
  /** Signatures this node has verified (votes, certificates): each is verified once. */
  readonly signatures: MemoizedVerifier = createMemoizedVerifier()
  private storeRef: ChainStore | undefined
  private chainRef: Chain | undefined
  private consensus: ConsensusRunner | undefined
  private readonly stopHooks: (() => Promise<void>)[] = []
  private started = false

  constructor(readonly options: NodeOptions) {
    this.logger = options.logger ?? silentLogger
    this.genesis = options.genesis
  }

  get chain(): Chain {
    if (!this.chainRef) throw new NodeError(NodeErrorCode.STOPPED, 'node is not started')
    return this.chainRef
  }

  get validatorKey(): KeyPair | null {
    return this.options.validatorKey
  }

  async start(): Promise<void> {
    if (this.started) return
    const o = this.options
    this.storeRef = await ChainStore.open(chainStorePath(o.dataDir), o.genesis.hash)
    const store = this.storeRef
    const mempool = new Mempool({ ...DEFAULT_MEMPOOL_OPTIONS, ...o.mempool, chainId: o.genesis.chainId }, (a) => this.chainRef!.nonceOf(a), this.signatures.verify)
    const executor = new BlockExecutor([createKvExecutor(), ...(o.executors ?? [])])
    this.chainRef = new Chain(o.genesis, store, mempool, executor, o.clock ?? systemClock, { ...DEFAULT_CHAIN_OPTIONS, verifySignature: this.signatures.verify, ...o.chain })
    const head = store.getHead()
    this.logger.info({ height: head.height, dataDir: o.dataDir, chainId: o.genesis.chainId }, 'store opened')
    this.consensus = o.createConsensus ? o.createConsensus(this) : this.createSoloRunner()
    await this.consensus.start()
    this.started = true
  }

  private createSoloRunner(): ConsensusRunner {
    const key = this.options.validatorKey
    const set = this.genesis.validatorSet
    if (!key || set.validators.length !== 1) {
      throw new NodeError(NodeErrorCode.BAD_CONFIG, `the built-in solo producer needs a one-validator genesis and its key (genesis has ${set.validators.length} validators)`)
    }
    return new SoloRunner({
      chain: this.chain,
      key,
      production: { ...DEFAULT_PRODUCTION, ...this.options.production },
      onError: (e) => this.logger.error({ err: e }, 'block production failed'),
    })
  }

  /** Registers teardown for a part attached after start (network, RPC); run in reverse order. */
  onStop(hook: () => Promise<void>): void {
    this.stopHooks.push(hook)
  }

  private peersProvider: () => Uint8Array[] = () => []

  /** Lets the network part report connected validators (their public keys). */
  setPeersProvider(provider: () => Uint8Array[]): void {
    this.peersProvider = provider
  }

  connectedPeers(): Uint8Array[] {
    return this.peersProvider()
  }

  syncing(): boolean {
    return this.consensus?.syncing() ?? false
  }

  evidence(): readonly EvidenceRecord[] {
    return this.consensus?.evidence() ?? []
  }

  /**
   * Decodes, checks and admits a signed tx to the mempool: from this node's RPC (`local`, the
   * consensus runner then gossips it) or from a peer. A duplicate, a replay or a gossiped copy
   * of a tx already committed is refused by id or nonce before its signature is checked, so
   * such txs cost no verification (Mempool.add orders the checks).
   * @throws CoreError with the rejection code (decoding, DUPLICATE_TX, nonce, WRONG_CHAIN_ID, BAD_SIGNATURE, …)
   */
  submitTx(bytes: Uint8Array, { local = true }: { local?: boolean } = {}): SignedTx {
    const tx = createTxFromBytes(bytes)
    this.chain.mempool.add(tx)
    this.consensus?.txAdmitted(tx, local)
    return tx
  }

  async stop(): Promise<void> {
    if (!this.started) return
    this.started = false
    for (const hook of this.stopHooks.reverse()) {
      try {
        await hook()
      } catch (e) {
        this.logger.warn({ err: e }, 'error while stopping a part')
      }
    }
    this.stopHooks.length = 0
    await this.consensus?.stop()
    await this.storeRef?.close()
    this.logger.info('node stopped')
  }
}
