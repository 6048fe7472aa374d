import { test } from 'node:test'
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import type { ICryptoInterface } from '@chainsafe/libp2p-noise'
import { defaultCrypto, pureJsCrypto } from '@chainsafe/libp2p-noise/crypto'
import { Uint8ArrayList } from 'uint8arraylist'
import { createNoiseCrypto } from './noise-crypto.ts'

const crypto = createNoiseCrypto()
/** A list of chunks as Noise hands it over (Noise bundles its own copy of uint8arraylist; only subarray() is used). */
const list = (...chunks: Uint8Array[]): Parameters<ICryptoInterface['chaCha20Poly1305Encrypt']>[0] =>
  new Uint8ArrayList(...chunks) as unknown as Parameters<ICryptoInterface['chaCha20Poly1305Encrypt']>[0]
const bytes = (x: Uint8Array | { subarray(): Uint8Array }): Uint8Array => (x instanceof Uint8Array ? x : x.subarray())

test('sodium-native loads here, so Noise runs on libsodium (the fallback is covered below)', () => {
  assert.ok(crypto, 'createNoiseCrypto() returned undefined: sodium-native did not load')
})

test('libsodium seals exactly as Noise\'s own ciphers (RFC 8439 vector, sizes around the 1,200-byte switch)', () => {
  assert.ok(crypto)
  // RFC 8439 section 2.8.2
  const k = Buffer.from('808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f', 'hex')
  const nonce = Buffer.from('070000004041424344454647', 'hex')
  const ad = Buffer.from('50515253c0c1c2c3c4c5c6c7', 'hex')
  const text = Buffer.from("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.")
  const sealed = Buffer.from(bytes(crypto.chaCha20Poly1305Encrypt(text, nonce, ad, k)))
  assert.equal(sealed.subarray(0, 16).toString('hex'), 'd31a8d34648e60db7b86afbc53ef7ec2')
  assert.equal(sealed.subarray(sealed.length - 16).toString('hex'), '1ae10b594f09e26a7e902ecbd0600691')
  for (const size of [0, 1, 100, 1199, 1200, 1201, 4096, 65519]) {
    const key = randomBytes(32)
    const n = randomBytes(12)
    const a = randomBytes(size % 3 === 0 ? 0 : 32)
    const m = randomBytes(size)
    const ours = bytes(crypto.chaCha20Poly1305Encrypt(m, n, a, key))
    assert.deepEqual(Buffer.from(ours), Buffer.from(bytes(defaultCrypto.chaCha20Poly1305Encrypt(m, n, a, key))), `size ${size} against Noise's default`)
    assert.deepEqual(Buffer.from(ours), Buffer.from(bytes(pureJsCrypto.chaCha20Poly1305Encrypt(m, n, a, key))), `size ${size} against Noise's pure JS`)
    assert.deepEqual(Buffer.from(bytes(crypto.chaCha20Poly1305Decrypt(ours, n, a, key))), m)
    assert.deepEqual(Buffer.from(bytes(defaultCrypto.chaCha20Poly1305Decrypt(ours, n, a, key))), m)
  }
})

test('decryption: lists of chunks, in place as Noise asks, and a tampered or short message refused', () => {
  assert.ok(crypto)
  const key = randomBytes(32)
  const n = randomBytes(12)
  const ad = new Uint8Array(0)
  const m = randomBytes(3000)
  // A plaintext given as several chunks is sealed as one message.
  const sealed = bytes(crypto.chaCha20Poly1305Encrypt(list(m.subarray(0, 1000), m.subarray(1000)), n, ad, key))
  assert.deepEqual(Buffer.from(sealed), Buffer.from(bytes(defaultCrypto.chaCha20Poly1305Encrypt(m, n, ad, key))))
  assert.deepEqual(Buffer.from(bytes(crypto.chaCha20Poly1305Decrypt(list(sealed.subarray(0, 7), sealed.subarray(7)), n, ad, key))), m)
  // In place: dst is the start of the ciphertext, one tag shorter.
  const frame = sealed.slice()
  const dst = frame.subarray(0, frame.length - 16)
  const opened = crypto.chaCha20Poly1305Decrypt(frame, n, ad, key, dst)
  assert.equal(opened, dst)
  assert.deepEqual(Buffer.from(dst), m)
  // A dst that is not the ciphertext's start is not written; the result is a fresh array.
  const elsewhere = new Uint8Array(m.length)
  assert.deepEqual(Buffer.from(bytes(crypto.chaCha20Poly1305Decrypt(sealed, n, ad, key, elsewhere))), m)
  assert.ok(elsewhere.every((b) => b === 0))
  // Tampered ciphertext, tag, nonce, associated data or key: refused.
  const flipped = (at: number): Uint8Array => { const c = sealed.slice(); c[at] = c[at]! ^ 1; return c }
  assert.throws(() => crypto.chaCha20Poly1305Decrypt(flipped(5), n, ad, key))
  assert.throws(() => crypto.chaCha20Poly1305Decrypt(flipped(sealed.length - 1), n, ad, key))
  assert.throws(() => crypto.chaCha20Poly1305Decrypt(sealed, randomBytes(12), ad, key))
  assert.throws(() => crypto.chaCha20Poly1305Decrypt(sealed, n, new Uint8Array([1]), key))
  assert.throws(() => crypto.chaCha20Poly1305Decrypt(sealed, n, ad, randomBytes(32)))
  assert.throws(() => crypto.chaCha20Poly1305Decrypt(new Uint8Array(15), n, ad, key), /shorter than its tag/)
})

test('without sodium-native there is no libsodium crypto, and the host keeps Noise\'s default', () => {
  assert.equal(createNoiseCrypto(() => undefined), undefined)
})
