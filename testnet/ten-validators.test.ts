/**
 * Fault tolerance of 10 validators in bft mode (quorum 7): blocks stay final with 3 stopped; with
 * 4 stopped the chain halts without forking; it resumes when one returns.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { startCluster, waitForHeight } from './test-support/cluster.ts'

test('10 validators: final with 3 down, halted (no fork) with 4 down, resumes when one returns', { timeout: 240_000 }, async () => {
  const cluster = await startCluster(10, { blockIntervalMs: 200 })
  const { net } = cluster
  const live = (down: readonly number[]) => net.processes.map((_, i) => i).filter((i) => !down.includes(i))
  try {
    // 3 stopped: 7 remain, exactly a quorum.
    for (const i of [7, 8, 9]) await net.processes[i]!.stop()
    const h3 = Math.max(...((await net.heights()).filter((h): h is number => h !== null)))
    await waitForHeight(net, live([7, 8, 9]), h3 + 3, 60_000)

    // 4 stopped: 6 remain, below quorum: no block may become final.
    await net.processes[6]!.stop()
    await new Promise((r) => setTimeout(r, 1_000))
    const haltedAt = await net.heights()
    await new Promise((r) => setTimeout(r, 4_000))
    const stillAt = await net.heights()
    assert.deepEqual(stillAt, haltedAt, 'no block is final without a quorum')

    // One returns: 7 again, the chain resumes and every running node agrees.
    net.processes[6]!.start()
    const top = Math.max(...(haltedAt.filter((h): h is number => h !== null)))
    await waitForHeight(net, live([7, 8, 9]), top + 2, 90_000)
    const heights = await net.heights()
    const common = Math.min(...live([7, 8, 9]).map((i) => heights[i]!))
    const hashes = await Promise.all(live([7, 8, 9]).map((i) => net.clients[i]!.getBlock({ height: common }).then((b) => b.hash)))
    assert.equal(new Set(hashes).size, 1, 'one chain, no fork')
    // Each height the halted nodes held is the same block everywhere.
    for (const h of new Set(haltedAt.filter((x): x is number => x !== null && x > 0))) {
      const at = await Promise.all(live([7, 8, 9]).map((i) => net.clients[i]!.getBlock({ height: h }).then((b) => b.hash)))
      assert.equal(new Set(at).size, 1, `one block at height ${h}`)
    }
  } finally {
    await cluster.cleanup()
  }
})
