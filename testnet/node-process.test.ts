import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { v8PoolSizeFor } from './node-process.ts'
import { startCluster } from './test-support/cluster.ts'

test('v8PoolSizeFor: an even share of the cores per node process, 1 to 4 threads', () => {
  assert.equal(v8PoolSizeFor(10, 2), 1)
  assert.equal(v8PoolSizeFor(4, 2), 1)
  assert.equal(v8PoolSizeFor(4, 8), 2)
  assert.equal(v8PoolSizeFor(1, 2), 2)
  assert.equal(v8PoolSizeFor(1, 64), 4, "never above Node's default")
  assert.equal(v8PoolSizeFor(0, 2), 2)
  assert.ok(v8PoolSizeFor(10) >= 1)
})

test('a testnet starts its node processes with that pool size', { skip: process.platform !== 'linux' && 'reads /proc' }, async () => {
  const cluster = await startCluster(2)
  try {
    for (const p of cluster.net.processes) {
      const argv = readFileSync(`/proc/${p.pid}/cmdline`, 'utf8').split('\0')
      assert.ok(argv.includes(`--v8-pool-size=${v8PoolSizeFor(2)}`), argv.join(' '))
    }
  } finally {
    await cluster.cleanup()
  }
})
