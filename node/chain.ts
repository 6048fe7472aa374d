/**
 * Chain: the node's view of the ledger. It builds proposals from the mempool, validates and
 * executes proposals and synced blocks, and commits final blocks (with their certificates) to
 * the store in one atomic batch. Consensus engines drive it through these four calls; it knows
 * nothing of networking or rounds.
 */
import {
  CoreError, ReceiptStatus, TxKind, bytesEqual, createBlock, readNonce, toHex, txRootChecked, txRootOf, validateTxStateless,
  verifyCommit, withCommit, addressFromPublicKey,
  type Block, type BlockContext, type CallResult, type CanonicalValue, type BlockHeader, type CommitCertificate, type Receipt, type SignatureVerifier, type SignedTx,
} from '../core/index.ts'
import { NodeError, NodeErrorCode } from './errors.ts'
import type { Genesis } from './genesis.ts'
import type { Mempool } from './mempool.ts'
import type { BlockExecutor, BlockLimits, ExecutedBody } from './execution/block-executor.ts'
import { DEFAULT_BLOCK_LIMITS } from './execution/block-executor.ts'
import type { ChainStore } from './store/chain-store.ts'

export interface Clock {
  now(): number
}
export const systemClock: Clock = { now: () => Date.now() }

export interface ChainOptions {
  /** How far ahead of a voter's clock a proposal's time may be. */
  readonly maxClockDriftMs: number
  readonly blockLimits: BlockLimits
  /** Checks commit certificates' and block txs' signatures; the node passes its memo of verified signatures. */
  readonly verifySignature?: SignatureVerifier
}

export const DEFAULT_CHAIN_OPTIONS: ChainOptions = { maxClockDriftMs: 2_000, blockLimits: DEFAULT_BLOCK_LIMITS }

export type FinalBlockListener = (block: Block, receipts: readonly Receipt[]) => void

const MAX_EXECUTED_CACHE = 64

export class Chain {
  private readonly executed = new Map<string, ExecutedBody>()
  private readonly listeners = new Set<FinalBlockListener>()
  /** Header of the head block (undefined until loaded), so block time checks need no disk read. */
  private headHeader: BlockHeader | undefined
  private commitQueue: Promise<unknown> = Promise.resolve()

  constructor(
    readonly genesis: Genesis,
    readonly store: ChainStore,
    readonly mempool: Mempool,
    private readonly executor: BlockExecutor,
    private readonly clock: Clock,
    private readonly options: ChainOptions = DEFAULT_CHAIN_OPTIONS,
  ) {}

  get chainId(): string {
    return this.genesis.chainId
  }

  get height(): number {
    return this.store.getHead().height
  }

  nonceOf(address: Uint8Array): number {
    return readNonce(this.store.state, address)
  }

  private prevHash(): Uint8Array {
    const head = this.store.getHead()
    return head.height === 0 ? this.genesis.hash : head.hash
  }

  private async prevTime(): Promise<number> {
    return (await this.latestHeader())?.time ?? this.genesis.genesisTime
  }

  /** The head block's header; undefined at genesis. */
  async latestHeader(): Promise<BlockHeader | undefined> {
    const head = this.store.getHead()
    if (head.height === 0) return undefined
    if (this.headHeader?.height !== head.height) this.headHeader = (await this.store.getBlock(head.height))!.header
    return this.headHeader
  }

  /** A read-only contract call against the latest final state, metered with `gasCap`. */
  async callReadOnly(target: Uint8Array, method: string, args: readonly CanonicalValue[], caller: Uint8Array, gasCap: number): Promise<CallResult> {
    const executor = this.executor.executorFor(TxKind.CALL)
    if (!executor) return { status: ReceiptStatus.FAILED, gasUsed: 0, returnValue: null, errorCode: 'UNSUPPORTED_KIND', errorMessage: 'this node runs no contract VM' }
    const header = await this.latestHeader()
    const ctx: BlockContext = { chainId: this.chainId, height: header?.height ?? 0, time: header?.time ?? this.genesis.genesisTime, proposer: header?.proposer ?? new Uint8Array(20) }
    return executor.call(target, method, args, caller, this.store.state, ctx, gasCap)
  }

  private remember(block: Block, body: ExecutedBody): void {
    if (this.executed.size >= MAX_EXECUTED_CACHE) this.executed.delete(this.executed.keys().next().value!)
    this.executed.set(toHex(block.hash), body)
  }

  /** Builds and executes the next block from the mempool; `proposer` is this validator's public key. */
  async buildProposal(proposerPublicKey: Uint8Array): Promise<Block> {
    const head = this.store.getHead()
    const height = head.height + 1
    // Block time: the proposer's clock, but strictly after the previous block (monotonic).
    const time = Math.max(this.clock.now(), (await this.prevTime()) + 1)
    const proposer = addressFromPublicKey(proposerPublicKey)
    const ctx: BlockContext = { chainId: this.chainId, height, time, proposer }
    const body = this.executor.buildBlockBody(this.store.state, head.stateRoot, this.mempool.candidates(), ctx, this.options.blockLimits)
    const header: BlockHeader = {
      chainId: this.chainId, height, time, prevHash: this.prevHash(), txRoot: txRootOf(body.txs),
      stateRoot: body.stateRoot, proposer, validatorsHash: this.genesis.validatorSet.hash,
    }
    const block = createBlock(header, body.txs, null)
    this.remember(block, body)
    return block
  }

  /**
   * Checks a proposal or synced block against the head and executes it.
   * @throws NodeError INVALID_BLOCK (penalisePeer) saying what is wrong.
   */
  async validateBlock(block: Block, expectedProposer?: Uint8Array, checkClock = true): Promise<void> {
    if (this.executed.has(toHex(block.hash))) return
    const invalid = (m: string): never => {
      throw new NodeError(NodeErrorCode.INVALID_BLOCK, `block ${block.header.height} ${toHex(block.hash)}: ${m}`, { penalisePeer: true })
    }
    const h = block.header
    const head = this.store.getHead()
    if (h.chainId !== this.chainId) invalid(`chain id '${h.chainId}'`)
    if (h.height !== head.height + 1) invalid(`height ${h.height}, expected ${head.height + 1}`)
    if (!bytesEqual(h.prevHash, this.prevHash())) invalid('prevHash does not match the head')
    if (!bytesEqual(h.validatorsHash, this.genesis.validatorSet.hash)) invalid('validatorsHash does not match the validator set')
    if (expectedProposer && !bytesEqual(h.proposer, addressFromPublicKey(expectedProposer))) invalid('proposed by the wrong validator')
    if (!this.genesis.validatorSet.validators.some((v) => bytesEqual(v.address, h.proposer))) invalid('proposer is not a validator')
    const prevTime = await this.prevTime()
    if (h.time <= prevTime) invalid(`time ${h.time} not after the previous block's ${prevTime}`)
    if (checkClock && h.time > this.clock.now() + this.options.maxClockDriftMs) invalid(`time ${h.time} is ahead of this node's clock by more than ${this.options.maxClockDriftMs} ms`)
    // decodeBlock has checked the root of every block that came over the wire or from the store.
    if (!txRootChecked(block) && !bytesEqual(txRootOf(block.txs), h.txRoot)) invalid('txRoot does not match the txs')
    if (block.txs.length > this.options.blockLimits.maxTxs) invalid(`more than ${this.options.blockLimits.maxTxs} txs`)
    for (const tx of block.txs) {
      // A tx already admitted to our mempool had its signature checked on admission.
      if (this.mempool.holds(tx)) continue
      try {
        validateTxStateless(tx, this.chainId, this.options.verifySignature)
      } catch (e) {
        invalid(`tx ${toHex(tx.id)}: ${(e as CoreError).message}`)
      }
    }
    const ctx: BlockContext = { chainId: this.chainId, height: h.height, time: h.time, proposer: h.proposer }
    const body = this.executor.executeBlock(this.store.state, head.stateRoot, block.txs, ctx)
    if (!bytesEqual(body.stateRoot, h.stateRoot)) invalid(`stateRoot ${toHex(h.stateRoot)} differs from the executed ${toHex(body.stateRoot)}`)
    this.remember(block, body)
  }

  /**
   * Commits a final block: verifies its certificate, executes it if not yet executed, writes it
   * atomically, updates the mempool and notifies listeners. Serialised: one commit at a time.
   * @throws NodeError INVALID_BLOCK, CoreError BAD_COMMIT
   */
  commitBlock(block: Block, commit: CommitCertificate): Promise<Block> {
    const run = this.commitQueue.then(() => this.doCommit(block, commit))
    this.commitQueue = run.catch(() => undefined)
    return run
  }

  private async doCommit(block: Block, commit: CommitCertificate): Promise<Block> {
    verifyCommit(this.chainId, this.genesis.validatorSet, commit, block.header.height, block.hash, this.options.verifySignature)
    // A certified block is final: execute it even if its time is ahead of our clock.
    await this.validateBlock(block, undefined, false)
    const body = this.executed.get(toHex(block.hash))!
    const final = withCommit(block, commit)
    await this.store.commitBlock({ block: final, receipts: body.receipts, stateWrites: body.stateWrites })
    this.headHeader = final.header
    this.executed.clear()
    this.mempool.removeCommitted(block.txs)
    for (const l of this.listeners) {
      try {
        l(final, body.receipts)
      } catch {
        // A listener's failure must not undo or block a commit.
      }
    }
    return final
  }

  onFinalBlock(listener: FinalBlockListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }
}
