import { test } from 'node:test'
import assert from 'node:assert/strict'
import { decode, encode, type CanonicalValue } from './encoding.ts'
import { isCoreError } from './errors.ts'
import { fromJsonValue, fromJsonValues, toJsonValue } from './json-value.ts'

test('round trip: canonical → JSON text → canonical gives the same canonical bytes', () => {
  const vectors: CanonicalValue[] = [
    null, true, false, 0, 1, -1, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, '', 'héllo ✓',
    0n, 5n, -(2n ** 63n), 2n ** 63n - 1n, new Uint8Array(0), new Uint8Array([0, 1, 254, 255]),
    [], [1, 'a', [new Uint8Array([9]), 7n, [null]]],
  ]
  for (const v of vectors) {
    const text = JSON.stringify(toJsonValue(v))
    const back = fromJsonValue(JSON.parse(text))
    assert.deepEqual(encode(back), encode(v), `vector ${text}`)
    assert.deepEqual(decode(encode(back)), decode(encode(v)))
  }
})

test('exact JSON forms of the wire contract', () => {
  assert.deepEqual(toJsonValue(123n), { $bigint: '123' })
  assert.deepEqual(toJsonValue(new Uint8Array([0xab, 0x01])), { $bytes: '0xab01' })
  assert.deepEqual(toJsonValue([1, 'x', null, true]), [1, 'x', null, true])
  assert.equal(typeof fromJsonValue({ $bigint: '7' }), 'bigint')
  assert.deepEqual(fromJsonValue({ $bytes: '0xABcd' }), new Uint8Array([0xab, 0xcd]))
  assert.deepEqual(fromJsonValues([1, { $bytes: '0x' }], 'args'), [1, new Uint8Array(0)])
})

test('rejection vectors name the bad path', () => {
  let deep: unknown = 1
  for (let i = 0; i < 40; i++) deep = [deep]
  const vectors: [unknown, RegExp][] = [
    [1.5, /not a safe integer/],
    [2 ** 53, /not a safe integer/],
    [-0, /not a safe integer/],
    [{ a: 1 }, /must be \{"\$bigint"/],
    [{ $bigint: '1', $bytes: '0x' }, /must be/],
    [{}, /must be/],
    [{ $bigint: 12 }, /\$bigint: expected a canonical decimal/],
    [{ $bigint: '012' }, /canonical decimal/],
    [{ $bigint: '-0' }, /canonical decimal/],
    [{ $bigint: '+1' }, /canonical decimal/],
    [{ $bigint: '1e3' }, /canonical decimal/],
    [{ $bigint: (2n ** 63n).toString() }, /64-bit range/],
    [{ $bigint: (-(2n ** 63n) - 1n).toString() }, /64-bit range/],
    [{ $bytes: 'abcd' }, /0x-prefixed/],
    [{ $bytes: '0xabc' }, /0x-prefixed/],
    [{ $bytes: '0xzz' }, /0x-prefixed/],
    [{ $bytes: null }, /0x-prefixed/],
    [[1, [2, { $bytes: '0x1' }]], /value\[1\]\[1\]\.\$bytes/],
    [undefined, /not a JSON value/],
    [deep, /nesting deeper/],
    [new Date(0), /must be|not a JSON value/],
  ]
  for (const [input, message] of vectors) {
    assert.throws(() => fromJsonValue(input), (e: unknown) => isCoreError(e, 'BAD_SHAPE') && message.test((e as Error).message), `input ${String(JSON.stringify(input))}`)
  }
  assert.throws(() => fromJsonValues({ length: 1 }, 'args'), /args: expected an array/)
  assert.throws(() => fromJsonValues([1, 0.5], 'args'), /args\[1\]/)
})

test('toJsonValue refuses values outside the canonical model', () => {
  assert.throws(() => toJsonValue(0.5), /not a safe integer/)
  assert.throws(() => toJsonValue(2n ** 64n), /64-bit/)
  assert.throws(() => toJsonValue({} as unknown as CanonicalValue), /not a canonical value/)
})
