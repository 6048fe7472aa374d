/**
 * Personal data (birthday, contact) sealed before it leaves the hospital, so the ledger that
 * every node copies holds only ciphertext that the patient and the writing hospital can open.
 * The paper stored these fields in clear; privacy law forbids that (see shared/spec/paper.md).
 *
 * Envelope (canonical encoding, core/encoding.ts, stored as bytes by the contract):
 *   ['medchain/pd', 1, ephemeralPublicKey (X25519, 32), iv (12), ciphertext ‖ tag,
 *    [[recipientPublicKey (Ed25519, 32), wrapIv (12), wrappedContentKey ‖ tag (48)], …]]
 *
 * - A random 32-byte content key encrypts the plaintext with AES-256-GCM; the associated data
 *   binds the contract address, the field name, the ephemeral key and the recipient list, so a
 *   sealed birthday cannot be replayed as a contact, into another patient's contract, or with a
 *   recipient added or removed.
 * - For each recipient the content key is wrapped with AES-256-GCM under
 *   KEK = HKDF-SHA256(X25519(ephemeral, recipient), salt = ephemeralPub ‖ recipientX25519,
 *   info = 'medchain/pd-wrap' ‖ encode([contract, field])); recipients are named by their Ed25519
 *   public keys (the keys they already sign with), converted to X25519 with the birational map
 *   (RFC 7748 §4.1): noble's `toMontgomery` for a recipient's key when sealing; when opening,
 *   the recipient's own X25519 pair comes from its seed on node:crypto (./x25519.ts), so an
 *   open takes no BigInt arithmetic.
 * - X25519 itself runs on node:crypto (./x25519.ts, ~16x faster than noble here); the ephemeral
 *   secret never leaves OpenSSL. personal-data.test.ts opens an envelope sealed by the earlier
 *   noble implementation.
 * Recipient public keys are visible (who may read is not secret on a permissioned chain); the
 * data is not.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes, type KeyObject } from 'node:crypto'
import { ed25519 } from '@noble/curves/ed25519.js'
import { asArray, asBytes, asList, asUint, asString, decode, encode, type CanonicalValue } from '../core/encoding.ts'
import { bytesEqual, concatBytes, utf8 } from '../core/hex.ts'
import { assertValidPublicKey, publicKeyFromSecretKey, PUBLIC_KEY_LENGTH, SECRET_KEY_LENGTH } from '../core/keys.ts'
import { ClientError, ClientErrorCode } from './errors.ts'
import { generateX25519KeyPair, x25519PrivateKey, x25519PublicKeyOf, x25519SecretFromEd25519Seed, x25519SharedSecret } from './x25519.ts'

export const ENVELOPE_TAG = 'medchain/pd'
export const ENVELOPE_VERSION = 1
export const MAX_PERSONAL_PLAINTEXT = 4096
export const MAX_RECIPIENTS = 16
const IV_LENGTH = 12
const TAG_LENGTH = 16
const KEY_LENGTH = 32

/** Where a sealed field lives: it can only be opened for the same contract and field. */
export interface PersonalFieldContext {
  /** The patient contract's address (`mc…`). */
  readonly contract: string
  /** The field name, e.g. 'birthday' or 'contact'. */
  readonly field: string
}

export interface SealOptions {
  /** Ed25519 public keys of everyone who may read the field (the patient and the hospital). */
  readonly recipients: readonly Uint8Array[]
  readonly context: PersonalFieldContext
}

function contextRaw(ctx: PersonalFieldContext): CanonicalValue[] {
  if (typeof ctx?.contract !== 'string' || ctx.contract.length === 0 || typeof ctx.field !== 'string' || ctx.field.length === 0) {
    throw new ClientError(ClientErrorCode.BAD_ARGUMENT, 'a personal field needs a context {contract, field}')
  }
  return [ctx.contract.toLowerCase(), ctx.field]
}

function contentAad(ctx: CanonicalValue[], ephemeralPublic: Uint8Array, recipients: readonly Uint8Array[]): Uint8Array {
  return encode([ENVELOPE_TAG, ENVELOPE_VERSION, ...ctx, ephemeralPublic, [...recipients]])
}

function keyEncryptionKey(shared: Uint8Array, ephemeralPublic: Uint8Array, recipientX: Uint8Array, ctx: CanonicalValue[]): Uint8Array {
  const info = concatBytes(utf8.encode('medchain/pd-wrap'), encode(ctx))
  return new Uint8Array(hkdfSync('sha256', shared, concatBytes(ephemeralPublic, recipientX), info, KEY_LENGTH))
}

function gcmSeal(key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array {
  const c = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_LENGTH })
  c.setAAD(aad)
  return new Uint8Array(Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]))
}

/** null when authentication fails. */
function gcmOpen(key: Uint8Array, iv: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array | null {
  if (sealed.length < TAG_LENGTH) return null
  try {
    const d = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_LENGTH })
    d.setAAD(aad)
    d.setAuthTag(sealed.subarray(sealed.length - TAG_LENGTH))
    return new Uint8Array(Buffer.concat([d.update(sealed.subarray(0, sealed.length - TAG_LENGTH)), d.final()]))
  } catch {
    return null
  }
}

/**
 * Seals a personal field for its recipients; returns the canonical envelope bytes.
 * @throws ClientError BAD_ARGUMENT (no or too many recipients, duplicates, too long plaintext,
 *   missing context); CoreError BAD_PUBLIC_KEY for an invalid recipient key.
 */
export function sealPersonalField(plaintext: string | Uint8Array, options: SealOptions): Uint8Array {
  const data = typeof plaintext === 'string' ? utf8.encode(plaintext) : plaintext
  if (!(data instanceof Uint8Array)) throw new ClientError(ClientErrorCode.BAD_ARGUMENT, 'plaintext must be a string or bytes')
  if (data.length > MAX_PERSONAL_PLAINTEXT) throw new ClientError(ClientErrorCode.BAD_ARGUMENT, `personal field longer than ${MAX_PERSONAL_PLAINTEXT} bytes`)
  const ctx = contextRaw(options.context)
  const recipients = options.recipients
  if (!Array.isArray(recipients) || recipients.length === 0 || recipients.length > MAX_RECIPIENTS) {
    throw new ClientError(ClientErrorCode.BAD_ARGUMENT, `a personal field needs 1..${MAX_RECIPIENTS} recipients`)
  }
  const seen = new Set<string>()
  for (const pk of recipients) {
    assertValidPublicKey(pk)
    const id = Buffer.from(pk).toString('hex')
    if (seen.has(id)) throw new ClientError(ClientErrorCode.BAD_ARGUMENT, `recipient ${id} listed twice`)
    seen.add(id)
  }
  const ephemeral = generateX25519KeyPair()
  const ephemeralPublic = ephemeral.publicKey
  const contentKey = new Uint8Array(randomBytes(KEY_LENGTH))
  const iv = new Uint8Array(randomBytes(IV_LENGTH))
  const recipientKeys = recipients.map((pk) => new Uint8Array(pk))
  const ciphertext = gcmSeal(contentKey, iv, data, contentAad(ctx, ephemeralPublic, recipientKeys))
  const wrapped = recipientKeys.map((pk) => {
    const recipientX = ed25519.utils.toMontgomery(pk)
    const kek = keyEncryptionKey(x25519SharedSecret(ephemeral.privateKey, recipientX), ephemeralPublic, recipientX, ctx)
    const wrapIv = new Uint8Array(randomBytes(IV_LENGTH))
    return [pk, wrapIv, gcmSeal(kek, wrapIv, contentKey, pk)]
  })
  contentKey.fill(0)
  // A plain copy: the encoder's result is a view into its shared output buffer.
  return new Uint8Array(encode([ENVELOPE_TAG, ENVELOPE_VERSION, ephemeralPublic, iv, ciphertext, wrapped]))
}

export interface PersonalEnvelope {
  readonly ephemeralPublicKey: Uint8Array
  readonly iv: Uint8Array
  readonly ciphertext: Uint8Array
  readonly recipients: readonly { readonly publicKey: Uint8Array; readonly iv: Uint8Array; readonly wrappedKey: Uint8Array }[]
}

/** Decodes and shape-checks an envelope. @throws ClientError BAD_ENVELOPE */
export function decodePersonalEnvelope(bytes: Uint8Array): PersonalEnvelope {
  try {
    const r = asArray(decode(bytes, 64 * 1024), 6, 'envelope')
    if (asString(r[0], 'envelope.tag') !== ENVELOPE_TAG) throw new Error('not a personal-data envelope')
    const version = asUint(r[1], 'envelope.version')
    if (version !== ENVELOPE_VERSION) throw new Error(`unsupported envelope version ${version}`)
    const recipients = asList(r[5], 'envelope.recipients', MAX_RECIPIENTS).map((e) => {
      const w = asArray(e, 3, 'envelope.recipient')
      return {
        publicKey: asBytes(w[0], 'recipient.publicKey', PUBLIC_KEY_LENGTH),
        iv: asBytes(w[1], 'recipient.iv', IV_LENGTH),
        wrappedKey: asBytes(w[2], 'recipient.wrappedKey', KEY_LENGTH + TAG_LENGTH),
      }
    })
    if (recipients.length === 0) throw new Error('no recipients')
    return {
      ephemeralPublicKey: asBytes(r[2], 'envelope.ephemeralPublicKey', 32),
      iv: asBytes(r[3], 'envelope.iv', IV_LENGTH),
      ciphertext: asBytes(r[4], 'envelope.ciphertext'),
      recipients,
    }
  } catch (e) {
    throw new ClientError(ClientErrorCode.BAD_ENVELOPE, `not a valid personal-data envelope: ${(e as Error).message}`)
  }
}

/** The Ed25519 public keys that may open an envelope. @throws ClientError BAD_ENVELOPE */
export function personalFieldRecipients(envelopeBytes: Uint8Array): Uint8Array[] {
  return decodePersonalEnvelope(envelopeBytes).recipients.map((r) => r.publicKey)
}

/**
 * A recipient's secret key made ready to open envelopes: its Ed25519 public key (which names it
 * in an envelope) and its X25519 key pair, derived from the seed once. An open with it costs one
 * X25519 agreement and two AES-GCM opens; with the bare seed it also derives the Ed25519 public
 * key and imports and derives the X25519 pair, each time (median 0.121–0.235 ms an open prepared
 * against 0.281–0.490 ms from the seed, three runs of 200). A client that reads more than one
 * field (a profile has two) prepares the key once. The X25519 secret stays inside OpenSSL; the
 * seed is not kept.
 */
export class PersonalFieldKey {
  private constructor(
    readonly publicKey: Uint8Array,
    readonly x25519PrivateKey: KeyObject,
    readonly x25519PublicKey: Uint8Array,
  ) {}

  /** @throws ClientError BAD_ARGUMENT when `secretKey` is not a 32-byte Ed25519 seed. */
  static fromSecretKey(secretKey: Uint8Array): PersonalFieldKey {
    if (!(secretKey instanceof Uint8Array) || secretKey.length !== SECRET_KEY_LENGTH) {
      throw new ClientError(ClientErrorCode.BAD_ARGUMENT, `secret key must be ${SECRET_KEY_LENGTH} bytes`)
    }
    // Our X25519 key pair from the seed, all on node:crypto: its public half is the Montgomery
    // form of our Ed25519 key, which the sealer derived from that key.
    const secretX = x25519SecretFromEd25519Seed(secretKey)
    const privateKey = x25519PrivateKey(secretX)
    secretX.fill(0)
    return new PersonalFieldKey(publicKeyFromSecretKey(secretKey), privateKey, x25519PublicKeyOf(privateKey))
  }
}

/**
 * Opens an envelope with a recipient's key: its Ed25519 secret key (32-byte seed), or the same
 * prepared once (`PersonalFieldKey.fromSecretKey`) when opening several.
 * @throws ClientError NOT_A_RECIPIENT (the key is not listed), BAD_ENVELOPE (malformed,
 *   tampered, or sealed for another contract or field), BAD_ARGUMENT (not a key)
 */
export function openPersonalField(envelopeBytes: Uint8Array, key: Uint8Array | PersonalFieldKey, context: PersonalFieldContext): Uint8Array {
  const recipient = key instanceof PersonalFieldKey ? key : PersonalFieldKey.fromSecretKey(key)
  const ctx = contextRaw(context)
  const env = decodePersonalEnvelope(envelopeBytes)
  const mine = env.recipients.find((r) => bytesEqual(r.publicKey, recipient.publicKey))
  if (!mine) throw new ClientError(ClientErrorCode.NOT_A_RECIPIENT, 'this key is not a recipient of the personal field')
  let shared: Uint8Array
  try {
    shared = x25519SharedSecret(recipient.x25519PrivateKey, env.ephemeralPublicKey)
  } catch {
    throw new ClientError(ClientErrorCode.BAD_ENVELOPE, 'the envelope has an invalid ephemeral key')
  }
  const kek = keyEncryptionKey(shared, env.ephemeralPublicKey, recipient.x25519PublicKey, ctx)
  const contentKey = gcmOpen(kek, mine.iv, mine.wrappedKey, mine.publicKey)
  if (!contentKey) throw new ClientError(ClientErrorCode.BAD_ENVELOPE, 'the wrapped key does not authenticate: the envelope was modified or sealed for another contract or field')
  const plaintext = gcmOpen(contentKey, env.iv, env.ciphertext, contentAad(ctx, env.ephemeralPublicKey, env.recipients.map((r) => r.publicKey)))
  contentKey.fill(0)
  if (!plaintext) throw new ClientError(ClientErrorCode.BAD_ENVELOPE, 'the ciphertext does not authenticate: the envelope was modified')
  return plaintext
}

/** `openPersonalField` decoded as UTF-8 text. */
export function openPersonalFieldText(envelopeBytes: Uint8Array, key: Uint8Array | PersonalFieldKey, context: PersonalFieldContext): string {
  const bytes = openPersonalField(envelopeBytes, key, context)
  try {
    return utf8.decode(bytes)
  } catch {
    throw new ClientError(ClientErrorCode.BAD_ENVELOPE, 'the personal field is not UTF-8 text')
  }
}
