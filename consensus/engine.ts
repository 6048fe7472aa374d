/**
 * The consensus engine: Tendermint's round-based BFT protocol (Buchman, Kwon, Milosevic, "The
 * latest gossip on BFT consensus", arXiv 1807.04938, Algorithm 1) as a pure state machine.
 *
 *   const engine = createConsensus(config)
 *   const outputs = engine.handle(input)        // same inputs in the same order -> same outputs
 *
 * No I/O, clock or randomness: time arrives as `timeout` inputs for timers the engine asked for;
 * signatures are made by the node's PrivValidator in answer to `sign-*` outputs and come back as
 * ordinary `vote` / `proposal` inputs; blocks are built and checked by the node in answer to
 * `propose-block` / `validate-block`. The engine decides on 32-byte block hashes.
 *
 * Rule numbers in comments are the line numbers of Algorithm 1. Deliberate differences:
 * - Lines 36 and 49 ask for the proposal message of the value; here the value only has to be
 *   known valid by the node (`block-validated`), which the node may establish by fetching the
 *   block by hash. Safety rests on the vote quorums, not on who delivered the block.
 * - The propose timeout is also set on the proposer (as CometBFT does), so a proposer whose node
 *   fails to build a block, or whose PrivValidator refuses to sign after a crash, moves on.
 * - Line 55's "f+1 messages of a higher round" uses n - quorum + 1 distinct validators (= f+1 in
 *   bft mode); a validator counts at the highest round it has sent a valid message for.
 * - The engine re-broadcasts all current-round votes it holds, the current proposal, the prevotes of the
 *   latest polka it knows and the last commit certificate every `rebroadcastMs`: the paper
 *   assumes gossip (whatever a correct process receives, all eventually receive); a lossy
 *   network does not give it by itself.
 * - validValue/validRound also follow a polka of an earlier round seen late (see updateValidValue).
 * - A restarted validator resumes a height at the round it last signed, with the lock it last
 *   signed (PrivValidator.resumePoint): locks survive crashes, see priv-validator.ts.
 * - Vote routing (config.routeVotes): votes for a block go to the round's proposer, which hands
 *   each quorum on in one message; a `vote-fallback` timer sends our votes to all if the round
 *   stays undecided (README.md). Only delivery changes, not what is signed or counted.
 */
import { VoteType, createCommit, verifyCommit, voteSignBytes, type CommitCertificate, type Vote } from '../core/commit.ts'
import { bytesEqual, toHex } from '../core/hex.ts'
import { verify } from '../core/keys.ts'
import { proposerIndex, type ValidatorSet } from '../core/validators.ts'
import {
  resolveLimits, resolveTimeouts, timeoutDuration,
  type ConsensusConfig, type ConsensusLimits, type TimeoutConfig, type TimeoutStep,
} from './config.ts'
import type { ConsensusInput, ConsensusOutput, ConsensusStatus, ConsensusStep } from './consensus-io.ts'
import { ConsensusError, ConsensusErrorCode } from './errors.ts'
import { createDuplicateProposalEvidence } from './evidence.ts'
import {
  BLOCK_HASH_LENGTH, checkProposalShape, checkVoteShape, proposalSignBytes,
  type Proposal, type SignatureVerifier,
} from './messages.ts'
import type { ResumePoint } from './priv-validator.ts'
import { VoteSet } from './vote-set.ts'

const NIL = new Uint8Array(0)

interface RoundState {
  readonly prevotes: VoteSet
  readonly precommits: VoteSet
  /** The first valid proposal from this round's proposer. */
  proposal: Proposal | undefined
  proposalEvidenceSent: boolean
  prevoteTimeoutSet: boolean
  precommitTimeoutSet: boolean
  /** Line 36 fires once per round. */
  polkaHandled: boolean
  /**
   * Votes set aside unverified because their block already had a quorum in their set (see
   * `onVote`), by `${type}:${validatorIndex}`: checked only if the same validator later sends a
   * different vote, so equivocation is still caught.
   */
  readonly beyondQuorum: Map<string, Vote>
}

type Validity = 'pending' | 'valid' | 'invalid'

interface CommitCandidate {
  readonly round: number
  readonly blockHash: Uint8Array
  /** Present when the quorum came as a certificate rather than as individual precommits. */
  readonly certificate: CommitCertificate | undefined
}

type BufferedMessage = { readonly type: 'proposal'; readonly proposal: Proposal } | { readonly type: 'vote'; readonly vote: Vote }
/** One future height's held messages, their signatures (dedup) and a count per validator (bound). */
interface FutureBuffer { readonly messages: BufferedMessage[]; readonly keys: Set<string>; readonly count: number[] }

export function createConsensus(config: ConsensusConfig): ConsensusEngine {
  return new ConsensusEngine(config)
}

export class ConsensusEngine {
  readonly chainId: string
  readonly validatorSet: ValidatorSet
  readonly myIndex: number | null
  readonly timeouts: TimeoutConfig
  readonly limits: ConsensusLimits
  private readonly verifySignature: SignatureVerifier
  private readonly routeVotes: boolean
  private readonly n: number
  /** Distinct validators that include at least one honest one: n - quorum + 1 (f + 1 in bft mode). */
  private readonly honestWitness: number

  private height = 0
  private round = 0
  private step: ConsensusStep = 'idle'
  private lockedRound = -1
  private lockedValue: Uint8Array = NIL
  private validRound = -1
  private validValue: Uint8Array = NIL
  private awaitingBlockRound = -1
  private rounds = new Map<number, RoundState>()
  private validity = new Map<string, Validity>()
  private candidates: CommitCandidate[] = []
  /** Every (round, value) that reached a prevote quorum at this height. */
  private polkas: { readonly round: number; readonly blockHash: Uint8Array }[] = []
  /** Per validator: highest round it sent a valid message for at this height (-1 none). */
  private maxRoundSeen: number[]
  /** Per validator: highest height it sent a valid message for. */
  private readonly maxHeightSeen: number[]
  /**
   * Messages for the next `limits.futureHeights` heights, verified and held until their height
   * starts. More than one height: a validator that lags (a busy RPC node) otherwise dropped the
   * proposal and votes of height + 2, and then waited for the rebroadcast tick (2 s) to catch up
   * while the others waited for it when it was the proposer.
   */
  private future = new Map<number, FutureBuffer>()
  private lastCommit: CommitCertificate | null = null
  /** Highest height announced in a `need-sync` prompted by a certificate. */
  private certificateSyncHeight = 0

  /** @throws ConsensusError BAD_CONFIG */
  constructor(config: ConsensusConfig) {
    const set = config.validatorSet
    if (typeof config.chainId !== 'string' || config.chainId.length === 0) throw new ConsensusError(ConsensusErrorCode.BAD_CONFIG, 'chainId must be a non-empty string')
    if (!set || !Array.isArray(set.validators) || set.validators.length === 0) throw new ConsensusError(ConsensusErrorCode.BAD_CONFIG, 'validatorSet is empty')
    const n = set.validators.length
    if (config.myIndex !== null && (!Number.isSafeInteger(config.myIndex) || config.myIndex < 0 || config.myIndex >= n)) {
      throw new ConsensusError(ConsensusErrorCode.BAD_CONFIG, `myIndex ${String(config.myIndex)} is not null and not in [0, ${n})`)
    }
    this.chainId = config.chainId
    this.validatorSet = set
    this.myIndex = config.myIndex
    this.timeouts = resolveTimeouts(config.timeouts)
    this.limits = resolveLimits(config.limits)
    this.verifySignature = config.verifySignature ?? verify
    this.routeVotes = config.routeVotes === true
    this.n = n
    this.honestWitness = n - set.quorum + 1
    // Constructing one VoteSet validates size and quorum early.
    new VoteSet(1, 0, VoteType.PREVOTE, n, set.quorum)
    this.maxRoundSeen = new Array<number>(n).fill(-1)
    this.maxHeightSeen = new Array<number>(n).fill(0)
  }

  status(): ConsensusStatus {
    return Object.freeze({
      height: this.height, round: this.round, step: this.step,
      lockedRound: this.lockedRound, lockedBlockHash: this.lockedValue,
      validRound: this.validRound, validBlockHash: this.validValue,
    })
  }

  /**
   * Feeds one input and returns the outputs to carry out, in order. Peer messages that are
   * malformed, forged or from non-validators produce a `rejected` output; stale and duplicate
   * messages produce nothing.
   * @throws ConsensusError BAD_INPUT only for local misuse (an input of unknown type).
   */
  handle(input: ConsensusInput): ConsensusOutput[] {
    const out: ConsensusOutput[] = []
    try {
      switch (input.type) {
        case 'start-height': this.onStartHeight(input.height, input.resume, input.lastCommit, out); break
        case 'proposal': this.onProposal(input.proposal, false, out); break
        case 'vote': this.onVote(input.vote, false, out); break
        case 'commit-certificate': this.onCertificate(input.certificate, out); break
        case 'block-proposal': this.onBlockProposal(input.height, input.round, input.blockHash, out); break
        case 'block-validated': this.onBlockValidated(input.height, input.blockHash, input.valid, out); break
        case 'timeout': this.onTimeout(input.height, input.round, input.step, out); break
        default: throw new ConsensusError(ConsensusErrorCode.BAD_INPUT, `unknown input type ${JSON.stringify((input as { type?: unknown }).type)}`)
      }
    } catch (e) {
      if (e instanceof ConsensusError && e.code !== ConsensusErrorCode.BAD_INPUT && e.code !== ConsensusErrorCode.BAD_CONFIG) {
        out.push({ type: 'rejected', error: e })
      } else {
        throw e
      }
    }
    return out
  }

  // ---- inputs ------------------------------------------------------------------------------

  private onStartHeight(height: number, resume: ResumePoint | undefined, lastCommit: CommitCertificate | undefined, out: ConsensusOutput[]): void {
    if (!Number.isSafeInteger(height) || height < 1) throw new ConsensusError(ConsensusErrorCode.BAD_INPUT, `start-height ${height} must be >= 1`)
    // Idempotent: a repeated or stale start (e.g. sync finishing after the engine committed) is ignored.
    if (height < this.height || (height === this.height && this.step !== 'idle')) return
    const buffered = this.future.get(height)?.messages ?? []
    this.height = height
    this.round = 0
    this.step = 'propose'
    this.rounds = new Map()
    this.validity = new Map()
    this.candidates = []
    this.polkas = []
    this.maxRoundSeen = new Array<number>(this.n).fill(-1)
    for (const h of this.future.keys()) if (h <= height) this.future.delete(h)
    this.awaitingBlockRound = -1
    if (lastCommit && lastCommit.height === height - 1) this.lastCommit = lastCommit
    else if (this.lastCommit && this.lastCommit.height !== height - 1) this.lastCommit = null
    const locked = resume && resume.lockedRound >= 0 && resume.lockedBlockHash.length === BLOCK_HASH_LENGTH
    this.lockedRound = locked ? resume.lockedRound : -1
    this.lockedValue = locked ? new Uint8Array(resume.lockedBlockHash) : NIL
    // A locked value had a polka at its round (that is why we precommitted it): a valid value too.
    this.validRound = this.lockedRound
    this.validValue = this.lockedValue
    if (locked) this.validity.set(toHex(this.lockedValue), 'valid')
    this.schedule('rebroadcast', 0, out)
    const startRound = resume && Number.isSafeInteger(resume.round) && resume.round >= 0 ? resume.round : 0
    if (resume?.prevoteWithheld === true && startRound === 0) {
      // After a machine crash the PrivValidator may not propose or prevote in round 0 (it may have
      // done so already, with bytes it lost). It precommits nil there (always safe) and goes on to
      // round 1 at once, as if round 0's timeouts had fired: if too many validators restarted for
      // round 0 to gather a quorum of prevotes (which starts its timeouts), their round-1 votes
      // move the others on (line 55).
      this.precommit(NIL, out)
      this.startRound(1, out)
    } else {
      this.startRound(startRound, out)
    }
    // What we signed before the crash may not have reached anyone, and the PrivValidator will not
    // sign anything else there: count it and send it again.
    const ownSigned: BufferedMessage[] = resume
      ? [...(resume.proposal ? [{ type: 'proposal' as const, proposal: resume.proposal }] : []), ...resume.votes.map((vote) => ({ type: 'vote' as const, vote }))]
      : []
    for (const m of ownSigned) {
      if (m.type === 'proposal') out.push({ type: 'broadcast-proposal', proposal: m.proposal })
      else out.push({ type: 'broadcast-vote', vote: m.vote })
    }
    for (const m of [...ownSigned, ...buffered]) {
      // Buffered messages were verified when buffered, against the same fixed validator set.
      const verified = !ownSigned.includes(m)
      try {
        if (m.type === 'proposal') this.onProposal(m.proposal, verified, out)
        else this.onVote(m.vote, verified, out)
      } catch (e) {
        if (!(e instanceof ConsensusError)) throw e
      }
    }
    this.advance(out)
  }

  private onProposal(p: Proposal, verified: boolean, out: ConsensusOutput[]): void {
    checkProposalShape(p)
    if (p.proposerIndex >= this.n) throw new ConsensusError(ConsensusErrorCode.NOT_A_VALIDATOR, `proposer #${p.proposerIndex} is not in the set of ${this.n}`)
    const expected = proposerIndex(this.validatorSet, p.height, p.round)
    if (p.proposerIndex !== expected) {
      throw new ConsensusError(ConsensusErrorCode.WRONG_PROPOSER, `proposal for h${p.height} r${p.round} from #${p.proposerIndex}, the proposer is #${expected}`)
    }
    if (p.height < this.height) return
    if (p.height > this.height) {
      this.onFutureMessage({ type: 'proposal', proposal: p }, p.height, p.proposerIndex, p.signature, verified, out)
      return
    }
    if (this.step === 'decided' || this.step === 'idle') return
    if (p.round > this.round + this.limits.roundWindow) {
      if (p.round > this.maxRoundSeen[p.proposerIndex]!) {
        this.requireProposalSignature(p, verified)
        this.noteRound(p.proposerIndex, p.round)
        this.advance(out)
      }
      return
    }
    const rs = this.roundState(p.round)
    if (rs.proposal) {
      if (bytesEqual(rs.proposal.blockHash, p.blockHash) && rs.proposal.polRound === p.polRound) return
      if (rs.proposalEvidenceSent) return
      this.requireProposalSignature(p, verified)
      rs.proposalEvidenceSent = true
      out.push({ type: 'evidence', evidence: createDuplicateProposalEvidence(rs.proposal, p) })
      return
    }
    this.requireProposalSignature(p, verified)
    rs.proposal = p
    this.noteRound(p.proposerIndex, p.round)
    this.ensureValidation(p.blockHash, p.round, out)
    this.advance(out)
  }

  private onVote(vote: Vote, verified: boolean, out: ConsensusOutput[]): void {
    checkVoteShape(vote)
    const i = vote.validatorIndex
    if (i >= this.n) throw new ConsensusError(ConsensusErrorCode.NOT_A_VALIDATOR, `validator #${i} is not in the set of ${this.n}`)
    if (vote.height < this.height) return
    if (vote.height > this.height) {
      this.onFutureMessage({ type: 'vote', vote }, vote.height, i, vote.signature, verified, out)
      return
    }
    if (this.step === 'decided' || this.step === 'idle') return
    if (vote.round > this.round + this.limits.roundWindow) {
      if (vote.round > this.maxRoundSeen[i]!) {
        this.requireVoteSignature(vote, verified)
        this.noteRound(i, vote.round)
        this.advance(out)
      }
      return
    }
    const rs = this.roundState(vote.round)
    const set = vote.type === VoteType.PREVOTE ? rs.prevotes : rs.precommits
    if (set.isKnown(vote)) return
    // Beyond the quorum: a first vote from this validator for a block that already has a quorum
    // in this set changes nothing the engine acts on (the polka or commit quorum exists, the
    // "+2/3 of anything" timeouts have fired), so its Ed25519 check, the costliest step of a
    // height, is skipped: about 3 of every validator's 9 peer prevotes. It is kept aside, and
    // verified and counted only if the same validator later votes differently (evidence).
    // (A set-aside vote is one message: a peer that forges a copy first only hides evidence if
    // that validator then also equivocates in this very set.)
    const setAsideKey = `${vote.type}:${i}`
    const setAside = rs.beyondQuorum.get(setAsideKey)
    const sameAsSetAside = setAside === undefined || bytesEqual(setAside.blockHash, vote.blockHash)
    if (!verified && i !== this.myIndex && vote.blockHash.length > 0 && set.voteOf(i) === undefined && sameAsSetAside && set.count(vote.blockHash) >= set.quorum) {
      if (!setAside) rs.beyondQuorum.set(setAsideKey, vote)
      return
    }
    if (setAside && set.voteOf(i) === undefined && !sameAsSetAside) {
      rs.beyondQuorum.delete(setAsideKey)
      // Counted first, so adding `vote` below reports the pair as equivocation. A forged
      // set-aside vote fails here and is dropped; `vote` is then handled on its own.
      if (this.signatureValid(setAside)) set.add(setAside)
    }
    this.requireVoteSignature(vote, verified)
    const result = set.add(vote)
    if (result.kind === 'conflict') out.push({ type: 'evidence', evidence: result.evidence })
    else if (result.kind !== 'added') return
    this.noteRound(i, vote.round)
    if (vote.blockHash.length > 0 && set.count(vote.blockHash) === set.quorum) {
      // Vote routing: the round's collector hands the quorum it gathered to everyone at once.
      if (this.isCollector(vote.round)) out.push({ type: 'broadcast-votes', votes: set.votesFor(vote.blockHash) })
      if (vote.type === VoteType.PRECOMMIT) this.candidates.push({ round: vote.round, blockHash: vote.blockHash, certificate: undefined })
      else this.polkas.push({ round: vote.round, blockHash: vote.blockHash })
      // A polka or a commit quorum for a block we have not seen: ask the node to fetch and check it.
      this.ensureValidation(vote.blockHash, vote.round, out)
    }
    this.advance(out)
  }

  private onCertificate(c: CommitCertificate, out: ConsensusOutput[]): void {
    if (!c || !Number.isSafeInteger(c.height) || !Number.isSafeInteger(c.round) || !(c.blockHash instanceof Uint8Array) || !Array.isArray(c.signatures)) {
      throw new ConsensusError(ConsensusErrorCode.BAD_MESSAGE, 'commit certificate has a bad shape')
    }
    if (c.height < this.height) return
    if (c.height === this.height && (this.step === 'decided' || this.step === 'idle')) return
    if (c.height > this.height && c.height <= this.certificateSyncHeight) return
    if (c.height === this.height && this.candidates.some((k) => k.certificate !== undefined)) return
    try {
      verifyCommit(this.chainId, this.validatorSet, c, c.height, c.blockHash, this.verifySignature)
    } catch (e) {
      throw new ConsensusError(ConsensusErrorCode.BAD_COMMIT, e instanceof Error ? e.message : String(e))
    }
    if (c.height > this.height) {
      // A quorum finalised a height we have not reached: we are behind.
      this.certificateSyncHeight = c.height
      out.push({ type: 'need-sync', height: c.height })
      return
    }
    this.candidates.push({ round: c.round, blockHash: c.blockHash, certificate: c })
    this.ensureValidation(c.blockHash, c.round, out)
    this.advance(out)
  }

  private onBlockProposal(height: number, round: number, blockHash: Uint8Array, out: ConsensusOutput[]): void {
    if (height !== this.height || round !== this.round || this.step !== 'propose' || this.awaitingBlockRound !== round) return
    if (!(blockHash instanceof Uint8Array) || blockHash.length !== BLOCK_HASH_LENGTH) {
      throw new ConsensusError(ConsensusErrorCode.BAD_INPUT, 'block-proposal blockHash must be 32 bytes')
    }
    this.awaitingBlockRound = -1
    // The node built and executed this block itself.
    this.validity.set(toHex(blockHash), 'valid')
    if (this.myIndex === null) return
    out.push({
      type: 'sign-proposal',
      proposal: Object.freeze({ height, round, polRound: -1, blockHash: new Uint8Array(blockHash), proposerIndex: this.myIndex }),
    })
  }

  private onBlockValidated(height: number, blockHash: Uint8Array, valid: boolean, out: ConsensusOutput[]): void {
    if (height !== this.height || this.step === 'idle' || this.step === 'decided') return
    if (!(blockHash instanceof Uint8Array)) return
    const key = toHex(blockHash)
    const state = this.validity.get(key)
    if (state === 'valid' || state === 'invalid') return
    this.validity.set(key, valid === true ? 'valid' : 'invalid')
    this.advance(out)
  }

  private onTimeout(height: number, round: number, step: TimeoutStep, out: ConsensusOutput[]): void {
    if (height !== this.height || this.step === 'idle') return
    if (step === 'rebroadcast') {
      this.rebroadcast(out)
      this.schedule('rebroadcast', this.round, out)
      return
    }
    if (round !== this.round || this.step === 'decided') return
    if (step === 'vote-fallback') {
      this.sendOwnVotesToAll(out)
      return
    }
    switch (step) {
      case 'propose': // line 57
        if (this.step === 'propose') this.prevote(NIL, out)
        break
      case 'prevote': // line 61
        if (this.step === 'prevote') this.precommit(NIL, out)
        break
      case 'precommit': // line 65
        this.startRound(round + 1, out)
        break
    }
    this.advance(out)
  }

  // ---- the rules ---------------------------------------------------------------------------

  /** Applies every rule whose condition now holds, until none does. */
  private advance(out: ConsensusOutput[]): void {
    for (;;) {
      if (this.step === 'idle' || this.step === 'decided') return
      if (this.tryCommit(out)) return
      this.updateValidValue()
      const skipTo = this.skipTarget()
      if (skipTo > this.round) { // line 55
        this.startRound(skipTo, out)
        continue
      }
      const rs = this.roundState(this.round)
      if (this.step === 'propose' && this.tryPrevoteOnProposal(rs, out)) continue
      if (this.step !== 'propose' && !rs.polkaHandled && this.tryPolka(rs, out)) continue
      if (this.step === 'prevote' && rs.prevotes.hasQuorumFor(NIL)) { // line 44
        this.precommit(NIL, out)
        continue
      }
      if (this.step === 'prevote' && !rs.prevoteTimeoutSet && rs.prevotes.hasQuorumAny()) { // line 34
        rs.prevoteTimeoutSet = true
        this.schedule('prevote', this.round, out)
      }
      if (!rs.precommitTimeoutSet && rs.precommits.hasQuorumAny()) { // line 47
        rs.precommitTimeoutSet = true
        this.schedule('precommit', this.round, out)
      }
      return
    }
  }

  /** Line 11: StartRound. */
  private startRound(round: number, out: ConsensusOutput[]): void {
    this.round = round
    this.step = 'propose'
    this.awaitingBlockRound = -1
    this.roundState(round)
    this.schedule('propose', round, out)
    if (this.myIndex === null || proposerIndex(this.validatorSet, this.height, round) !== this.myIndex) return
    if (this.validValue.length > 0) {
      // Line 15: re-propose the valid value with its proof-of-lock round, and send the POL
      // prevotes along so that others can apply line 28 even if they missed them.
      out.push({
        type: 'sign-proposal',
        proposal: Object.freeze({ height: this.height, round, polRound: this.validRound, blockHash: this.validValue, proposerIndex: this.myIndex }),
      })
      for (const v of this.polVotes(this.validRound, this.validValue)) out.push({ type: 'broadcast-vote', vote: v })
    } else {
      this.awaitingBlockRound = round
      out.push({ type: 'propose-block', height: this.height, round })
    }
  }

  /** Lines 22 and 28: prevote on the proposal of the current round. */
  private tryPrevoteOnProposal(rs: RoundState, out: ConsensusOutput[]): boolean {
    const p = rs.proposal
    if (!p) return false
    const validity = this.validity.get(toHex(p.blockHash))
    if (validity === undefined || validity === 'pending') return false // wait, until the propose timeout
    if (validity === 'invalid') {
      this.prevote(NIL, out)
      return true
    }
    const lockedOnIt = this.lockedRound === -1 || bytesEqual(this.lockedValue, p.blockHash)
    if (p.polRound === -1) { // line 22
      this.prevote(lockedOnIt ? p.blockHash : NIL, out)
      return true
    }
    // Line 28: a re-proposal counts only with a polka for it at polRound.
    const pol = this.rounds.get(p.polRound)
    if (!pol || !pol.prevotes.hasQuorumFor(p.blockHash)) return false
    const unlocks = this.lockedRound <= p.polRound || bytesEqual(this.lockedValue, p.blockHash)
    this.prevote(unlocks ? p.blockHash : NIL, out)
    return true
  }

  /** Line 36: a polka for a valid value in the current round locks it (if still prevoting) and makes it the valid value. */
  private tryPolka(rs: RoundState, out: ConsensusOutput[]): boolean {
    const v = rs.prevotes.quorumValue()
    if (v === undefined || v.length === 0) return false
    const validity = this.validity.get(toHex(v))
    if (validity !== 'valid') {
      if (validity === undefined) this.ensureValidation(v, this.round, out)
      return false
    }
    rs.polkaHandled = true
    if (this.step === 'prevote') {
      this.lockedValue = v
      this.lockedRound = this.round
      this.precommit(v, out)
    }
    this.validValue = v
    this.validRound = this.round
    return true
  }

  /**
   * Line 36 updates validValue/validRound on a polka in the current round only. We also take a
   * polka of an earlier round r (validRound < r <= round) seen late: validValue only decides what
   * this node proposes, receivers check the polka themselves (line 28), so safety does not depend
   * on it, and a proposer that knows the latest polka is what lets locked validators unlock.
   */
  private updateValidValue(): void {
    for (const p of this.polkas) {
      if (p.round <= this.validRound || p.round > this.round) continue
      if (this.validity.get(toHex(p.blockHash)) !== 'valid') continue
      this.validRound = p.round
      this.validValue = p.blockHash
    }
  }

  /** Line 49: a quorum of precommits (or a certificate) for a valid value decides the height. */
  private tryCommit(out: ConsensusOutput[]): boolean {
    for (const c of this.candidates) {
      const validity = this.validity.get(toHex(c.blockHash))
      if (validity === undefined) this.ensureValidation(c.blockHash, c.round, out)
      if (validity !== 'valid') continue
      const certificate = c.certificate
        ?? createCommit(this.height, c.round, c.blockHash, this.rounds.get(c.round)!.precommits.votesFor(c.blockHash))
      this.step = 'decided'
      this.lastCommit = certificate
      out.push({ type: 'commit', height: this.height, round: c.round, blockHash: new Uint8Array(c.blockHash), certificate })
      return true
    }
    return false
  }

  /** Line 55: the highest round that n - quorum + 1 validators have reached (so an honest one has). */
  private skipTarget(): number {
    const sorted = [...this.maxRoundSeen].sort((a, b) => b - a)
    return sorted[this.honestWitness - 1] ?? -1
  }

  private prevote(blockHash: Uint8Array, out: ConsensusOutput[]): void {
    this.step = 'prevote'
    this.emitVote(VoteType.PREVOTE, blockHash, out)
  }

  private precommit(blockHash: Uint8Array, out: ConsensusOutput[]): void {
    this.step = 'precommit'
    this.emitVote(VoteType.PRECOMMIT, blockHash, out)
  }

  private emitVote(type: VoteType, blockHash: Uint8Array, out: ConsensusOutput[]): void {
    if (this.myIndex === null) return
    const vote = Object.freeze({ type, height: this.height, round: this.round, blockHash: new Uint8Array(blockHash), validatorIndex: this.myIndex })
    // Vote routing: a vote for a block goes to the collector only (the collector's own leaves in
    // its bundle), with a fallback timer in case the quorum is never handed on. Nil votes go to
    // everyone: they are what moves a round past a proposer that is down, the collector.
    if (this.routeVotes && blockHash.length > 0) {
      out.push({ type: 'sign-vote', vote, sendTo: proposerIndex(this.validatorSet, this.height, this.round) })
      this.schedule('vote-fallback', this.round, out)
    } else {
      out.push({ type: 'sign-vote', vote })
    }
  }

  /** Vote routing: this node gathers the round's votes for a block (it is the round's proposer). */
  private isCollector(round: number): boolean {
    return this.routeVotes && this.myIndex !== null && proposerIndex(this.validatorSet, this.height, round) === this.myIndex
  }

  /** The vote-fallback timer fired in an undecided round: our votes of the round go to everyone. */
  private sendOwnVotesToAll(out: ConsensusOutput[]): void {
    const rs = this.rounds.get(this.round)
    if (!rs || this.myIndex === null) return
    for (const v of [rs.prevotes.voteOf(this.myIndex), rs.precommits.voteOf(this.myIndex)]) if (v) out.push({ type: 'broadcast-vote', vote: v })
  }

  // ---- gossip support ---------------------------------------------------------------------

  private rebroadcast(out: ConsensusOutput[]): void {
    if (this.step === 'decided') {
      if (this.lastCommit && this.lastCommit.height === this.height) out.push({ type: 'broadcast-commit', certificate: this.lastCommit })
      return
    }
    const rs = this.rounds.get(this.round)
    if (rs?.proposal) out.push({ type: 'broadcast-proposal', proposal: rs.proposal })
    // Relay the latest polka we know: the paper's gossip assumption (a message one correct process
    // received reaches all of them) is what lets locked validators see the polka that unlocks
    // them, including prevotes a Byzantine validator sent to some nodes only.
    if (this.validRound >= 0) for (const v of this.polVotes(this.validRound, this.validValue)) out.push({ type: 'broadcast-vote', vote: v })
    // Relay every vote of the current round, not only our own: a validator that crashed, or a
    // Byzantine one that sent to some of us only, must not leave the others short of a quorum.
    if (rs) for (const v of [...rs.prevotes.allVotes(), ...rs.precommits.allVotes()]) out.push({ type: 'broadcast-vote', vote: v })
    if (this.lastCommit && this.lastCommit.height === this.height - 1) out.push({ type: 'broadcast-commit', certificate: this.lastCommit })
    // Catch-up: n - quorum + 1 validators at a higher height include an honest one, which only
    // moves past a height once it is final. Checked on this slow tick so that ordinary skew
    // (peers a few milliseconds ahead) does not start a sync at every height.
    const sorted = [...this.maxHeightSeen].sort((a, b) => b - a)
    const witnessed = sorted[this.honestWitness - 1] ?? 0
    if (witnessed > this.height) out.push({ type: 'need-sync', height: witnessed - 1 })
  }

  private polVotes(round: number, blockHash: Uint8Array): Vote[] {
    return this.rounds.get(round)?.prevotes.votesFor(blockHash) ?? []
  }

  // ---- bookkeeping -------------------------------------------------------------------------

  private onFutureMessage(m: BufferedMessage, height: number, validator: number, signature: Uint8Array, verified: boolean, out: ConsensusOutput[]): void {
    void out
    const existing = this.future.get(height)
    const buffer = height - this.height <= this.limits.futureHeights && (existing?.count[validator] ?? 0) < this.limits.futureMessagesPerValidator
    const key = buffer ? toHex(signature) : ''
    if (buffer && existing?.keys.has(key)) return
    if (!buffer && height <= this.maxHeightSeen[validator]!) return // nothing new to learn
    if (m.type === 'proposal') this.requireProposalSignature(m.proposal, verified)
    else this.requireVoteSignature(m.vote, verified)
    if (height > this.maxHeightSeen[validator]!) this.maxHeightSeen[validator] = height
    if (buffer) {
      let b = existing
      if (!b) this.future.set(height, (b = { messages: [], keys: new Set(), count: new Array<number>(this.n).fill(0) }))
      b.messages.push(m)
      b.keys.add(key)
      b.count[validator]!++
    }
  }

  private noteRound(validator: number, round: number): void {
    if (round > this.maxRoundSeen[validator]!) this.maxRoundSeen[validator] = round
  }

  private roundState(round: number): RoundState {
    let rs = this.rounds.get(round)
    if (!rs) {
      const q = this.validatorSet.quorum
      rs = {
        prevotes: new VoteSet(this.height, round, VoteType.PREVOTE, this.n, q),
        precommits: new VoteSet(this.height, round, VoteType.PRECOMMIT, this.n, q),
        proposal: undefined,
        proposalEvidenceSent: false,
        prevoteTimeoutSet: false,
        precommitTimeoutSet: false,
        polkaHandled: false,
        beyondQuorum: new Map(),
      }
      this.rounds.set(round, rs)
    }
    return rs
  }

  private ensureValidation(blockHash: Uint8Array, round: number, out: ConsensusOutput[]): void {
    const key = toHex(blockHash)
    if (this.validity.has(key)) return
    this.validity.set(key, 'pending')
    out.push({ type: 'validate-block', height: this.height, round, blockHash: new Uint8Array(blockHash) })
  }

  private schedule(step: TimeoutStep, round: number, out: ConsensusOutput[]): void {
    out.push({ type: 'schedule-timeout', height: this.height, round, step, durationMs: timeoutDuration(this.timeouts, step, round) })
  }

  private signatureValid(vote: Vote): boolean {
    const v = this.validatorSet.validators[vote.validatorIndex]!
    return this.verifySignature(vote.signature, voteSignBytes(this.chainId, vote.type, vote.height, vote.round, vote.blockHash), v.publicKey)
  }

  private requireVoteSignature(vote: Vote, verified: boolean): void {
    if (verified) return
    if (!this.signatureValid(vote)) {
      throw new ConsensusError(ConsensusErrorCode.BAD_SIGNATURE, `vote of validator #${vote.validatorIndex} at h${vote.height} r${vote.round} has a bad signature`)
    }
  }

  private requireProposalSignature(p: Proposal, verified: boolean): void {
    if (verified) return
    const v = this.validatorSet.validators[p.proposerIndex]!
    if (!this.verifySignature(p.signature, proposalSignBytes(this.chainId, p), v.publicKey)) {
      throw new ConsensusError(ConsensusErrorCode.BAD_SIGNATURE, `proposal of validator #${p.proposerIndex} at h${p.height} r${p.round} has a bad signature`)
    }
  }
}
