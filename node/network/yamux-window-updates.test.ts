import { test } from 'node:test'
import assert from 'node:assert/strict'
import { YamuxStream } from '@chainsafe/libp2p-yamux/stream'
import { installYamuxHalfWindowUpdates, windowUpdateCanWait } from './yamux-window-updates.ts'

const ESTABLISHED = 3
const WINDOW = 256 * 1024

test('yamux window updates wait until half the window is consumed, on established streams only', () => {
  assert.equal(windowUpdateCanWait({ state: ESTABLISHED, recvWindow: WINDOW, recvWindowCapacity: WINDOW - 100 }), true)
  assert.equal(windowUpdateCanWait({ state: ESTABLISHED, recvWindow: WINDOW, recvWindowCapacity: WINDOW / 2 }), false)
  assert.equal(windowUpdateCanWait({ state: ESTABLISHED, recvWindow: WINDOW, recvWindowCapacity: 0 }), false)
  // Opening streams carry SYN/ACK flags on window updates: never held back.
  for (const state of [0, 1, 2, 5]) assert.equal(windowUpdateCanWait({ state, recvWindow: WINDOW, recvWindowCapacity: WINDOW - 100 }), false)
})

test('the installed sendWindowUpdate defers to the original only when an update is due', () => {
  const calls: number[] = []
  const proto = { sendWindowUpdate(this: { recvWindowCapacity: number }) { calls.push(this.recvWindowCapacity) } }
  installYamuxHalfWindowUpdates(proto)
  installYamuxHalfWindowUpdates(proto) // idempotent: not wrapped twice
  const stream = (capacity: number, state = ESTABLISHED) => Object.assign(Object.create(proto), { state, recvWindow: WINDOW, recvWindowCapacity: capacity })
  stream(WINDOW - 10).sendWindowUpdate()
  stream(WINDOW / 2 - 1).sendWindowUpdate()
  stream(WINDOW - 10, 0).sendWindowUpdate()
  assert.deepEqual(calls, [WINDOW / 2 - 1, WINDOW - 10])
  // A stream object without the fields the rule relies on (a changed library) fails loudly.
  assert.throws(() => Object.create(proto).sendWindowUpdate(), /library changed/)
})

test('the real YamuxStream still has the method and fields the rule relies on', () => {
  assert.equal(typeof YamuxStream.prototype.sendWindowUpdate, 'function')
  installYamuxHalfWindowUpdates()
  assert.equal(typeof YamuxStream.prototype.sendWindowUpdate, 'function')
})
