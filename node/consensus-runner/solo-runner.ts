/**
 * SoloRunner: consensus for a validator set of one. The only validator is the quorum: it builds a
 * block, precommits it and commits it with a one-signature certificate. Used for single-node
 * development chains; multi-validator chains use the BFT runner.
 */
import { VoteType, createCommit, signVote, type KeyPair } from '../../core/index.ts'
import type { Chain } from '../chain.ts'
import type { ConsensusRunner, ProductionOptions } from './consensus-runner.ts'
import type { EvidenceRecord } from '../rpc/backend.ts'

export interface SoloRunnerDeps {
  readonly chain: Chain
  readonly key: KeyPair
  readonly production: ProductionOptions
  readonly onError: (e: unknown) => void
}

export class SoloRunner implements ConsensusRunner {
  private timer: NodeJS.Timeout | undefined
  private running = false
  private producing: Promise<void> | undefined
  private pendingTrigger = false

  constructor(private readonly deps: SoloRunnerDeps) {}

  async start(): Promise<void> {
    this.running = true
    this.schedule(this.deps.production.blockIntervalMs)
  }

  async stop(): Promise<void> {
    this.running = false
    if (this.timer) clearTimeout(this.timer)
    await this.producing
  }

  syncing(): boolean {
    return false
  }

  evidence(): readonly EvidenceRecord[] {
    // One validator: nobody else can equivocate.
    return []
  }

  txAdmitted(): void {
    if (!this.deps.production.produceOnTxs || !this.running) return
    if (this.producing) {
      this.pendingTrigger = true
      return
    }
    this.schedule(this.deps.production.batchDelayMs)
  }

  private schedule(ms: number): void {
    if (!this.running) return
    if (this.timer) clearTimeout(this.timer)
    this.timer = setTimeout(() => this.produce(), ms)
  }

  private produce(): void {
    if (this.producing || !this.running) return
    this.pendingTrigger = false
    this.producing = this.produceOne()
      .catch(this.deps.onError)
      .finally(() => {
        this.producing = undefined
        const more = this.pendingTrigger || this.deps.chain.mempool.size > 0
        this.schedule(more && this.deps.production.produceOnTxs ? this.deps.production.batchDelayMs : this.deps.production.blockIntervalMs)
      })
  }

  private async produceOne(): Promise<void> {
    const { chain, key } = this.deps
    const block = await chain.buildProposal(key.publicKey)
    const vote = signVote(chain.chainId, { type: VoteType.PRECOMMIT, height: block.header.height, round: 0, blockHash: block.hash, validatorIndex: 0 }, key.secretKey)
    await chain.commitBlock(block, createCommit(block.header.height, 0, block.hash, [vote]))
  }
}
