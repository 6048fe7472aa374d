import { test } from 'node:test'
import assert from 'node:assert/strict'
import { failedReceipt, okReceipt } from '../../core/execution.ts'
import { toHex } from '../../core/hex.ts'
import { formatAddress } from '../../core/keys.ts'
import { kvPutTx, testKeyPair } from '../../core/test-fixtures.ts'
import { RpcClient } from '../../client/rpc-client.ts'
import { createRpcServer } from '../../node/rpc/index.ts'
import { FakeRpcBackend } from '../../node/rpc/fake-backend.ts'
import { waitFor } from '../../node/test-support/fixtures.ts'
import type { BlockNotificationJson } from '../../core/rpc-wire.ts'
import { FinalTxWatcher, type FinalTx } from './final-tx-watcher.ts'

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

/** One final block with an ok tx and a tx that fails with REQUIRE_FAILED / NOT_DOCTOR, both waited for. */
async function okAndFailed(backend: FakeRpcBackend, client: RpcClient, watcher: FinalTxWatcher): Promise<FinalTx[]> {
  const ok = kvPutTx(sender, 0, 'a', new Uint8Array([1]))
  const failing = kvPutTx(sender, 1, 'b', new Uint8Array([2]))
  const waits = [watcher.wait(toHex(ok.id)), watcher.wait(toHex(failing.id))]
  for (const tx of [ok, failing]) await client.sendTx(tx.bytes)
  backend.finalizeBlock({ receiptFor: (tx) => (toHex(tx.id) === toHex(failing.id) ? failedReceipt(1, 'REQUIRE_FAILED', 'NOT_DOCTOR') : okReceipt(1)) })
  return Promise.all(waits)
}

test('a block notification settles its waiters at once: ok txs as final, failed ones with their error', async () => {
  await withWatcher(async ({ backend, client, watcher, txGets }) => {
    const [okFinal, failed] = await okAndFailed(backend, client, watcher)
    assert.deepEqual([okFinal!.status, okFinal!.height, okFinal!.error], ['final', 1, undefined])
    assert.deepEqual([failed!.status, failed!.height, failed!.error], ['failed', 1, { code: 'REQUIRE_FAILED', message: 'NOT_DOCTOR' }])
    assert.equal(txGets(), 0, 'the notification said why: no tx_get')
    assert.equal(watcher.pending, 0)
  })
})

test('a deploy settles with its contract\'s address from the notification', async () => {
  await withWatcher(async ({ backend, client, watcher, txGets }) => {
    const deploy = kvPutTx(sender, 0, 'd', new Uint8Array([4]))
    const contract = new Uint8Array(20).fill(0xcd)
    const wait = watcher.wait(toHex(deploy.id))
    await client.sendTx(deploy.bytes)
    backend.finalizeBlock({ receiptFor: () => okReceipt(1, { contractAddress: contract }) })
    const final = await wait
    assert.deepEqual([final.status, final.contractAddress, final.error], ['final', formatAddress(contract), undefined])
    assert.equal(txGets(), 0)
  })
})

test('a failed tx listed without its error is looked up with tx_get', async () => {
  await withWatcher(async ({ backend, client, watcher, txGets }) => {
    // A node whose notifications give only the status: the watcher asks why.
    const subscribe = client.subscribe.bind(client)
    client.subscribe = (params, onResult, onError) => subscribe(params, (r) => {
      const b = r as BlockNotificationJson
      onResult({ ...b, ...(b.txs ? { txs: b.txs.map(({ id, status }) => ({ id, status })) } : {}) })
    }, onError)
    await watcher.close()
    const stripped = await FinalTxWatcher.open(client, { pollAfterMs: 300, timeoutMs: 10_000 })
    try {
      const [okFinal, failed] = await okAndFailed(backend, client, stripped)
      assert.equal(okFinal!.status, 'final')
      assert.deepEqual([failed!.status, failed!.error], ['failed', { code: 'REQUIRE_FAILED', message: 'NOT_DOCTOR' }])
      assert.equal(txGets(), 1, 'only the failed tx is looked up')
    } finally {
      await stripped.close()
    }
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
