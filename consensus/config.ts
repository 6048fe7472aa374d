/**
 * Engine configuration: one typed object with defaults and validation.
 *
 * Timeouts grow linearly with the round (Tendermint paper, arXiv 1807.04938, section 4: "timeouts
 * increase with the round number", which is what eventually outlasts any unknown message delay
 * after GST): duration(step, round) = base(step) + delta(step) * round.
 */
import type { ValidatorSet } from '../core/validators.ts'
import { ConsensusError, ConsensusErrorCode } from './errors.ts'
import type { SignatureVerifier } from './messages.ts'

export type TimeoutStep = 'propose' | 'prevote' | 'precommit' | 'rebroadcast' | 'vote-fallback'

export interface TimeoutConfig {
  readonly proposeMs: number
  readonly proposeDeltaMs: number
  readonly prevoteMs: number
  readonly prevoteDeltaMs: number
  readonly precommitMs: number
  readonly precommitDeltaMs: number
  /**
   * Period of the engine's re-broadcast of its current votes (and of the last commit
   * certificate). Gossip can lose messages; the paper assumes every message of a correct process
   * is eventually delivered, and this re-send is what provides that over a lossy network.
   */
  readonly rebroadcastMs: number
  /**
   * With vote routing (`ConsensusConfig.routeVotes`): how long after sending a vote to the
   * round's collector only, with the height still undecided in that round, the engine sends its
   * own votes of the round to everyone (a collector that crashed or withholds costs this much).
   */
  readonly voteFallbackMs: number
}

export const DEFAULT_TIMEOUTS: TimeoutConfig = Object.freeze({
  proposeMs: 3000,
  proposeDeltaMs: 500,
  prevoteMs: 1000,
  prevoteDeltaMs: 500,
  precommitMs: 1000,
  precommitDeltaMs: 500,
  rebroadcastMs: 2000,
  voteFallbackMs: 400,
})

export interface ConsensusLimits {
  /** Votes and proposals are stored for rounds up to currentRound + this; later ones only move the round-skip counter. */
  readonly roundWindow: number
  /** Messages for a future height held until that height starts, per validator in the set and height. */
  readonly futureMessagesPerValidator: number
  /** How many heights ahead messages are held (height + 1 … height + this); later ones only count for catch-up. */
  readonly futureHeights: number
}

export const DEFAULT_LIMITS: ConsensusLimits = Object.freeze({ roundWindow: 4, futureMessagesPerValidator: 8, futureHeights: 4 })

export interface ConsensusConfig {
  readonly chainId: string
  readonly validatorSet: ValidatorSet
  /** This node's index in the set, or null for an observer that follows but never signs. */
  readonly myIndex: number | null
  readonly timeouts?: Partial<TimeoutConfig>
  readonly limits?: Partial<ConsensusLimits>
  /** Defaults to core/keys.ts `verify`; a node or simulator may pass a memoising wrapper. */
  readonly verifySignature?: SignatureVerifier
  /**
   * Vote routing (default off): a vote for a block goes to the round's proposer only (the
   * collector), which sends the quorum's votes to everyone in one message (`broadcast-votes`).
   * Nil votes still go to everyone. 2n messages per vote step instead of n(n-1); see README.
   */
  readonly routeVotes?: boolean
}

/** @throws ConsensusError BAD_CONFIG */
export function resolveTimeouts(partial: Partial<TimeoutConfig> | undefined): TimeoutConfig {
  const t: TimeoutConfig = Object.freeze({ ...DEFAULT_TIMEOUTS, ...(partial ?? {}) })
  for (const [k, v] of Object.entries(t)) {
    if (!Number.isSafeInteger(v) || v < 0) throw new ConsensusError(ConsensusErrorCode.BAD_CONFIG, `timeouts.${k} must be a non-negative integer (ms), got ${String(v)}`)
  }
  if (t.rebroadcastMs < 1) throw new ConsensusError(ConsensusErrorCode.BAD_CONFIG, 'timeouts.rebroadcastMs must be >= 1')
  return t
}

/** @throws ConsensusError BAD_CONFIG */
export function resolveLimits(partial: Partial<ConsensusLimits> | undefined): ConsensusLimits {
  const l: ConsensusLimits = Object.freeze({ ...DEFAULT_LIMITS, ...(partial ?? {}) })
  if (!Number.isSafeInteger(l.roundWindow) || l.roundWindow < 1) throw new ConsensusError(ConsensusErrorCode.BAD_CONFIG, 'limits.roundWindow must be >= 1')
  if (!Number.isSafeInteger(l.futureMessagesPerValidator) || l.futureMessagesPerValidator < 0) {
    throw new ConsensusError(ConsensusErrorCode.BAD_CONFIG, 'limits.futureMessagesPerValidator must be >= 0')
  }
  if (!Number.isSafeInteger(l.futureHeights) || l.futureHeights < 1) throw new ConsensusError(ConsensusErrorCode.BAD_CONFIG, 'limits.futureHeights must be >= 1')
  return l
}

export function timeoutDuration(t: TimeoutConfig, step: TimeoutStep, round: number): number {
  switch (step) {
    case 'propose': return t.proposeMs + t.proposeDeltaMs * round
    case 'prevote': return t.prevoteMs + t.prevoteDeltaMs * round
    case 'precommit': return t.precommitMs + t.precommitDeltaMs * round
    case 'rebroadcast': return t.rebroadcastMs
    case 'vote-fallback': return t.voteFallbackMs
  }
}
