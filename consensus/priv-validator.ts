/**
 * PrivValidator: the only holder of a validator's signing key, and the guard that makes it
 * impossible for an honest validator to sign two conflicting messages, even across a crash.
 *
 * Rule (CometBFT privval/file.go `checkHRS`): every signature is for a (height, round, step)
 * with step propose(1) < prevote(2) < precommit(3). A request for an earlier (height, round,
 * step) than the last one signed is refused; a request for the same one is refused unless its
 * sign bytes are identical, in which case the stored signature is returned again (so a node that
 * crashed after signing but before sending can re-send the same vote).
 * The new state is saved through the injected store BEFORE the signature is returned: if the
 * store throws, no signature leaves this object.
 *
 * Durability, and the one save per height that is enough. A save asked to be durable is on
 * disk (fsync) before it returns; any other save survives a crash of the process (the machine's
 * page cache keeps it) but maybe not a crash of the machine. Only the proposal and prevote of
 * round 0 at the height after the last precommit are saved that way: that precommit's durable
 * save also records `reservedHeight` = its height + 1, which says "round 0 of this height may
 * have been signed up to the prevote without a durable record". A store that may have lost
 * writes (the machine restarted since the state it loaded was written) makes the guard treat
 * that reserved (height, round 0, prevote) as already signed with unknown bytes: it refuses to
 * propose or prevote there and signs anything after it. Locks need no such care, because every
 * precommit is durable. The cost of a machine crash is this validator's proposal and prevote in
 * one round; the gain is one fsync per height instead of two or three, which is most of what a
 * validator's disk does on the critical path of a height (10 validators sharing a disk, as in
 * the testnet, queue behind each other's fsyncs).
 *
 * It keeps the messages it signed at the last (height, round): a validator that crashes after
 * signing and before its message reached everyone must be able to send it again after the
 * restart (it may not sign anything else there), or the others may wait for it forever.
 *
 * It also records the validator's lock. In Tendermint (arXiv 1807.04938, Algorithm 1 lines
 * 36-43) a process sets lockedValue/lockedRound exactly when it precommits a value, so the last
 * non-nil precommit signed at a height IS the lock. A restarted engine gets it back through
 * `resumePoint` and keeps honouring it: forgetting a lock after a crash would break the safety
 * argument as surely as signing twice.
 */
import { VoteType, voteFromRaw, voteRaw, voteSignBytes, type Vote } from '../core/commit.ts'
import { asArray, asBytes, asList, asUint, decode, encodeTrusted, type CanonicalValue } from '../core/encoding.ts'
import { bytesEqual } from '../core/hex.ts'
import { ConsensusError, ConsensusErrorCode } from './errors.ts'
import { proposalFromRaw, proposalRaw, proposalSignBytes, type Proposal, type UnsignedProposal, type UnsignedVote } from './messages.ts'
import type { MessageSigner } from './signer.ts'

export const SignStep = { PROPOSE: 1, PREVOTE: 2, PRECOMMIT: 3 } as const
export type SignStep = (typeof SignStep)[keyof typeof SignStep]

export interface SignedLock {
  readonly height: number
  readonly round: number
  readonly blockHash: Uint8Array
}

/** What the store persists: the last signature and the lock. */
export interface LastSignState {
  readonly height: number
  readonly round: number
  readonly step: SignStep
  readonly signBytes: Uint8Array
  readonly signature: Uint8Array
  /** The last non-nil precommit signed (its height may be below `height`: then it is stale). */
  readonly lock: SignedLock | null
  /** Everything signed at (height, round), in signing order (at most a proposal and two votes). */
  readonly proposal: Proposal | null
  readonly votes: readonly Vote[]
  /**
   * The height whose round-0 proposal and prevote are saved without fsync (0: none). Set by a
   * durable precommit save to its height + 1; see the header.
   */
  readonly reservedHeight: number
}

/** How a save must reach the disk before it returns. */
export type SaveDurability = 'durable' | 'process'

/** Persistence of the guard's state. Every `save` is atomic. */
export interface PrivValidatorStore {
  load(): LastSignState | null
  /**
   * 'durable': on disk before it returns (survives a crash of the machine).
   * 'process': survives a crash of this process (e.g. written to the OS), maybe not of the machine.
   */
  save(state: LastSignState, durability: SaveDurability): void
  /**
   * Optional: `save`, finished when the state has the durability asked for, without holding the
   * thread while a durable save waits for the disk (other work of the process runs meanwhile).
   * Saves take effect in call order, and a durable one never puts at risk the newest state
   * already durable. A store with it must not be given `save` calls while one is pending.
   */
  saveAsync?(state: LastSignState, durability: SaveDurability): Promise<void>
  /**
   * Whether the state `load` returned may be missing 'process' saves (the machine restarted since
   * it was written, or the store cannot tell). Asked once, right after `load`.
   */
  mayHaveLostWrites(): boolean
}

/** Where a restarted validator resumes a height it had already signed at. */
export interface ResumePoint {
  readonly round: number
  readonly lockedRound: number
  /** Empty when not locked. */
  readonly lockedBlockHash: Uint8Array
  /** What it signed at `round`: the engine counts and re-sends these. */
  readonly proposal: Proposal | null
  readonly votes: readonly Vote[]
  /**
   * Round 0 counts as signed up to the prevote with unknown bytes (the machine restarted, see
   * the header): the engine must not propose or prevote there. It precommits nil and moves on to
   * round 1 at once.
   */
  readonly prevoteWithheld: boolean
}

/** Canonical bytes of a sign state, for stores that write files. */
export function encodeSignState(s: LastSignState): Uint8Array {
  return encodeTrusted([
    s.height, s.round, s.step, s.signBytes, s.signature,
    s.lock ? [s.lock.height, s.lock.round, s.lock.blockHash] : null,
    s.proposal ? proposalRaw(s.proposal) : null,
    s.votes.map(voteRaw),
    s.reservedHeight,
  ])
}

/** @throws ConsensusError SIGN_STORE when the bytes are not a sign state. */
export function decodeSignState(bytes: Uint8Array): LastSignState {
  try {
    const raw = decode(bytes)
    // 8 fields: the format before reservations (every save was durable, so nothing is reserved).
    const r = Array.isArray(raw) && raw.length === 8 ? raw : asArray(raw, 9, 'sign state')
    const step = asUint(r[2], 'sign state.step')
    if (step !== SignStep.PROPOSE && step !== SignStep.PREVOTE && step !== SignStep.PRECOMMIT) throw new Error(`unknown step ${step}`)
    const lockRaw = r[5] as CanonicalValue
    const lock = lockRaw === null ? null : (() => {
      const l = asArray(lockRaw, 3, 'sign state.lock')
      return Object.freeze({ height: asUint(l[0], 'lock.height'), round: asUint(l[1], 'lock.round'), blockHash: asBytes(l[2], 'lock.blockHash', 32) })
    })()
    return Object.freeze({
      height: asUint(r[0], 'sign state.height'), round: asUint(r[1], 'sign state.round'), step,
      signBytes: asBytes(r[3], 'sign state.signBytes'), signature: asBytes(r[4], 'sign state.signature'),
      lock,
      proposal: r[6] === null ? null : proposalFromRaw(r[6] as CanonicalValue),
      votes: asList(r[7], 'sign state.votes', 2).map(voteFromRaw),
      reservedHeight: r.length === 8 ? 0 : asUint(r[8], 'sign state.reservedHeight'),
    })
  } catch (e) {
    throw new ConsensusError(ConsensusErrorCode.SIGN_STORE, `stored sign state is unreadable: ${(e as Error)?.message ?? e}`)
  }
}

/**
 * An in-memory store: for tests and the simulator (it survives a simulated crash because the
 * simulator keeps it). `loseProcessSaves` simulates the machine crashing: saves that were not
 * durable are gone, and the next `load` says so.
 */
export class MemoryPrivValidatorStore implements PrivValidatorStore {
  private state: LastSignState | null = null
  private durableState: LastSignState | null = null
  private lostWrites = false
  saves = 0
  durableSaves = 0
  load(): LastSignState | null {
    return this.state
  }
  save(state: LastSignState, durability: SaveDurability): void {
    this.state = Object.freeze({ ...state })
    this.lostWrites = false // saved on this "boot": a later crash of the process loses nothing
    this.saves++
    if (durability === 'durable') {
      this.durableState = this.state
      this.durableSaves++
    }
  }
  mayHaveLostWrites(): boolean {
    return this.lostWrites
  }
  loseProcessSaves(): void {
    this.lostWrites = this.lostWrites || this.state !== this.durableState
    this.state = this.durableState
  }
}

export interface PrivValidatorInit {
  readonly chainId: string
  readonly signer: MessageSigner
  readonly store: PrivValidatorStore
}

export class PrivValidator {
  readonly chainId: string
  private readonly signer: MessageSigner
  private readonly store: PrivValidatorStore
  private last: LastSignState | null
  /** The latest async signing; the next one waits for it, so answers and saves keep their order. */
  private asyncTail: Promise<unknown> = Promise.resolve()

  /** @throws ConsensusError SIGN_STORE when the store cannot be read. */
  constructor(init: PrivValidatorInit) {
    this.chainId = init.chainId
    this.signer = init.signer
    this.store = init.store
    try {
      const loaded = init.store.load()
      this.last = loaded && init.store.mayHaveLostWrites() ? withReservationSigned(loaded) : loaded
    } catch (e) {
      throw new ConsensusError(ConsensusErrorCode.SIGN_STORE, `cannot load sign state: ${(e as Error)?.message ?? e}`)
    }
  }

  get publicKey(): Uint8Array {
    return this.signer.publicKey
  }

  /** The last signed (height, round, step), for operators and tests. */
  get lastSigned(): LastSignState | null {
    return this.last
  }

  /** @throws ConsensusError SIGN_CONFLICT (would conflict with an earlier signature) or SIGN_STORE. */
  signVote(vote: UnsignedVote): Vote {
    return this.saved(this.guardVote(vote))
  }

  /** @throws ConsensusError SIGN_CONFLICT or SIGN_STORE. */
  signProposal(proposal: UnsignedProposal): Proposal {
    return this.saved(this.guardProposal(proposal))
  }

  /**
   * `signVote` through the store's `saveAsync` (when it has one): the thread is free while the
   * state goes to disk, and the vote is returned only once it is there. Calls are answered in
   * order. @throws (rejects) ConsensusError SIGN_CONFLICT or SIGN_STORE.
   */
  signVoteAsync(vote: UnsignedVote): Promise<Vote> {
    return this.savedAsync(() => this.guardVote(vote))
  }

  /** `signProposal` as `signVoteAsync` does it. */
  signProposalAsync(proposal: UnsignedProposal): Promise<Proposal> {
    return this.savedAsync(() => this.guardProposal(proposal))
  }

  private guardVote(vote: UnsignedVote): Guarded<Vote> {
    const step = vote.type === VoteType.PREVOTE ? SignStep.PREVOTE : SignStep.PRECOMMIT
    const bytes = voteSignBytes(this.chainId, vote.type, vote.height, vote.round, vote.blockHash)
    const isLock = vote.type === VoteType.PRECOMMIT && vote.blockHash.length > 0
    return this.signGuarded(vote.height, vote.round, step, bytes,
      isLock ? { height: vote.height, round: vote.round, blockHash: new Uint8Array(vote.blockHash) } : undefined,
      (signature) => Object.freeze({ ...vote, blockHash: new Uint8Array(vote.blockHash), signature }))
  }

  private guardProposal(proposal: UnsignedProposal): Guarded<Proposal> {
    const bytes = proposalSignBytes(this.chainId, proposal)
    return this.signGuarded(proposal.height, proposal.round, SignStep.PROPOSE, bytes, undefined,
      (signature) => Object.freeze({ ...proposal, blockHash: new Uint8Array(proposal.blockHash), signature }))
  }

  /** Saves a new signature's state before the signature leaves; a repeat was saved before. */
  private saved<T>(g: Guarded<T>): T {
    if (g.next === undefined) return g.message
    try {
      this.store.save(g.next, g.durability)
    } catch (e) {
      throw storeError(e)
    }
    this.last = g.next
    return g.message
  }

  private savedAsync<T>(guard: () => Guarded<T>): Promise<T> {
    const store = this.store
    if (!store.saveAsync) return Promise.resolve().then(() => this.saved(guard()))
    const run = async (): Promise<T> => {
      const g = guard()
      if (g.next === undefined) return g.message // its save finished before the earlier call was answered
      try {
        await store.saveAsync!(g.next, g.durability)
      } catch (e) {
        throw storeError(e)
      }
      this.last = g.next
      return g.message
    }
    const result = this.asyncTail.then(run, run)
    this.asyncTail = result.catch(() => {})
    return result
  }

  /**
   * How to resume `height` after a restart: the round last signed at, the lock and what was
   * signed at that round; undefined when nothing was signed at this height (round 0, unlocked).
   */
  resumePoint(height: number): ResumePoint | undefined {
    const last = this.last
    if (!last || last.height !== height) return undefined
    const lock = last.lock && last.lock.height === height ? last.lock : null
    return Object.freeze({
      round: last.round,
      lockedRound: lock ? lock.round : -1,
      lockedBlockHash: lock ? new Uint8Array(lock.blockHash) : new Uint8Array(0),
      proposal: last.proposal,
      votes: last.votes,
      prevoteWithheld: isWithheld(last),
    })
  }

  /**
   * Checks a signing against the last one and signs: the message, and the state to save before
   * it leaves (none when it repeats the last signature). Saves nothing.
   */
  private signGuarded<T extends Vote | Proposal>(
    height: number, round: number, step: SignStep, bytes: Uint8Array, newLock: SignedLock | undefined,
    build: (signature: Uint8Array) => T,
  ): Guarded<T> {
    const last = this.last
    const order = last ? compareHRS(height, round, step, last) : 1
    if (last) {
      if (isWithheld(last) && order <= 0) {
        throw new ConsensusError(ConsensusErrorCode.SIGN_CONFLICT,
          `refusing to sign h${height} r${round} s${step}: the machine restarted since round 0 of height ${last.height} may have been signed up to the prevote without a durable record`)
      }
      if (order < 0) {
        throw new ConsensusError(ConsensusErrorCode.SIGN_CONFLICT,
          `refusing to sign h${height} r${round} s${step}: already signed h${last.height} r${last.round} s${last.step}`)
      }
      if (order === 0) {
        if (bytesEqual(bytes, last.signBytes)) return { message: build(new Uint8Array(last.signature)), next: undefined, durability: 'durable' }
        throw new ConsensusError(ConsensusErrorCode.SIGN_CONFLICT,
          `refusing to sign different data at h${height} r${round} s${step}: already signed there`)
      }
    }
    const signature = this.signer.sign(bytes)
    const message = build(signature)
    const sameRound = last !== null && last.height === height && last.round === round
    const reserved = last !== null && last.reservedHeight === height && round === 0 && step !== SignStep.PRECOMMIT
    const next: LastSignState = Object.freeze({
      height, round, step, signBytes: bytes, signature, lock: newLock ?? last?.lock ?? null,
      proposal: step === SignStep.PROPOSE ? message as Proposal : sameRound ? last.proposal : null,
      votes: step === SignStep.PROPOSE ? [] : [...(sameRound ? last.votes : []), message as Vote],
      reservedHeight: step === SignStep.PRECOMMIT ? height + 1 : last?.reservedHeight ?? 0,
    })
    return { message, next, durability: reserved ? 'process' : 'durable' }
  }
}

/** A signing the guard allowed: its message, and the state to save first (undefined: a repeat). */
interface Guarded<T> {
  readonly message: T
  readonly next: LastSignState | undefined
  readonly durability: SaveDurability
}

const storeError = (e: unknown): ConsensusError =>
  new ConsensusError(ConsensusErrorCode.SIGN_STORE, `cannot persist sign state: ${(e as Error)?.message ?? e}`)

/**
 * The guard's state after a load that may have lost 'process' saves: round 0 of the reserved
 * height counts as signed up to the prevote, with bytes nobody knows, so nothing there is signed
 * again. Unchanged when the loaded state is already at or past that point.
 */
function withReservationSigned(loaded: LastSignState): LastSignState {
  const h = loaded.reservedHeight
  if (h === 0 || compareHRS(h, 0, SignStep.PREVOTE, loaded) <= 0) return loaded
  return Object.freeze({
    height: h, round: 0, step: SignStep.PREVOTE, signBytes: new Uint8Array(0), signature: new Uint8Array(0),
    lock: loaded.lock, proposal: null, votes: [], reservedHeight: h,
  })
}

/** The state `withReservationSigned` makes: signed up to the prevote, bytes unknown (never saved as such). */
function isWithheld(last: LastSignState): boolean {
  return last.signBytes.length === 0
}

function compareHRS(height: number, round: number, step: SignStep, last: LastSignState): number {
  return (height - last.height) || (round - last.round) || (step - last.step)
}
