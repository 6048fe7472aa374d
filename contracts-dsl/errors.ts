/**
 * Typed errors of the contract compiler. Every refusal points at the contract source:
 * `file:line:col: message`, with a stable code.
 */
export const CompileErrorCode = {
  /** A construct outside the contract subset (Date, eval, classes, floats, …). */
  NOT_ALLOWED: 'NOT_ALLOWED',
  /** The TypeScript type checker refused the source. */
  TYPE_ERROR: 'TYPE_ERROR',
  /** A type the VM cannot represent (any, unions, optional fields, …). */
  UNSUPPORTED_TYPE: 'UNSUPPORTED_TYPE',
  /** A size or nesting limit of the IR. */
  LIMIT_EXCEEDED: 'LIMIT_EXCEEDED',
  /** The contract as a whole is malformed (duplicate names, bad constructor, …). */
  BAD_CONTRACT: 'BAD_CONTRACT',
} as const
export type CompileErrorCode = (typeof CompileErrorCode)[keyof typeof CompileErrorCode]

export class CompileError extends Error {
  readonly code: CompileErrorCode
  readonly file: string
  readonly line: number
  readonly column: number
  readonly reason: string
  constructor(code: CompileErrorCode, file: string, line: number, column: number, reason: string) {
    super(`${file}:${line}:${column}: ${reason}`)
    this.name = 'CompileError'
    this.code = code
    this.file = file
    this.line = line
    this.column = column
    this.reason = reason
  }
}

export function isCompileError(e: unknown, code?: CompileErrorCode): e is CompileError {
  return e instanceof CompileError && (code === undefined || e.code === code)
}
