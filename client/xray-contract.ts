/**
 * The paper's patient contract (`xr`, shared/spec/paper.md) as the client sees it: method names,
 * argument shapes and return decoding, in one place so a change of the contract touches one file.
 *
 * Value forms follow vm/values.ts: an `address` argument is a 20-byte Uint8Array, a struct comes
 * back as the array of its fields in declaration order (contracts-dsl/contracts/xray.ts;
 * xray-contract.test.ts checks these layouts against the compiled contract's ABI). Personal fields (birthday, contact) are
 * stored as sealed envelopes (client/personal-data.ts), i.e. bytes; a contract that still stores
 * them as strings is read as clear text.
 */
import type { CanonicalValue } from '../core/encoding.ts'
import { formatAddress, parseAddress } from '../core/keys.ts'
import { ClientError, ClientErrorCode } from './errors.ts'

export const XrayMethod = {
  setPermission: 'setPermission',
  removePermission: 'removePermission',
  setXrayhash: 'setXrayhash',
  getXrayhashCount: 'getXrayhashCount',
  getXrayhash: 'getXrayhash',
  findXrayhash: 'findXrayhash',
  setBirthday: 'setBirthday',
  setContact: 'setContact',
  profile: 'profile',
} as const

/** The contract's user-type enum: the paper gives doctor = 1; the other values are this project's. */
export const XrayUserType: Readonly<Record<string, number>> = { doctor: 1, host: 2, patient: 3 }

/** Personal field names: the method that sets each, and the context name its envelope is sealed under. */
export const PERSONAL_FIELDS = {
  birthday: { method: XrayMethod.setBirthday, field: 'birthday' },
  contact: { method: XrayMethod.setContact, field: 'contact' },
} as const
export type PersonalFieldName = keyof typeof PERSONAL_FIELDS

/** The contract's XrayRecord struct. */
export interface XrayRecord {
  readonly index: number
  /** The recording doctor's address (`mc…`). */
  readonly doctor: string
  readonly doctorName: string
  readonly part: string
  readonly hash: string
  /** Block height and time (ms since the Unix epoch) of the record. */
  readonly height: number
  readonly time: number
}

/** Field order of the XrayRecord struct as the contract returns it. */
export const XRAY_RECORD_FIELDS = ['index', 'doctor', 'doctorName', 'part', 'hash', 'height', 'time'] as const
/** Field order of the Profile struct as the contract returns it. */
export const PROFILE_FIELDS = ['name', 'age', 'gender', 'bloodType', 'birthday', 'contact'] as const

export interface XrayProfile {
  readonly name: string
  readonly age: number
  /** The paper's two small constructor codes (its `0, 1`). */
  readonly gender: number
  readonly bloodType: number
  /** A sealed envelope (bytes), clear text (string), or null when unset. */
  readonly birthday: Uint8Array | string | null
  readonly contact: Uint8Array | string | null
}

export function userTypeOf(role: string): number {
  if (/^\d+$/.test(role)) return Number(role)
  const t = XrayUserType[role]
  if (t === undefined) throw new ClientError(ClientErrorCode.BAD_ARGUMENT, `unknown role '${role}' (expected ${Object.keys(XrayUserType).join(', ')} or a number)`)
  return t
}

export const grantArgs = (user: string, name: string, userType: number): CanonicalValue[] => [parseAddress(user), name, userType, true]
export const revokeArgs = (user: string): CanonicalValue[] => [parseAddress(user)]
export const recordArgs = (part: string, sha256Hex: string): CanonicalValue[] => [part, sha256Hex]

const badReturn = (what: string): never => {
  throw new ClientError(ClientErrorCode.BAD_RESPONSE, `unexpected return value of ${what}`)
}

export function parseXrayRecord(v: CanonicalValue): XrayRecord {
  if (!Array.isArray(v) || v.length !== XRAY_RECORD_FIELDS.length) return badReturn('getXrayhash')
  const [index, doctor, doctorName, part, hash, height, time] = v as CanonicalValue[]
  if (!(doctor instanceof Uint8Array) || doctor.length !== 20 || typeof doctorName !== 'string' || typeof part !== 'string' || typeof hash !== 'string') return badReturn('getXrayhash')
  return {
    index: parseCount(index!), doctor: formatAddress(doctor), doctorName, part, hash,
    height: parseCount(height!), time: parseCount(time!),
  }
}

export function parseXrayRecords(v: CanonicalValue): XrayRecord[] {
  if (!Array.isArray(v)) return badReturn('findXrayhash')
  return (v as CanonicalValue[]).map(parseXrayRecord)
}

export function parseCount(v: CanonicalValue): number {
  const n = typeof v === 'bigint' ? Number(v) : v
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) return badReturn('getXrayhashCount')
  return n as number
}

export function parseProfile(v: CanonicalValue): XrayProfile {
  if (!Array.isArray(v) || v.length !== PROFILE_FIELDS.length || typeof v[0] !== 'string') return badReturn('profile')
  const personal = (x: CanonicalValue | undefined): Uint8Array | string | null => {
    if (x instanceof Uint8Array) return x.length === 0 ? null : x
    if (typeof x === 'string') return x === '' ? null : x
    return null
  }
  return {
    name: v[0] as string, age: parseCount(v[1] as CanonicalValue), gender: parseCount(v[2] as CanonicalValue),
    bloodType: parseCount(v[3] as CanonicalValue), birthday: personal(v[4]), contact: personal(v[5]),
  }
}
