import { test } from 'node:test'
import assert from 'node:assert/strict'
import { FakeRpcBackend } from './fake-backend.ts'
import { SubscriptionHub, type SubscriberSocket } from './subscriptions.ts'
import { failedReceipt, okReceipt } from '../../core/execution.ts'
import { toHex } from '../../core/hex.ts'
import { formatAddress } from '../../core/keys.ts'
import { kvPutTx, testKeyPair } from '../../core/test-fixtures.ts'

class FakeSocket implements SubscriberSocket {
  bufferedAmount = 0
  readyState = 1
  sent: string[] = []
  callbacks: (() => void)[] = []
  closed: number | undefined
  terminated = false
  send(data: string, callback?: () => void): void {
    this.sent.push(data)
    if (callback) this.callbacks.push(callback)
  }
  flush(): void {
    for (const cb of this.callbacks.splice(0)) cb()
  }
  close(code?: number): void {
    this.closed = code
    this.readyState = 2
  }
  terminate(): void {
    this.terminated = true
  }
}

function setup(queueLimit: number) {
  const backend = new FakeRpcBackend()
  const scheduled: (() => void)[] = []
  const hub = new SubscriptionHub({ maxSubscriptionsPerSocket: 4, queueLimit, bufferLimitBytes: 1000, dropGraceMs: 1, schedule: (fn) => scheduled.push(fn) })
  hub.start(backend)
  const runScheduled = (): void => { for (const fn of scheduled.splice(0)) fn() }
  return { backend, hub, runScheduled }
}

test('the backend listener only queues: nothing is sent until the scheduled flush', () => {
  const { backend, hub, runScheduled } = setup(10)
  const socket = new FakeSocket()
  const session = hub.openSession(socket)
  session.subscribe({ kind: 'blocks' })
  backend.finalizeBlock()
  backend.finalizeBlock()
  assert.equal(socket.sent.length, 0, 'the node never waits on a subscriber')
  runScheduled()
  assert.equal(socket.sent.length, 2)
  assert.deepEqual(JSON.parse(socket.sent[1]!).params.result.height, 2)
})

test('a socket over its queue limit or its buffer limit is dropped; the others keep receiving', () => {
  const { backend, hub, runScheduled } = setup(3)
  const slow = new FakeSocket()
  const fast = new FakeSocket()
  const bloated = new FakeSocket()
  hub.openSession(slow).subscribe({ kind: 'blocks' })
  hub.openSession(fast).subscribe({ kind: 'blocks' })
  hub.openSession(bloated).subscribe({ kind: 'blocks' })
  bloated.bufferedAmount = 5000
  for (let i = 0; i < 5; i++) {
    backend.finalizeBlock()
    runScheduled()
    fast.flush() // fast drains its writes; slow never does
  }
  assert.equal(fast.sent.length, 5)
  // slow: 3 notifications in flight, the 4th attempt drops it with one notice
  assert.equal(slow.sent.length, 4)
  const notice = JSON.parse(slow.sent[3]!)
  assert.equal(notice.params.error.code, -32003)
  assert.equal(slow.closed, 1008)
  // bloated: too many bytes buffered in user space, dropped at its first notification
  assert.equal(bloated.sent.length, 1)
  assert.equal(JSON.parse(bloated.sent[0]!).params.error.data.code, 'SUBSCRIPTION_DROPPED')
  assert.equal(hub.stats().droppedSubscribers, 2)
  assert.equal(hub.stats().sessions, 1)
})

test("blocks with txs: true list every tx with its receipt status, a failed one's error and a deploy's address; without it, the short form", () => {
  const { backend, hub, runScheduled } = setup(10)
  const sender = testKeyPair(7)
  const ok = kvPutTx(sender, 0, 'a', new Uint8Array([1]))
  const failing = kvPutTx(sender, 1, 'b', new Uint8Array([2]))
  const deploy = kvPutTx(sender, 2, 'c', new Uint8Array([3]))
  const contract = new Uint8Array(20).fill(0xab)
  const socket = new FakeSocket()
  const session = hub.openSession(socket)
  session.subscribe({ kind: 'blocks', txs: true })
  session.subscribe({ kind: 'blocks' })
  backend.finalizeBlock({
    extraTxs: [ok, failing, deploy],
    receiptFor: (tx) => (tx === failing ? failedReceipt(1, 'REQUIRE_FAILED', 'no') : tx === deploy ? okReceipt(1, { contractAddress: contract }) : okReceipt(1)),
  })
  runScheduled()
  const [withTxs, short] = socket.sent.map((m) => JSON.parse(m).params.result)
  // A failed tx says why and a deploy where its contract lives: the sender needs no tx_get.
  assert.deepEqual(withTxs.txs, [
    { id: toHex(ok.id), status: 'ok' },
    { id: toHex(failing.id), status: 'failed', errorCode: 'REQUIRE_FAILED', errorMessage: 'no' },
    { id: toHex(deploy.id), status: 'ok', contractAddress: formatAddress(contract) },
  ])
  assert.equal(withTxs.txCount, 3)
  assert.equal(short.txs, undefined)
  assert.equal(short.txCount, 3)
  // txs is a blocks option only
  assert.throws(() => session.subscribe({ kind: 'events', txs: true } as never), /params\.txs applies to kind "blocks" only/)
})
