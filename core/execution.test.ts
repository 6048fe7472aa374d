import { test } from 'node:test'
import assert from 'node:assert/strict'
import { decode, encode, type CanonicalValue } from './encoding.ts'
import { isCoreError } from './errors.ts'
import { decodeReceipt, encodeReceipt, failedReceipt, okReceipt, ReceiptStatus } from './execution.ts'
import { toHex } from './hex.ts'

test('receipts round trip through their canonical encoding', () => {
  const receipts = [
    okReceipt(21_000),
    okReceipt(5, { events: [{ contract: new Uint8Array(20).fill(1), name: 'XrayAdded', data: ['p-1', new Uint8Array(32), 3n, [true]] }], returnValue: [1, 'x'], contractAddress: new Uint8Array(20).fill(9) }),
    failedReceipt(999, 'REQUIRE_FAILED', 'not allowed: ✗'),
  ]
  for (const r of receipts) {
    const bytes = encodeReceipt(r)
    const back = decodeReceipt(bytes)
    assert.equal(toHex(encodeReceipt(back)), toHex(bytes))
    assert.equal(back.status, r.status)
    assert.equal(back.errorMessage, r.errorMessage)
  }
  assert.equal(failedReceipt(1, 'OUT_OF_GAS', '').status, ReceiptStatus.FAILED)
})

test('decodeReceipt refuses an unknown status and bad shapes with BAD_SHAPE', () => {
  const raw = decode(encodeReceipt(okReceipt(1))) as CanonicalValue[]
  const edits: CanonicalValue[][] = [
    [2, ...raw.slice(1)], [-1, ...raw.slice(1)], raw.slice(0, 6), [0, 1, [[1, 'e', []]], null, '', '', new Uint8Array(0)],
    [0, 1, 'events', null, '', '', new Uint8Array(0)], [0, 1, [], null, 5, '', new Uint8Array(0)],
  ]
  for (const e of edits) assert.throws(() => decodeReceipt(encode(e)), (err: unknown) => isCoreError(err, 'BAD_SHAPE'))
})
