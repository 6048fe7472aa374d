import { test } from 'node:test'
import assert from 'node:assert/strict'
import { generateKeyPair, sign, verify } from '../core/keys.ts'
import { createMemoizedVerifier } from './verified-signatures.ts'

test('memoized verifier: a verified triple is not verified again; anything else is', () => {
  let calls = 0
  const m = createMemoizedVerifier((s, msg, pk) => {
    calls++
    return verify(s, msg, pk)
  }, 2)
  const k = generateKeyPair()
  const other = generateKeyPair()
  const msg = new Uint8Array([1, 2, 3])
  const sig = sign(msg, k.secretKey)
  assert.equal(m.verify(sig, msg, k.publicKey), true)
  assert.equal(m.verify(sig, msg, k.publicKey), true)
  assert.equal(calls, 1)
  // Same signature, other message or key: verified (and refused).
  assert.equal(m.verify(sig, new Uint8Array([1, 2, 4]), k.publicKey), false)
  assert.equal(m.verify(sig, msg, other.publicKey), false)
  assert.equal(m.verify(sig, msg, other.publicKey), false)
  assert.equal(calls, 4)
  // Failures are not remembered; a tampered signature is refused every time.
  const bad = sig.slice()
  bad[0] = bad[0]! ^ 1
  assert.equal(m.verify(bad, msg, k.publicKey), false)
  assert.equal(m.verify(bad, msg, k.publicKey), false)
  // Bounded: the oldest success leaves when full.
  const msg2 = new Uint8Array([9])
  const msg3 = new Uint8Array([10])
  m.verify(sign(msg2, k.secretKey), msg2, k.publicKey)
  m.verify(sign(msg3, k.secretKey), msg3, k.publicKey)
  assert.equal(m.stats().size, 2)
  const before = calls
  assert.equal(m.verify(sig, msg, k.publicKey), true)
  assert.equal(calls, before + 1)
})

test('a trusted own signature is accepted without a verification, and only for its exact inputs', () => {
  let calls = 0
  const m = createMemoizedVerifier((s, msg, pk) => {
    calls++
    return verify(s, msg, pk)
  })
  const k = generateKeyPair()
  const msg = new Uint8Array([7, 7])
  const sig = sign(msg, k.secretKey)
  m.trust(sig, msg, k.publicKey)
  assert.equal(m.verify(sig, msg, k.publicKey), true)
  assert.equal(calls, 0)
  // Any other message is verified (and refused): trust covers one exact triple.
  assert.equal(m.verify(sig, new Uint8Array([7, 8]), k.publicKey), false)
  assert.equal(calls, 1)
})
