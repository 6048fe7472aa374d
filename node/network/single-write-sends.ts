/**
 * One socket write per Noise message, not two.
 *
 * Why: @chainsafe/libp2p-noise 17 hands the transport connection each sealed message as a list
 * of two chunks, its 2-byte length and then its ciphertext, and @libp2p/tcp 11 writes a list
 * chunk by chunk, with TCP_NODELAY on. So every vote, proposal, block and tx a validator sent
 * cost two write() calls and went out as two TCP segments, the first one 2 bytes long (strace of
 * one validator over 4 s of records one at a time: 144 of the 290 writes on one connection were
 * 2 bytes). On a network that is twice the packets; on these virtual machines a system call
 * costs ~1–2 µs before any TCP work (bench/kernel-costs.ts).
 *
 * What is changed: `send` of a raw transport connection (libp2p's `AbstractMultiaddrConnection`,
 * which the TCP connection extends) joins a list of several chunks into one buffer before it is
 * queued; the library's own `send` does the rest (queueing, back-pressure, `sendData`). Messages
 * here are mostly small (a vote is ~150 bytes), so the copy costs less than the write it saves;
 * a large transfer (a block sync answer, which Noise splits into 64 KiB messages) is joined too,
 * one copy instead of two writes per 64 KiB. A single buffer, or a list of one chunk, passes
 * through unchanged. Streams inside the connection
 * (Noise's, yamux's) are not touched. Idempotent; fails loudly if the class loses its `send`.
 */
import { AbstractMultiaddrConnection } from '@libp2p/utils'

const PATCHED = Symbol.for('medchain.singleWriteSends')

/** A Uint8ArrayList (any copy of the package): `bufs` are its chunks, `subarray()` joins them. */
interface ChunkList {
  readonly bufs: readonly Uint8Array[]
  subarray(): Uint8Array
}

type Patchable = { send(this: unknown, data: unknown): boolean; [PATCHED]?: true }

function isChunkList(data: unknown): data is ChunkList {
  return typeof data === 'object' && data !== null && !(data instanceof Uint8Array) && Array.isArray((data as ChunkList).bufs) && typeof (data as ChunkList).subarray === 'function'
}

/** `data` as one buffer when it is a list of several chunks; otherwise unchanged. */
export function asOneChunk<T>(data: T): T | Uint8Array {
  return isChunkList(data) && data.bufs.length > 1 ? data.subarray() : data
}

export function installSingleWriteSends(proto: Patchable = AbstractMultiaddrConnection.prototype as unknown as Patchable): void {
  if (proto[PATCHED]) return
  const original = proto.send
  if (typeof original !== 'function') throw new Error('libp2p utils: AbstractMultiaddrConnection.send not found (library changed?)')
  proto.send = function sendAsOneWrite(this: unknown, data: unknown) {
    return original.call(this, asOneChunk(data))
  }
  proto[PATCHED] = true
}
