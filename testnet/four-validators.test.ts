/**
 * Four real validator processes over libp2p on loopback: txs commit, one validator is SIGKILLed
 * mid-run and the chain goes on, it restarts and catches up, and every node ends with the same
 * block hashes and state roots. Every start ran the start-up self-test first, and the step trace
 * (node/consensus-runner/step-trace.ts) lists the blocks the restarted node caught up on.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { addressFromPublicKey, formatAddress } from '../core/index.ts'
import { parseTrace } from '../node/consensus-runner/step-trace.ts'
import { tempDir, waitFor } from '../node/test-support/fixtures.ts'
import { WARM_UP_STATE_ROOT } from '../node/warm-up.ts'
import { kvSender, startCluster, waitForHeight } from './test-support/cluster.ts'

test('4 validators: kill one, the chain goes on; restart it, it catches up; all agree', { timeout: 180_000 }, async () => {
  const traceDir = await tempDir('medchain-4v-trace-')
  const traceFile = join(traceDir.path, 'steps.trace')
  const cluster = await startCluster(4, {}, { env: { MEDCHAIN_TRACE_FILE: traceFile } })
  const { net } = cluster
  const alice = kvSender(net)
  const sendVia = alice.sendVia
  try {
    await sendVia(1, 10)
    await net.processes[3]!.kill()
    const before = (await net.heights())[0]!
    await sendVia(0, 10)
    await sendVia(2, 5)
    const during = (await net.heights())[0]!
    assert.ok(during > before, 'blocks stay final with one validator down')

    net.processes[3]!.start()
    await waitForHeight(net, [3], during, 60_000)
    await sendVia(3, 5)
    const heights = await net.heights()
    const common = Math.min(...(heights as number[]))
    const blocks = await Promise.all(net.clients.map((c) => c.getBlock({ height: common })))
    for (const b of blocks) {
      assert.equal(b.hash, blocks[0]!.hash)
      assert.equal(b.header.stateRoot, blocks[0]!.header.stateRoot)
      assert.ok(b.commit && b.commit.signatures.length >= 3)
    }
    // Every node's state holds all 30 of the sender's txs, including the restarted one's.
    const sender = formatAddress(addressFromPublicKey(alice.key.publicKey))
    const nonces = async () => Promise.all(net.clients.map(async (c) => (await c.getNonce(sender)).nonce))
    let seen: number[] = []
    await waitFor(async () => (seen = await nonces()).every((n) => n === alice.sent), 'every node to hold the final nonce', 30_000).catch(() => {
      assert.deepEqual(seen, net.clients.map(() => alice.sent))
    })
    // Each node passed the start-up self-test before it joined: the restarted one at both starts.
    for (const n of net.layout.nodes) {
      const passed = (await readFile(n.logFile, 'utf8')).split('\n').filter((l) => l.includes('"start-up self-test passed"')).map((l) => JSON.parse(l) as { stateRoot: string })
      assert.equal(passed.length, n.index === 3 ? 2 : 1, `${n.name}'s log`)
      for (const p of passed) assert.equal(p.stateRoot, WARM_UP_STATE_ROOT)
    }
    // The blocks made while node3 was down reached it by block sync, and its trace says each was
    // persisted (a trace without them misreads a record's height: bench/medchain/height-trace.ts).
    const persisted = new Set(parseTrace(await readFile(traceFile, 'utf8')).filter((e) => e.node === 'node3' && e.event === 'persisted').map((e) => e.height))
    for (let h = before + 2; h <= during; h++) assert.ok(persisted.has(h), `node3's trace lists height ${h} as persisted`)
  } finally {
    await cluster.cleanup()
    await traceDir.cleanup()
  }
})
