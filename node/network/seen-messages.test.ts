import { test } from 'node:test'
import assert from 'node:assert/strict'
import { SeenMessages } from './seen-messages.ts'

const id = (n: number): Uint8Array => {
  const b = new Uint8Array(32)
  new DataView(b.buffer).setUint32(0, n)
  return b
}

test('add reports first sight once', () => {
  const seen = new SeenMessages(10)
  assert.equal(seen.add(id(1)), true)
  assert.equal(seen.add(id(1)), false)
  assert.equal(seen.add(new Uint8Array(id(1))), false) // by content, not by reference
  assert.equal(seen.has(id(2)), false)
  assert.equal(seen.size, 1)
})

test('capacity bounds memory: the oldest id is forgotten first', () => {
  const seen = new SeenMessages(3)
  for (let i = 0; i < 5; i++) seen.add(id(i))
  assert.equal(seen.size, 3)
  assert.equal(seen.has(id(0)), false)
  assert.equal(seen.has(id(1)), false)
  assert.deepEqual([2, 3, 4].map((i) => seen.has(id(i))), [true, true, true])
  assert.equal(seen.add(id(0)), true) // forgotten, so new again
  assert.throws(() => new SeenMessages(0), RangeError)
})

test('ids are compared by value even when they are views into larger buffers', () => {
  const seen = new SeenMessages(10)
  const big = new Uint8Array(64)
  big.set(id(5), 16)
  assert.equal(seen.add(big.subarray(16, 48)), true)
  assert.equal(seen.has(id(5)), true)
})
