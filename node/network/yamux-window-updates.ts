/**
 * Yamux window updates at half the window, as go-yamux and rust-yamux send them.
 *
 * Why: @chainsafe/libp2p-yamux 8 answers EVERY data frame it receives with a WindowUpdate frame
 * (its `sendWindowUpdate` only skips when the receive window is completely full). Our traffic is
 * many small frames (votes, proposals, txs), so each one cost a second Noise-encrypted frame, a
 * second socket write and a second wake-up of the sender. The yamux spec leaves the timing to the
 * receiver; go-yamux and rust-yamux (libp2p/rust-yamux#109) send an update once half or more of
 * the window has been consumed, which keeps the sender's credit at or above half a window (128 KiB
 * by default), so it never waits for credit while we keep reading.
 *
 * What is changed: only the decision to send, and only for an established stream. Streams
 * opening (SYN/ACK flags ride on window updates), paused streams and the library's window growth
 * all still go through the original method, which also sends every update that is due.
 * `installYamuxHalfWindowUpdates` is idempotent, and the installed method checks the fields it
 * relies on, so a yamux release that renames them fails loudly on the first window update
 * instead of silently starving senders.
 */
import { StreamState, YamuxStream } from '@chainsafe/libp2p-yamux/stream'

interface YamuxReceiveWindow {
  state: number
  recvWindow: number
  recvWindowCapacity: number
}

const PATCHED = Symbol.for('medchain.yamuxHalfWindowUpdates')

type Patchable = { sendWindowUpdate(this: unknown): void; [PATCHED]?: true }

/**
 * True when an update may wait: the stream is established and the sender still has more than
 * half of the receive window as credit.
 */
export function windowUpdateCanWait(stream: YamuxReceiveWindow): boolean {
  return stream.state === StreamState.Established && stream.recvWindowCapacity * 2 > stream.recvWindow
}

export function installYamuxHalfWindowUpdates(proto: Patchable = YamuxStream.prototype as unknown as Patchable): void {
  if (proto[PATCHED]) return
  const original = proto.sendWindowUpdate
  if (typeof original !== 'function') throw new Error('yamux: YamuxStream.sendWindowUpdate not found (library changed?)')
  proto.sendWindowUpdate = function sendWindowUpdateAtHalfWindow(this: unknown) {
    const s = this as Partial<YamuxReceiveWindow>
    if (typeof s.state !== 'number' || typeof s.recvWindow !== 'number' || typeof s.recvWindowCapacity !== 'number') {
      throw new Error('yamux: stream window fields not found (library changed?)')
    }
    if (windowUpdateCanWait(s as YamuxReceiveWindow)) return
    original.call(this)
  }
  proto[PATCHED] = true
}
