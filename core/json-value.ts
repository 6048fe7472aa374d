/**
 * The JSON form of canonical values, used by the JSON-RPC wire contract (node/rpc and
 * client/rpc-client): JSON has no bytes and no integers beyond 2^53, so two tagged objects carry
 * them.
 *
 *   string → string            safe integer → number         null / true / false → as is
 *   bigint → {"$bigint": "123"} bytes → {"$bytes": "0x…"}    array → array
 *
 * The mapping is a bijection on the canonical value model: `fromJsonValue(toJsonValue(v))`
 * gives back `v` (a bigint stays a bigint even when small, because the canonical encoding keeps
 * the two apart). Input is never trusted: anything outside the model (floats, -0, unsafe
 * integers, other objects, extra keys, non-canonical bigint text, odd or unprefixed hex, nesting
 * deeper than the encoder allows) is refused with a CoreError BAD_SHAPE whose message names the
 * offending path, e.g. `args[2].$bytes: ...`.
 */
import { MAX_DEPTH, type CanonicalValue } from './encoding.ts'
import { CoreError, CoreErrorCode } from './errors.ts'
import { toHex } from './hex.ts'

export type JsonValue =
  | null
  | boolean
  | number
  | string
  | { readonly $bigint: string }
  | { readonly $bytes: string }
  | readonly JsonValue[]

const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n
/** Decimal without leading zeros or plus sign; "-0" is not canonical. */
const BIGINT_RE = /^(0|-?[1-9][0-9]*)$/
/** 0x-prefixed, even length; upper-case digits are accepted on input, output is lower-case. */
const BYTES_RE = /^0x([0-9a-fA-F]{2})*$/

/** Maps a canonical value to its JSON form. @throws CoreError BAD_SHAPE for values outside the model. */
export function toJsonValue(value: CanonicalValue, path = 'value', depth = 0): JsonValue {
  if (depth > MAX_DEPTH) throw bad(path, `nesting deeper than ${MAX_DEPTH}`)
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return value
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || Object.is(value, -0)) throw bad(path, `number ${value} is not a safe integer`)
    return value
  }
  if (typeof value === 'bigint') {
    if (value < INT64_MIN || value > INT64_MAX) throw bad(path, 'bigint outside signed 64-bit range')
    return { $bigint: value.toString() }
  }
  if (value instanceof Uint8Array) return { $bytes: toHex(value) }
  if (Array.isArray(value)) return value.map((item, i) => toJsonValue(item, `${path}[${i}]`, depth + 1))
  throw bad(path, `type ${typeof value} is not a canonical value`)
}

/**
 * Maps parsed JSON (untrusted) to a canonical value.
 * @throws CoreError BAD_SHAPE naming the offending path.
 */
export function fromJsonValue(json: unknown, path = 'value', depth = 0): CanonicalValue {
  if (depth > MAX_DEPTH) throw bad(path, `nesting deeper than ${MAX_DEPTH}`)
  if (json === null || typeof json === 'boolean' || typeof json === 'string') return json
  if (typeof json === 'number') {
    if (!Number.isSafeInteger(json) || Object.is(json, -0)) {
      throw bad(path, `number ${json} is not a safe integer (use {"$bigint": "…"} for 64-bit values)`)
    }
    return json
  }
  if (Array.isArray(json)) return json.map((item, i) => fromJsonValue(item, `${path}[${i}]`, depth + 1))
  if (typeof json === 'object' && Object.getPrototypeOf(json) === Object.prototype) {
    const keys = Object.keys(json)
    if (keys.length === 1 && keys[0] === '$bigint') return parseBigint((json as { $bigint: unknown }).$bigint, `${path}.$bigint`)
    if (keys.length === 1 && keys[0] === '$bytes') return parseBytes((json as { $bytes: unknown }).$bytes, `${path}.$bytes`)
    throw bad(path, `an object must be {"$bigint": "…"} or {"$bytes": "0x…"}, got keys [${keys.slice(0, 5).join(', ')}]`)
  }
  throw bad(path, `type ${typeof json} is not a JSON value`)
}

/** Maps a list of JSON values (e.g. call arguments); `path` names the list in errors. */
export function fromJsonValues(json: unknown, path = 'values'): CanonicalValue[] {
  if (!Array.isArray(json)) throw bad(path, 'expected an array')
  return json.map((item, i) => fromJsonValue(item, `${path}[${i}]`, 1))
}

function parseBigint(text: unknown, path: string): bigint {
  if (typeof text !== 'string' || text.length > 20 || !BIGINT_RE.test(text)) {
    throw bad(path, 'expected a canonical decimal integer string')
  }
  const value = BigInt(text)
  if (value < INT64_MIN || value > INT64_MAX) throw bad(path, 'bigint outside signed 64-bit range')
  return value
}

function parseBytes(text: unknown, path: string): Uint8Array {
  if (typeof text !== 'string' || !BYTES_RE.test(text)) throw bad(path, 'expected 0x-prefixed hex of even length')
  return new Uint8Array(Buffer.from(text.slice(2), 'hex'))
}

function bad(path: string, detail: string): CoreError {
  return new CoreError(CoreErrorCode.BAD_SHAPE, `${path}: ${detail}`, { path })
}
