/**
 * Typed errors of the consensus module. Every error has a stable code and says what the node
 * should do about the peer that sent the offending message: `penalise` (the message is provably
 * malformed or forged: only a faulty or malicious peer sends it) or `ignore` (the message may come
 * from an honest peer that is ahead of us or slow; drop it without blame). Style: Lodestar's
 * `chain/errors/gossipValidation.ts` (ACCEPT / IGNORE / REJECT) and core/errors.ts.
 */
import { CodedError } from '../core/errors.ts'
export const ConsensusErrorCode = {
  // peer messages
  BAD_MESSAGE: 'BAD_MESSAGE',
  MESSAGE_TOO_LARGE: 'MESSAGE_TOO_LARGE',
  NOT_A_VALIDATOR: 'NOT_A_VALIDATOR',
  BAD_SIGNATURE: 'BAD_SIGNATURE',
  WRONG_PROPOSER: 'WRONG_PROPOSER',
  BAD_POL_ROUND: 'BAD_POL_ROUND',
  BAD_COMMIT: 'BAD_COMMIT',
  BAD_EVIDENCE: 'BAD_EVIDENCE',
  // local
  BAD_CONFIG: 'BAD_CONFIG',
  BAD_INPUT: 'BAD_INPUT',
  SIGN_CONFLICT: 'SIGN_CONFLICT',
  SIGN_STORE: 'SIGN_STORE',
} as const
export type ConsensusErrorCode = (typeof ConsensusErrorCode)[keyof typeof ConsensusErrorCode]

/** What the node does with the peer that sent a rejected message. */
export type PeerAction = 'penalise' | 'ignore'

const PEER_ACTION: Record<ConsensusErrorCode, PeerAction> = {
  BAD_MESSAGE: 'penalise',
  MESSAGE_TOO_LARGE: 'penalise',
  NOT_A_VALIDATOR: 'penalise',
  BAD_SIGNATURE: 'penalise',
  WRONG_PROPOSER: 'penalise',
  BAD_POL_ROUND: 'penalise',
  BAD_COMMIT: 'penalise',
  BAD_EVIDENCE: 'penalise',
  // Local errors never involve a peer.
  BAD_CONFIG: 'ignore',
  BAD_INPUT: 'ignore',
  SIGN_CONFLICT: 'ignore',
  SIGN_STORE: 'ignore',
}

export class ConsensusError extends CodedError<ConsensusErrorCode> {
  override readonly name = 'ConsensusError'
  readonly action: PeerAction
  constructor(code: ConsensusErrorCode, message: string, detail?: Record<string, unknown>) {
    super(code, message, detail)
    this.action = PEER_ACTION[code]
  }
}

export function isConsensusError(e: unknown, code?: ConsensusErrorCode): e is ConsensusError {
  return e instanceof ConsensusError && (code === undefined || e.code === code)
}
