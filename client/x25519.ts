/**
 * X25519 (RFC 7748) on node:crypto (OpenSSL): ~0.05 ms per key agreement against ~0.8 ms for
 * @noble/curves' BigInt ladder here, and several ms in a process that has just started. Secrets
 * generated here stay inside OpenSSL (KeyObjects). Keys go in and out raw (Node's 'raw-private' /
 * 'raw-public' formats; see core/keys.ts for why not DER). x25519.test.ts checks every function
 * against noble and the RFC's vectors.
 */
import { createHash, createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, type KeyObject } from 'node:crypto'
import { bufferView } from '../core/hex.ts'

const KEY_LENGTH = 32

export interface X25519KeyPair {
  readonly privateKey: KeyObject
  /** The raw 32-byte u-coordinate. */
  readonly publicKey: Uint8Array
}

/** A fresh key pair from OpenSSL's CSPRNG. */
export function generateX25519KeyPair(): X25519KeyPair {
  const pair = generateKeyPairSync('x25519')
  return { privateKey: pair.privateKey, publicKey: rawPublicKey(pair.publicKey) }
}

/** A private key object from a raw 32-byte secret (OpenSSL clamps it on use, as RFC 7748 says). */
export function x25519PrivateKey(secret: Uint8Array): KeyObject {
  if (!(secret instanceof Uint8Array) || secret.length !== KEY_LENGTH) throw new TypeError(`an X25519 secret is ${KEY_LENGTH} bytes`)
  return createPrivateKey({ key: bufferView(secret), format: 'raw-private', asymmetricKeyType: 'x25519' })
}

/**
 * The X25519 secret of an Ed25519 seed (RFC 7748 §4.1's birational map, as libsodium's
 * `crypto_sign_ed25519_sk_to_curve25519` and noble's `toMontgomerySecret`): the first half of
 * SHA-512(seed), clamped. Its X25519 public key is the Montgomery form of the seed's Ed25519
 * public key. The caller wipes the result.
 */
export function x25519SecretFromEd25519Seed(seed: Uint8Array): Uint8Array {
  if (!(seed instanceof Uint8Array) || seed.length !== KEY_LENGTH) throw new TypeError(`an Ed25519 seed is ${KEY_LENGTH} bytes`)
  const digest = createHash('sha512').update(seed).digest()
  const secret = new Uint8Array(digest.subarray(0, KEY_LENGTH))
  digest.fill(0)
  secret[0]! &= 248
  secret[31]! &= 127
  secret[31]! |= 64
  return secret
}

/** The raw 32-byte public key (u-coordinate) of an X25519 private key. */
export function x25519PublicKeyOf(privateKey: KeyObject): Uint8Array {
  return rawPublicKey(createPublicKey(privateKey))
}

/** The raw u-coordinate of an X25519 public key object. */
function rawPublicKey(publicKey: KeyObject): Uint8Array {
  return new Uint8Array(publicKey.export({ format: 'raw-public' }))
}

/**
 * X25519(privateKey, peer): the 32-byte shared secret. Throws when `peer` is not 32 bytes or the
 * result is all zeros (a low-order peer key; OpenSSL refuses it, as RFC 7748 §6.1 allows).
 */
export function x25519SharedSecret(privateKey: KeyObject, peer: Uint8Array): Uint8Array {
  if (!(peer instanceof Uint8Array) || peer.length !== KEY_LENGTH) throw new TypeError(`an X25519 public key is ${KEY_LENGTH} bytes`)
  const publicKey = createPublicKey({ key: bufferView(peer), format: 'raw-public', asymmetricKeyType: 'x25519' })
  return new Uint8Array(diffieHellman({ privateKey, publicKey }))
}
