import { test } from 'node:test'
import assert from 'node:assert/strict'
import { LengthPrefixedDecoder } from '@libp2p/utils'
import { Uint8ArrayList } from 'uint8arraylist'
import { NEED_MORE_BYTES, emptyBufferAware, installLengthPrefixNoThrow } from './length-prefix-no-throw.ts'

/** A 2-byte big-endian length decoder that behaves like Noise's (RangeError when short). */
function countingUint16Decoder() {
  const calls = { empty: 0, short: 0, ok: 0 }
  const decode = (data: Uint8Array | Uint8ArrayList): number => {
    if (data.byteLength === 0) calls.empty++
    if (data.byteLength < 2) {
      calls.short++
      throw new RangeError('Could not decode int16BE')
    }
    calls.ok++
    return data instanceof Uint8Array ? (data[0]! << 8) | data[1]! : data.getUint16(0)
  }
  return { decode, calls }
}

const frame = (body: Uint8Array): Uint8Array => new Uint8Array([body.length >> 8, body.length & 0xff, ...body])

test('decoding frames split at every boundary gives the same frames, and never calls the length decoder on an empty buffer', () => {
  installLengthPrefixNoThrow()
  installLengthPrefixNoThrow() // idempotent
  const bodies = Array.from({ length: 40 }, (_, i) => new Uint8Array(1 + ((i * 37) % 300)).fill(i))
  const stream = new Uint8Array(Buffer.concat(bodies.map(frame)))
  for (const step of [1, 2, 3, 7, 64, 301, stream.length]) {
    const { decode, calls } = countingUint16Decoder()
    const decoder = new LengthPrefixedDecoder({ lengthDecoder: decode, encodingLength: () => 2, maxBufferSize: 1 << 20 })
    const out: Uint8Array[] = []
    for (let i = 0; i < stream.length; i += step) {
      for (const f of decoder.decode(stream.subarray(i, i + step))) out.push(f.subarray())
    }
    assert.deepEqual(out, bodies, `chunks of ${step}`)
    assert.equal(calls.empty, 0, `chunks of ${step}: the library decoder never sees an empty buffer`)
    // 1-byte remainders of a prefix still go to the library's decoder (its own RangeError).
    if (step === 1) assert.ok(calls.short > 0)
  }
})

test('the wrapper throws the preallocated RangeError on an empty buffer and defers otherwise', () => {
  const { decode, calls } = countingUint16Decoder()
  const wrapped = emptyBufferAware(decode)
  assert.equal(emptyBufferAware(wrapped), wrapped, 'not wrapped twice')
  assert.throws(() => wrapped(new Uint8Array(0)), (e: unknown) => e === NEED_MORE_BYTES && e instanceof RangeError)
  assert.throws(() => wrapped(new Uint8Array(1)), (e: unknown) => e instanceof RangeError && e !== NEED_MORE_BYTES)
  assert.equal(wrapped(new Uint8Array([1, 2])), 258)
  assert.deepEqual(calls, { empty: 0, short: 1, ok: 1 })
})

test('a decoder object without the fields the patch relies on (a changed library) fails loudly', () => {
  const proto = { decode(this: unknown, _buf: unknown): Iterable<unknown> { return [] } }
  installLengthPrefixNoThrow(proto)
  assert.throws(() => (Object.create(proto) as typeof proto).decode(new Uint8Array(1)), /library changed/)
})
