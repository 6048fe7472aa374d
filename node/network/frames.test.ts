import { test } from 'node:test'
import assert from 'node:assert/strict'
import { isNetworkError, NetworkErrorCode } from './errors.ts'
import {
  FrameDecoder,
  ResponseStatus,
  decodeGossipBody,
  decodeResponseBody,
  encodeFrame,
  encodeGossipFrame,
  encodeResponseFrame,
  gossipFrameId,
  bitmapHas,
  encodeRelayBitmap,
  isValidTopic,
} from './frames.ts'

const bytes = (...xs: number[]): Uint8Array => new Uint8Array(xs)

test('FrameDecoder returns frames split at every possible chunk boundary', () => {
  const frames = [bytes(1, 2, 3), bytes(), bytes(9), new Uint8Array(300).fill(7)]
  const wire = Buffer.concat(frames.map(encodeFrame))
  for (let cut = 0; cut <= wire.length; cut++) {
    const decoder = new FrameDecoder(1000)
    const out = [...decoder.push(wire.subarray(0, cut)), ...decoder.push(wire.subarray(cut))]
    assert.deepEqual(out, frames, `cut at ${cut}`)
    assert.equal(decoder.bufferedBytes, 0)
  }
  // one byte at a time
  const decoder = new FrameDecoder(1000)
  const out: Uint8Array[] = []
  for (const b of wire) out.push(...decoder.push(bytes(b)))
  assert.deepEqual(out, frames)
})

test('FrameDecoder refuses a declared length above the cap before buffering the body', () => {
  const decoder = new FrameDecoder(16)
  assert.deepEqual(decoder.push(encodeFrame(new Uint8Array(16))), [new Uint8Array(16)])
  assert.throws(
    () => decoder.push(bytes(0, 0, 0, 17)),
    (e) => isNetworkError(e, NetworkErrorCode.MESSAGE_TOO_LARGE) && e.penalisePeer,
  )
  assert.throws(() => new FrameDecoder(-1), (e) => isNetworkError(e, NetworkErrorCode.BAD_OPTIONS))
})

test('gossip frames round-trip; the id ignores the relay list and covers topic and payload', () => {
  const payload = bytes(10, 20, 30)
  const relayTo = encodeRelayBitmap([1, 9], 10)
  const frame = encodeGossipFrame('tx', payload, relayTo)
  const [body] = new FrameDecoder(100).push(frame)
  const message = decodeGossipBody(body!)
  assert.equal(message.topic, 'tx')
  assert.deepEqual(message.relayTo, relayTo)
  assert.deepEqual(message.payload, payload)
  assert.deepEqual(message.id, gossipFrameId(frame))
  const forwarded = encodeGossipFrame('tx', payload)
  assert.deepEqual(decodeGossipBody(forwarded.subarray(4)).relayTo, bytes())
  assert.deepEqual(gossipFrameId(forwarded), gossipFrameId(frame))
  assert.notDeepEqual(gossipFrameId(encodeGossipFrame('vote', payload)), gossipFrameId(frame))
  assert.notDeepEqual(gossipFrameId(encodeGossipFrame('tx', bytes(10, 20))), gossipFrameId(frame))
  // empty payload is a valid message
  assert.deepEqual(decodeGossipBody(bytes(0, 1, 0x61)).payload, bytes())
})

test('relay bitmaps: bit i is byte i>>3, bit i&7', () => {
  const bitmap = encodeRelayBitmap([0, 3, 8, 17], 18)
  assert.deepEqual(bitmap, bytes(0b1001, 0b1, 0b10))
  assert.deepEqual([0, 1, 3, 8, 9, 17, 18, 200].map((i) => bitmapHas(bitmap, i)), [true, false, true, true, false, true, false, false])
})

test('malformed gossip bodies are typed MALFORMED_FRAME errors', () => {
  const malformed = (e: unknown): boolean => isNetworkError(e, NetworkErrorCode.MALFORMED_FRAME) && e.penalisePeer
  assert.throws(() => decodeGossipBody(bytes()), malformed)
  assert.throws(() => decodeGossipBody(bytes(0)), malformed)
  assert.throws(() => decodeGossipBody(bytes(0, 0)), malformed) // empty topic
  assert.throws(() => decodeGossipBody(bytes(0, 65, ...new Uint8Array(65).fill(0x61))), malformed)
  assert.throws(() => decodeGossipBody(bytes(0, 5, 0x61)), malformed) // topic truncated
  assert.throws(() => decodeGossipBody(bytes(0, 2, 0x61, 0x20)), malformed) // space
  assert.throws(() => decodeGossipBody(bytes(0, 2, 0xc3, 0xa9)), malformed) // non-ASCII
  assert.throws(() => decodeGossipBody(bytes(33, ...new Uint8Array(33), 1, 0x61)), malformed) // bitmap too long
  assert.throws(() => decodeGossipBody(bytes(3, 1, 1)), malformed) // bitmap truncated
})

test('topics are 1..64 characters of [A-Za-z0-9._/-]', () => {
  for (const t of ['tx', 'consensus/vote', 'a.b-c_d', 'x'.repeat(64)]) assert.ok(isValidTopic(t), t)
  for (const t of ['', 'x'.repeat(65), 'a b', 'é', 7, null]) assert.ok(!isValidTopic(t), String(t))
})

test('response frames round-trip and unknown statuses are malformed', () => {
  const [ok] = new FrameDecoder(100).push(encodeResponseFrame(ResponseStatus.OK, bytes(1, 2)))
  assert.deepEqual(decodeResponseBody(ok!), { status: ResponseStatus.OK, data: bytes(1, 2) })
  const [err] = new FrameDecoder(100).push(encodeResponseFrame(ResponseStatus.ERROR, bytes()))
  assert.deepEqual(decodeResponseBody(err!), { status: ResponseStatus.ERROR, data: bytes() })
  assert.throws(() => decodeResponseBody(bytes()), (e) => isNetworkError(e, NetworkErrorCode.MALFORMED_FRAME))
  assert.throws(() => decodeResponseBody(bytes(7)), (e) => isNetworkError(e, NetworkErrorCode.MALFORMED_FRAME))
})
