/**
 * Wire format of the validator network (pure: no I/O).
 *
 * Every stream carries frames: a 4-byte big-endian body length, then the body. A fixed-width
 * prefix makes the size cap checkable as soon as 4 bytes have arrived, before anything is
 * buffered.
 *
 * Gossip body:   relayLength (u8, 0..32) ‖ relayTo (relayLength bytes) ‖ topicLength (u8, 1..64)
 *                ‖ topic (ASCII [A-Za-z0-9._/-]) ‖ payload
 * Request body:  payload
 * Response body: status (u8: 0 ok, 1 error) ‖ payload (ok) or UTF-8 error text (error)
 *
 * `relayTo` is a bitmap over the validator set sorted by public key (bit i = byte i>>3, bit i&7):
 * the validators the origin could not reach directly, whom a receiver should forward the message
 * to. Empty when the origin reached everyone (the normal case) and in forwarded copies (one hop).
 *
 * The gossip message id is SHA-256 over topicLength ‖ topic ‖ payload: content-addressed, so a
 * forwarded copy (no relayTo) is a duplicate of the original, and the same bytes on two topics
 * are two messages.
 */
import { Uint8ArrayList } from 'uint8arraylist'
import { sha256 } from '../../core/hash.ts'
import { NetworkError, NetworkErrorCode } from './errors.ts'

export const LENGTH_PREFIX_BYTES = 4
export const MAX_TOPIC_LENGTH = 64
const TOPIC_RE = /^[A-Za-z0-9._/-]{1,64}$/

export function isValidTopic(topic: unknown): topic is string {
  return typeof topic === 'string' && TOPIC_RE.test(topic)
}

/** Prefixes `body` with its length. */
export function encodeFrame(body: Uint8Array): Uint8Array {
  const out = new Uint8Array(LENGTH_PREFIX_BYTES + body.length)
  new DataView(out.buffer).setUint32(0, body.length, false)
  out.set(body, LENGTH_PREFIX_BYTES)
  return out
}

/**
 * Splits a byte stream into frame bodies. Push chunks as they arrive; complete bodies come back
 * in order. A declared length above `maxFrameBytes` throws MESSAGE_TOO_LARGE before the body is
 * buffered: the caller must then drop the stream, since framing is lost.
 */
export class FrameDecoder {
  private readonly buffer = new Uint8ArrayList()
  private readonly maxFrameBytes: number

  constructor(maxFrameBytes: number) {
    if (!Number.isSafeInteger(maxFrameBytes) || maxFrameBytes < 0 || maxFrameBytes > 0xffffffff) {
      throw new NetworkError(NetworkErrorCode.BAD_OPTIONS, 'maxFrameBytes must be an integer in [0, 2^32)')
    }
    this.maxFrameBytes = maxFrameBytes
  }

  /** Bytes received but not yet returned as a frame. */
  get bufferedBytes(): number {
    return this.buffer.byteLength
  }

  /**
   * @throws NetworkError MESSAGE_TOO_LARGE (penalisePeer) when a declared length exceeds the cap.
   */
  push(chunk: Uint8Array | Uint8ArrayList): Uint8Array[] {
    this.buffer.append(chunk)
    const frames: Uint8Array[] = []
    while (this.buffer.byteLength >= LENGTH_PREFIX_BYTES) {
      const length = this.buffer.getUint32(0, false)
      if (length > this.maxFrameBytes) {
        throw new NetworkError(
          NetworkErrorCode.MESSAGE_TOO_LARGE,
          `frame of ${length} bytes exceeds the cap of ${this.maxFrameBytes}`,
          { penalisePeer: true },
        )
      }
      const end = LENGTH_PREFIX_BYTES + length
      if (this.buffer.byteLength < end) break
      // slice copies: a frame must not pin the (possibly large) transport chunk it arrived in
      frames.push(this.buffer.slice(LENGTH_PREFIX_BYTES, end))
      this.buffer.consume(end)
    }
    return frames
  }
}

export const MAX_RELAY_BITMAP_BYTES = 32 // 256 validators

export interface GossipMessage {
  readonly topic: string
  readonly payload: Uint8Array
  /** Bitmap of validators (sorted by public key) to forward to; empty: do not forward. */
  readonly relayTo: Uint8Array
  /** sha256(topicLength ‖ topic ‖ payload) */
  readonly id: Uint8Array
}

/**
 * A complete length-prefixed gossip frame, ready to write. `topic` must be valid and `relayTo`
 * at most MAX_RELAY_BITMAP_BYTES.
 */
export function encodeGossipFrame(topic: string, payload: Uint8Array, relayTo: Uint8Array = EMPTY): Uint8Array {
  const topicBytes = Buffer.from(topic, 'latin1') // topics are ASCII (isValidTopic)
  const head = 1 + relayTo.length
  const bodyLength = head + 1 + topicBytes.length + payload.length
  const out = new Uint8Array(LENGTH_PREFIX_BYTES + bodyLength)
  new DataView(out.buffer).setUint32(0, bodyLength, false)
  out[4] = relayTo.length
  out.set(relayTo, 5)
  out[4 + head] = topicBytes.length
  out.set(topicBytes, 5 + head)
  out.set(payload, 5 + head + topicBytes.length)
  return out
}

const EMPTY = new Uint8Array(0)

/** The message id of an encoded gossip frame (as made by encodeGossipFrame). */
export function gossipFrameId(frame: Uint8Array): Uint8Array {
  return sha256(frame.subarray(LENGTH_PREFIX_BYTES + 1 + frame[LENGTH_PREFIX_BYTES]!))
}

/**
 * Parses a gossip body (without its length prefix).
 * @throws NetworkError MALFORMED_FRAME (penalisePeer)
 */
export function decodeGossipBody(body: Uint8Array): GossipMessage {
  if (body.length < 2) throw malformed('gossip body shorter than its header')
  const relayLength = body[0]!
  if (relayLength > MAX_RELAY_BITMAP_BYTES) throw malformed(`relay bitmap of ${relayLength} bytes`)
  const t = 1 + relayLength // offset of topicLength
  if (body.length < t + 1) throw malformed('gossip body shorter than its relay bitmap')
  const topicLength = body[t]!
  if (topicLength === 0 || topicLength > MAX_TOPIC_LENGTH) throw malformed(`bad topic length ${topicLength}`)
  if (body.length < t + 1 + topicLength) throw malformed('gossip body shorter than its topic')
  const topic = Buffer.from(body.buffer, body.byteOffset + t + 1, topicLength).toString('latin1')
  if (!TOPIC_RE.test(topic)) throw malformed('topic has characters outside [A-Za-z0-9._/-]')
  return {
    topic,
    payload: body.subarray(t + 1 + topicLength),
    relayTo: body.subarray(1, t),
    id: sha256(body.subarray(t)),
  }
}

/** A bitmap with the given indices set, sized for `size` entries. */
export function encodeRelayBitmap(indices: Iterable<number>, size: number): Uint8Array {
  const out = new Uint8Array(Math.ceil(size / 8))
  for (const i of indices) out[i >> 3] = out[i >> 3]! | (1 << (i & 7))
  return out
}

export function bitmapHas(bitmap: Uint8Array, index: number): boolean {
  const byte = bitmap[index >> 3]
  return byte !== undefined && (byte & (1 << (index & 7))) !== 0
}

export const ResponseStatus = { OK: 0, ERROR: 1 } as const

export function encodeResponseFrame(status: number, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(LENGTH_PREFIX_BYTES + 1 + data.length)
  new DataView(out.buffer).setUint32(0, 1 + data.length, false)
  out[4] = status
  out.set(data, 5)
  return out
}

/** @throws NetworkError MALFORMED_FRAME (penalisePeer) */
export function decodeResponseBody(body: Uint8Array): { status: number; data: Uint8Array } {
  if (body.length < 1) throw malformed('empty response')
  const status = body[0]!
  if (status !== ResponseStatus.OK && status !== ResponseStatus.ERROR) throw malformed(`unknown response status ${status}`)
  return { status, data: body.subarray(1) }
}

function malformed(message: string): NetworkError {
  return new NetworkError(NetworkErrorCode.MALFORMED_FRAME, message, { penalisePeer: true })
}
