import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { decode, encode, type CanonicalValue } from './encoding.ts'
import type { CoreError } from './errors.ts'
import { fromHex, toHex } from './hex.ts'
import { fromJsonValue, type JsonValue } from './json-value.ts'
import { formatAddress, keyPairFromSecretKey } from './keys.ts'
import { testKeyPair, TEST_CHAIN_ID, codeOf } from './test-fixtures.ts'
import {
  createSignedTx, createTxFromBytes, TX_LIMITS, TxKind, txId, validateTxNonce, validateTxStateless, verifyTxSignature, type UnsignedTx,
} from './tx.ts'

const protocol = JSON.parse(readFileSync(new URL('./vectors/protocol.json', import.meta.url), 'utf8')) as {
  tx: { secretKey: string; chainId: string; kind: number; nonce: number; target: string; method: string; args: JsonValue[]; gasLimit: number; id: string; signature: string; bytes: string; sender: string }
}

const alice = testKeyPair(1)
const fields = (over: Partial<Omit<UnsignedTx, 'senderPublicKey'>> = {}): Omit<UnsignedTx, 'senderPublicKey'> => ({
  chainId: TEST_CHAIN_ID, kind: TxKind.KV_PUT, nonce: 3, target: new Uint8Array(0), method: 'image/1', args: [new Uint8Array(32).fill(9)], gasLimit: 20_000, ...over,
})


/** Re-encodes a signed tx after `edit` changes its raw form (keeping the old signature). */
function reencode(bytes: Uint8Array, edit: (unsigned: CanonicalValue[], signed: CanonicalValue[]) => void): Uint8Array {
  const signed = [...(decode(bytes) as CanonicalValue[])]
  const unsigned = [...(signed[0] as CanonicalValue[])]
  signed[0] = unsigned
  edit(unsigned, signed)
  return encode(signed)
}

test('tx id vector: fixed key and fields give the stored id, signature, bytes and sender', () => {
  const v = protocol.tx
  const kp = keyPairFromSecretKey(fromHex(v.secretKey))
  const tx = createSignedTx({
    chainId: v.chainId, kind: v.kind as TxKind, nonce: v.nonce, target: fromHex(v.target), method: v.method,
    args: v.args.map((a) => fromJsonValue(a)), gasLimit: v.gasLimit,
  }, kp.secretKey, kp.publicKey)
  assert.equal(toHex(tx.id), v.id)
  assert.equal(toHex(tx.signature), v.signature)
  assert.equal(toHex(tx.bytes), v.bytes)
  assert.equal(formatAddress(tx.sender), v.sender)
  const decoded = createTxFromBytes(fromHex(v.bytes))
  assert.equal(toHex(decoded.id), v.id)
  validateTxStateless(decoded, v.chainId)
})

test('createSignedTx → bytes → createTxFromBytes: same id, same bytes, same fields, signature verifies', () => {
  const variants = [
    fields(),
    fields({ kind: TxKind.CALL, target: new Uint8Array(20).fill(1), method: 'setXrayhash', args: ['p-1', 7n, [1, 2, [null, true]]] }),
    fields({ kind: TxKind.DEPLOY, method: '', args: [new Uint8Array(1000), 'abi', 'source', []] }),
    fields({ nonce: Number.MAX_SAFE_INTEGER, gasLimit: TX_LIMITS.maxGasLimit, args: [] }),
  ]
  for (const f of variants) {
    const tx = createSignedTx(f, alice.secretKey, alice.publicKey)
    const back = createTxFromBytes(tx.bytes)
    assert.equal(toHex(back.id), toHex(tx.id))
    assert.equal(toHex(back.bytes), toHex(tx.bytes))
    assert.equal(toHex(encode(back.args as CanonicalValue[])), toHex(encode(f.args as CanonicalValue[])))
    assert.deepEqual([back.chainId, back.kind, back.nonce, back.method, back.gasLimit], [f.chainId, f.kind, f.nonce, f.method, f.gasLimit])
    assert.equal(toHex(back.sender), toHex(tx.sender))
    assert.equal(toHex(txId(back)), toHex(tx.id))
    assert.ok(verifyTxSignature(back))
    validateTxStateless(back, TEST_CHAIN_ID)
    assert.ok(Object.isFrozen(back))
  }
})

test('a flipped signature bit → BAD_SIGNATURE', () => {
  const tx = createSignedTx(fields(), alice.secretKey, alice.publicKey)
  for (const bit of [0, 7, 100, 255, 256, 511]) {
    const bytes = reencode(tx.bytes, (_, signed) => {
      const sig = new Uint8Array(signed[1] as Uint8Array)
      sig[bit >> 3]! ^= 1 << (bit & 7)
      signed[1] = sig
    })
    const bad = createTxFromBytes(bytes)
    assert.equal(codeOf(() => validateTxStateless(bad, TEST_CHAIN_ID)), 'BAD_SIGNATURE', `bit ${bit}`)
  }
})

test('a changed field, re-encoded with the old signature → BAD_SIGNATURE (the id changes with it)', () => {
  const tx = createSignedTx(fields(), alice.secretKey, alice.publicKey)
  const edits: [string, (u: CanonicalValue[]) => void][] = [
    ['nonce', (u) => { u[3] = 4 }],
    ['method', (u) => { u[5] = 'image/2' }],
    ['args', (u) => { u[6] = [new Uint8Array(32).fill(8)] }],
    ['gasLimit', (u) => { u[7] = 20_001 }],
    ['sender key', (u) => { u[2] = testKeyPair(2).publicKey }],
    ['target', (u) => { u[4] = new Uint8Array(20) }],
  ]
  for (const [name, edit] of edits) {
    const bad = createTxFromBytes(reencode(tx.bytes, (u) => edit(u)))
    assert.notEqual(toHex(bad.id), toHex(tx.id), name)
    assert.equal(codeOf(() => validateTxStateless(bad, TEST_CHAIN_ID)), 'BAD_SIGNATURE', name)
  }
})

test('wrong chain id → WRONG_CHAIN_ID (checked before the signature)', () => {
  const tx = createSignedTx(fields(), alice.secretKey, alice.publicKey)
  assert.equal(codeOf(() => validateTxStateless(tx, 'other-chain')), 'WRONG_CHAIN_ID')
  const other = createSignedTx(fields({ chainId: 'other-chain' }), alice.secretKey, alice.publicKey)
  assert.equal(codeOf(() => validateTxStateless(other, TEST_CHAIN_ID)), 'WRONG_CHAIN_ID')
  validateTxStateless(other, 'other-chain')
})

test('validateTxNonce: replay → NONCE_TOO_LOW, beyond maxGap → NONCE_GAP, the window in between passes', () => {
  const at = (nonce: number) => createSignedTx(fields({ nonce }), alice.secretKey, alice.publicKey)
  assert.equal(codeOf(() => validateTxNonce(at(4), 5, 10)), 'NONCE_TOO_LOW')
  assert.equal(codeOf(() => validateTxNonce(at(0), 1, 10)), 'NONCE_TOO_LOW')
  validateTxNonce(at(5), 5, 10)
  validateTxNonce(at(15), 5, 10)
  assert.equal(codeOf(() => validateTxNonce(at(16), 5, 10)), 'NONCE_GAP')
  assert.equal(codeOf(() => validateTxNonce(at(6), 5, 0)), 'NONCE_GAP')
  try {
    validateTxNonce(at(1), 5, 10)
  } catch (e) {
    assert.deepEqual((e as CoreError).detail, { expected: 5 })
  }
})

test('oversized → TX_TOO_LARGE on both construction and decoding', () => {
  const big = new Uint8Array(TX_LIMITS.maxBytes)
  assert.equal(codeOf(() => createSignedTx(fields({ args: [big] }), alice.secretKey, alice.publicKey)), 'TX_TOO_LARGE')
  assert.equal(codeOf(() => createTxFromBytes(new Uint8Array(TX_LIMITS.maxBytes + 1))), 'TX_TOO_LARGE')
  // just under the limit is fine
  const room = TX_LIMITS.maxBytes - 200
  const ok = createSignedTx(fields({ args: [new Uint8Array(room)] }), alice.secretKey, alice.publicKey)
  assert.ok(ok.bytes.length <= TX_LIMITS.maxBytes)
  assert.equal(toHex(createTxFromBytes(ok.bytes).id), toHex(ok.id))
})

test('gas limit out of bounds → GAS_LIMIT_OUT_OF_BOUNDS; unknown kind → UNKNOWN_TX_KIND (built or decoded)', () => {
  for (const gasLimit of [TX_LIMITS.minGasLimit - 1, TX_LIMITS.maxGasLimit + 1, 0, 1.5, -1]) {
    assert.equal(codeOf(() => createSignedTx(fields({ gasLimit }), alice.secretKey, alice.publicKey)), 'GAS_LIMIT_OUT_OF_BOUNDS', String(gasLimit))
  }
  const tx = createSignedTx(fields(), alice.secretKey, alice.publicKey)
  assert.equal(codeOf(() => createTxFromBytes(reencode(tx.bytes, (u) => { u[7] = TX_LIMITS.maxGasLimit + 1 }))), 'GAS_LIMIT_OUT_OF_BOUNDS')
  assert.equal(codeOf(() => createTxFromBytes(reencode(tx.bytes, (u) => { u[7] = 999 }))), 'GAS_LIMIT_OUT_OF_BOUNDS')
  for (const kind of [3, 99, -1]) {
    assert.equal(codeOf(() => createSignedTx(fields({ kind: kind as TxKind }), alice.secretKey, alice.publicKey)), 'UNKNOWN_TX_KIND', String(kind))
  }
  assert.equal(codeOf(() => createTxFromBytes(reencode(tx.bytes, (u) => { u[1] = 3 }))), 'UNKNOWN_TX_KIND')
})

test('shape errors: bad fields are refused with BAD_SHAPE when built and when decoded', () => {
  const build: [string, Partial<Omit<UnsignedTx, 'senderPublicKey'>>][] = [
    ['empty chain id', { chainId: '' }], ['long chain id', { chainId: 'c'.repeat(65) }],
    ['negative nonce', { nonce: -1 }], ['fractional nonce', { nonce: 1.5 }],
    ['target of 19 bytes', { target: new Uint8Array(19) }], ['call without target', { kind: TxKind.CALL }],
    ['long method', { method: 'm'.repeat(129) }], ['too many args', { args: new Array(65).fill(1) }],
  ]
  for (const [name, over] of build) assert.equal(codeOf(() => createSignedTx(fields(over), alice.secretKey, alice.publicKey)), 'BAD_SHAPE', name)
  assert.equal(codeOf(() => createSignedTx(fields({ args: [1.5] }), alice.secretKey, alice.publicKey)), 'DECODE_BAD_TYPE')
  assert.equal(codeOf(() => createSignedTx(fields({ method: 'x\ud800' }), alice.secretKey, alice.publicKey)), 'DECODE_BAD_TYPE')
  assert.equal(codeOf(() => createSignedTx({ ...fields(), senderPublicKey: undefined } as never, alice.secretKey, new Uint8Array(31))), 'BAD_SHAPE')

  const tx = createSignedTx(fields(), alice.secretKey, alice.publicKey)
  const decodeEdits: [string, (u: CanonicalValue[], s: CanonicalValue[]) => void][] = [
    ['nonce as bigint', (u) => { u[3] = 3n }], ['nonce negative', (u) => { u[3] = -3 }], ['kind as string', (u) => { u[1] = 'kv' }],
    ['public key 31 bytes', (u) => { u[2] = new Uint8Array(31) }], ['args not a list', (u) => { u[6] = 'x' }],
    ['unsigned with 9 fields', (u) => { u.push(0) }], ['signature 63 bytes', (_, s) => { s[1] = new Uint8Array(63) }],
    ['signed with 3 fields', (_, s) => { s.push(null) }], ['chainId as bytes', (u) => { u[0] = new Uint8Array(2) }],
  ]
  for (const [name, edit] of decodeEdits) assert.equal(codeOf(() => createTxFromBytes(reencode(tx.bytes, edit))), 'BAD_SHAPE', name)
  assert.equal(codeOf(() => createTxFromBytes(encode([1, 2]))), 'BAD_SHAPE')
})

test('createSignedTx never builds a tx that createTxFromBytes refuses (args nesting depth)', () => {
  const nest = (levels: number): CanonicalValue => {
    let v: CanonicalValue = 1
    for (let i = 0; i < levels; i++) v = [v]
    return v
  }
  // args sit at depth 2 of the signed tx: an arg may nest MAX_DEPTH - 3 levels deep
  let deepest = -1
  for (let levels = 25; levels <= 33; levels++) {
    let built
    try {
      built = createSignedTx(fields({ args: [nest(levels)] }), alice.secretKey, alice.publicKey)
    } catch (e) {
      assert.equal((e as CoreError).code, 'DECODE_TOO_DEEP')
      continue
    }
    deepest = levels
    assert.equal(toHex(createTxFromBytes(built.bytes).id), toHex(built.id), `levels ${levels}`)
  }
  assert.equal(deepest, 29)
})

test('a decoded tx\'s id, hashed from its own bytes, equals the id of its re-encoded unsigned part', () => {
  for (let i = 0; i < 50; i++) {
    const kp = testKeyPair(100 + i)
    const tx = createSignedTx(fields({
      chainId: `chain-${i}`, kind: TxKind.CALL, nonce: i * 7919, target: new Uint8Array(20).fill(i), method: 'm'.repeat(1 + (i % 40)),
      args: [i, `arg-${'x'.repeat(i * 3)}`, new Uint8Array(i * 5), [i, [true, null]]], gasLimit: 100_000 + i,
    }), kp.secretKey, kp.publicKey)
    const decoded = createTxFromBytes(tx.bytes)
    assert.deepEqual(decoded.id, txId(decoded))
    assert.deepEqual(decoded.id, tx.id)
  }
})
