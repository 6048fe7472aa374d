/**
 * Typed errors of the node (storage, configuration, block validation). Codes are stable; the
 * RPC edge maps them to JSON-RPC errors. `penalisePeer` says whether the input came from a
 * misbehaving peer (as Lodestar's gossip validation errors do).
 */
export const NodeErrorCode = {
  DATA_DIR_LOCKED: 'DATA_DIR_LOCKED',
  STORE_CORRUPT: 'STORE_CORRUPT',
  GENESIS_MISMATCH: 'GENESIS_MISMATCH',
  BAD_CONFIG: 'BAD_CONFIG',
  BAD_GENESIS: 'BAD_GENESIS',
  INVALID_BLOCK: 'INVALID_BLOCK',
  NOT_VALIDATOR: 'NOT_VALIDATOR',
  STOPPED: 'STOPPED',
  SELF_TEST_FAILED: 'SELF_TEST_FAILED',
} as const
export type NodeErrorCode = (typeof NodeErrorCode)[keyof typeof NodeErrorCode]

export class NodeError extends Error {
  readonly code: NodeErrorCode
  readonly penalisePeer: boolean
  constructor(code: NodeErrorCode, message: string, options: { penalisePeer?: boolean; cause?: unknown } = {}) {
    super(`${code}: ${message}`, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'NodeError'
    this.code = code
    this.penalisePeer = options.penalisePeer ?? false
  }
}
