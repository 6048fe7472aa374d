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

/** An inner verifier that accepts what `accepted` holds (as hex triples) and counts its calls. */
function fakeInner(): { inner: (s: Uint8Array, m: Uint8Array, k: Uint8Array) => boolean; accept: (s: Uint8Array, m: Uint8Array, k: Uint8Array) => void; calls: () => number } {
  const accepted = new Set<string>()
  const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
  let calls = 0
  return {
    inner: (s, m, k) => {
      calls++
      return accepted.has(`${hex(s)}/${hex(m)}/${hex(k)}`)
    },
    accept: (s, m, k) => void accepted.add(`${hex(s)}/${hex(m)}/${hex(k)}`),
    calls: () => calls,
  }
}

test('signatures that share their first bytes are told apart by their full bytes', () => {
  const f = fakeInner()
  const m = createMemoizedVerifier(f.inner)
  const key = new Uint8Array(32).fill(5)
  const msg = new Uint8Array([1])
  // Same first 8 bytes (one bucket), different last byte.
  const sigA = new Uint8Array(64).fill(0xab)
  const sigB = sigA.slice()
  sigB[63] = 0
  f.accept(sigA, msg, key)
  f.accept(sigB, msg, key)
  assert.equal(m.verify(sigA, msg, key), true)
  assert.equal(m.verify(sigB, msg, key), true)
  assert.equal(f.calls(), 2)
  assert.equal(m.verify(sigA, msg, key), true)
  assert.equal(m.verify(sigB, msg, key), true)
  assert.equal(f.calls(), 2)
  // A third in the same bucket that the inner verifier refuses is refused, every time.
  const sigC = sigA.slice()
  sigC[40] = 1
  assert.equal(m.verify(sigC, msg, key), false)
  assert.equal(m.verify(sigC, msg, key), false)
  assert.equal(f.calls(), 4)
  // Length counts: a prefix of a remembered message or key is not a hit.
  assert.equal(m.verify(sigA, new Uint8Array(0), key), false)
  assert.equal(m.verify(sigA, msg, key.subarray(0, 31)), false)
  assert.equal(m.stats().size, 2)
})

test('a caller reusing its buffers cannot turn a remembered success into another one', () => {
  const f = fakeInner()
  const m = createMemoizedVerifier(f.inner)
  const sig = new Uint8Array(64).fill(1)
  const key = new Uint8Array(32).fill(2)
  const buffer = new Uint8Array([3, 3, 3])
  f.accept(sig, buffer, key)
  assert.equal(m.verify(sig, buffer, key), true)
  buffer[0] = 9 // the same buffer now holds another message
  assert.equal(m.verify(sig, buffer, key), false)
  assert.equal(f.calls(), 2)
  assert.equal(m.verify(sig, new Uint8Array([3, 3, 3]), key), true)
  assert.equal(f.calls(), 2)
})

test('a crowded bucket keeps a bounded number of entries, and the size stays exact through evictions', () => {
  const f = fakeInner()
  const m = createMemoizedVerifier(f.inner, 3)
  const key = new Uint8Array(32)
  const msg = new Uint8Array([0])
  const sigs = Array.from({ length: 7 }, (_, i) => {
    const s = new Uint8Array(64).fill(0xcd)
    s[63] = i // one bucket for all
    f.accept(s, msg, key)
    return s
  })
  for (const s of sigs) assert.equal(m.verify(s, msg, key), true)
  assert.ok(m.stats().size <= 3, `size ${m.stats().size}`)
  // Other buckets: filling the memo evicts the oldest bucket whole, and the size follows.
  const others = Array.from({ length: 5 }, (_, i) => {
    const s = new Uint8Array(64).fill(i + 1)
    f.accept(s, msg, key)
    return s
  })
  for (const s of others) assert.equal(m.verify(s, msg, key), true)
  assert.equal(m.stats().size, 3)
  const calls = f.calls()
  // The three newest are remembered; the crowded bucket was evicted and is verified again.
  for (const s of others.slice(2)) assert.equal(m.verify(s, msg, key), true)
  assert.equal(f.calls(), calls)
  assert.equal(m.verify(sigs[6]!, msg, key), true)
  assert.equal(f.calls(), calls + 1)
})

test('a memo needs room for at least one signature', () => {
  assert.throws(() => createMemoizedVerifier(verify, 0), RangeError)
  assert.throws(() => createMemoizedVerifier(verify, 1.5), RangeError)
})

test('entries stay intact across the memo\'s slabs, for small and large messages alike', () => {
  const f = fakeInner()
  const m = createMemoizedVerifier(f.inner, 1_000)
  const key = new Uint8Array(32).fill(7)
  // ~600 KB of entries in all (many 64 KiB slabs), some messages larger than a slab's eighth.
  const triples = Array.from({ length: 1_500 }, (_, i) => {
    const sig = new Uint8Array(64)
    new DataView(sig.buffer).setUint32(0, i * 2_654_435_761)
    sig[63] = i & 0xff
    const msg = new Uint8Array(i % 100 === 0 ? 20_000 : 50 + (i % 300)).fill(i & 0xff)
    f.accept(sig, msg, key)
    return { sig, msg }
  })
  for (const t of triples) assert.equal(m.verify(t.sig, t.msg, key), true)
  assert.equal(m.stats().size, 1_000)
  const calls = f.calls()
  for (const t of triples.slice(500)) assert.equal(m.verify(t.sig, t.msg, key), true)
  assert.equal(f.calls(), calls, 'the newest 1,000 are all remembered')
  // Each remembered message is compared byte for byte: one changed byte is a miss.
  const last = triples.at(-1)!
  const changed = last.msg.slice()
  changed[changed.length - 1]! ^= 1
  assert.equal(m.verify(last.sig, changed, key), false)
})
