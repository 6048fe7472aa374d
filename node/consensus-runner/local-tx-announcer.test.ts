import { test } from 'node:test'
import assert from 'node:assert/strict'
import { LocalTxAnnouncer } from './local-tx-announcer.ts'

/** An announcer on a fake network and a manual timer. */
function harness(options: { proposer?: Uint8Array; reachable?: boolean } = {}) {
  const log: string[] = []
  const timers: { fn: () => void; ms: number; cancelled: boolean }[] = []
  const announcer = new LocalTxAnnouncer({
    nextProposer: () => options.proposer,
    sendTo: (key, payload) => {
      if (options.reachable === false) return false
      log.push(`to ${key[0]}: ${payload[0]}`)
      return true
    },
    broadcast: (payload, except) => void log.push(except ? `all but ${except[0]}: ${payload[0]}` : `all: ${payload[0]}`),
    delayMs: 3,
    schedule: (fn, ms) => {
      const t = { fn, ms, cancelled: false }
      timers.push(t)
      return () => void (t.cancelled = true)
    },
  })
  const fire = (): void => {
    for (const t of timers.splice(0)) if (!t.cancelled) t.fn()
  }
  return { announcer, log, timers, fire }
}

const tx = (n: number): Uint8Array => new Uint8Array([n])

test('a local tx goes to the next proposer at once and to everyone after the delay, in order, with one timer', () => {
  const h = harness({ proposer: new Uint8Array([7]) })
  h.announcer.announce(tx(1))
  h.announcer.announce(tx(2))
  assert.deepEqual(h.log, ['to 7: 1', 'to 7: 2'])
  assert.equal(h.timers.length, 1)
  assert.equal(h.timers[0]!.ms, 3)
  h.fire()
  assert.deepEqual(h.log, ['to 7: 1', 'to 7: 2', 'all but 7: 1', 'all but 7: 2'])
  // The next tx starts a new wait.
  h.announcer.announce(tx(3))
  assert.equal(h.timers.length, 1)
  h.fire()
  assert.deepEqual(h.log.slice(4), ['to 7: 3', 'all but 7: 3'])
})

test('when this node proposes next, the tx waits for the broadcast only; an unreachable proposer means broadcast at once', () => {
  const own = harness({ proposer: undefined })
  own.announcer.announce(tx(1))
  assert.deepEqual(own.log, [])
  own.fire()
  assert.deepEqual(own.log, ['all: 1'])

  const down = harness({ proposer: new Uint8Array([7]), reachable: false })
  down.announcer.announce(tx(1))
  assert.deepEqual(down.log, ['all: 1'])
  assert.equal(down.timers.length, 0)
})

test('flush broadcasts what waits now and cancels the timer (the node is stopping)', () => {
  const h = harness({ proposer: new Uint8Array([7]) })
  h.announcer.announce(tx(1))
  h.announcer.flush()
  assert.deepEqual(h.log, ['to 7: 1', 'all but 7: 1'])
  assert.equal(h.timers[0]!.cancelled, true)
  h.fire()
  h.announcer.flush()
  assert.deepEqual(h.log, ['to 7: 1', 'all but 7: 1'], 'nothing is sent twice')
})
