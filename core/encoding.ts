/**
 * Canonical encoding: every value that is hashed or signed encodes to exactly one byte string.
 *
 * The wire format is MessagePack (msgpackr) restricted to a small value model:
 *   null | boolean | safe integer (number) | bigint (signed 64-bit) | string | bytes | array
 * Records are arrays with a fixed field order; maps and objects are not allowed, so key order
 * can never change a hash. msgpackr always picks the same (shortest) form for a value, and the
 * decoder enforces the converse: after decoding, the value is re-encoded and must give back the
 * input byte for byte. That rejects alternative encodings (a 5 written as int64, trailing bytes,
 * a float where an integer was expected) instead of hashing them differently on two nodes.
 *
 * Decoding never trusts the input: it is size-capped before parsing, depth-capped after, and
 * every failure is a CoreError with a DECODE_* code.
 */
import { Packr } from 'msgpackr'
import { CoreError, CoreErrorCode } from './errors.ts'

export type CanonicalValue = null | boolean | number | bigint | string | Uint8Array | readonly CanonicalValue[]

const packr = new Packr({
  useRecords: false,
  moreTypes: false,
  structuredClone: false,
  int64AsType: 'bigint',
  mapsAsObjects: true,
  bundleStrings: false,
  encodeUndefinedAsNil: false,
  useTimestamp32: false,
} as ConstructorParameters<typeof Packr>[0])

export const MAX_DECODE_BYTES_DEFAULT = 4 * 1024 * 1024
export const MAX_DEPTH = 32
const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n
/** With the `u` flag a valid surrogate pair is one code point, so this matches lone surrogates only. */
const LONE_SURROGATE = /\p{Surrogate}/u

/** Checks that `value` is in the canonical value model; throws DECODE_BAD_TYPE / DECODE_TOO_DEEP. */
export function assertCanonicalValue(value: unknown, depth = 0): asserts value is CanonicalValue {
  if (depth > MAX_DEPTH) throw new CoreError(CoreErrorCode.DECODE_TOO_DEEP, `nesting deeper than ${MAX_DEPTH}`)
  if (value === null || typeof value === 'boolean') return
  if (typeof value === 'string') {
    // A lone UTF-16 surrogate has no UTF-8 form: msgpackr writes U+FFFD instead, so two
    // different strings would share one encoding (and one hash). Refuse it.
    if (LONE_SURROGATE.test(value)) throw new CoreError(CoreErrorCode.DECODE_BAD_TYPE, 'string is not well-formed UTF-16 (lone surrogate)')
    return
  }
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || Object.is(value, -0)) {
      throw new CoreError(CoreErrorCode.DECODE_BAD_TYPE, `number ${value} is not a safe integer`)
    }
    return
  }
  if (typeof value === 'bigint') {
    if (value < INT64_MIN || value > INT64_MAX) {
      throw new CoreError(CoreErrorCode.DECODE_BAD_TYPE, 'bigint outside signed 64-bit range')
    }
    return
  }
  if (value instanceof Uint8Array) return
  if (Array.isArray(value)) {
    for (const item of value) assertCanonicalValue(item, depth + 1)
    return
  }
  throw new CoreError(CoreErrorCode.DECODE_BAD_TYPE, `type ${describe(value)} is not allowed in canonical encoding`)
}

function describe(v: unknown): string {
  if (v === undefined) return 'undefined'
  if (v instanceof Map) return 'Map'
  if (typeof v === 'object') return v?.constructor?.name ?? 'object'
  return typeof v
}

/** Encodes a canonical value. Throws DECODE_BAD_TYPE for values outside the model. */
export function encode(value: CanonicalValue): Uint8Array {
  assertCanonicalValue(value)
  return packr.pack(value)
}

/** Encodes without re-checking the value model: for hot paths whose values are built by this code. */
export function encodeTrusted(value: CanonicalValue): Uint8Array {
  return packr.pack(value)
}

/**
 * Decodes bytes produced by `encode`. Bytes come back as Uint8Array (msgpackr's Buffer is one).
 * @throws CoreError DECODE_EMPTY, DECODE_TOO_LARGE, DECODE_MALFORMED, DECODE_BAD_TYPE,
 *   DECODE_TOO_DEEP, DECODE_NOT_CANONICAL
 */
export function decode(bytes: Uint8Array, maxBytes = MAX_DECODE_BYTES_DEFAULT): CanonicalValue {
  if (!(bytes instanceof Uint8Array)) throw new CoreError(CoreErrorCode.DECODE_BAD_TYPE, 'input is not bytes')
  if (bytes.length === 0) throw new CoreError(CoreErrorCode.DECODE_EMPTY, 'empty input')
  if (bytes.length > maxBytes) {
    throw new CoreError(CoreErrorCode.DECODE_TOO_LARGE, `${bytes.length} bytes exceeds the limit of ${maxBytes}`)
  }
  let value: unknown
  try {
    value = packr.unpack(bytes)
  } catch (e) {
    // msgpackr throws RangeError/Error for truncated or invalid input, and a RangeError on
    // pathological nesting (stack exhaustion): all mean "not a valid encoding".
    throw new CoreError(CoreErrorCode.DECODE_MALFORMED, `not valid MessagePack: ${(e as Error)?.message ?? e}`)
  }
  assertCanonicalValue(value)
  const again = packr.pack(value)
  if (!Buffer.from(again.buffer, again.byteOffset, again.byteLength).equals(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength))) {
    throw new CoreError(CoreErrorCode.DECODE_NOT_CANONICAL, 'input is not the canonical encoding of its value')
  }
  return value
}

// ---- shape checks used by every record decoder -------------------------------------------

export function shapeError(what: string, detail: string): CoreError {
  return new CoreError(CoreErrorCode.BAD_SHAPE, `${what}: ${detail}`)
}

export function asArray(v: CanonicalValue, length: number, what: string): readonly CanonicalValue[] {
  if (!Array.isArray(v)) throw shapeError(what, 'expected an array')
  if (v.length !== length) throw shapeError(what, `expected ${length} fields, got ${v.length}`)
  return v
}

export function asList(v: CanonicalValue | undefined, what: string, maxItems: number): readonly CanonicalValue[] {
  if (!Array.isArray(v)) throw shapeError(what, 'expected a list')
  if (v.length > maxItems) throw shapeError(what, `more than ${maxItems} items`)
  return v
}

export function asUint(v: CanonicalValue | undefined, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw shapeError(what, 'expected a non-negative integer')
  return v
}

export function asString(v: CanonicalValue | undefined, what: string, maxLength = 1024): string {
  if (typeof v !== 'string') throw shapeError(what, 'expected a string')
  if (v.length > maxLength) throw shapeError(what, `longer than ${maxLength} characters`)
  return v
}

export function asBytes(v: CanonicalValue | undefined, what: string, length?: number): Uint8Array {
  if (!(v instanceof Uint8Array)) throw shapeError(what, 'expected bytes')
  if (length !== undefined && v.length !== length) throw shapeError(what, `expected ${length} bytes, got ${v.length}`)
  // Normalise msgpackr's Buffer views to plain Uint8Array copies so callers never alias input.
  return new Uint8Array(v)
}
