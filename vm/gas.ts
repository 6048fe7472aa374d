/**
 * The gas schedule and the VM's hard limits. Both are consensus rules: every node must run the
 * same numbers, so the defaults here are the chain's; overriding them is for tests only.
 *
 * Gas is charged per IR node evaluated, per byte of storage read and written, per byte of event
 * data emitted, per character/element of memory produced, and per byte of call input and output.
 */
export interface GasSchedule {
  /** Every IR node evaluated (loop iterations included). */
  readonly node: number
  /** An internal function call (on top of its nodes). */
  readonly call: number
  /** A builtin (on top of its per-byte cost). */
  readonly builtin: number
  /** Per 8 characters / bytes a builtin or concatenation produces or scans. */
  readonly perWord: number
  /** Per element of a struct or array built. */
  readonly perElement: number
  readonly storageRead: number
  readonly storageReadPerByte: number
  readonly storageWrite: number
  readonly storageWritePerByte: number
  readonly emit: number
  readonly emitPerByte: number
  /** A transaction's or read-only call's fixed cost, and per byte of encoded arguments. */
  readonly callBase: number
  readonly callPerArgByte: number
  /** Per byte of the encoded return value. */
  readonly returnPerByte: number
  /** Loading a contract's code (fixed, independent of the node's code cache). */
  readonly codeLoad: number
  readonly deployBase: number
  /** Per byte of the stored code record (IR + ABI + source). */
  readonly deployPerByte: number
  readonly sha256: number
}

export const DEFAULT_GAS: GasSchedule = {
  node: 1,
  call: 10,
  builtin: 5,
  perWord: 1,
  perElement: 1,
  storageRead: 100,
  storageReadPerByte: 1,
  storageWrite: 500,
  storageWritePerByte: 5,
  emit: 100,
  emitPerByte: 2,
  callBase: 1_000,
  callPerArgByte: 2,
  returnPerByte: 1,
  codeLoad: 200,
  deployBase: 20_000,
  deployPerByte: 10,
  sha256: 30,
}

export interface VmLimits {
  /** Nested internal calls. With `maxNodeDepth` this bounds the host stack the VM can use. */
  readonly maxCallDepth: number
  /** Nesting depth of IR nodes (checked at deploy). */
  readonly maxNodeDepth: number
  /** Cumulative characters/elements/bytes a call may allocate. */
  readonly maxMemory: number
  readonly maxStringLength: number
  readonly maxBytesLength: number
  readonly maxArrayLength: number
  /** Encoded size of one stored value. */
  readonly maxValueBytes: number
  /** Encoded size of a call's arguments and of its return value. */
  readonly maxArgBytes: number
  readonly maxReturnBytes: number
  readonly maxEvents: number
  /** Length of a `require` message kept in the receipt. */
  readonly maxErrorMessage: number
  readonly maxCodeBytes: number
}

export const DEFAULT_LIMITS: VmLimits = {
  maxCallDepth: 16,
  maxNodeDepth: 64,
  maxMemory: 16 * 1024 * 1024,
  maxStringLength: 64 * 1024,
  maxBytesLength: 64 * 1024,
  maxArrayLength: 4096,
  maxValueBytes: 64 * 1024,
  maxArgBytes: 64 * 1024,
  maxReturnBytes: 64 * 1024,
  maxEvents: 256,
  maxErrorMessage: 1024,
  maxCodeBytes: 128 * 1024,
}
