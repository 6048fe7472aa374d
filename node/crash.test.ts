/**
 * Crash safety: a node process killed with SIGKILL while committing blocks restarts with a
 * consistent store at the last whole block (every block's writes are one atomic batch).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { ChainStore } from './store/chain-store.ts'
import { chainStorePath } from './node.ts'
import { replayCheck } from './store/replay-check.ts'
import { BlockExecutor } from './execution/block-executor.ts'
import { createKvExecutor } from './execution/kv-executor.ts'
import { tempDir, testGenesis, testKey } from './test-support/fixtures.ts'

const loadNode = fileURLToPath(new URL('./test-support/load-node.ts', import.meta.url))
const genesis = testGenesis([testKey('validator-0')])

/** Runs the load node until it has committed `minBlocks` more blocks, then SIGKILLs it. */
function runAndKill(dataDir: string, minBlocks: number, extraDelayMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', loadNode, dataDir], { stdio: ['ignore', 'pipe', 'pipe'] })
    let first: number | undefined
    let last = 0
    let stderr = ''
    let killed = false
    child.stderr.on('data', (d) => (stderr += d))
    child.stdout.on('data', (d: Buffer) => {
      for (const m of d.toString().matchAll(/height (\d+)/g)) {
        last = Number(m[1])
        first ??= last
        if (!killed && last - first >= minBlocks) {
          killed = true
          setTimeout(() => child.kill('SIGKILL'), extraDelayMs)
        }
      }
    })
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(last)
      else reject(new Error(`load node exited (${code}) before being killed: ${stderr}`))
    })
    setTimeout(() => { if (!killed) { child.kill('SIGKILL'); reject(new Error(`no progress: ${stderr}`)) } }, 60_000).unref()
  })
}

test('SIGKILL mid-commit leaves the store at the last whole block, and the node resumes', async () => {
  const dir = await tempDir()
  const executor = new BlockExecutor([createKvExecutor()])
  try {
    let previousHead = 0
    for (const delay of [0, 3, 7]) {
      const seen = await runAndKill(dir.path, 15, delay)
      const store = await ChainStore.open(chainStorePath(dir.path), genesis.hash)
      try {
        const head = store.getHead().height
        // The store holds every block it reported and at most the ones in flight at the kill.
        assert.ok(head >= seen, `head ${head} behind the last reported commit ${seen}`)
        assert.ok(head > previousHead, 'the restarted node made progress')
        const report = await replayCheck(store, genesis, executor)
        assert.equal(report.height, head)
        assert.ok(report.stateEntries > 0)
        previousHead = head
      } finally {
        await store.close()
      }
    }
  } finally {
    await dir.cleanup()
  }
})
