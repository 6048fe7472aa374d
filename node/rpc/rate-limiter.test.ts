import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createRateLimiter } from './rate-limiter.ts'

test('token bucket: burst, then refill at the rate, per key', () => {
  let now = 0
  const limiter = createRateLimiter({ requestsPerSecond: 10, burst: 3 }, () => now)
  assert.deepEqual([1, 2, 3, 4].map(() => limiter.take('a')), [true, true, true, false])
  assert.equal(limiter.take('b'), true, 'another client has its own bucket')
  now += 50 // half a token
  assert.equal(limiter.take('a'), false)
  now += 50 // one token
  assert.equal(limiter.take('a'), true)
  assert.equal(limiter.take('a'), false)
  now += 10_000 // refills only up to the burst
  assert.deepEqual([1, 2, 3, 4].map(() => limiter.take('a')), [true, true, true, false])
})

test('memory stays bounded: full buckets are forgotten first, then the oldest', () => {
  let now = 0
  const limiter = createRateLimiter({ requestsPerSecond: 1, burst: 2 }, () => now, 3)
  for (const ip of ['1', '2', '3']) limiter.take(ip)
  now += 5_000 // all refilled: forgettable
  limiter.take('4')
  assert.equal(limiter.trackedClients, 1)
  for (const ip of ['5', '6', '7', '8']) limiter.take(ip)
  assert.ok(limiter.trackedClients <= 4)
})

test('options are checked', () => {
  assert.throws(() => createRateLimiter({ requestsPerSecond: 0, burst: 1 }), RangeError)
  assert.throws(() => createRateLimiter({ requestsPerSecond: 1, burst: 0.5 }), RangeError)
})
