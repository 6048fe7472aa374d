/**
 * Typed errors of the validator network. Codes are stable strings the node can switch on;
 * `penalisePeer` says whether the error was caused by a misbehaving peer (bad frame, oversized
 * message) rather than by us or by the network (timeout, no connection).
 */
export const NetworkErrorCode = {
  /** Options passed to createValidatorNetwork or addPeer are invalid. */
  BAD_OPTIONS: 'BAD_OPTIONS',
  /** The network is not started (or already stopped). */
  NOT_STARTED: 'NOT_STARTED',
  /** The public key is not in the allow-list. */
  UNKNOWN_PEER: 'UNKNOWN_PEER',
  /** No open connection to the requested peer. */
  PEER_NOT_CONNECTED: 'PEER_NOT_CONNECTED',
  /** The request did not complete within its timeout. */
  REQUEST_TIMEOUT: 'REQUEST_TIMEOUT',
  /** The stream closed or reset before a response arrived. */
  REQUEST_ABORTED: 'REQUEST_ABORTED',
  /** The remote handler failed or has no handler; the message carries its code. */
  REMOTE_ERROR: 'REMOTE_ERROR',
  /** A request or response larger than the configured cap. */
  MESSAGE_TOO_LARGE: 'MESSAGE_TOO_LARGE',
  /** A frame that does not parse (bad length prefix, bad topic, trailing bytes). */
  MALFORMED_FRAME: 'MALFORMED_FRAME',
} as const
export type NetworkErrorCode = (typeof NetworkErrorCode)[keyof typeof NetworkErrorCode]

export class NetworkError extends Error {
  readonly code: NetworkErrorCode
  readonly penalisePeer: boolean
  /** For REMOTE_ERROR: the code the remote handler's error message started with, if any. */
  readonly remoteCode: string | undefined
  constructor(
    code: NetworkErrorCode,
    message: string,
    options: { penalisePeer?: boolean; cause?: unknown; remoteCode?: string } = {},
  ) {
    super(`${code}: ${message}`, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'NetworkError'
    this.code = code
    this.penalisePeer = options.penalisePeer ?? false
    this.remoteCode = options.remoteCode
  }
}

export function isNetworkError(e: unknown, code?: NetworkErrorCode): e is NetworkError {
  return e instanceof NetworkError && (code === undefined || e.code === code)
}
