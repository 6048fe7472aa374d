import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdir } from 'node:fs/promises'
import type { TxExecutor } from '../core/index.ts'
import { createVmExecutor } from '../vm/index.ts'
import { NodeError, NodeErrorCode } from './errors.ts'
import { tempDir } from './test-support/fixtures.ts'
import { WARM_UP_STATE_ROOT, runWarmUp } from './warm-up.ts'

test('warm-up: the walk-through passes over JSON-RPC and in process, ends on the known state root, leaves no folder', async () => {
  const scratch = await tempDir()
  try {
    for (const rpc of [true, false]) {
      const report = await runWarmUp({ executors: [createVmExecutor()], rpc, scratchParent: scratch.path })
      // deploy, 5 setup txs, 3 records one at a time, 3 in one batch, the revocation, the refused write
      assert.equal(report.blocks, 12, `rpc ${rpc}: one block per tx, the batch in one`)
      assert.equal(report.stateRoot, WARM_UP_STATE_ROOT)
      assert.ok(report.ms > 0)
      assert.deepEqual(await readdir(scratch.path), [], 'the private chain is deleted')
    }
  } finally {
    await scratch.cleanup()
  }
})

/** The VM, except that `method` also writes one extra state entry: a build that executes differently. */
function vmWritingExtra(method: string): TxExecutor {
  const vm = createVmExecutor()
  return new Proxy(vm, {
    get(target, prop, receiver) {
      if (prop !== 'execute') return Reflect.get(target, prop, receiver)
      return (...args: Parameters<TxExecutor['execute']>) => {
        const [tx, state] = args
        const receipt = target.execute(...args)
        if (tx.method === method) state.set(new Uint8Array([0xee]), new Uint8Array([1]))
        return receipt
      }
    },
  })
}

test('warm-up: a build that executes differently is stopped with SELF_TEST_FAILED, saying what differs; nothing is left behind', async () => {
  const scratch = await tempDir()
  try {
    const refused = async (executors: TxExecutor[], message: RegExp): Promise<void> => {
      await assert.rejects(runWarmUp({ executors, rpc: false, scratchParent: scratch.path }), (e: unknown) =>
        e instanceof NodeError && e.code === NodeErrorCode.SELF_TEST_FAILED && message.test(e.message))
      assert.deepEqual(await readdir(scratch.path), [])
    }
    await refused([], /deploy ended failed/)
    await assert.rejects(runWarmUp({ executors: [createVmExecutor()], scratchParent: '/proc/no-such-folder' }), (e: unknown) =>
      e instanceof NodeError && e.code === NodeErrorCode.SELF_TEST_FAILED && /cannot make its scratch folder/.test(e.message))
    await refused([vmWritingExtra('setXrayhash')], /state root 0x[0-9a-f]{64} at its checkpoint, expected 0x19fd/)
  } finally {
    await scratch.cleanup()
  }
})
