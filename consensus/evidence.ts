/**
 * Evidence of equivocation: two signed messages from one validator that cannot both come from
 * an honest one. A validator that signs two different votes of one type at one (height, round),
 * or two different proposals at one (height, round), is Byzantine (or runs two instances of one
 * key). The pair of signed messages is the proof; anyone holding the validator set re-checks it
 * offline with `verifyEvidence`. The engine outputs evidence for operators (the node logs it,
 * stores it, may later gossip or act on it); it never changes how votes are counted.
 */
import { VoteType, voteRaw, voteSignBytes, type Vote } from '../core/commit.ts'
import { encodeTrusted, type CanonicalValue } from '../core/encoding.ts'
import { bytesEqual, compareBytes } from '../core/hex.ts'
import { verify } from '../core/keys.ts'
import type { ValidatorSet } from '../core/validators.ts'
import { ConsensusError, ConsensusErrorCode } from './errors.ts'
import { proposalRaw, verifyProposal, type Proposal, type SignatureVerifier } from './messages.ts'

export interface DuplicateVoteEvidence {
  readonly kind: 'duplicate-vote'
  /** Ordered by block hash (nil first), so two nodes building evidence of one fault agree byte for byte. */
  readonly voteA: Vote
  readonly voteB: Vote
}
export interface DuplicateProposalEvidence {
  readonly kind: 'duplicate-proposal'
  readonly proposalA: Proposal
  readonly proposalB: Proposal
}
export type Evidence = DuplicateVoteEvidence | DuplicateProposalEvidence

export function createDuplicateVoteEvidence(a: Vote, b: Vote): DuplicateVoteEvidence {
  const [voteA, voteB] = compareBytes(a.blockHash, b.blockHash) <= 0 ? [a, b] : [b, a]
  return Object.freeze({ kind: 'duplicate-vote', voteA, voteB })
}

export function createDuplicateProposalEvidence(a: Proposal, b: Proposal): DuplicateProposalEvidence {
  const order = compareBytes(a.blockHash, b.blockHash) || a.polRound - b.polRound
  const [proposalA, proposalB] = order <= 0 ? [a, b] : [b, a]
  return Object.freeze({ kind: 'duplicate-proposal', proposalA, proposalB })
}

/** The validator the evidence convicts. */
export function evidenceValidator(e: Evidence): number {
  return e.kind === 'duplicate-vote' ? e.voteA.validatorIndex : e.proposalA.proposerIndex
}
export function evidenceHeight(e: Evidence): number {
  return e.kind === 'duplicate-vote' ? e.voteA.height : e.proposalA.height
}

export function evidenceRaw(e: Evidence): CanonicalValue[] {
  return e.kind === 'duplicate-vote'
    ? ['duplicate-vote', voteRaw(e.voteA), voteRaw(e.voteB)]
    : ['duplicate-proposal', proposalRaw(e.proposalA), proposalRaw(e.proposalB)]
}
export function encodeEvidence(e: Evidence): Uint8Array {
  return encodeTrusted(evidenceRaw(e))
}

/**
 * Checks that the evidence proves an equivocation by a member of `set`.
 * @throws ConsensusError BAD_EVIDENCE saying what is wrong.
 */
export function verifyEvidence(chainId: string, set: ValidatorSet, e: Evidence, verifySignature: SignatureVerifier = verify): void {
  const fail = (m: string): never => { throw new ConsensusError(ConsensusErrorCode.BAD_EVIDENCE, m) }
  if (e.kind === 'duplicate-vote') {
    const { voteA: a, voteB: b } = e
    if (a.validatorIndex !== b.validatorIndex) fail('votes are from different validators')
    if (a.type !== b.type || a.height !== b.height || a.round !== b.round) fail('votes are for different (type, height, round)')
    if (bytesEqual(a.blockHash, b.blockHash)) fail('votes are for the same block: no conflict')
    const v = set.validators[a.validatorIndex] ?? fail(`validator #${a.validatorIndex} is not in the set`)
    for (const vote of [a, b]) {
      if (vote.type !== VoteType.PREVOTE && vote.type !== VoteType.PRECOMMIT) fail('unknown vote type')
      if (!verifySignature(vote.signature, voteSignBytes(chainId, vote.type, vote.height, vote.round, vote.blockHash), v.publicKey)) {
        fail(`signature of validator #${vote.validatorIndex} does not verify`)
      }
    }
    return
  }
  const { proposalA: a, proposalB: b } = e
  if (a.proposerIndex !== b.proposerIndex) fail('proposals are from different validators')
  if (a.height !== b.height || a.round !== b.round) fail('proposals are for different (height, round)')
  if (bytesEqual(a.blockHash, b.blockHash) && a.polRound === b.polRound) fail('proposals are identical: no conflict')
  if (!set.validators[a.proposerIndex]) fail(`validator #${a.proposerIndex} is not in the set`)
  if (!verifyProposal(chainId, set, a, verifySignature) || !verifyProposal(chainId, set, b, verifySignature)) {
    fail(`signature of validator #${a.proposerIndex} does not verify`)
  }
}
