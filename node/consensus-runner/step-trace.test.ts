import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { openStepTrace, parseTrace } from './step-trace.ts'
import { tempDir } from '../test-support/fixtures.ts'

test('step trace: one line per step; two nodes append to one file without mixing lines', async () => {
  const dir = await tempDir()
  try {
    const file = join(dir.path, 'steps.trace')
    let t = 1000
    const a = openStepTrace(file, 'node0', () => t++)
    const b = openStepTrace(file, 'node one', () => t++)
    a.record('tx-local', 5)
    b.record('sign-prevote', 5)
    a.record('persisted', 5)
    a.close()
    b.close()
    a.record('after-close', 6) // ignored
    assert.equal(await readFile(file, 'utf8'), '1000.000 node0 tx-local 5\n1001.000 node_one sign-prevote 5\n1002.000 node0 persisted 5\n')
    assert.deepEqual(parseTrace(await readFile(file, 'utf8')).map((e) => [e.at, e.node, e.event, e.height]), [
      [1000, 'node0', 'tx-local', 5], [1001, 'node_one', 'sign-prevote', 5], [1002, 'node0', 'persisted', 5],
    ])
  } finally {
    await dir.cleanup()
  }
})

test('step trace: a file that cannot be opened throws at open (the node reports it as BAD_CONFIG)', () => {
  assert.throws(() => openStepTrace('/nonexistent-dir/steps.trace', 'node0'), /ENOENT/)
})
