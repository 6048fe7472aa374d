import { test } from 'node:test'
import assert from 'node:assert/strict'
import { setImmediate as nextTurn } from 'node:timers/promises'
import { collectGarbage } from './collect-garbage.ts'

test('collectGarbage collects without --expose-gc and can be called again', async () => {
  const ref = (() => new WeakRef({ payload: new Array(1000).fill(1) }))()
  await nextTurn() // a WeakRef target is kept until the end of the job that made it
  collectGarbage()
  assert.equal(ref.deref(), undefined)
  collectGarbage()
})
