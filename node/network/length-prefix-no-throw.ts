/**
 * Noise frame decoding without a stack trace per incoming chunk.
 *
 * Why: @libp2p/utils 7's `LengthPrefixedDecoder.decode` reads frames in a loop until its length
 * decoder throws a RangeError ("not enough bytes for the length prefix"). After the last whole
 * frame of a chunk the buffer is usually empty, so every chunk a Noise connection receives ends
 * with `new RangeError(...)`, whose stack capture is the expensive part. On 10 validators sharing
 * 2 cores that was 3.7% of all node CPU in a run of one-at-a-time records (perf, 100 records):
 * one throw per vote, proposal and tx received.
 *
 * What is changed: the decoder's `lengthDecoder` is wrapped, once per decoder, so that on an EMPTY
 * buffer it throws one preallocated RangeError (throwing an existing error captures no stack)
 * instead of calling the library's decoder. Nothing else: a buffer holding 1 byte of a 2-byte
 * prefix still goes to the library's decoder, and the loop, its limits and its errors are the
 * library's own. No length can be read from zero bytes, so "need more data" is the only answer a
 * decoder could give there. The patch is idempotent, and fails loudly on the first decode if the
 * fields it relies on are renamed.
 */
import { LengthPrefixedDecoder } from '@libp2p/utils'

type LengthDecoder<D extends { byteLength: number } = { byteLength: number }> = ((data: D) => number) & { [WRAPPED]?: true }
interface DecoderFields {
  buffer?: { byteLength: number }
  lengthDecoder?: LengthDecoder
}

const PATCHED = Symbol.for('medchain.lengthPrefixNoThrow')
const WRAPPED = Symbol.for('medchain.lengthPrefixNoThrow.wrapped')
/** Thrown (never constructed) per empty buffer: the loop only checks `instanceof RangeError`. */
export const NEED_MORE_BYTES = new RangeError('need more bytes for the length prefix')

type Patchable = { decode(this: unknown, buf: unknown): Iterable<unknown>; [PATCHED]?: true }

/** The decoder wrapped so an empty buffer answers with the preallocated RangeError. */
export function emptyBufferAware<D extends { byteLength: number }>(inner: LengthDecoder<D>): LengthDecoder<D> {
  if (inner[WRAPPED]) return inner
  const wrapped: LengthDecoder<D> = (data) => {
    if (data.byteLength === 0) throw NEED_MORE_BYTES
    return inner(data)
  }
  wrapped[WRAPPED] = true
  return wrapped
}

export function installLengthPrefixNoThrow(proto: Patchable = LengthPrefixedDecoder.prototype as unknown as Patchable): void {
  if (proto[PATCHED]) return
  const original = proto.decode
  if (typeof original !== 'function') throw new Error('libp2p utils: LengthPrefixedDecoder.decode not found (library changed?)')
  proto.decode = function decodeWithoutEmptyBufferThrow(this: unknown, buf: unknown) {
    const d = this as DecoderFields
    if (typeof d.lengthDecoder !== 'function' || typeof d.buffer?.byteLength !== 'number') {
      throw new Error('libp2p utils: LengthPrefixedDecoder fields not found (library changed?)')
    }
    d.lengthDecoder = emptyBufferAware(d.lengthDecoder)
    return original.call(this, buf)
  }
  proto[PATCHED] = true
}
