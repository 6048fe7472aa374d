/**
 * Typed errors of the protocol core. Every rejection has a stable code that clients, peers and
 * the JSON-RPC edge can rely on; the message adds detail for humans. Style: Lodestar's
 * `utils/src/errors.ts` (a code enum, one error class, a payload per code).
 */
export const CoreErrorCode = {
  // decoding and shape
  DECODE_EMPTY: 'DECODE_EMPTY',
  DECODE_TOO_LARGE: 'DECODE_TOO_LARGE',
  DECODE_MALFORMED: 'DECODE_MALFORMED',
  DECODE_NOT_CANONICAL: 'DECODE_NOT_CANONICAL',
  DECODE_BAD_TYPE: 'DECODE_BAD_TYPE',
  DECODE_TOO_DEEP: 'DECODE_TOO_DEEP',
  BAD_SHAPE: 'BAD_SHAPE',
  BAD_HEX: 'BAD_HEX',
  BAD_ADDRESS: 'BAD_ADDRESS',
  BAD_PUBLIC_KEY: 'BAD_PUBLIC_KEY',
  // transactions
  BAD_SIGNATURE: 'BAD_SIGNATURE',
  WRONG_CHAIN_ID: 'WRONG_CHAIN_ID',
  NONCE_TOO_LOW: 'NONCE_TOO_LOW',
  NONCE_GAP: 'NONCE_GAP',
  DUPLICATE_TX: 'DUPLICATE_TX',
  TX_TOO_LARGE: 'TX_TOO_LARGE',
  GAS_LIMIT_OUT_OF_BOUNDS: 'GAS_LIMIT_OUT_OF_BOUNDS',
  UNKNOWN_TX_KIND: 'UNKNOWN_TX_KIND',
  MEMPOOL_FULL: 'MEMPOOL_FULL',
  // blocks and commits
  BAD_BLOCK: 'BAD_BLOCK',
  BAD_COMMIT: 'BAD_COMMIT',
  BAD_PROOF: 'BAD_PROOF',
} as const
export type CoreErrorCode = (typeof CoreErrorCode)[keyof typeof CoreErrorCode]

/**
 * What every module's typed error shares: a stable code, the message prefixed with it
 * (`CODE: detail`) and an optional payload. Each module extends it with its own code set and
 * name (CoreError here; ClientError, ConsensusError, BenchError).
 */
export class CodedError<C extends string> extends Error {
  readonly code: C
  readonly detail: Record<string, unknown> | undefined
  constructor(code: C, message: string, detail?: Record<string, unknown>) {
    super(`${code}: ${message}`)
    this.code = code
    this.detail = detail
  }
  /** The message without the code prefix. */
  get reason(): string {
    return this.message.slice(this.code.length + 2)
  }
}

export class CoreError extends CodedError<CoreErrorCode> {
  override readonly name = 'CoreError'
}

export function isCoreError(e: unknown, code?: CoreErrorCode): e is CoreError {
  return e instanceof CoreError && (code === undefined || e.code === code)
}
