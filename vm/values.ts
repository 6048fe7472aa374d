/**
 * Values inside the VM and their canonical (wire / storage) form.
 *
 *   DSL type   inside the VM                    canonical form (args, returns, storage, events)
 *   int        safe-integer number              number (a bigint in the safe range is accepted)
 *   bool       boolean                          boolean
 *   string     string (well-formed UTF-16)      string
 *   bytes      Uint8Array                       Uint8Array
 *   address    40 lowercase hex chars (string)  20-byte Uint8Array
 *   enum       member value (number)            number
 *   struct     array of fields, in field order  array of fields, in field order
 *   array      array                            array
 *   void       undefined                        null
 *
 * Addresses are hex strings inside so that `===` and map keys work without byte compares.
 * Every conversion checks the value against its type, so values built by hand-crafted IR never
 * reach storage, events or receipts in a shape their type does not allow (TYPE_MISMATCH).
 */
import type { CanonicalValue } from '../core/encoding.ts'
import { VmError, VmErrorCode } from './errors.ts'
import type { VmLimits } from './gas.ts'
import { TypeTag, type IrModule } from './ir.ts'

export type VmType =
  | { readonly tag: typeof TypeTag.INT | typeof TypeTag.BOOL | typeof TypeTag.STRING | typeof TypeTag.BYTES | typeof TypeTag.ADDRESS | typeof TypeTag.VOID }
  | { readonly tag: typeof TypeTag.ENUM; readonly name: string; readonly values: ReadonlySet<number>; readonly first: number }
  | { readonly tag: typeof TypeTag.STRUCT; readonly name: string; readonly fields: readonly VmType[] }
  | { readonly tag: typeof TypeTag.ARRAY; readonly elem: VmType }

/** Resolves the IR's type table into linked type objects. */
export function resolveTypes(m: IrModule): VmType[] {
  const out: VmType[] = []
  for (const t of m.types) {
    switch (t.tag) {
      case TypeTag.ENUM: out.push({ tag: t.tag, name: t.name, values: new Set(t.values), first: t.values[0]! }); break
      case TypeTag.STRUCT: out.push({ tag: t.tag, name: t.name, fields: t.types.map((i) => out[i]!) }); break
      case TypeTag.ARRAY: out.push({ tag: t.tag, elem: out[t.elem]! }); break
      default: out.push({ tag: t.tag })
    }
  }
  return out
}

const ADDRESS_HEX_RE = /^[0-9a-f]{40}$/
/** A lone surrogate cannot be encoded as UTF-8 and would not survive storage. */
const LONE_SURROGATE_RE = /\p{Cs}/u

export const addressToHex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex')
export const hexToAddress = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'))
export const ZERO_ADDRESS_HEX = '0'.repeat(40)

export function isWellFormedString(s: string): boolean {
  return !LONE_SURROGATE_RE.test(s)
}

function mismatch(what: string, expected: string): never {
  throw new VmError(VmErrorCode.TYPE_MISMATCH, `${what}: expected ${expected}`)
}

/** Internal value → canonical form, checking it against `t`. */
export function toCanonical(t: VmType, v: unknown, limits: VmLimits, what: string): CanonicalValue {
  switch (t.tag) {
    case TypeTag.INT:
      if (typeof v !== 'number' || !Number.isSafeInteger(v)) mismatch(what, 'an integer')
      return v === 0 ? 0 : v
    case TypeTag.BOOL:
      if (typeof v !== 'boolean') mismatch(what, 'a boolean')
      return v
    case TypeTag.STRING:
      if (typeof v !== 'string' || v.length > limits.maxStringLength) mismatch(what, 'a string')
      return v
    case TypeTag.BYTES:
      if (!(v instanceof Uint8Array) || v.length > limits.maxBytesLength) mismatch(what, 'bytes')
      return v
    case TypeTag.ADDRESS:
      if (typeof v !== 'string' || !ADDRESS_HEX_RE.test(v)) mismatch(what, 'an address')
      return hexToAddress(v)
    case TypeTag.ENUM:
      if (typeof v !== 'number' || !t.values.has(v)) mismatch(what, `a ${t.name} value`)
      return v
    case TypeTag.STRUCT: {
      if (!Array.isArray(v) || v.length !== t.fields.length) mismatch(what, `a ${t.name}`)
      const out = new Array<CanonicalValue>(v.length)
      for (let i = 0; i < v.length; i++) out[i] = toCanonical(t.fields[i]!, v[i], limits, what)
      return out
    }
    case TypeTag.ARRAY: {
      if (!Array.isArray(v) || v.length > limits.maxArrayLength) mismatch(what, 'an array')
      const out = new Array<CanonicalValue>(v.length)
      for (let i = 0; i < v.length; i++) out[i] = toCanonical(t.elem, v[i], limits, what)
      return out
    }
    case TypeTag.VOID:
      return null
  }
}

/** Canonical value → internal value, checking it against `t` (call arguments, storage reads). */
export function fromCanonical(t: VmType, v: CanonicalValue | undefined, limits: VmLimits, what: string): unknown {
  switch (t.tag) {
    case TypeTag.INT:
      if (typeof v === 'number' && Number.isSafeInteger(v)) return v === 0 ? 0 : v
      if (typeof v === 'bigint' && v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(v)
      return mismatch(what, 'a safe integer')
    case TypeTag.BOOL:
      if (typeof v !== 'boolean') mismatch(what, 'a boolean')
      return v
    case TypeTag.STRING:
      if (typeof v !== 'string' || v.length > limits.maxStringLength || !isWellFormedString(v)) mismatch(what, `a well-formed string of at most ${limits.maxStringLength} characters`)
      return v
    case TypeTag.BYTES:
      if (!(v instanceof Uint8Array) || v.length > limits.maxBytesLength) mismatch(what, `bytes (at most ${limits.maxBytesLength})`)
      // Decoders hand out Buffer views; contracts and receipts see plain Uint8Array copies.
      return Object.getPrototypeOf(v) === Uint8Array.prototype ? v : new Uint8Array(v)
    case TypeTag.ADDRESS:
      if (!(v instanceof Uint8Array) || v.length !== 20) mismatch(what, 'a 20-byte address')
      return addressToHex(v)
    case TypeTag.ENUM:
      if (typeof v !== 'number' || !t.values.has(v)) mismatch(what, `a ${t.name} value`)
      return v
    case TypeTag.STRUCT: {
      if (!Array.isArray(v) || v.length !== t.fields.length) mismatch(what, `a ${t.name} (${t.fields.length} fields in order)`)
      const out = new Array<unknown>(v.length)
      for (let i = 0; i < v.length; i++) out[i] = fromCanonical(t.fields[i]!, v[i], limits, what)
      return out
    }
    case TypeTag.ARRAY: {
      if (!Array.isArray(v) || v.length > limits.maxArrayLength) mismatch(what, `an array of at most ${limits.maxArrayLength} items`)
      const out = new Array<unknown>(v.length)
      for (let i = 0; i < v.length; i++) out[i] = fromCanonical(t.elem, v[i], limits, what)
      return out
    }
    case TypeTag.VOID:
      if (v !== null && v !== undefined) mismatch(what, 'nothing')
      return undefined
  }
}

/** The value an unset storage entry reads as (a fresh object each time: arrays are mutable). */
export function defaultValue(t: VmType): unknown {
  switch (t.tag) {
    case TypeTag.INT: return 0
    case TypeTag.BOOL: return false
    case TypeTag.STRING: return ''
    case TypeTag.BYTES: return new Uint8Array(0)
    case TypeTag.ADDRESS: return ZERO_ADDRESS_HEX
    case TypeTag.ENUM: return t.first
    case TypeTag.STRUCT: return t.fields.map(defaultValue)
    case TypeTag.ARRAY: return []
    case TypeTag.VOID: return undefined
  }
}
