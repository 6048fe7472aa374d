import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Uint8ArrayList } from 'uint8arraylist'
import { asOneChunk, installSingleWriteSends } from './single-write-sends.ts'

test('asOneChunk joins a list of several chunks and leaves everything else as it is', () => {
  const joined = asOneChunk(new Uint8ArrayList(Uint8Array.of(0, 3), Uint8Array.of(7, 8, 9)))
  assert.ok(joined instanceof Uint8Array)
  assert.deepEqual([...joined], [0, 3, 7, 8, 9])
  const one = new Uint8ArrayList(Uint8Array.of(1, 2))
  assert.equal(asOneChunk(one), one, 'a list of one chunk is not copied')
  const bytes = Uint8Array.of(4)
  assert.equal(asOneChunk(bytes), bytes)
})

test('installSingleWriteSends: the patched send passes one buffer on, once installed however often', () => {
  const seen: unknown[] = []
  class FakeConnection {
    send(data: unknown): boolean {
      seen.push(data)
      return true
    }
  }
  const proto = FakeConnection.prototype as unknown as Parameters<typeof installSingleWriteSends>[0]
  installSingleWriteSends(proto)
  installSingleWriteSends(proto)
  assert.equal(new FakeConnection().send(new Uint8ArrayList(Uint8Array.of(0, 1), Uint8Array.of(5))), true)
  assert.equal(seen.length, 1)
  assert.deepEqual([...(seen[0] as Uint8Array)], [0, 1, 5])
  assert.throws(() => installSingleWriteSends({} as never), /send not found/)
})
