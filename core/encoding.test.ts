import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { decode, encode, MAX_DECODE_BYTES_DEFAULT, MAX_DEPTH, type CanonicalValue } from './encoding.ts'
import { CoreError, isCoreError, type CoreErrorCode } from './errors.ts'
import { fromHex, toHex } from './hex.ts'
import { fromJsonValue, type JsonValue } from './json-value.ts'
import { codeOf } from './test-fixtures.ts'

const vectorFile = JSON.parse(readFileSync(new URL('./vectors/encoding.json', import.meta.url), 'utf8')) as {
  vectors: { name: string; value: JsonValue; hex: string }[]
}


test('encoding vectors: encode(value) gives the stored hex and decode(hex) gives the value back', () => {
  assert.ok(vectorFile.vectors.length >= 50)
  for (const v of vectorFile.vectors) {
    const value = fromJsonValue(v.value)
    assert.equal(toHex(encode(value)), v.hex, v.name)
    const back = decode(fromHex(v.hex))
    assert.deepEqual(normalise(back), normalise(value), v.name)
    // number and bigint stay apart: 5 and 5n are different values with different encodings.
    assert.equal(typeof back, typeof value, v.name)
  }
})

/** Buffer views from msgpackr → plain Uint8Array, so deepEqual compares contents only. */
function normalise(v: CanonicalValue): unknown {
  if (v instanceof Uint8Array) return new Uint8Array(v)
  if (Array.isArray(v)) return v.map(normalise)
  return v
}

test('the vectors cover every width boundary the spec requires', () => {
  const hexes = new Set(vectorFile.vectors.map((v) => v.hex.slice(2, 4)))
  // nil, false, true, uint8/16/32, int8/16/32, int64, float64 (large safe ints), str8/16, bin8/16, array16
  for (const tag of ['c0', 'c2', 'c3', 'cc', 'cd', 'ce', 'd0', 'd1', 'd2', 'd3', 'cb', 'd9', 'da', 'c4', 'c5', 'dc']) {
    assert.ok(hexes.has(tag), `no vector starts with 0x${tag}`)
  }
})

/**
 * Alternative encodings of values the model has, and things outside the model. Each row says
 * which code applies:
 *  - DECODE_NOT_CANONICAL: valid MessagePack for an allowed value, but not the one byte string
 *    `encode` gives for it (wider ints, floats holding integers, str8 for a short string, …).
 *  - DECODE_BAD_TYPE: valid MessagePack for a value outside the model (maps, floats, -0, NaN,
 *    undefined, timestamps, ints beyond int64).
 *  - DECODE_MALFORMED: not valid MessagePack at all (truncated, trailing bytes, reserved byte
 *    sequences msgpackr refuses, unknown extensions).
 */
const REFUSED: [string, string, CoreErrorCode][] = [
  ['5 as uint64 (0xcf)', 'cf0000000000000005', 'DECODE_NOT_CANONICAL'],
  ['5 as uint16 (0xcd)', 'cd0005', 'DECODE_NOT_CANONICAL'],
  ['5 as uint8 (0xcc)', 'cc05', 'DECODE_NOT_CANONICAL'],
  ['5 as uint32 (0xce)', 'ce00000005', 'DECODE_NOT_CANONICAL'],
  ['5 as int8 (0xd0)', 'd005', 'DECODE_NOT_CANONICAL'],
  ['5 as int16 (0xd1)', 'd10005', 'DECODE_NOT_CANONICAL'],
  ['5 as int32 (0xd2)', 'd200000005', 'DECODE_NOT_CANONICAL'],
  ['-1 as int8 (0xd0)', 'd0ff', 'DECODE_NOT_CANONICAL'],
  ['200 as uint16', 'cd00c8', 'DECODE_NOT_CANONICAL'],
  ['2^32 as uint64 (decodes to bigint, re-encodes as int64)', 'cf0000000100000000', 'DECODE_NOT_CANONICAL'],
  ['5 as float64', 'cb4014000000000000', 'DECODE_NOT_CANONICAL'],
  ['5 as float32', 'ca40a00000', 'DECODE_NOT_CANONICAL'],
  ['2^32 as float32', 'ca4f800000', 'DECODE_NOT_CANONICAL'],
  ['"a" as str8', 'd90161', 'DECODE_NOT_CANONICAL'],
  ['"a" as str16', 'da000161', 'DECODE_NOT_CANONICAL'],
  ['"a" as str32', 'db0000000161', 'DECODE_NOT_CANONICAL'],
  ['[1] bytes as bin16', 'c5000101', 'DECODE_NOT_CANONICAL'],
  ['[5] as array16', 'dc000105', 'DECODE_NOT_CANONICAL'],
  ['[5] as array32', 'dd0000000105', 'DECODE_NOT_CANONICAL'],
  ['invalid UTF-8 0xff (decodes to U+FFFD)', 'a1ff', 'DECODE_NOT_CANONICAL'],
  ['overlong UTF-8 for "/"', 'a2c0af', 'DECODE_NOT_CANONICAL'],
  ['UTF-8 of a lone surrogate', 'a3eda080', 'DECODE_NOT_CANONICAL'],
  ['typed-array extension holding bytes', 'd5740101', 'DECODE_NOT_CANONICAL'],
  ['float 1.5', 'cb3ff8000000000000', 'DECODE_BAD_TYPE'],
  ['float32 0.5', 'ca3f000000', 'DECODE_BAD_TYPE'],
  ['-0 as float64', 'cb8000000000000000', 'DECODE_BAD_TYPE'],
  ['NaN', 'cb7ff8000000000000', 'DECODE_BAD_TYPE'],
  ['+Infinity', 'cb7ff0000000000000', 'DECODE_BAD_TYPE'],
  ['2^53 as float64 (not a safe integer)', 'cb4340000000000000', 'DECODE_BAD_TYPE'],
  ['uint64 max (beyond int64)', 'cfffffffffffffffff', 'DECODE_BAD_TYPE'],
  ['map {a: 1}', '81a16101', 'DECODE_BAD_TYPE'],
  ['empty map', '80', 'DECODE_BAD_TYPE'],
  ['map inside an array', '9281a1610101', 'DECODE_BAD_TYPE'],
  ['undefined (msgpackr fixext 0/0)', 'd40000', 'DECODE_BAD_TYPE'],
  ['timestamp extension (-1)', 'd6ff00000001', 'DECODE_BAD_TYPE'],
  ['reserved byte 0xc1', 'c1', 'DECODE_BAD_TYPE'],
  ['msgpackr record definition', 'd4724091a16101', 'DECODE_BAD_TYPE'],
  ['trailing byte after 5', '0500', 'DECODE_MALFORMED'],
  ['trailing nil after an array', '9101c0', 'DECODE_MALFORMED'],
  ['truncated str8 header', 'd9', 'DECODE_MALFORMED'],
  ['truncated bin8 body', 'c4050000', 'DECODE_MALFORMED'],
  ['truncated array', '9201', 'DECODE_MALFORMED'],
  ['truncated int64', 'd300000000', 'DECODE_MALFORMED'],
  ['unknown extension type 5', 'd40501', 'DECODE_MALFORMED'],
]

test('non-canonical and out-of-model encodings are refused with the stated code', () => {
  for (const [name, hex, code] of REFUSED) {
    assert.equal(codeOf(() => decode(fromHex(hex))), code, `${name} (0x${hex})`)
  }
})

test('5 written as int64 (0xd3…05) is not an alternative form of 5: it is the bigint 5n', () => {
  // The model keeps number and bigint apart, so 0xd3…05 is the one canonical encoding of 5n
  // and can never be taken for the number 5 (whose only encoding is 0x05).
  const v = decode(fromHex('d30000000000000005'))
  assert.equal(v, 5n)
  assert.notEqual(v as unknown, 5)
  assert.equal(toHex(encode(5)), '0x05')
  assert.equal(toHex(encode(5n)), '0xd30000000000000005')
})

test('encode refuses values outside the model', () => {
  const outside: [string, unknown][] = [
    ['float', 1.5], ['-0', -0], ['NaN', NaN], ['Infinity', Infinity], ['unsafe integer', 2 ** 53],
    ['bigint above int64', 2n ** 63n], ['bigint below int64', -(2n ** 63n) - 1n], ['undefined', undefined],
    ['object', { a: 1 }], ['Map', new Map()], ['Date', new Date(0)], ['Int8Array', new Int8Array(2)],
    ['function', () => 1], ['symbol', Symbol('x')], ['nested object', [1, [{}]]],
    ['lone high surrogate', '\ud800'], ['lone low surrogate inside text', 'x\ude00y'],
  ]
  for (const [name, value] of outside) {
    assert.equal(codeOf(() => encode(value as CanonicalValue)), 'DECODE_BAD_TYPE', name)
  }
  // a well-formed surrogate pair is fine and round-trips
  assert.equal(decode(encode('🩻')), '🩻')
})

test('empty, oversized and non-byte input', () => {
  assert.equal(codeOf(() => decode(new Uint8Array(0))), 'DECODE_EMPTY')
  assert.equal(codeOf(() => decode(new Uint8Array(MAX_DECODE_BYTES_DEFAULT + 1))), 'DECODE_TOO_LARGE')
  const eleven = encode('x'.repeat(9))
  assert.equal(eleven.length, 10)
  assert.equal(codeOf(() => decode(eleven, 9)), 'DECODE_TOO_LARGE')
  assert.equal(decode(eleven, 10), 'x'.repeat(9))
  assert.equal(codeOf(() => decode('c0' as unknown as Uint8Array)), 'DECODE_BAD_TYPE')
  assert.equal(codeOf(() => decode([0xc0] as unknown as Uint8Array)), 'DECODE_BAD_TYPE')
})

test('nesting: up to MAX_DEPTH is fine, one more is DECODE_TOO_DEEP, 100,000 levels is a typed error', () => {
  const nest = (levels: number): CanonicalValue => {
    let v: CanonicalValue = 1
    for (let i = 0; i < levels; i++) v = [v]
    return v
  }
  // MAX_DEPTH + 1 arrays put the innermost integer at depth MAX_DEPTH + 1
  const ok = nest(MAX_DEPTH)
  assert.deepEqual(decode(encode(ok)), ok)
  assert.equal(codeOf(() => encode(nest(MAX_DEPTH + 1))), 'DECODE_TOO_DEEP')
  const deepBytes = new Uint8Array(MAX_DEPTH + 2).fill(0x91)
  deepBytes[MAX_DEPTH + 1] = 0x01
  assert.equal(codeOf(() => decode(deepBytes)), 'DECODE_TOO_DEEP')
  // 100,000 × 0x91 overflows msgpackr's recursive reader: caught and typed, never a crash.
  for (const tail of [[], [0xc0]]) {
    const bomb = new Uint8Array([...new Uint8Array(100_000).fill(0x91), ...tail])
    const code = codeOf(() => decode(bomb))
    assert.ok(code === 'DECODE_MALFORMED' || code === 'DECODE_TOO_DEEP', `got ${code}`)
  }
  // and the decoder still works afterwards
  assert.deepEqual(decode(encode([1, 'a'])), [1, 'a'])
})

test('huge declared lengths are refused without allocating them', () => {
  for (const hex of ['dbffffffff61', 'c6ffffffff00', 'ddffffffff01', 'dd7fffffff']) {
    assert.equal(codeOf(() => decode(fromHex(hex))), 'DECODE_MALFORMED', hex)
  }
})

test('decoder state does not leak between calls (msgpackr record definitions are per call)', () => {
  assert.equal(codeOf(() => decode(fromHex('d4724091a16101'))), 'DECODE_BAD_TYPE')
  // 0x40 would read record #0 if the definition above had stuck; it must still be the int 64.
  assert.equal(decode(fromHex('40')), 64)
  assert.deepEqual(decode(fromHex('924001')), [64, 1])
})

test('decode then encode gives back the input byte for byte', () => {
  const value: CanonicalValue = [new Uint8Array([1, 2, 3]), 'x', [7n, null]]
  const bytes = encode(value)
  const back = decode(bytes)
  assert.equal(toHex(encode(back)), toHex(bytes))
  assert.ok(isCoreError(new CoreError('BAD_SHAPE', 'x'), 'BAD_SHAPE'))
})
