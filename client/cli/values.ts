/**
 * Contract values on the command line and back.
 *
 * An argument is read as: an address (`mc` + 40 hex → 20 bytes, the VM's address form), else
 * JSON in the wire's value form (`25`, `true`, `"text"`, `{"$bytes":"0x…"}`, `{"$bigint":"…"}`,
 * `[…]`), else the raw text as a string. So `setXrayhash chest 16c8…` needs no quoting.
 */
import { assertCanonicalValue, type CanonicalValue } from '../../core/encoding.ts'
import { toHex } from '../../core/hex.ts'
import { fromJsonValue } from '../../core/json-value.ts'
import { parseAddress } from '../../core/keys.ts'
import { ClientError, ClientErrorCode } from '../errors.ts'

const ADDRESS_RE = /^mc[0-9a-fA-F]{40}$/

export function parseCliValue(text: string, what = 'argument'): CanonicalValue {
  if (ADDRESS_RE.test(text)) return parseAddress(text.toLowerCase())
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    return text
  }
  try {
    return fromJsonValue(json, what)
  } catch (e) {
    throw new ClientError(ClientErrorCode.BAD_ARGUMENT, (e as Error).message.replace(/^BAD_SHAPE: /, ''))
  }
}

/** A JSON array of arguments (`--args '["Ken", 25]'`). */
export function parseCliValueList(text: string, what = 'args'): CanonicalValue[] {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    throw new ClientError(ClientErrorCode.BAD_ARGUMENT, `${what} must be a JSON array`)
  }
  if (!Array.isArray(json)) throw new ClientError(ClientErrorCode.BAD_ARGUMENT, `${what} must be a JSON array`)
  return json.map((item, i) => (typeof item === 'string' && ADDRESS_RE.test(item) ? parseAddress(item.toLowerCase()) : toCanonical(item, `${what}[${i}]`)))
}

/** A value from the RPC client, in JSON form or already decoded, as a canonical value. */
export function toCanonical(value: unknown, what = 'value'): CanonicalValue {
  if (value instanceof Uint8Array || typeof value === 'bigint') return value
  if (Array.isArray(value) && value.some((v) => v instanceof Uint8Array || typeof v === 'bigint' || Array.isArray(v))) {
    return value.map((v, i) => toCanonical(v, `${what}[${i}]`))
  }
  try {
    return fromJsonValue(value, what)
  } catch {
    assertCanonicalValue(value)
    return value
  }
}

/** A human rendering: bytes as 0x hex, bigints with an n, lists in brackets, strings quoted inside lists. */
export function formatValue(v: CanonicalValue, nested = false): string {
  if (v === null) return 'null'
  if (v instanceof Uint8Array) return toHex(v)
  if (typeof v === 'bigint') return `${v}n`
  if (typeof v === 'string') return nested ? JSON.stringify(v) : v
  if (Array.isArray(v)) return `[${v.map((x) => formatValue(x, true)).join(', ')}]`
  return String(v)
}
