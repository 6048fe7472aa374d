import { test } from 'node:test'
import assert from 'node:assert/strict'
import { StreamState, YamuxStream, type YamuxStreamInit } from '@chainsafe/libp2p-yamux/stream'
import { Uint8ArrayList } from 'uint8arraylist'
import { installYamuxHalfWindowUpdates, windowUpdateCanWait } from './yamux-window-updates.ts'

const WINDOW = 256 * 1024
/** FrameType in @chainsafe/libp2p-yamux (not exported): Data 0, WindowUpdate 1. */
const DATA = 0
const WINDOW_UPDATE = 1

test('yamux window updates wait until half the window is consumed, on established streams only', () => {
  const established = StreamState.Established
  assert.equal(windowUpdateCanWait({ state: established, recvWindow: WINDOW, recvWindowCapacity: WINDOW - 100 }), true)
  assert.equal(windowUpdateCanWait({ state: established, recvWindow: WINDOW, recvWindowCapacity: WINDOW / 2 }), false)
  assert.equal(windowUpdateCanWait({ state: established, recvWindow: WINDOW, recvWindowCapacity: 0 }), false)
  // Opening streams carry SYN/ACK flags on window updates: never held back.
  for (const state of [StreamState.Init, StreamState.SYNSent, StreamState.SYNReceived, StreamState.Paused]) {
    assert.equal(windowUpdateCanWait({ state, recvWindow: WINDOW, recvWindowCapacity: WINDOW - 100 }), false)
  }
})

test('the installed sendWindowUpdate defers to the original only when an update is due', () => {
  const calls: number[] = []
  const proto = { sendWindowUpdate(this: { recvWindowCapacity: number }) { calls.push(this.recvWindowCapacity) } }
  installYamuxHalfWindowUpdates(proto)
  installYamuxHalfWindowUpdates(proto) // idempotent: not wrapped twice
  const stream = (capacity: number, state: number = StreamState.Established) => Object.assign(Object.create(proto), { state, recvWindow: WINDOW, recvWindowCapacity: capacity })
  stream(WINDOW - 10).sendWindowUpdate()
  stream(WINDOW / 2 - 1).sendWindowUpdate()
  stream(WINDOW - 10, StreamState.Init).sendWindowUpdate()
  assert.deepEqual(calls, [WINDOW / 2 - 1, WINDOW - 10])
  // A stream object without the fields the rule relies on (a changed library) fails loudly.
  assert.throws(() => Object.create(proto).sendWindowUpdate(), /library changed/)
})

test('a real YamuxStream receiving 300 small frames sends 2 window updates, not 300', () => {
  installYamuxHalfWindowUpdates()
  const sent: { type: number; length: number }[] = []
  const log = Object.assign(() => {}, { trace: () => {}, error: () => {}, enabled: false, newScope: () => log })
  const stream = new YamuxStream({
    id: '1', streamId: 1, state: StreamState.Established, direction: 'inbound', log,
    sendFrame: (header: { type: number; length: number }) => {
      sent.push({ type: header.type, length: header.length })
      return true
    },
    getRTT: () => -1,
  } as unknown as YamuxStreamInit)
  for (let i = 0; i < 300; i++) {
    stream.handleData({ header: { type: DATA, flag: 0, streamID: 1, length: 1_000 }, data: new Uint8ArrayList(new Uint8Array(1_000)) } as unknown as Parameters<YamuxStream['handleData']>[0])
  }
  // 300 KB received: an update each time more than half of the 256 KiB window was consumed.
  assert.deepEqual(sent.map((f) => f.type), [WINDOW_UPDATE, WINDOW_UPDATE])
  for (const f of sent) assert.ok(f.length > WINDOW / 2, `each update returns more than half a window (${f.length})`)
})
