import { test } from 'node:test'
import assert from 'node:assert/strict'
import { formatKernelCosts, measureKernelCosts } from './kernel-costs.ts'

test('measureKernelCosts: a system call and a first page touch cost something finite', () => {
  const k = measureKernelCosts()
  for (const [name, us] of Object.entries(k)) assert.ok(Number.isFinite(us) && us > 0, `${name} = ${us}`)
})

test('measureKernelCosts: per call and per 4 KiB page, in microseconds (a clock that moves 1 ms per read)', () => {
  let t = 0
  const k = measureKernelCosts(() => (t += 1))
  // 1 ms over a batch of 2,000 calls; 1 ms over the 4,096 pages of 16 MiB.
  assert.deepEqual(k, { syscallUs: 0.5, firstTouchUsPer4KiB: 1000 / 4096 })
})

test('formatKernelCosts names both numbers with their units', () => {
  assert.equal(formatKernelCosts({ syscallUs: 1.104, firstTouchUsPer4KiB: 13.95 }), 'syscall 1.10 µs, first touch 13.95 µs per 4 KiB page')
})
