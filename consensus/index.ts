/**
 * consensus/: Tendermint-style BFT consensus as a pure state machine, plus the PrivValidator
 * that guards the signing key. Imports core/ only; no I/O, clock or randomness (see README.md).
 *
 * Usage by the node:
 *   const engine = createConsensus({ chainId, validatorSet, myIndex, timeouts })
 *   const pv = new PrivValidator({ chainId, signer: createEd25519Signer(secretKey), store })
 *   for (const o of engine.handle({ type: 'start-height', height, resume: pv.resumePoint(height), lastCommit })) ...
 */
export { createConsensus, ConsensusEngine } from './engine.ts'
export type { ConsensusInput, ConsensusOutput, ConsensusStatus, ConsensusStep } from './consensus-io.ts'
export {
  DEFAULT_TIMEOUTS, DEFAULT_LIMITS, timeoutDuration,
  type ConsensusConfig, type TimeoutConfig, type ConsensusLimits, type TimeoutStep,
} from './config.ts'
export { ConsensusError, ConsensusErrorCode, isConsensusError, type PeerAction } from './errors.ts'
export {
  BLOCK_HASH_LENGTH, MAX_ROUND, proposalSignBytes, verifyProposal, proposalRaw, proposalFromRaw,
  checkProposalShape, checkVoteShape, encodeConsensusMessage, decodeConsensusMessage, maxMessageBytes,
  type Proposal, type UnsignedProposal, type UnsignedVote, type SignatureVerifier, type ConsensusMessage,
} from './messages.ts'
export {
  createDuplicateVoteEvidence, createDuplicateProposalEvidence, verifyEvidence, evidenceRaw, encodeEvidence,
  evidenceValidator, evidenceHeight,
  type Evidence, type DuplicateVoteEvidence, type DuplicateProposalEvidence,
} from './evidence.ts'
export { VoteSet, MAX_VOTE_SET_SIZE, type AddVoteResult } from './vote-set.ts'
export {
  PrivValidator, MemoryPrivValidatorStore, SignStep,
  type PrivValidatorStore, type PrivValidatorInit, type LastSignState, type SignedLock, type ResumePoint,
} from './priv-validator.ts'
export { createEd25519Signer, type MessageSigner } from './signer.ts'
