/**
 * Typed errors of the contract VM. A contract failure becomes a failed receipt carrying one of
 * these codes (never an exception out of the executor); `BAD_CODE` / `BAD_ABI` refuse a deploy.
 * Style: core/errors.ts (a code enum, one error class).
 */
export const VmErrorCode = {
  // metering and limits
  OUT_OF_GAS: 'OUT_OF_GAS',
  CALL_DEPTH_EXCEEDED: 'CALL_DEPTH_EXCEEDED',
  MEMORY_LIMIT: 'MEMORY_LIMIT',
  VALUE_TOO_LARGE: 'VALUE_TOO_LARGE',
  RETURN_TOO_LARGE: 'RETURN_TOO_LARGE',
  TOO_MANY_EVENTS: 'TOO_MANY_EVENTS',
  // contract-level failures
  REQUIRE_FAILED: 'REQUIRE_FAILED',
  INTEGER_OVERFLOW: 'INTEGER_OVERFLOW',
  DIVISION_BY_ZERO: 'DIVISION_BY_ZERO',
  INDEX_OUT_OF_RANGE: 'INDEX_OUT_OF_RANGE',
  TYPE_MISMATCH: 'TYPE_MISMATCH',
  BAD_STRING: 'BAD_STRING',
  READ_ONLY_VIOLATION: 'READ_ONLY_VIOLATION',
  CORRUPT_STORAGE: 'CORRUPT_STORAGE',
  // calls and deploys
  NO_CONTRACT: 'NO_CONTRACT',
  NO_METHOD: 'NO_METHOD',
  BAD_ARGS: 'BAD_ARGS',
  BAD_CODE: 'BAD_CODE',
  BAD_ABI: 'BAD_ABI',
  BAD_DEPLOY: 'BAD_DEPLOY',
  CONTRACT_EXISTS: 'CONTRACT_EXISTS',
  UNSUPPORTED_KIND: 'UNSUPPORTED_KIND',
  /** A bug in the VM itself; the call still fails deterministically and writes nothing. */
  INTERNAL_ERROR: 'INTERNAL_ERROR',
} as const
export type VmErrorCode = (typeof VmErrorCode)[keyof typeof VmErrorCode]

export class VmError extends Error {
  readonly code: VmErrorCode
  constructor(code: VmErrorCode, message: string) {
    super(message)
    this.name = 'VmError'
    this.code = code
  }
}

export function isVmError(e: unknown, code?: VmErrorCode): e is VmError {
  return e instanceof VmError && (code === undefined || e.code === code)
}
