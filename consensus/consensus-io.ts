/**
 * The engine's inputs and outputs: the whole contract between the pure consensus core and the
 * node that drives it. The node feeds inputs one at a time through a single queue and carries
 * out the outputs in order; see README.md for what it must do with each.
 */
import type { CommitCertificate, Vote } from '../core/commit.ts'
import type { TimeoutStep } from './config.ts'
import type { ConsensusError } from './errors.ts'
import type { Evidence } from './evidence.ts'
import type { Proposal, UnsignedProposal, UnsignedVote } from './messages.ts'
import type { ResumePoint } from './priv-validator.ts'

export type ConsensusInput =
  /**
   * Start (or jump to) `height`: everything below it is committed in the node's store.
   * Sent once at boot, after each `commit` output has been applied, and after a sync.
   * `resume` comes from PrivValidator.resumePoint(height) after a restart; `lastCommit` is the
   * certificate of height - 1 if the node has it (the engine re-broadcasts it to laggards).
   */
  | { readonly type: 'start-height'; readonly height: number; readonly resume?: ResumePoint; readonly lastCommit?: CommitCertificate }
  /** A proposal from the network, or this node's own after it was signed (see `sign-proposal`). */
  | { readonly type: 'proposal'; readonly proposal: Proposal }
  /** A vote from the network, or this node's own after it was signed (see `sign-vote`). */
  | { readonly type: 'vote'; readonly vote: Vote }
  /** A commit certificate from the network (gossiped by `broadcast-commit`) or from sync. */
  | { readonly type: 'commit-certificate'; readonly certificate: CommitCertificate }
  /** Answer to `propose-block`: the node built and executed a block with this hash. */
  | { readonly type: 'block-proposal'; readonly height: number; readonly round: number; readonly blockHash: Uint8Array }
  /** Answer to `validate-block`: the node has the block and it executes to a valid header (or not, or cannot be fetched). */
  | { readonly type: 'block-validated'; readonly height: number; readonly blockHash: Uint8Array; readonly valid: boolean }
  /** A timer set by `schedule-timeout` fired. */
  | { readonly type: 'timeout'; readonly height: number; readonly round: number; readonly step: TimeoutStep }

export type ConsensusOutput =
  /** Build and execute a block for (height, round) on top of the committed chain; answer with `block-proposal`. */
  | { readonly type: 'propose-block'; readonly height: number; readonly round: number }
  /**
   * Sign with PrivValidator.signProposal; if it succeeds, broadcast the signed proposal (with the
   * block's contents) and feed it back as a `proposal` input. If it is refused, drop it.
   */
  | { readonly type: 'sign-proposal'; readonly proposal: UnsignedProposal }
  /**
   * Sign with PrivValidator.signVote; if it succeeds, broadcast it and feed it back as a `vote`
   * input. With `sendTo` (vote routing) send it to that validator only, the round's collector,
   * or to everyone if that validator cannot be reached now; if `sendTo` is this node itself (it
   * is the collector), send nothing: the vote leaves in its `broadcast-votes` bundle.
   */
  | { readonly type: 'sign-vote'; readonly vote: UnsignedVote; readonly sendTo?: number }
  /** Send an already signed proposal again (re-broadcast). */
  | { readonly type: 'broadcast-proposal'; readonly proposal: Proposal }
  /** Send an already signed vote (own re-broadcast, or the proof-of-lock prevotes that accompany a re-proposal). */
  | { readonly type: 'broadcast-vote'; readonly vote: Vote }
  /** As the round's collector (vote routing): send these votes, a quorum for one block, to everyone in one message. */
  | { readonly type: 'broadcast-votes'; readonly votes: readonly Vote[] }
  /** Send a commit certificate (helps validators that missed the precommits). */
  | { readonly type: 'broadcast-commit'; readonly certificate: CommitCertificate }
  /** Obtain the block (fetch it by hash if needed), execute it and answer with `block-validated`. */
  | { readonly type: 'validate-block'; readonly height: number; readonly round: number; readonly blockHash: Uint8Array }
  /** Set a timer; when it fires feed `timeout` with the same height, round and step. Never cancelled: stale ones are ignored. */
  | { readonly type: 'schedule-timeout'; readonly height: number; readonly round: number; readonly step: TimeoutStep; readonly durationMs: number }
  /** The block is final. Persist it with the certificate, then feed `start-height` height + 1. */
  | { readonly type: 'commit'; readonly height: number; readonly round: number; readonly blockHash: Uint8Array; readonly certificate: CommitCertificate }
  /** Proof that a validator equivocated: log it and keep it for operators. */
  | { readonly type: 'evidence'; readonly evidence: Evidence }
  /** The chain is final at least up to `height`, which is >= this node's height: fetch and apply blocks, then feed `start-height`. */
  | { readonly type: 'need-sync'; readonly height: number }
  /** A peer message was refused; `error.action` says whether to penalise the sender. */
  | { readonly type: 'rejected'; readonly error: ConsensusError }

export type ConsensusStep = 'idle' | 'propose' | 'prevote' | 'precommit' | 'decided'

/** A snapshot of the engine's state, for operators and tests. */
export interface ConsensusStatus {
  readonly height: number
  readonly round: number
  readonly step: ConsensusStep
  readonly lockedRound: number
  readonly lockedBlockHash: Uint8Array
  readonly validRound: number
  readonly validBlockHash: Uint8Array
}
