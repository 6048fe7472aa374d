import { test } from 'node:test'
import assert from 'node:assert/strict'
import { RpcClient } from '../../client/rpc-client.ts'
import { createRpcServer } from '../../node/rpc/index.ts'
import { FakeRpcBackend } from '../../node/rpc/fake-backend.ts'
import { waitFor } from '../../node/test-support/fixtures.ts'
import { everyNodeFinality } from './load-sweep.ts'
import { NodeBlockClocks } from './node-block-clocks.ts'

test('everyNodeAt is the last node\'s announcement, undefined until every node has announced', async () => {
  let clock = 0
  const servers = [0, 1, 2].map(() => createRpcServer({ backend: new FakeRpcBackend(), port: 0, rateLimit: false }))
  for (const s of servers) await s.start()
  const clients = servers.map((s) => new RpcClient(s.url(), { timeoutMs: 5_000 }))
  const clocks = await NodeBlockClocks.open(clients, () => clock)
  try {
    // Drive the clocks directly: what a block notification does.
    clocks.onBlock(0, { height: 5, hash: '0x', time: 0, txCount: 2 })
    clock = 7
    clocks.onBlock(2, { height: 5, hash: '0x', time: 0, txCount: 2 })
    assert.equal(clocks.everyNodeAt(5), undefined, 'node 1 has not announced height 5')
    clock = 12
    clocks.onBlock(1, { height: 5, hash: '0x', time: 0, txCount: 2 })
    clock = 20
    clocks.onBlock(1, { height: 5, hash: '0x', time: 0, txCount: 2 }) // a repeat keeps the first arrival
    assert.equal(clocks.everyNodeAt(5), 12)
    assert.equal(clocks.everyNodeAt(6), undefined)
    clocks.onBlock(9, { height: 6, hash: '0x', time: 0, txCount: 0 }) // no such node: ignored
    for (const node of [0, 1, 2]) clocks.onBlock(node, { height: 7, hash: '0x', time: 0, txCount: 0 })
    assert.equal(clocks.everyNodeAt(6), undefined, 'node 9 counted for nothing')
    assert.equal(clocks.everyNodeAt(7), 20)
    assert.deepEqual(clocks.lostNodes(), [])
  } finally {
    await clocks.close()
    for (const c of clients) await c.close()
    for (const s of servers) await s.stop()
  }
})

test('the subscriptions are real: a final block at each node is stamped, a node that goes away is reported lost', async () => {
  const backends = [new FakeRpcBackend(), new FakeRpcBackend()]
  const servers = backends.map((backend) => createRpcServer({ backend, port: 0, rateLimit: false }))
  for (const s of servers) await s.start()
  const clients = servers.map((s) => new RpcClient(s.url(), { timeoutMs: 5_000 }))
  const clocks = await NodeBlockClocks.open(clients)
  try {
    const h0 = backends[0]!.finalizeBlock().header.height
    const h1 = backends[1]!.finalizeBlock().header.height
    assert.equal(h0, h1)
    await waitFor(() => clocks.everyNodeAt(h0) !== undefined, 'both nodes announced the block')
    await servers[1]!.stop()
    await waitFor(() => clocks.lostNodes().length === 1, 'node 1 lost')
    assert.deepEqual(clocks.lostNodes(), [1])
  } finally {
    await clocks.close()
    for (const c of clients) await c.close()
    await servers[0]!.stop()
  }
})

test('everyNodeFinality: latency to the last node, rate over the txs final everywhere, the rest counted as not final', async () => {
  let clock = 0
  const announced = new Map([[1, 1_100], [2, 1_300]])
  const clocks = { everyNodeAt: (h: number) => announced.get(h), lostNodes: () => [] }
  const finals = [{ height: 1, sentAt: 1_000 }, { height: 1, sentAt: 1_050 }, { height: 2, sentAt: 1_200 }, { height: 3, sentAt: 1_250 }]
  const now = () => (clock += 10)
  const r = await everyNodeFinality(clocks, finals, 1_000, now, 50)
  assert.equal(r.notFinal, 1, 'height 3 never announced everywhere')
  assert.equal(r.p50Ms, 100)
  assert.equal(r.p99Ms, 100)
  assert.equal(r.sustainedTps, 3 / 0.3)
})
