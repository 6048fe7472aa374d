import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { waitFor } from '../node/test-support/fixtures.ts'
import { NODE_MAX_SEMI_SPACE_MB, nodeProcessFlags, v8PoolSizeFor } from './node-process.ts'
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

test('nodeProcessFlags: pool size, young-generation cap, then the operator\'s flags, which can override both', () => {
  assert.deepEqual(nodeProcessFlags({ v8PoolSize: 1 }, {}), ['--v8-pool-size=1', `--max-semi-space-size=${NODE_MAX_SEMI_SPACE_MB}`])
  assert.deepEqual(nodeProcessFlags({}, { MEDCHAIN_NODE_ARGS: '--cpu-prof  --max-semi-space-size=8' }), [`--max-semi-space-size=${NODE_MAX_SEMI_SPACE_MB}`, '--cpu-prof', '--max-semi-space-size=8'])
  assert.deepEqual(nodeProcessFlags({ maxSemiSpaceMb: 0, nodeArgs: ['--trace-gc'] }, { MEDCHAIN_NODE_ARGS: '--cpu-prof' }), ['--trace-gc'], "0 leaves V8's own cap; nodeArgs replace the environment's")
})

test('a testnet starts its node processes with that pool size and the young-generation cap', { skip: process.platform !== 'linux' && 'reads /proc' }, async () => {
  const cluster = await startCluster(2)
  try {
    for (const p of cluster.net.processes) {
      const argv = readFileSync(`/proc/${p.pid}/cmdline`, 'utf8').split('\0')
      assert.ok(argv.includes(`--v8-pool-size=${v8PoolSizeFor(2)}`), argv.join(' '))
      assert.ok(argv.includes(`--max-semi-space-size=${NODE_MAX_SEMI_SPACE_MB}`), argv.join(' '))
    }
  } finally {
    await cluster.cleanup()
  }
})

test('nodes stop by themselves when the process that started them dies without cleaning up', { skip: process.platform === 'win32' && 'POSIX signals' }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'medchain-orphan-'))
  const parent = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./test-support/orphan-parent.ts', import.meta.url)), dir], { stdio: ['ignore', 'pipe', 'inherit'] })
  let pids: number[] = []
  try {
    const line = await new Promise<string>((resolve, reject) => {
      let out = ''
      parent.stdout!.on('data', (d: Buffer) => {
        out += d.toString()
        if (out.includes('\n')) resolve(out.split('\n')[0]!)
      })
      parent.on('exit', (code) => reject(new Error(`the parent exited early (${code})`)))
    })
    pids = JSON.parse(line) as number[]
    assert.equal(pids.length, 2)
    assert.ok(pids.every(alive), 'the nodes run')
    parent.kill('SIGKILL')
    await waitFor(() => !pids.some(alive), 'the orphaned nodes to stop', 30_000)
  } finally {
    parent.kill('SIGKILL')
    for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL')
    await rm(dir, { recursive: true, force: true })
  }
})

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}
