import { test } from 'node:test'
import assert from 'node:assert/strict'
import { GossipTxIntake } from './gossip-tx-intake.ts'

/** A hand-cranked event loop and clock: `turn()` runs what was scheduled for the next turn. */
function fakeLoop() {
  let tasks: (() => void)[] = []
  let clock = 0
  return {
    later: (fn: () => void) => {
      tasks.push(fn)
      return () => { tasks = tasks.filter((t) => t !== fn) }
    },
    now: () => clock,
    advance: (ms: number) => { clock += ms },
    turn: () => {
      const run = tasks
      tasks = []
      for (const t of run) t()
      return run.length
    },
    pending: () => tasks.length,
  }
}

const tx = (n: number): Uint8Array => Uint8Array.of(n & 255, n >> 8)
const num = (p: Uint8Array): number => p[0]! | (p[1]! << 8)

test('within the turn\'s budget a tx is admitted at once; beyond it txs wait, in order, for later turns', () => {
  const loop = fakeLoop()
  const admitted: number[] = []
  // Each admission takes 1 ms; a turn may spend 3 ms, and admits at least 2 whatever the clock.
  const intake = new GossipTxIntake({ admit: (p) => { admitted.push(num(p)); loop.advance(1) }, later: loop.later, now: loop.now, sliceMs: 3, minPerSlice: 2 })
  for (let i = 0; i < 10; i++) assert.equal(intake.push(tx(i)), true)
  assert.deepEqual(admitted, [0, 1, 2], 'the first turn admits what its budget allows, at once')
  assert.equal(intake.stats().deferred, 7)
  loop.turn()
  assert.deepEqual(admitted, [0, 1, 2, 3, 4, 5])
  while (loop.turn() > 0) { /* drain */ }
  assert.deepEqual(admitted, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
  assert.deepEqual(intake.stats(), { queued: 0, queuedBytes: 0, processed: 10, deferred: 7, dropped: 0 })
  // A quiet turn later: admitted at once again.
  loop.advance(100)
  intake.push(tx(10))
  assert.equal(admitted.at(-1), 10)
})

test('while txs wait, a new one queues behind them (order is kept)', () => {
  const loop = fakeLoop()
  const admitted: number[] = []
  const intake = new GossipTxIntake({ admit: (p) => { admitted.push(num(p)); loop.advance(5) }, later: loop.later, now: loop.now, sliceMs: 2, minPerSlice: 1 })
  intake.push(tx(0)) // admitted: budget spent
  intake.push(tx(1)) // waits
  loop.turn() // admits 1 (the minimum), budget spent again
  intake.push(tx(2)) // must not jump ahead of anything: the queue is empty now, but the budget is spent
  intake.push(tx(3))
  while (loop.turn() > 0) { /* drain */ }
  assert.deepEqual(admitted, [0, 1, 2, 3])
})

test('a full queue drops new txs and counts them; a failing admission does not stop the others', () => {
  const loop = fakeLoop()
  const seen: number[] = []
  const intake = new GossipTxIntake({
    admit: (p) => { seen.push(num(p)); loop.advance(10); if (num(p) === 1) throw new Error('BAD_SIGNATURE') },
    later: loop.later, now: loop.now, sliceMs: 1, minPerSlice: 1, maxQueued: 2, maxQueuedBytes: 1_000,
  })
  assert.deepEqual([0, 1, 2, 3].map((i) => intake.push(tx(i))), [true, true, true, false])
  assert.equal(intake.push(new Uint8Array(2_000)), false, 'too many bytes')
  assert.equal(intake.stats().dropped, 2)
  while (loop.turn() > 0) { /* drain */ }
  assert.deepEqual(seen, [0, 1, 2])
})

test('clear drops what waits and cancels the next turn', () => {
  const loop = fakeLoop()
  let n = 0
  const intake = new GossipTxIntake({ admit: () => { n++; loop.advance(10) }, later: loop.later, now: loop.now, sliceMs: 1, minPerSlice: 1 })
  intake.push(tx(1))
  intake.push(tx(2))
  assert.equal(n, 1)
  intake.clear()
  assert.equal(loop.pending(), 0)
  loop.turn()
  assert.equal(n, 1)
  assert.equal(intake.size, 0)
})

test('a long backlog drains in order and releases what it consumed', () => {
  const loop = fakeLoop()
  let expect = 0
  const intake = new GossipTxIntake({ admit: (p) => { assert.equal(num(p), expect++ & 0xffff) }, later: loop.later, now: loop.now, sliceMs: 0, minPerSlice: 1000 })
  for (let i = 0; i < 20_000; i++) intake.push(tx(i))
  loop.turn()
  for (let i = 20_000; i < 30_000; i++) intake.push(tx(i))
  while (loop.turn() > 0) { /* drain */ }
  assert.equal(expect, 30_000)
})
