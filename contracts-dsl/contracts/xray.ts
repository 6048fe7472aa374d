/**
 * The X-ray fingerprint contract: the paper's `xr` contract in the medchain DSL, one instance
 * per patient, with the paper's gaps closed.
 *
 * - Roles are an enum; gov (set at deploy) grants and revokes them; the deploying hospital is
 *   the host. Gov's own permission cannot be changed, so the contract can never be orphaned.
 * - A permitted doctor records (part, SHA-256 fingerprint); the record keeps the doctor's
 *   address and name, the body part, the fingerprint, and the block height and time.
 * - Fingerprint → records is one call (`findXrayhash`), not a scan.
 * - Birthday and contact are opaque bytes: the client encrypts them (X25519 + AES-GCM) before
 *   sending; the contract stores ciphertext and never needs the clear text.
 * - Reads are not restricted: every node holds the state, so a read check would be advisory;
 *   privacy comes from client-side encryption (see README.md).
 */
import {
  type Address, type Bytes, value, mapping, list, multimap, event, require, caller, blockHeight, blockTime, isHexString, toLowerCase,
} from '../api.ts'

export enum Role {
  None = 0,
  Doctor = 1,
  Host = 2,
  Patient = 3,
  Gov = 4,
}

export interface Permission {
  readonly name: string
  readonly role: Role
  readonly allowed: boolean
}

export interface XrayRecord {
  readonly index: number
  readonly doctor: Address
  readonly doctorName: string
  readonly part: string
  readonly hash: string
  readonly height: number
  readonly time: number
}

export interface Profile {
  readonly name: string
  readonly age: number
  readonly gender: number
  readonly bloodType: number
  /** Ciphertext written by the host (empty until set). */
  readonly birthday: Bytes
  readonly contact: Bytes
}

interface PermissionChangedEvent {
  readonly user: Address
  readonly name: string
  readonly role: Role
  readonly allowed: boolean
}
interface PermissionRemovedEvent {
  readonly user: Address
}
interface XrayRecordedEvent {
  readonly index: number
  readonly doctor: Address
  readonly part: string
  readonly hash: string
}
interface ProfileUpdatedEvent {
  readonly field: string
}

const MAX_NAME = 64
const MAX_PART = 32
const MAX_CIPHERTEXT = 1024
const FINGERPRINT_HEX = 64

const patientName = value<string>()
const patientAge = value<number>()
const gender = value<number>()
const bloodType = value<number>()
const birthday = value<Bytes>()
const contact = value<Bytes>()
const gov = value<Address>()
const permissions = mapping<Address, Permission>()
const records = list<XrayRecord>()
const recordsByHash = multimap<string, number>()

const PermissionChanged = event<PermissionChangedEvent>()
const PermissionRemoved = event<PermissionRemovedEvent>()
const XrayRecorded = event<XrayRecordedEvent>()
const ProfileUpdated = event<ProfileUpdatedEvent>()

/** The paper deploys with ('Ken', gov, 25, 0, 1): name, gov, age and two small codes. */
export function init(name: string, govAddress: Address, age: number, genderCode: number, bloodTypeCode: number): void {
  require(name.length > 0 && name.length <= MAX_NAME, 'name must be 1 to 64 characters')
  require(age >= 0 && age <= 150, 'age must be 0 to 150')
  require(genderCode >= 0 && genderCode <= 255 && bloodTypeCode >= 0 && bloodTypeCode <= 255, 'codes must be 0 to 255')
  patientName.set(name)
  patientAge.set(age)
  gender.set(genderCode)
  bloodType.set(bloodTypeCode)
  gov.set(govAddress)
  permissions.set(govAddress, { name: 'gov', role: Role.Gov, allowed: true })
  if (caller() !== govAddress) {
    permissions.set(caller(), { name: 'host', role: Role.Host, allowed: true })
  }
}

function hasRole(user: Address, role: Role): boolean {
  const p = permissions.get(user)
  return p.allowed && p.role === role
}

function requireGov(): void {
  require(caller() === gov.get(), 'only gov may change permissions')
}

export function setPermission(user: Address, name: string, role: Role, allowed: boolean): void {
  requireGov()
  require(user !== gov.get(), "gov's own permission cannot be changed")
  require(role === Role.Doctor || role === Role.Host || role === Role.Patient, 'role must be doctor, host or patient')
  require(name.length > 0 && name.length <= MAX_NAME, 'name must be 1 to 64 characters')
  permissions.set(user, { name, role, allowed })
  PermissionChanged.emit({ user, name, role, allowed })
}

export function removePermission(user: Address): void {
  requireGov()
  require(user !== gov.get(), "gov's own permission cannot be removed")
  require(permissions.has(user), 'the user has no permission')
  permissions.remove(user)
  PermissionRemoved.emit({ user })
}

export function getPermission(user: Address): Permission {
  return permissions.get(user)
}

export function getGov(): Address {
  return gov.get()
}

/** Records an X-ray fingerprint; returns the record's index. */
export function setXrayhash(part: string, hash: string): number {
  const doctor = caller()
  const p = permissions.get(doctor)
  require(p.allowed && p.role === Role.Doctor, 'only a permitted doctor may record an X-ray hash')
  require(part.length > 0 && part.length <= MAX_PART, 'part must be 1 to 32 characters')
  require(isHexString(hash, FINGERPRINT_HEX), 'hash must be 64 hex characters (a SHA-256 fingerprint)')
  const fingerprint = toLowerCase(hash)
  const index = records.length()
  records.push({ index, doctor, doctorName: p.name, part, hash: fingerprint, height: blockHeight(), time: blockTime() })
  recordsByHash.push(fingerprint, index)
  XrayRecorded.emit({ index, doctor, part, hash: fingerprint })
  return index
}

export function getXrayhashCount(): number {
  return records.length()
}

export function getXrayhash(index: number): XrayRecord {
  require(index >= 0 && index < records.length(), 'index out of range')
  return records.get(index)
}

/** Was this image recorded, by whom, when? Every record of the fingerprint, oldest first. */
export function findXrayhash(hash: string): XrayRecord[] {
  require(isHexString(hash, FINGERPRINT_HEX), 'hash must be 64 hex characters (a SHA-256 fingerprint)')
  const fingerprint = toLowerCase(hash)
  const found: XrayRecord[] = []
  const n = recordsByHash.count(fingerprint)
  for (let i = 0; i < n; i++) {
    found.push(records.get(recordsByHash.get(fingerprint, i)))
  }
  return found
}

export function profile(): Profile {
  return { name: patientName.get(), age: patientAge.get(), gender: gender.get(), bloodType: bloodType.get(), birthday: birthday.get(), contact: contact.get() }
}

/** `ciphertext`: the birthday encrypted by the client; the contract never sees it in clear. */
export function setBirthday(ciphertext: Bytes): void {
  require(hasRole(caller(), Role.Host), 'only the host may set personal data')
  require(ciphertext.length > 0 && ciphertext.length <= MAX_CIPHERTEXT, 'ciphertext must be 1 to 1024 bytes')
  birthday.set(ciphertext)
  ProfileUpdated.emit({ field: 'birthday' })
}

export function setContact(ciphertext: Bytes): void {
  require(hasRole(caller(), Role.Host), 'only the host may set personal data')
  require(ciphertext.length > 0 && ciphertext.length <= MAX_CIPHERTEXT, 'ciphertext must be 1 to 1024 bytes')
  contact.set(ciphertext)
  ProfileUpdated.emit({ field: 'contact' })
}
