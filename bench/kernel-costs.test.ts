import { test } from 'node:test'
import assert from 'node:assert/strict'
import { formatKernelCosts, measureKernelCosts } from './kernel-costs.ts'

test('measureKernelCosts: a system call and a first page touch cost something finite, in microseconds', () => {
  const k = measureKernelCosts()
  for (const [name, us] of Object.entries(k)) {
    assert.ok(Number.isFinite(us) && us > 0, `${name} = ${us}`)
    // Even a slow virtual machine answers these in far less than a millisecond.
    assert.ok(us < 1000, `${name} = ${us} µs`)
  }
})

test('formatKernelCosts names both numbers with their units', () => {
  assert.equal(formatKernelCosts({ syscallUs: 1.104, firstTouchUsPer4KiB: 13.95 }), 'syscall 1.10 µs, first touch 13.95 µs per 4 KiB page')
})
