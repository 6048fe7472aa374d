import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ed25519, x25519 } from '@noble/curves/ed25519.js'
import { sha256 } from '../core/hash.ts'
import { fromHex, toHex, utf8 } from '../core/hex.ts'
import { generateX25519KeyPair, x25519PrivateKey, x25519PublicKeyOf, x25519SecretFromEd25519Seed, x25519SharedSecret } from './x25519.ts'

test('RFC 7748 §6.1: Alice and Bob agree on the published shared secret', () => {
  const alice = fromHex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a')
  const alicePublic = fromHex('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a')
  const bob = fromHex('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb')
  const bobPublic = fromHex('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f')
  const shared = '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742'
  assert.equal(toHex(x25519SharedSecret(x25519PrivateKey(alice), bobPublic)).replace(/^0x/, ''), shared)
  assert.equal(toHex(x25519SharedSecret(x25519PrivateKey(bob), alicePublic)).replace(/^0x/, ''), shared)
  assert.deepEqual(x25519.getPublicKey(alice), alicePublic)
})

test('the same shared secrets as @noble/curves, for imported and generated keys', () => {
  for (let i = 0; i < 16; i++) {
    // Unclamped raw secrets: both sides clamp on use.
    const secret = sha256(utf8.encode(`x25519 secret ${i}`))
    const fresh = generateX25519KeyPair()
    const mine = x25519SharedSecret(x25519PrivateKey(secret), fresh.publicKey)
    assert.deepEqual(mine, x25519.getSharedSecret(secret, fresh.publicKey), `secret ${i}`)
    // and the generated key's public half matches its private half
    assert.deepEqual(x25519SharedSecret(fresh.privateKey, x25519.getPublicKey(secret)), mine)
  }
})

test('a low-order peer key and wrong lengths are refused', () => {
  const me = generateX25519KeyPair()
  assert.throws(() => x25519SharedSecret(me.privateKey, new Uint8Array(32))) // u = 0: all-zero result
  assert.throws(() => x25519SharedSecret(me.privateKey, new Uint8Array(31)), TypeError)
  assert.throws(() => x25519PrivateKey(new Uint8Array(33)), TypeError)
  assert.equal(me.publicKey.length, 32)
})

test('an Ed25519 seed maps to noble\'s X25519 secret, whose public key is the Montgomery form of the Ed25519 key', () => {
  for (let i = 0; i < 32; i++) {
    const seed = sha256(utf8.encode(`ed25519 seed ${i}`))
    const secret = x25519SecretFromEd25519Seed(seed)
    assert.deepEqual(secret, ed25519.utils.toMontgomerySecret(seed), `seed ${i}`)
    assert.deepEqual(x25519PublicKeyOf(x25519PrivateKey(secret)), ed25519.utils.toMontgomery(ed25519.getPublicKey(seed)), `seed ${i}`)
  }
  const fresh = generateX25519KeyPair()
  assert.deepEqual(x25519PublicKeyOf(fresh.privateKey), fresh.publicKey)
  assert.throws(() => x25519SecretFromEd25519Seed(new Uint8Array(31)), TypeError)
})
