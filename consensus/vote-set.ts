/**
 * VoteSet: the votes of one type (prevote or precommit) at one (height, round).
 *
 * Design (after CometBFT's types/vote_set.go, without its peer-claim machinery):
 * - Votes carry equal power (the permissioned set is flat), so a tally is a count of distinct
 *   validators. "Any quorum" (lines 34 and 47 of Tendermint's Algorithm 1) counts each
 *   validator once, by the first valid vote seen from it.
 * - A second, different vote from the same validator for the same (height, round, type) is an
 *   equivocation: the pair is returned as evidence, once. The second vote is ALSO counted in its
 *   own block's tally: the protocol's conditions are "2f+1 prevotes for id(v)", i.e. distinct
 *   signers of that statement, whatever else they signed. Counting only the first vote would let
 *   a Byzantine key show different nodes different tallies forever: a node that counted its nil
 *   vote could never see the polka others locked on, and could never unlock (we hit exactly this
 *   livelock in the simulator with twins). A block's tally still counts a validator at most once.
 * - Size cap: at most two votes per validator are held (the first and the first conflicting
 *   one), so a set never holds more than 2 * size votes whatever peers send. A third distinct
 *   vote from an equivocator is dropped; such a validator can then delay, never break, agreement
 *   (CometBFT's peer "maj23" claims would lift this; not needed against twins, which sign two).
 * - Signatures are checked by the caller before `add` (the caller knows the chain and the
 *   signature scheme). `isKnown` is the cheap pre-check that lets it skip verifying duplicates,
 *   which gossip delivers all the time.
 * - Quorum is a count (`quorum` distinct validators): floor(2n/3)+1 in bft mode, floor(n/2)+1
 *   in majority mode (core/validators.ts).
 */
import { VoteType, type Vote } from '../core/commit.ts'
import { bytesEqual, toHex } from '../core/hex.ts'
import { ConsensusError, ConsensusErrorCode } from './errors.ts'
import { createDuplicateVoteEvidence, type DuplicateVoteEvidence } from './evidence.ts'

export type AddVoteResult =
  | { readonly kind: 'added' }
  /** The identical vote (same block, same signature) is already counted. */
  | { readonly kind: 'duplicate' }
  /** First conflicting vote from this validator: the equivocation proof. Counted for its own block only. */
  | { readonly kind: 'conflict'; readonly evidence: DuplicateVoteEvidence }
  /** A third distinct vote from a validator already caught equivocating here: dropped. */
  | { readonly kind: 'dropped' }

interface Tally {
  readonly blockHash: Uint8Array
  count: number
}

/** Largest validator set a VoteSet accepts: bounds memory per set. */
export const MAX_VOTE_SET_SIZE = 1024

const NIL_KEY = ''
function hashKey(blockHash: Uint8Array): string {
  return blockHash.length === 0 ? NIL_KEY : toHex(blockHash)
}

export class VoteSet {
  readonly height: number
  readonly round: number
  readonly type: VoteType
  readonly size: number
  readonly quorum: number
  private readonly counted: (Vote | undefined)[]
  private readonly conflicting: (Vote | undefined)[]
  private readonly tallies = new Map<string, Tally>()
  private total = 0

  /** @throws ConsensusError BAD_CONFIG on a size outside [1, MAX_VOTE_SET_SIZE] or a quorum outside [1, size]. */
  constructor(height: number, round: number, type: VoteType, size: number, quorum: number) {
    if (!Number.isSafeInteger(size) || size < 1 || size > MAX_VOTE_SET_SIZE) {
      throw new ConsensusError(ConsensusErrorCode.BAD_CONFIG, `vote set size ${size} outside [1, ${MAX_VOTE_SET_SIZE}]`)
    }
    if (!Number.isSafeInteger(quorum) || quorum < 1 || quorum > size) {
      throw new ConsensusError(ConsensusErrorCode.BAD_CONFIG, `quorum ${quorum} outside [1, ${size}]`)
    }
    this.height = height
    this.round = round
    this.type = type
    this.size = size
    this.quorum = quorum
    this.counted = new Array<Vote | undefined>(size).fill(undefined)
    this.conflicting = new Array<Vote | undefined>(size).fill(undefined)
  }

  /**
   * True when adding `vote` cannot change the set: the validator's counted vote is for the same
   * block, or the validator is already convicted here. Lets callers skip signature checks.
   */
  isKnown(vote: Vote): boolean {
    const existing = this.counted[vote.validatorIndex]
    if (!existing) return false
    if (bytesEqual(existing.blockHash, vote.blockHash)) return true
    return this.conflicting[vote.validatorIndex] !== undefined
  }

  private bump(blockHash: Uint8Array): void {
    const key = hashKey(blockHash)
    const tally = this.tallies.get(key)
    if (tally) tally.count++
    else this.tallies.set(key, { blockHash, count: 1 })
  }

  /**
   * Adds a vote whose signature the caller has verified.
   * @throws ConsensusError BAD_INPUT when the vote is for another (height, round, type) or its
   *   validator index is outside the set (the caller routes votes; this is a bug, not a peer's fault).
   */
  add(vote: Vote): AddVoteResult {
    if (vote.height !== this.height || vote.round !== this.round || vote.type !== this.type) {
      throw new ConsensusError(ConsensusErrorCode.BAD_INPUT,
        `vote (h${vote.height} r${vote.round} t${vote.type}) routed to set (h${this.height} r${this.round} t${this.type})`)
    }
    const i = vote.validatorIndex
    if (!Number.isSafeInteger(i) || i < 0 || i >= this.size) {
      throw new ConsensusError(ConsensusErrorCode.BAD_INPUT, `validator index ${i} outside set of ${this.size}`)
    }
    const existing = this.counted[i]
    if (!existing) {
      this.counted[i] = vote
      this.total++
      this.bump(vote.blockHash)
      return ADDED
    }
    if (bytesEqual(existing.blockHash, vote.blockHash)) {
      // Same content (a signer may produce another valid signature with a different nonce, but
      // it says the same thing): not an equivocation, nothing new to count.
      return DUPLICATE
    }
    const second = this.conflicting[i]
    if (second) return bytesEqual(second.blockHash, vote.blockHash) ? DUPLICATE : DROPPED
    this.conflicting[i] = vote
    this.bump(vote.blockHash)
    return { kind: 'conflict', evidence: createDuplicateVoteEvidence(existing, vote) }
  }

  /** Number of distinct validators that voted for `blockHash` (empty = nil), equivocators included. */
  count(blockHash: Uint8Array): number {
    return this.tallies.get(hashKey(blockHash))?.count ?? 0
  }

  /** Number of distinct validators that voted, whatever for (each counted once). */
  get totalCount(): number {
    return this.total
  }

  hasQuorumAny(): boolean {
    return this.total >= this.quorum
  }

  hasQuorumFor(blockHash: Uint8Array): boolean {
    return this.count(blockHash) >= this.quorum
  }

  /**
   * The block hash that has a quorum (empty array = nil), or undefined. Two values can both
   * reach a quorum only if at least 2 * quorum - size validators equivocated (f + 1 in bft
   * mode: beyond the fault model); the first one found is returned then.
   */
  quorumValue(): Uint8Array | undefined {
    if (this.total < this.quorum) return undefined
    for (const t of this.tallies.values()) if (t.count >= this.quorum) return t.blockHash
    return undefined
  }

  /** The votes for `blockHash` (at most one per validator), ascending by validator index. */
  votesFor(blockHash: Uint8Array): Vote[] {
    const out: Vote[] = []
    for (let i = 0; i < this.size; i++) {
      const a = this.counted[i]
      const b = this.conflicting[i]
      if (a && bytesEqual(a.blockHash, blockHash)) out.push(a)
      else if (b && bytesEqual(b.blockHash, blockHash)) out.push(b)
    }
    return out
  }

  /** Every vote held (first and conflicting), ascending by validator index: for relaying. */
  allVotes(): Vote[] {
    const out: Vote[] = []
    for (let i = 0; i < this.size; i++) {
      const a = this.counted[i]
      const b = this.conflicting[i]
      if (a) out.push(a)
      if (b) out.push(b)
    }
    return out
  }

  /** The first vote seen from the validator. */
  voteOf(validatorIndex: number): Vote | undefined {
    return this.counted[validatorIndex]
  }

  /** Indices of validators that voted, ascending. */
  voters(): number[] {
    const out: number[] = []
    this.counted.forEach((v, i) => { if (v) out.push(i) })
    return out
  }

  /** True when the validator was caught equivocating in this set. */
  isConvicted(validatorIndex: number): boolean {
    return this.conflicting[validatorIndex] !== undefined
  }

  /** Every vote held (counted and conflicting): never more than 2 * size. */
  get heldCount(): number {
    return this.total + this.conflicting.filter((v) => v !== undefined).length
  }
}

const ADDED: AddVoteResult = Object.freeze({ kind: 'added' })
const DUPLICATE: AddVoteResult = Object.freeze({ kind: 'duplicate' })
const DROPPED: AddVoteResult = Object.freeze({ kind: 'dropped' })
