/**
 * Keys, signatures and addresses.
 *
 * Signature rule (a consensus rule): Ed25519 per RFC 8032 with canonical encodings — S < L,
 * canonical R and A — and public keys that are not of small order. Signing and verification run
 * on node:crypto (OpenSSL): here it signs in ~19 µs with a prepared key (~54 µs when the key is
 * imported per call) against ~380 µs for @noble/curves, and verifies in ~58 µs. Ed25519 signing is
 * deterministic, so both libraries give the same bytes (`signNoble`, checked against the RFC
 * vectors in keys.test.ts). Public keys are derived by OpenSSL too (`publicKeyFromSecretKey`,
 * 0.075–0.079 ms at the median in two scratch runs, 0.118–0.200 ms in three before the raw
 * import below; ~0.6 ms for noble warm and ~40 ms in a process that has just started); noble
 * stays as the cross-check. Both sides
 * enforce the same rule: noble runs with `zip215: false` (RFC 8032 strict), and small-order or
 * non-canonical public keys, and keys with a small-order component, are refused before any
 * signature is checked. noble checks the cofactored equation and OpenSSL the cofactorless one, so
 * `verifyNoble` also refuses an R with a small-order component, and an R of small order (the
 * identity, which OpenSSL refuses): with that, both paths accept exactly the same signatures
 * (see keys.test.ts for the vectors).
 *
 * Verification speed: when the optional native addon sodium-native (libsodium) loads, `verify`
 * asks it first: ~37 µs against OpenSSL's ~63 µs on a Xeon (63.8–70.3 against 113.1–121.0 µs on
 * an AMD EPYC), and a validator spends about a third of its CPU verifying votes and txs.
 * libsodium accepts a subset of what OpenSSL accepts (the same cofactorless equation and
 * canonical S, plus it refuses a small-order R and non-canonical or small-order keys), so its yes
 * is final and its no is settled by OpenSSL: the rule stays OpenSSL's exactly, valid signatures
 * take the fast path, a bad one costs both checks.
 *
 * Address rule: address = the first 20 bytes of SHA-256(domainTag('address') || publicKey),
 * shown as `mc` followed by 40 lowercase hex characters.
 */
import { createPrivateKey, createPublicKey, sign as nodeSign, verify as nodeVerify, type KeyObject } from 'node:crypto'
import { ed25519 } from '@noble/curves/ed25519.js'
import { CoreError, CoreErrorCode } from './errors.ts'
import { domainTag, sha256 } from './hash.ts'
import { bufferView } from './hex.ts'
import { loadSodiumNative } from './sodium-native.ts'

export const PUBLIC_KEY_LENGTH = 32
export const SECRET_KEY_LENGTH = 32
export const SIGNATURE_LENGTH = 64
export const ADDRESS_LENGTH = 20
export const ADDRESS_PREFIX = 'mc'

export interface KeyPair {
  readonly secretKey: Uint8Array
  readonly publicKey: Uint8Array
}

/** A new random key pair (randomness from the platform CSPRNG through noble). */
export function generateKeyPair(): KeyPair {
  const secretKey = ed25519.utils.randomSecretKey()
  return { secretKey, publicKey: publicKeyFromSecretKey(secretKey) }
}

/** The key pair of a 32-byte seed (Ed25519 secret keys are seeds). */
export function keyPairFromSecretKey(secretKey: Uint8Array): KeyPair {
  if (!(secretKey instanceof Uint8Array) || secretKey.length !== SECRET_KEY_LENGTH) {
    throw new CoreError(CoreErrorCode.BAD_SHAPE, `secret key must be ${SECRET_KEY_LENGTH} bytes`)
  }
  return { secretKey: new Uint8Array(secretKey), publicKey: publicKeyFromSecretKey(secretKey) }
}

/**
 * The public key of a 32-byte seed, derived by OpenSSL (keys.test.ts checks it against noble).
 * @throws CoreError BAD_SHAPE when the secret key is not 32 bytes.
 */
export function publicKeyFromSecretKey(secretKey: Uint8Array): Uint8Array {
  return rawPublicKeyOf(privateKeyObject(secretKey))
}

/** The raw 32-byte public key of an imported Ed25519 private key. */
function rawPublicKeyOf(privateKey: KeyObject): Uint8Array {
  return new Uint8Array(createPublicKey(privateKey).export({ format: 'raw-public' }))
}

/*
 * Keys enter and leave OpenSSL raw (Node's 'raw-private' / 'raw-public' key formats, since
 * 24.19), not wrapped in PKCS#8 / SPKI DER: a DER import goes through OpenSSL 3's decoders. With
 * DER, a public key derivation plus an X25519 agreement took 0.308–0.317 ms at the median of 300
 * against 0.195–0.251 ms raw, and 3.699–4.705 ms against 1.833–2.068 ms the first time in a
 * process (three runs each way, here).
 */
function privateKeyObject(secretKey: Uint8Array): KeyObject {
  if (!(secretKey instanceof Uint8Array) || secretKey.length !== SECRET_KEY_LENGTH) {
    throw new CoreError(CoreErrorCode.BAD_SHAPE, `secret key must be ${SECRET_KEY_LENGTH} bytes`)
  }
  return createPrivateKey({ key: bufferView(secretKey), format: 'raw-private', asymmetricKeyType: 'ed25519' })
}

/**
 * Signs with node:crypto. The key is imported per call (secret keys are never cached); a caller
 * that signs many messages with one key uses `createEd25519Signer`.
 * @throws CoreError BAD_SHAPE when the secret key is not 32 bytes.
 */
export function sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array {
  return new Uint8Array(nodeSign(null, message, privateKeyObject(secretKey)))
}

/** The same signature computed by @noble/curves, for places without node:crypto and for cross-checks. */
export function signNoble(message: Uint8Array, secretKey: Uint8Array): Uint8Array {
  return ed25519.sign(message, secretKey)
}

/** A message signer holding one Ed25519 key (a validator's, a gateway's). */
export interface MessageSigner {
  readonly publicKey: Uint8Array
  sign(message: Uint8Array): Uint8Array
}

/**
 * A signer that prepares its key once: libsodium's `crypto_sign_detached` where sodium-native
 * loads, else node:crypto with the key imported once (~19 µs per signature instead of ~54 µs
 * for `sign`). libsodium signs about twice as fast (`npm run bench:core` here: 73,677 against
 * 36,701 signatures/s): a validator signs about two votes per height and a client every tx. Ed25519 signing is
 * deterministic (RFC 8032), so every path gives the same bytes (keys.test.ts checks the RFC
 * vectors and random messages on each). libsodium's expanded key (seed ‖ public key) lives in
 * a sodium_malloc buffer, guarded and locked in memory like the KeyObject OpenSSL keeps.
 * @throws CoreError BAD_SHAPE when the secret key is not 32 bytes.
 */
export function createEd25519Signer(secretKey: Uint8Array): MessageSigner {
  const { publicKey } = keyPairFromSecretKey(secretKey)
  const fast = sodium?.createSigner(secretKey, publicKey)
  return fast ? Object.freeze({ publicKey, sign: fast }) : createOpenSslSigner(secretKey)
}

/**
 * The same signer on node:crypto alone, whatever is installed: the fallback, and the cross-check
 * of the libsodium path.
 * @throws CoreError BAD_SHAPE when the secret key is not 32 bytes.
 */
export function createOpenSslSigner(secretKey: Uint8Array): MessageSigner {
  const key = privateKeyObject(secretKey)
  return Object.freeze({
    publicKey: rawPublicKeyOf(key),
    sign: (message: Uint8Array) => new Uint8Array(nodeSign(null, message, key)),
  })
}

/**
 * Checks that a public key is a canonical encoding of a point that is not of small order and has
 * no small-order component. libsodium's `crypto_core_ed25519_is_valid_point` (when sodium-native
 * loads) checks exactly this in ~30 µs, where noble's point arithmetic on BigInt takes ~1 ms warm
 * and several ms in a process that just started, on every node, for every new sender's key. As
 * with `verify`, libsodium's yes is final and its no is settled by noble, which also names the
 * reason; keys.test.ts runs both on every vector.
 * @throws CoreError BAD_PUBLIC_KEY
 */
export function assertValidPublicKey(publicKey: Uint8Array): void {
  assertPublicKeyShape(publicKey)
  if (sodium?.isValidPoint(publicKey)) return
  assertValidPublicKeyNoble(publicKey)
}

function assertPublicKeyShape(publicKey: Uint8Array): void {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== PUBLIC_KEY_LENGTH) {
    throw new CoreError(CoreErrorCode.BAD_PUBLIC_KEY, `public key must be ${PUBLIC_KEY_LENGTH} bytes`)
  }
}

/** The same rule on @noble/curves alone (the reference, and the cross-check of libsodium's verdicts). */
export function assertValidPublicKeyNoble(publicKey: Uint8Array): void {
  assertPublicKeyShape(publicKey)
  let point
  try {
    point = ed25519.Point.fromBytes(publicKey, false)
  } catch {
    throw new CoreError(CoreErrorCode.BAD_PUBLIC_KEY, 'public key is not a valid Ed25519 point')
  }
  if (point.isSmallOrder()) throw new CoreError(CoreErrorCode.BAD_PUBLIC_KEY, 'public key is of small order')
  // A mixed-order key (honest key + a torsion point) is where OpenSSL's cofactorless equation and
  // noble's cofactored one disagree; honest keys never have a torsion component.
  if (!point.isTorsionFree()) throw new CoreError(CoreErrorCode.BAD_PUBLIC_KEY, 'public key has a small-order component')
}

/** libsodium's verdict on a public key alone (undefined without sodium-native), for the cross-check tests. */
export function isValidPublicKeySodium(publicKey: Uint8Array): boolean | undefined {
  return sodium?.isValidPoint(publicKey)
}

const keyObjectCache = new Map<string, KeyObject>()
const KEY_CACHE_MAX = 4096

function publicKeyObject(publicKey: Uint8Array): KeyObject {
  const id = Buffer.from(publicKey).toString('hex')
  let key = keyObjectCache.get(id)
  if (!key) {
    key = createPublicKey({ key: bufferView(publicKey), format: 'raw-public', asymmetricKeyType: 'ed25519' })
    if (keyObjectCache.size >= KEY_CACHE_MAX) keyObjectCache.clear()
    keyObjectCache.set(id, key)
  }
  return key
}

const publicKeyValidity = new Map<string, boolean>()
function isValidPublicKeyCached(publicKey: Uint8Array): boolean {
  const id = Buffer.from(publicKey).toString('hex')
  let ok = publicKeyValidity.get(id)
  if (ok === undefined) {
    try {
      assertValidPublicKey(publicKey)
      ok = true
    } catch {
      ok = false
    }
    if (publicKeyValidity.size >= KEY_CACHE_MAX) publicKeyValidity.clear()
    publicKeyValidity.set(id, ok)
  }
  return ok
}

type RawVerifier = (signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array) => boolean

interface SodiumEd25519 {
  readonly verify: RawVerifier
  readonly isValidPoint: (publicKey: Uint8Array) => boolean
  /** A signing function for this seed, or undefined if libsodium derives another public key (never expected). */
  readonly createSigner: (seed: Uint8Array, publicKey: Uint8Array) => ((message: Uint8Array) => Uint8Array) | undefined
}

/** libsodium's Ed25519 checks from sodium-native, or undefined where the addon is not installed or does not load. */
function loadSodium(): SodiumEd25519 | undefined {
  const native = loadSodiumNative<{
    crypto_sign_verify_detached(sig: Uint8Array, m: Uint8Array, pk: Uint8Array): boolean
    crypto_core_ed25519_is_valid_point(p: Uint8Array): boolean
    crypto_sign_seed_keypair(pk: Uint8Array, sk: Uint8Array, seed: Uint8Array): void
    crypto_sign_detached(sig: Uint8Array, m: Uint8Array, sk: Uint8Array): void
    sodium_malloc(size: number): Buffer
  }>()
  if (!native) return undefined
  return {
    verify: (signature, message, publicKey) => native.crypto_sign_verify_detached(signature, message, publicKey),
    isValidPoint: (publicKey) => native.crypto_core_ed25519_is_valid_point(publicKey),
    createSigner: (seed, publicKey) => {
      const expanded = native.sodium_malloc(SECRET_KEY_LENGTH + PUBLIC_KEY_LENGTH)
      const derived = new Uint8Array(PUBLIC_KEY_LENGTH)
      native.crypto_sign_seed_keypair(derived, expanded, seed)
      if (!Buffer.from(derived).equals(Buffer.from(publicKey))) return undefined
      return (message) => {
        const signature = new Uint8Array(SIGNATURE_LENGTH)
        native.crypto_sign_detached(signature, message, expanded)
        return signature
      }
    },
  }
}
const sodium = loadSodium()

/** Whether `verify` has libsodium's fast path on this machine (false: OpenSSL alone, same verdicts). */
export const hasFastVerify = sodium !== undefined

function signatureInputsOk(signature: Uint8Array, publicKey: Uint8Array): boolean {
  if (!(signature instanceof Uint8Array) || signature.length !== SIGNATURE_LENGTH) return false
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== PUBLIC_KEY_LENGTH) return false
  return isValidPublicKeyCached(publicKey)
}

function opensslVerify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  try {
    return nodeVerify(null, message, publicKeyObject(publicKey), signature)
  } catch {
    return false
  }
}

/** A check of (signature, message, public key) with `verify`'s verdicts; a node passes its memo of verified signatures. */
export type SignatureVerifier = (signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array) => boolean

/** Verifies under the rule above (libsodium first when present, see above). Never throws on bad input: returns false. */
export function verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  if (!signatureInputsOk(signature, publicKey)) return false
  if (sodium !== undefined && message instanceof Uint8Array && sodium.verify(signature, message, publicKey)) return true
  return opensslVerify(signature, message, publicKey)
}

/** The same verdict on node:crypto (OpenSSL) alone: the reference `verify` must match, and the cross-check. */
export function verifyOpenSsl(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  return signatureInputsOk(signature, publicKey) && opensslVerify(signature, message, publicKey)
}

/** The same rule on @noble/curves, for places without node:crypto and for cross-checks. */
export function verifyNoble(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  if (!signatureInputsOk(signature, publicKey)) return false
  try {
    if (!ed25519.verify(signature, message, publicKey, { zip215: false })) return false
    // noble checks the cofactored equation [8]SB = [8]R + [8]kA; OpenSSL the cofactorless
    // SB = R + kA. With A torsion-free (assertValidPublicKey), they agree exactly when R has no
    // torsion component, so refuse such R here (only reached for signatures noble accepted).
    // OpenSSL (and libsodium) also refuse an R of small order, which leaves only the identity
    // among torsion-free points: refused too (keys.test.ts builds such a signature).
    const R = ed25519.Point.fromBytes(signature.subarray(0, 32), false)
    return R.isTorsionFree() && !R.isSmallOrder()
  } catch {
    return false
  }
}

// Every decoded tx derives its sender's address; a handful of keys send almost all txs.
const addressCache = new Map<string, Uint8Array>()

/** The address of a public key (see the rule above). Returns a fresh copy the caller may keep. */
export function addressFromPublicKey(publicKey: Uint8Array): Uint8Array {
  const id = Buffer.from(publicKey.buffer, publicKey.byteOffset, publicKey.length).toString('latin1')
  let address = addressCache.get(id)
  if (!address) {
    address = sha256(domainTag('address'), publicKey).slice(0, ADDRESS_LENGTH)
    if (addressCache.size >= KEY_CACHE_MAX) addressCache.clear()
    addressCache.set(id, address)
  }
  return address.slice()
}

export function formatAddress(address: Uint8Array): string {
  if (address.length !== ADDRESS_LENGTH) throw new CoreError(CoreErrorCode.BAD_ADDRESS, `address must be ${ADDRESS_LENGTH} bytes`)
  return ADDRESS_PREFIX + Buffer.from(address).toString('hex')
}

const ADDRESS_RE = /^mc[0-9a-f]{40}$/
/** Parses `mc` + 40 hex. @throws CoreError BAD_ADDRESS */
export function parseAddress(text: string): Uint8Array {
  if (typeof text !== 'string' || !ADDRESS_RE.test(text.toLowerCase())) {
    throw new CoreError(CoreErrorCode.BAD_ADDRESS, `not an address (expected ${ADDRESS_PREFIX} + 40 hex characters): ${String(text).slice(0, 60)}`)
  }
  return new Uint8Array(Buffer.from(text.slice(2), 'hex'))
}
