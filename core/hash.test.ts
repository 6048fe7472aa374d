import { test } from 'node:test'
import assert from 'node:assert/strict'
import { sha256, sha256d } from './hash.ts'
import { createHash, randomBytes } from 'node:crypto'
import { toHex } from './hex.ts'

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s)

test('sha256 and sha256d: FIPS 180-2 vectors, one part or many, views at an offset', () => {
  const abc = '0xba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'
  assert.equal(toHex(sha256(utf8('abc'))), abc)
  assert.equal(toHex(sha256(utf8('a'), utf8(''), utf8('bc'))), abc, 'the parts are hashed as one string')
  assert.equal(toHex(sha256(new Uint8Array(0))), '0xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')
  // A view into a larger buffer hashes only its own bytes.
  const framed = utf8('xxabcyy')
  assert.equal(toHex(sha256(framed.subarray(2, 5))), abc)
  // Double SHA-256 of "abc" (the paper's block and tx hash).
  assert.equal(toHex(sha256d(utf8('abc'))), '0x4f8b42c22dd3729b519ba6f68d2da7cc5b2d606d05daed5ad5128cc03e6c6358')
  assert.equal(toHex(sha256d(utf8('ab'), utf8('c'))), toHex(sha256d(utf8('abc'))))
  // Parts joined (small) or streamed (over 16 KiB in all) hash as their concatenation.
  const big = new Uint8Array(40_000).map((_, i) => i & 0xff)
  for (const cut of [1, 16 * 1024, 20_000, 39_999]) {
    assert.equal(toHex(sha256(big.subarray(0, cut), big.subarray(cut))), toHex(sha256(big)), `cut at ${cut}`)
  }
  assert.equal(toHex(sha256(utf8('a'), utf8('b'), utf8('c'))), abc)
  // A plain Uint8Array the caller owns, not a view into a shared pool.
  const h = sha256(utf8('abc'))
  assert.equal(h.constructor, Uint8Array)
  assert.equal(h.byteOffset, 0)
  assert.equal(h.buffer.byteLength, 32)
})

test('sha256 agrees with OpenSSL at every size from 0 to 300 bytes (WebAssembly up to 128, OpenSSL above)', () => {
  for (let size = 0; size <= 300; size++) {
    const data = randomBytes(size)
    const reference = createHash('sha256').update(data).digest('hex')
    assert.equal(toHex(sha256(new Uint8Array(data))), `0x${reference}`, `size ${size}`)
  }
  // Results are arrays of their own, not views into a pool that a later hash could overwrite.
  const first = sha256(utf8('a'))
  const copy = first.slice()
  for (let i = 0; i < 1000; i++) sha256(randomBytes(33))
  assert.deepEqual(first, copy)
  assert.equal(first.buffer.byteLength, 32)
})
