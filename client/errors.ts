/**
 * Typed errors of the client library and CLI. Every failure a user can cause has a stable code;
 * the CLI prints `error CODE: message` and exits non-zero, never a stack trace. Style as
 * core/errors.ts (a code enum, one error class, an optional payload).
 */
import { CodedError } from '../core/errors.ts'
export const ClientErrorCode = {
  // keystore
  BAD_KEY_NAME: 'BAD_KEY_NAME',
  KEY_EXISTS: 'KEY_EXISTS',
  KEY_NOT_FOUND: 'KEY_NOT_FOUND',
  WRONG_PASSPHRASE: 'WRONG_PASSPHRASE',
  KEYSTORE_CORRUPT: 'KEYSTORE_CORRUPT',
  KEYSTORE_TAMPERED: 'KEYSTORE_TAMPERED',
  NO_PASSPHRASE: 'NO_PASSPHRASE',
  // personal data envelopes
  NOT_A_RECIPIENT: 'NOT_A_RECIPIENT',
  BAD_ENVELOPE: 'BAD_ENVELOPE',
  // files and hashing
  FILE_NOT_FOUND: 'FILE_NOT_FOUND',
  IO_ERROR: 'IO_ERROR',
  // proofs
  BAD_PROOF: 'BAD_PROOF',
  BAD_GENESIS: 'BAD_GENESIS',
  // anchoring
  JOURNAL_CORRUPT: 'JOURNAL_CORRUPT',
  // transactions and chain answers
  BAD_NONCE_SOURCE: 'BAD_NONCE_SOURCE',
  TX_FAILED: 'TX_FAILED',
  BAD_RESPONSE: 'BAD_RESPONSE',
  NOT_ANCHORED: 'NOT_ANCHORED',
  // command line
  USAGE: 'USAGE',
  UNKNOWN_COMMAND: 'UNKNOWN_COMMAND',
  BAD_ARGUMENT: 'BAD_ARGUMENT',
} as const
export type ClientErrorCode = (typeof ClientErrorCode)[keyof typeof ClientErrorCode]

export class ClientError extends CodedError<ClientErrorCode> {
  override readonly name = 'ClientError'
}

export function isClientError(e: unknown, code?: ClientErrorCode): e is ClientError {
  return e instanceof ClientError && (code === undefined || e.code === code)
}
