/**
 * Typed errors of the benchmark harness. A benchmark that measures a wrong answer is worse than
 * none, so every verification failure is a `VERIFY_FAILED` with the step that failed; the
 * medchain driver that is not wired yet is a `DRIVER_NOT_WIRED`, never a silent skip.
 */
import { CodedError } from '../core/errors.ts'
export const BenchErrorCode = {
  BAD_OPTION: 'BAD_OPTION',
  UNKNOWN_CHAIN: 'UNKNOWN_CHAIN',
  DRIVER_NOT_WIRED: 'DRIVER_NOT_WIRED',
  VERIFY_FAILED: 'VERIFY_FAILED',
  IMAGE_GENERATION_FAILED: 'IMAGE_GENERATION_FAILED',
  INSTALL_FAILED: 'INSTALL_FAILED',
  CHAIN_START_FAILED: 'CHAIN_START_FAILED',
  CHAIN_CALL_FAILED: 'CHAIN_CALL_FAILED',
} as const
export type BenchErrorCode = (typeof BenchErrorCode)[keyof typeof BenchErrorCode]

export class BenchError extends CodedError<BenchErrorCode> {
  override readonly name = 'BenchError'
}

export function isBenchError(e: unknown, code?: BenchErrorCode): e is BenchError {
  return e instanceof BenchError && (code === undefined || e.code === code)
}
