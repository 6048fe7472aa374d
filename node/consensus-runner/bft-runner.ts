/**
 * BftRunner: the I/O edge around the pure consensus engine (consensus/engine.ts).
 *
 * Every engine input (peer proposals and votes, own signed messages, timeouts, block proposals
 * and validations) goes through ONE serial queue, so the engine sees one input at a time in a
 * well-defined order (CometBFT's `receiveRoutine`). The runner carries out the engine's outputs:
 * it builds and validates blocks through `Chain`, signs through the PrivValidator (which persists
 * its last signature and lock before a signature leaves the process), sends over the validator
 * network, sets timers, commits final blocks and fetches missing blocks from peers (sync).
 *
 * Gossip topics: 'tx' (signed txs), 'block' (proposed blocks, sent before their proposal),
 * 'consensus' (proposals, votes, vote bundles, commit certificates); all relayed by the network.
 * With vote routing (on by default) a vote for a block is sent to the round's collector only
 * (`sendTo`), which broadcasts the quorum as one bundle: 18 instead of 90 messages per vote step
 * among 10 validators.
 * Requests: ['blocks', fromHeight, max] → final blocks with certificates; ['block', hash] →
 * a proposed or final block.
 *
 * Block pacing: after a commit the next height starts when txs wait (after `batchDelayMs`), when
 * `blockIntervalMs` has passed since the last block, or as soon as a peer's message for the next
 * height arrives; so an idle chain makes one empty block per interval and a busy one runs back
 * to back.
 */
import {
  asArray, asBytes, asList, asUint, bytesEqual, decode, decodeBlock, encodeBlock, encodeTrusted,
  toHex, verifyCommit, voteSignBytes, VoteType, type Block, type CommitCertificate, type SignedTx,
} from '../../core/index.ts'
import {
  createConsensus, decodeConsensusMessage, encodeConsensusMessage, isConsensusError, proposalSignBytes,
  type ConsensusEngine, type ConsensusInput, type ConsensusOutput, type PrivValidator, type Proposal, type TimeoutConfig,
} from '../../consensus/index.ts'
import { encodeEvidence, evidenceHeight, evidenceValidator, type Evidence } from '../../consensus/evidence.ts'
import type { EvidenceRecord } from '../rpc/backend.ts'
import type { ValidatorNetwork } from '../network/index.ts'
import type { Logger } from '../logger.ts'
import type { MedchainNode } from '../node.ts'
import type { ConsensusRunner, ProductionOptions } from './consensus-runner.ts'
import type { StepTrace } from './step-trace.ts'
import { GossipTxIntake } from './gossip-tx-intake.ts'

export const TOPIC = { tx: 'tx', block: 'block', consensus: 'consensus' } as const
export const RELAY_TOPICS = [TOPIC.tx, TOPIC.block, TOPIC.consensus]

const MAX_PROPOSED_BLOCKS = 64
/**
 * Proposed blocks are kept for heights up to this far above our head. A validator that lags a
 * few heights (a busy RPC node) must still have the blocks when its engine gets there: when it
 * dropped them (the limit was 2), it waited for each block and then fell back to sync while the
 * others waited for its proposal: ~2 s stalls at 250 tx/s on 10 validators. Memory stays
 * bounded by MAX_PROPOSED_BLOCKS.
 */
const MAX_BLOCKS_AHEAD = 16
const MAX_EVIDENCE_KEPT = 1_000
const SYNC_BATCH = 32
const SYNC_RESPONSE_MAX_BYTES = 8 * 1024 * 1024
const BLOCK_WAIT_MS = 300
const REQUEST_TIMEOUT_MS = 5_000

export interface BftRunnerDeps {
  readonly node: MedchainNode
  readonly network: ValidatorNetwork
  /** Null for an observer that follows the chain without voting. */
  readonly privValidator: PrivValidator | null
  readonly production: ProductionOptions
  readonly timeouts?: Partial<TimeoutConfig>
  /**
   * Vote routing (consensus/README.md): votes for a block go to the round's proposer, which
   * sends the quorum to everyone in one message. Default true; every validator should agree
   * (a mix still makes progress, through the engine's fallback timer).
   */
  readonly routeVotes?: boolean
  readonly logger: Logger
  /** Timeline of consensus steps for diagnostics (step-trace.ts); off by default. */
  readonly trace?: StepTrace
}

export class BftRunner implements ConsensusRunner {
  private readonly engine: ConsensusEngine
  private readonly queue: ConsensusInput[] = []
  private pumping = false
  private running = false
  private readonly timers = new Set<NodeJS.Timeout>()
  /** Proposed (not yet final) blocks by hash, insertion-ordered for eviction. */
  private readonly proposed = new Map<string, Block>()
  private readonly blockWaiters = new Map<string, (() => void)[]>()
  private readonly evidenceSeen: Evidence[] = []
  private syncingNow = false
  private syncTarget = 0
  /** The height the engine is working on, or 0 while waiting to start the next one. */
  private engineHeight = 0
  /** The next height, while waiting to start it: when it is due, and how to cancel its scheduled start. */
  private pendingStart: { height: number; due: number; cancel: () => void } | undefined
  private idle: Promise<void> = Promise.resolve()
  /** Undefined when off: `this.trace?.record(…)` then skips even computing its arguments. */
  private readonly trace: StepTrace | undefined
  private stopTracingCommits: (() => void) | undefined

  constructor(private readonly deps: BftRunnerDeps) {
    const { node } = deps
    this.trace = deps.trace
    const myIndex = deps.privValidator
      ? node.genesis.validatorSet.validators.findIndex((v) => bytesEqual(v.publicKey, deps.privValidator!.publicKey))
      : -1
    this.engine = createConsensus({
      chainId: node.genesis.chainId,
      validatorSet: node.genesis.validatorSet,
      myIndex: myIndex >= 0 ? myIndex : null,
      verifySignature: node.signatures.verify,
      routeVotes: deps.routeVotes ?? true,
      ...(deps.timeouts ? { timeouts: deps.timeouts } : {}),
    })
  }

  private get chain() {
    return this.deps.node.chain
  }

  private readonly knownTx = (txBytes: Uint8Array): SignedTx | undefined => this.chain.mempool.findByBytes(txBytes)

  /**
   * Peers' txs are admitted within a budget per event-loop turn, so a burst of them does not
   * hold up the consensus messages behind it (gossip-tx-intake.ts). Duplicates and already-used
   * nonces are normal in gossip; invalid txs are simply dropped.
   */
  private readonly txIntake = new GossipTxIntake({
    admit: (payload) => {
      // A copy of a tx that a block has committed since it was gossiped: not decoded again.
      if (this.chain.mempool.committedRecently(payload)) return
      this.deps.node.submitTx(payload, { local: false })
    },
  })

  async start(): Promise<void> {
    const { network } = this.deps
    this.running = true
    network.onMessage(TOPIC.tx, (payload) => this.onTxMessage(payload))
    network.onMessage(TOPIC.block, (payload) => this.onBlockMessage(payload))
    network.onMessage(TOPIC.consensus, (payload, from) => this.onConsensusMessage(payload, from))
    network.handleRequests((payload) => this.answerRequest(payload))
    // Every block the chain writes, whichever path committed it (consensus or block sync).
    if (this.trace) this.stopTracingCommits = this.chain.onFinalBlock((block) => this.trace?.record('persisted', block.header.height))
    await network.start()
    this.deps.node.setPeersProvider(() => network.connectedPeers())
    this.startHeight(this.chain.height + 1)
  }

  async stop(): Promise<void> {
    this.running = false
    for (const t of this.timers) clearTimeout(t)
    this.timers.clear()
    this.pendingStart?.cancel()
    this.txIntake.clear()
    for (const waiters of this.blockWaiters.values()) for (const w of waiters) w()
    await this.idle
    await this.deps.network.stop()
    this.stopTracingCommits?.()
    this.trace?.close()
  }

  syncing(): boolean {
    return this.syncingNow
  }

  evidence(): readonly EvidenceRecord[] {
    return this.evidenceSeen.map((e) => ({
      kind: e.kind, validatorIndex: evidenceValidator(e), height: evidenceHeight(e),
      round: e.kind === 'duplicate-vote' ? e.voteA.round : e.proposalA.round, encoded: encodeEvidence(e),
    }))
  }

  txAdmitted(tx: SignedTx, local: boolean): void {
    this.trace?.record(local ? 'tx-local' : 'tx-peer', this.chain.height + 1)
    if (local) this.deps.network.broadcast(TOPIC.tx, tx.bytes)
    // Txs waiting: start the next height now (after the batching delay) instead of at the interval.
    if (this.pendingStart && this.deps.production.produceOnTxs) this.scheduleStart(this.pendingStart.height, this.deps.production.batchDelayMs)
  }

  // ---- inputs ------------------------------------------------------------------------------

  private enqueue(input: ConsensusInput): void {
    if (!this.running) return
    this.queue.push(input)
    if (!this.pumping) this.idle = this.pump()
  }

  private async pump(): Promise<void> {
    this.pumping = true
    try {
      while (this.running && this.queue.length > 0) {
        const input = this.queue.shift()!
        let outputs: ConsensusOutput[]
        try {
          outputs = this.engine.handle(input)
        } catch (e) {
          this.deps.logger.error({ err: e, input: input.type }, 'consensus engine failed on an input')
          continue
        }
        for (const out of outputs) {
          try {
            await this.carryOut(out)
          } catch (e) {
            this.deps.logger.error({ err: e, output: out.type }, 'could not carry out a consensus output')
          }
        }
      }
    } finally {
      this.pumping = false
    }
  }

  private startHeight(height: number): void {
    if (!this.running) return
    this.pendingStart = undefined
    this.engineHeight = height
    const resume = this.deps.privValidator?.resumePoint(height)
    this.enqueue({ type: 'start-height', height, ...(resume ? { resume } : {}) })
  }

  /**
   * Starts `height` after `delayMs`. A later call can only bring the start forward, never push
   * it back: a steady stream of txs must not keep postponing the next block.
   */
  private scheduleStart(height: number, delayMs: number): void {
    if (!this.running) return
    const due = Date.now() + delayMs
    const pending = this.pendingStart
    if (pending && pending.height === height && pending.due <= due) return
    pending?.cancel()
    const start = (): void => {
      if (this.pendingStart?.height === height) this.startHeight(height)
    }
    // No delay: the next event-loop turn (setTimeout(0) would wait at least 1 ms: measured as
    // ~1.3 ms between a tx arriving and its height starting, on every height).
    let cancel: () => void
    if (delayMs <= 0) {
      const immediate = setImmediate(start)
      cancel = () => clearImmediate(immediate)
    } else {
      const timer = setTimeout(start, delayMs)
      cancel = () => clearTimeout(timer)
    }
    this.pendingStart = { height, due, cancel }
  }

  private afterCommit(height: number): void {
    const next = height + 1
    const { production } = this.deps
    this.engineHeight = 0
    const delay = production.produceOnTxs && this.chain.mempool.size > 0 ? production.batchDelayMs : production.blockIntervalMs
    this.pendingStart = undefined
    this.scheduleStart(next, delay)
  }

  private onTxMessage(payload: Uint8Array): void {
    this.txIntake.push(payload)
  }

  private onBlockMessage(payload: Uint8Array): void {
    let block: Block
    try {
      // Its txs reached us by gossip before it did: reuse those decoded and checked on admission.
      block = decodeBlock(payload, { knownTx: this.knownTx })
    } catch (e) {
      this.deps.logger.debug({ err: e }, 'dropped a malformed proposed block')
      return
    }
    const h = block.header.height
    if (h <= this.chain.height || h > this.chain.height + MAX_BLOCKS_AHEAD) return
    this.rememberProposed(block)
  }

  private rememberProposed(block: Block): void {
    const id = toHex(block.hash)
    if (this.proposed.has(id)) return
    if (this.proposed.size >= MAX_PROPOSED_BLOCKS) this.proposed.delete(this.proposed.keys().next().value!)
    this.proposed.set(id, block)
    const waiters = this.blockWaiters.get(id)
    if (waiters) {
      this.blockWaiters.delete(id)
      for (const w of waiters) w()
    }
  }

  private onConsensusMessage(payload: Uint8Array, from: Uint8Array): void {
    let msg
    try {
      msg = decodeConsensusMessage(payload, this.deps.node.genesis.validatorSet.validators.length)
    } catch (e) {
      this.deps.logger.debug({ err: e, from: toHex(from) }, 'dropped a malformed consensus message')
      return
    }
    const height = msg.kind === 'proposal' ? msg.proposal.height : msg.kind === 'vote' ? msg.vote.height : msg.kind === 'votes' ? maxHeight(msg.votes) : msg.certificate.height
    // A peer is already on the next height: start it now rather than at the block interval.
    if (this.pendingStart && height >= this.pendingStart.height) this.startHeight(this.pendingStart.height)
    if (msg.kind === 'proposal') this.enqueue({ type: 'proposal', proposal: msg.proposal })
    else if (msg.kind === 'vote') this.enqueue({ type: 'vote', vote: msg.vote })
    else if (msg.kind === 'votes') for (const vote of msg.votes) this.enqueue({ type: 'vote', vote })
    else this.enqueue({ type: 'commit-certificate', certificate: msg.certificate })
  }

  // ---- outputs -----------------------------------------------------------------------------

  private async carryOut(out: ConsensusOutput): Promise<void> {
    const { network, privValidator, logger } = this.deps
    this.trace?.record(traceName(out), outputHeight(out))
    switch (out.type) {
      case 'propose-block': {
        if (out.height !== this.chain.height + 1) return
        const block = await this.chain.buildProposal(privValidator!.publicKey)
        this.rememberProposed(block)
        this.enqueue({ type: 'block-proposal', height: out.height, round: out.round, blockHash: block.hash })
        return
      }
      case 'sign-proposal': {
        const signed = await this.signOwn('proposal', () => privValidator!.signProposalAsync(out.proposal))
        if (!signed) return
        this.trustOwnSignature(signed.signature, proposalSignBytes(this.deps.node.genesis.chainId, signed))
        this.broadcastProposal(signed)
        this.enqueue({ type: 'proposal', proposal: signed })
        return
      }
      case 'sign-vote': {
        const signed = await this.signOwn('vote', () => privValidator!.signVoteAsync(out.vote))
        if (!signed) return
        this.trace?.record(signed.type === VoteType.PREVOTE ? 'prevote-signed' : 'precommit-signed', signed.height)
        this.trustOwnSignature(signed.signature, voteSignBytes(this.deps.node.genesis.chainId, signed.type, signed.height, signed.round, signed.blockHash))
        this.enqueue({ type: 'vote', vote: signed })
        if (out.sendTo === signed.validatorIndex) return // we collect: it leaves in our bundle
        const message = encodeConsensusMessage({ kind: 'vote', vote: signed })
        const collector = out.sendTo === undefined ? undefined : this.deps.node.genesis.validatorSet.validators[out.sendTo]
        if (!collector || !network.sendTo(collector.publicKey, TOPIC.consensus, message)) network.broadcast(TOPIC.consensus, message)
        return
      }
      case 'broadcast-votes':
        network.broadcast(TOPIC.consensus, encodeConsensusMessage({ kind: 'votes', votes: out.votes }))
        return
      case 'broadcast-proposal':
        this.broadcastProposal(out.proposal)
        return
      case 'broadcast-vote':
        network.broadcast(TOPIC.consensus, encodeConsensusMessage({ kind: 'vote', vote: out.vote }))
        return
      case 'broadcast-commit':
        network.broadcast(TOPIC.consensus, encodeConsensusMessage({ kind: 'commit', certificate: out.certificate }))
        return
      case 'validate-block': {
        const valid = await this.validate(out.height, out.blockHash)
        this.enqueue({ type: 'block-validated', height: out.height, blockHash: out.blockHash, valid })
        return
      }
      case 'schedule-timeout': {
        const timer = setTimeout(() => {
          this.timers.delete(timer)
          this.enqueue({ type: 'timeout', height: out.height, round: out.round, step: out.step })
        }, out.durationMs)
        this.timers.add(timer)
        return
      }
      case 'commit':
        await this.commit(out.height, out.blockHash, out.certificate)
        return
      case 'evidence':
        if (this.evidenceSeen.length >= MAX_EVIDENCE_KEPT) this.evidenceSeen.shift()
        this.evidenceSeen.push(out.evidence)
        logger.warn({ evidence: describeEvidence(out.evidence) }, 'validator equivocation detected')
        return
      case 'need-sync':
        this.requestSync(out.height)
        return
      case 'rejected':
        logger.debug({ err: out.error, action: out.error.action }, 'consensus message refused')
        return
    }
  }

  /**
   * Signs through the PrivValidator; a refusal (it would sign a conflict) is logged and gives
   * undefined. The signature comes back once its state is on disk; meanwhile (a precommit's
   * fdatasync) the event loop serves everything else, this node's other work waiting in `pump`.
   * Frames queued so far leave first: a collector's prevote bundle, queued just before its own
   * precommit, would otherwise wait behind the save (the network writes queued frames at the end
   * of the event-loop turn).
   */
  private async signOwn<T>(what: 'proposal' | 'vote', sign: () => Promise<T>): Promise<T | undefined> {
    this.deps.network.flush()
    try {
      return await sign()
    } catch (e) {
      if (!isConsensusError(e)) throw e
      this.deps.logger.warn({ err: e }, `refused to sign a ${what}`)
      return undefined
    }
  }

  /** The block goes first so peers have it when the proposal arrives (same stream, in order). */
  private broadcastProposal(proposal: Proposal): void {
    const block = this.proposed.get(toHex(proposal.blockHash))
    if (block) this.deps.network.broadcast(TOPIC.block, encodeBlock(block))
    this.deps.network.broadcast(TOPIC.consensus, encodeConsensusMessage({ kind: 'proposal', proposal }))
  }

  /** Our own vote or proposal comes back to the engine as an input: spare it the verification. */
  private trustOwnSignature(signature: Uint8Array, message: Uint8Array): void {
    this.deps.node.signatures.trust(signature, message, this.deps.privValidator!.publicKey)
  }

  /** Gets the proposed block (waiting briefly for gossip, then asking peers) and executes it. */
  private async validate(height: number, hash: Uint8Array): Promise<boolean> {
    if (height !== this.chain.height + 1) return false
    const block = await this.obtainBlock(hash)
    if (!block) return false
    try {
      await this.chain.validateBlock(block)
      return true
    } catch (e) {
      this.deps.logger.warn({ err: e, height, hash: toHex(hash) }, 'proposed block is invalid')
      return false
    }
  }

  private async obtainBlock(hash: Uint8Array): Promise<Block | undefined> {
    const id = toHex(hash)
    const have = this.proposed.get(id)
    if (have) return have
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, BLOCK_WAIT_MS)
      const list = this.blockWaiters.get(id) ?? []
      list.push(() => {
        clearTimeout(t)
        resolve()
      })
      this.blockWaiters.set(id, list)
    })
    this.blockWaiters.delete(id)
    const arrived = this.proposed.get(id)
    if (arrived) return arrived
    for (const peer of this.deps.network.connectedPeers()) {
      try {
        const reply = await this.deps.network.request(peer, encodeTrusted(['block', hash]), { timeoutMs: REQUEST_TIMEOUT_MS })
        const block = decodeBlock(reply, { knownTx: this.knownTx })
        if (bytesEqual(block.hash, hash)) {
          this.rememberProposed(block)
          return block
        }
      } catch {
        // try the next peer
      }
    }
    return undefined
  }

  private async commit(height: number, hash: Uint8Array, certificate: CommitCertificate): Promise<void> {
    if (height !== this.chain.height + 1) return
    const block = await this.obtainBlock(hash)
    if (!block) {
      // We know it is final but do not have it: fetch it (with its certificate) by sync.
      this.requestSync(height)
      return
    }
    await this.chain.commitBlock(block, certificate)
    for (const [id, b] of this.proposed) if (b.header.height <= height) this.proposed.delete(id)
    this.afterCommit(height)
  }

  // ---- sync --------------------------------------------------------------------------------

  private requestSync(targetHeight: number): void {
    this.syncTarget = Math.max(this.syncTarget, targetHeight)
    if (this.syncingNow || !this.running) return
    this.syncingNow = true
    void this.syncLoop().finally(() => {
      this.syncingNow = false
    })
  }

  /** Fetches final blocks with their certificates from peers until caught up, then resumes consensus. */
  private async syncLoop(): Promise<void> {
    const { network, logger } = this.deps
    const startedAt = this.chain.height
    let failures = 0
    while (this.running && this.chain.height < this.syncTarget && failures < 20) {
      const peers = network.connectedPeers()
      if (peers.length === 0) {
        failures++
        await new Promise((r) => setTimeout(r, 250))
        continue
      }
      const peer = peers[(this.chain.height + failures) % peers.length]!
      try {
        const reply = await network.request(peer, encodeTrusted(['blocks', this.chain.height + 1, SYNC_BATCH]), { timeoutMs: REQUEST_TIMEOUT_MS })
        const blocks = asList(decode(reply, SYNC_RESPONSE_MAX_BYTES + 1024), 'sync reply', SYNC_BATCH).map((b) => decodeBlock(asBytes(b, 'sync block')))
        if (blocks.length === 0) {
          failures++
          await new Promise((r) => setTimeout(r, 100))
          continue
        }
        for (const block of blocks) {
          if (block.header.height !== this.chain.height + 1 || !block.commit) break
          verifyCommit(this.deps.node.genesis.chainId, this.deps.node.genesis.validatorSet, block.commit, block.header.height, block.hash, this.deps.node.signatures.verify)
          await this.chain.commitBlock(block, block.commit)
        }
        failures = 0
      } catch (e) {
        failures++
        logger.debug({ err: e, peer: toHex(peer) }, 'sync request failed')
        await new Promise((r) => setTimeout(r, 100))
      }
    }
    if (this.chain.height > startedAt) logger.info({ from: startedAt, to: this.chain.height }, 'synced blocks from peers')
    // Resume consensus at the new head unless the engine is already there.
    if (this.running && this.engineHeight !== this.chain.height + 1) {
      this.pendingStart?.cancel()
      this.startHeight(this.chain.height + 1)
    }
  }

  /** Serves peers: final blocks for sync, and proposed or final blocks by hash. */
  private async answerRequest(payload: Uint8Array): Promise<Uint8Array> {
    const r = decode(payload, 1024)
    if (!Array.isArray(r) || typeof r[0] !== 'string') throw new Error('BAD_REQUEST: expected [kind, …]')
    if (r[0] === 'blocks') {
      const req = asArray(r, 3, 'blocks request')
      const from = asUint(req[1], 'from')
      const max = Math.min(asUint(req[2], 'max'), SYNC_BATCH)
      const out: Uint8Array[] = []
      let bytes = 0
      for (let h = from; h < from + max && h <= this.chain.height; h++) {
        const b = await this.chain.store.getBlockBytes(h)
        if (!b || bytes + b.length > SYNC_RESPONSE_MAX_BYTES) break
        out.push(b)
        bytes += b.length
      }
      return encodeTrusted(out)
    }
    if (r[0] === 'block') {
      const hash = asBytes(asArray(r, 2, 'block request')[1], 'hash', 32)
      const proposed = this.proposed.get(toHex(hash))
      if (proposed) return encodeBlock(proposed)
      const h = await this.chain.store.getHeightByHash(hash)
      const bytes = h === undefined ? undefined : await this.chain.store.getBlockBytes(h)
      if (!bytes) throw new Error('NOT_FOUND: no such block')
      return bytes
    }
    throw new Error(`BAD_REQUEST: unknown request '${String(r[0]).slice(0, 32)}'`)
  }
}

/** The trace's name for an engine output: its type, votes by kind. */
function traceName(out: ConsensusOutput): string {
  if (out.type !== 'sign-vote') return out.type
  return out.vote.type === VoteType.PREVOTE ? 'sign-prevote' : 'sign-precommit'
}

function outputHeight(out: ConsensusOutput): number {
  switch (out.type) {
    case 'sign-vote': case 'broadcast-vote': return out.vote.height
    case 'sign-proposal': case 'broadcast-proposal': return out.proposal.height
    case 'broadcast-votes': return maxHeight(out.votes)
    case 'broadcast-commit': return out.certificate.height
    case 'evidence': case 'rejected': return 0
    default: return out.height
  }
}

function maxHeight(votes: readonly { readonly height: number }[]): number {
  return votes.reduce((h, v) => Math.max(h, v.height), 0)
}

function describeEvidence(e: Evidence): Record<string, unknown> {
  return JSON.parse(JSON.stringify(e, (_k, v) => (v instanceof Uint8Array ? toHex(v) : v)))
}
