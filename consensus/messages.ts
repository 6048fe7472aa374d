/**
 * Consensus messages: the proposal (defined here), the vote and the commit certificate (both
 * from core/commit.ts), and their wire encoding.
 *
 * A proposer signs   encode(['proposal', chainId, height, round, polRound, blockHash]).
 * `polRound` is the round of the proof-of-lock (the round whose prevote quorum for `blockHash`
 * the proposer saw), or -1 when there is none. The canonical encoding accepts negative safe
 * integers (msgpack negative fixint 0xff for -1, a single canonical form), so -1 is signed as is:
 * no "+1" shift to remember on either side. Decoders accept exactly -1 or 0 <= polRound < round.
 *
 * Wire form of every consensus message: encode([kind, raw]) with kind 'proposal' | 'vote' |
 * 'votes' (a collector's quorum, 1 to n votes: [raw, …]) | 'commit'; `decodeConsensusMessage`
 * checks size, shape and field ranges (not signatures: the engine does that, because it knows
 * the validator set and skips duplicates before verifying).
 */
import {
  asArray, asBytes, asList, asUint, decode, encodeTrusted, type CanonicalValue,
} from '../core/encoding.ts'
import { SIGNATURE_LENGTH, verify, type SignatureVerifier } from '../core/keys.ts'
import {
  commitFromRaw, commitRaw, voteFromRaw, voteRaw, type CommitCertificate, type Vote,
} from '../core/commit.ts'
import type { ValidatorSet } from '../core/validators.ts'
import { ConsensusError, ConsensusErrorCode } from './errors.ts'

export const BLOCK_HASH_LENGTH = 32
/** Rounds above this are refused as malformed: 2^31 rounds of growing timeouts never happen. */
export const MAX_ROUND = 2 ** 31 - 1

export interface Proposal {
  readonly height: number
  readonly round: number
  /** Round of the proof-of-lock for `blockHash`, -1 if none. */
  readonly polRound: number
  readonly blockHash: Uint8Array
  readonly proposerIndex: number
  readonly signature: Uint8Array
}
export type UnsignedProposal = Omit<Proposal, 'signature'>
export type UnsignedVote = Omit<Vote, 'signature'>

/** Signature check with core's rule (node:crypto, RFC 8032 strict); injectable for memoising. */
export type { SignatureVerifier } from '../core/keys.ts'

export function proposalSignBytes(chainId: string, p: Omit<UnsignedProposal, 'proposerIndex'>): Uint8Array {
  return encodeTrusted(['proposal', chainId, p.height, p.round, p.polRound, p.blockHash])
}

/** True when the proposal's signature is by validator `proposerIndex` of `set`. Shape is not re-checked. */
export function verifyProposal(chainId: string, set: ValidatorSet, p: Proposal, verifySignature: SignatureVerifier = verify): boolean {
  const v = set.validators[p.proposerIndex]
  if (!v) return false
  return verifySignature(p.signature, proposalSignBytes(chainId, p), v.publicKey)
}

export function proposalRaw(p: Proposal): CanonicalValue[] {
  return [p.height, p.round, p.polRound, p.blockHash, p.proposerIndex, p.signature]
}

/** @throws ConsensusError BAD_MESSAGE naming the bad field. */
export function proposalFromRaw(raw: CanonicalValue): Proposal {
  return asConsensusError(() => {
    const r = asArray(raw, 6, 'proposal')
    const height = asUint(r[0], 'proposal.height')
    const round = asUint(r[1], 'proposal.round')
    const polRoundValue = r[2]
    if (typeof polRoundValue !== 'number' || !Number.isSafeInteger(polRoundValue)) bad('proposal.polRound: expected an integer')
    const polRound = polRoundValue as number
    const p: Proposal = Object.freeze({
      height, round, polRound,
      blockHash: asBytes(r[3], 'proposal.blockHash', BLOCK_HASH_LENGTH),
      proposerIndex: asUint(r[4], 'proposal.proposerIndex'),
      signature: asBytes(r[5], 'proposal.signature', SIGNATURE_LENGTH),
    })
    checkProposalShape(p)
    return p
  })
}

/** Range checks shared by the decoder and the engine (objects may arrive without decoding). */
export function checkProposalShape(p: Proposal): void {
  if (!Number.isSafeInteger(p.height) || p.height < 1) bad('proposal.height must be >= 1')
  if (!Number.isSafeInteger(p.round) || p.round < 0 || p.round > MAX_ROUND) bad(`proposal.round must be in [0, ${MAX_ROUND}]`)
  if (!Number.isSafeInteger(p.polRound) || p.polRound < -1 || p.polRound >= p.round) {
    throw new ConsensusError(ConsensusErrorCode.BAD_POL_ROUND, `proposal.polRound ${p.polRound} must be -1 or in [0, round ${p.round})`)
  }
  if (!(p.blockHash instanceof Uint8Array) || p.blockHash.length !== BLOCK_HASH_LENGTH) bad('proposal.blockHash must be 32 bytes')
  if (!Number.isSafeInteger(p.proposerIndex) || p.proposerIndex < 0) bad('proposal.proposerIndex must be a non-negative integer')
  if (!(p.signature instanceof Uint8Array) || p.signature.length !== SIGNATURE_LENGTH) bad('proposal.signature must be 64 bytes')
}

/** Range checks for a vote object (core's voteFromRaw does the same for decoded bytes). */
export function checkVoteShape(v: Vote): void {
  if (v.type !== 1 && v.type !== 2) bad(`vote.type ${String(v.type)} unknown`)
  if (!Number.isSafeInteger(v.height) || v.height < 1) bad('vote.height must be >= 1')
  if (!Number.isSafeInteger(v.round) || v.round < 0 || v.round > MAX_ROUND) bad(`vote.round must be in [0, ${MAX_ROUND}]`)
  if (!(v.blockHash instanceof Uint8Array) || (v.blockHash.length !== 0 && v.blockHash.length !== BLOCK_HASH_LENGTH)) bad('vote.blockHash must be empty (nil) or 32 bytes')
  if (!Number.isSafeInteger(v.validatorIndex) || v.validatorIndex < 0) bad('vote.validatorIndex must be a non-negative integer')
  if (!(v.signature instanceof Uint8Array) || v.signature.length !== SIGNATURE_LENGTH) bad('vote.signature must be 64 bytes')
}

// ---- wire messages ----------------------------------------------------------------------

export type ConsensusMessage =
  | { readonly kind: 'proposal'; readonly proposal: Proposal }
  | { readonly kind: 'vote'; readonly vote: Vote }
  | { readonly kind: 'votes'; readonly votes: readonly Vote[] }
  | { readonly kind: 'commit'; readonly certificate: CommitCertificate }

/** Largest proposal or vote on the wire (fields are fixed-size; generous headroom). */
export const MAX_VOTE_MESSAGE_BYTES = 256
/** A commit certificate holds at most one [index, signature] pair per validator. */
function maxCommitMessageBytes(validatorCount: number): number {
  return 256 + validatorCount * 80
}
/** A vote bundle holds at most one vote per validator. */
function maxVotesMessageBytes(validatorCount: number): number {
  return 16 + validatorCount * MAX_VOTE_MESSAGE_BYTES
}
/** Largest consensus message of any kind for a set of `validatorCount`. */
export function maxMessageBytes(validatorCount: number): number {
  return Math.max(maxCommitMessageBytes(validatorCount), maxVotesMessageBytes(validatorCount))
}

export function encodeConsensusMessage(m: ConsensusMessage): Uint8Array {
  switch (m.kind) {
    case 'proposal': return encodeTrusted(['proposal', proposalRaw(m.proposal)])
    case 'vote': return encodeTrusted(['vote', voteRaw(m.vote)])
    case 'votes': return encodeTrusted(['votes', m.votes.map(voteRaw)])
    case 'commit': return encodeTrusted(['commit', commitRaw(m.certificate)])
  }
}

/**
 * Decodes one consensus message from a peer.
 * @throws ConsensusError MESSAGE_TOO_LARGE, BAD_MESSAGE or BAD_POL_ROUND (all: penalise the peer).
 */
export function decodeConsensusMessage(bytes: Uint8Array, validatorCount: number): ConsensusMessage {
  const limit = maxMessageBytes(validatorCount)
  if (!(bytes instanceof Uint8Array)) bad('message is not bytes')
  if (bytes.length > limit) throw new ConsensusError(ConsensusErrorCode.MESSAGE_TOO_LARGE, `${bytes.length} bytes, the limit is ${limit}`)
  return asConsensusError((): ConsensusMessage => {
    const r = asArray(decode(bytes, limit), 2, 'consensus message')
    const kind = r[0]
    const body = r[1] as CanonicalValue
    const kindLimit = kind === 'commit' ? maxCommitMessageBytes(validatorCount) : kind === 'votes' ? maxVotesMessageBytes(validatorCount) : MAX_VOTE_MESSAGE_BYTES
    if (bytes.length > kindLimit) {
      throw new ConsensusError(ConsensusErrorCode.MESSAGE_TOO_LARGE, `${String(kind)} message of ${bytes.length} bytes, the limit is ${kindLimit}`)
    }
    switch (kind) {
      case 'proposal': return Object.freeze({ kind, proposal: proposalFromRaw(body) })
      case 'vote': return Object.freeze({ kind, vote: checkedVoteFromRaw(body) })
      case 'votes': {
        const raws = asList(body, 'votes', validatorCount)
        if (raws.length === 0) bad('votes message is empty')
        return Object.freeze({ kind, votes: Object.freeze(raws.map(checkedVoteFromRaw)) })
      }
      case 'commit': {
        const certificate = commitFromRaw(body, validatorCount)
        return Object.freeze({ kind, certificate })
      }
      default: return bad(`unknown consensus message kind ${JSON.stringify(kind)}`)
    }
  })
}

function checkedVoteFromRaw(raw: CanonicalValue): Vote {
  const vote = voteFromRaw(raw)
  checkVoteShape(vote)
  return vote
}

function bad(message: string): never {
  throw new ConsensusError(ConsensusErrorCode.BAD_MESSAGE, message)
}

/** Maps core's decode/shape errors to BAD_MESSAGE so the caller sees one error type. */
function asConsensusError<T>(f: () => T): T {
  try {
    return f()
  } catch (e) {
    if (e instanceof ConsensusError) throw e
    throw new ConsensusError(ConsensusErrorCode.BAD_MESSAGE, e instanceof Error ? e.message : String(e))
  }
}
