import { test } from 'node:test'
import assert from 'node:assert/strict'
import { failedReceipt, okReceipt } from '../../core/execution.ts'
import { toHex } from '../../core/hex.ts'
import { kvPutTx, testKeyPair } from '../../core/test-fixtures.ts'
import { RpcClient } from '../../client/rpc-client.ts'
import { createRpcServer } from '../../node/rpc/index.ts'
import { FakeRpcBackend } from '../../node/rpc/fake-backend.ts'
import { waitFor } from '../../node/test-support/fixtures.ts'
import { FinalTxWatcher } from './final-tx-watcher.ts'

const sender = testKeyPair(11)

async function withWatcher(run: (o: { backend: FakeRpcBackend; client: RpcClient; watcher: FinalTxWatcher; txGets: () => number }) => Promise<void>): Promise<void> {
  const backend = new FakeRpcBackend()
  let txGets = 0
  const getTx = backend.getTx.bind(backend)
  backend.getTx = (id) => { txGets++; return getTx(id) }
  const server = createRpcServer({ backend, port: 0, rateLimit: false })
  await server.start()
  const client = new RpcClient(server.url())
  const watcher = await FinalTxWatcher.open(client, { pollAfterMs: 300, timeoutMs: 10_000 })
  try {
    await run({ backend, client, watcher, txGets: () => txGets })
  } finally {
    await watcher.close()
    await client.close()
    await server.stop()
  }
}

test('a block notification settles its waiters: ok txs as final at once, failed ones with their receipt', async () => {
  await withWatcher(async ({ backend, client, watcher, txGets }) => {
    const ok = kvPutTx(sender, 0, 'a', new Uint8Array([1]))
    const failing = kvPutTx(sender, 1, 'b', new Uint8Array([2]))
    const waits = [watcher.wait(toHex(ok.id)), watcher.wait(toHex(failing.id))]
    for (const tx of [ok, failing]) await client.sendTx(tx.bytes)
    backend.finalizeBlock({ receiptFor: (tx) => (toHex(tx.id) === toHex(failing.id) ? failedReceipt(1, 'REQUIRE_FAILED', 'NOT_DOCTOR') : okReceipt(1)) })
    const [okFinal, failed] = await Promise.all(waits)
    assert.deepEqual([okFinal!.status, okFinal!.height], ['final', 1])
    assert.equal(failed!.status, 'failed')
    assert.equal(failed!.receipt?.errorCode, 'REQUIRE_FAILED')
    assert.equal(txGets(), 1, 'only the failed tx is looked up')
    assert.equal(watcher.pending, 0)
  })
})

test('the tx_get safety net runs only while block notifications are silent', async () => {
  await withWatcher(async ({ backend, client, watcher, txGets }) => {
    // Final before anyone waited: no notification will ever name it.
    const missed = kvPutTx(sender, 0, 'm', new Uint8Array([3]))
    await client.sendTx(missed.bytes)
    backend.finalizeBlock()
    await waitFor(() => watcher.blocks.length === 1, 'the block notification')
    const settled = watcher.wait(toHex(missed.id))
    // Blocks keep coming (every 100 ms, less than pollAfterMs): no polling, however old the waiter.
    for (let i = 0; i < 8; i++) {
      backend.finalizeBlock()
      await new Promise((r) => setTimeout(r, 100))
    }
    assert.equal(txGets(), 0)
    assert.equal(watcher.pending, 1)
    // Silence: the safety net asks, and settles the waiter.
    const found = await settled
    assert.deepEqual([found.status, found.height], ['final', 1])
    assert.ok(txGets() >= 1)
  })
})
