import { test } from 'node:test'
import assert from 'node:assert/strict'
import { runInNewContext } from 'node:vm'
import { collectStartupGarbage } from './startup-gc.ts'

test('one full collection frees unreachable startup garbage and leaves no gc global behind', () => {
  // ~32 MB of objects old enough to be promoted, then dropped, like a startup's transient state.
  let garbage: number[][] | undefined = Array.from({ length: 2_000 }, (_, i) => Array.from({ length: 2_000 }, (_, j) => i + j + 0.5))
  assert.equal(garbage.length, 2_000)
  garbage = undefined
  const report = collectStartupGarbage()
  assert.ok(report, 'this Node.js offers a full collection')
  assert.ok(report.heapUsedBeforeBytes - report.heapUsedAfterBytes > 16 * 1024 * 1024, `freed ${report.heapUsedBeforeBytes - report.heapUsedAfterBytes} bytes`)
  assert.ok(report.ms >= 0)
  assert.equal(runInNewContext('typeof gc'), 'undefined')
  assert.equal(typeof (globalThis as { gc?: unknown }).gc, 'undefined')
})
