import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseTrace } from '../../node/consensus-runner/step-trace.ts'
import { PHASES, precommitSaveTimes, quantile, recordPhases, summarisePhases } from './height-trace.ts'
import { runTracedRecords } from './traced-records.ts'
import { quorumSize } from '../../core/validators.ts'

/** One height (7) traced on 4 nodes, quorum 3; node0 holds the client. Times in ms. */
const TRACE = [
  '1000.500 node0 tx-local 7',
  '1001.000 node1 tx-peer 7',
  '1002.000 node3 propose-block 7',
  '1003.000 node3 sign-proposal 7',
  '1003.100 node3 sign-prevote 7',
  '1003.200 node3 prevote-signed 7',
  '1005.000 node0 prevote-signed 7',
  '1006.000 node1 prevote-signed 7',
  '1006.500 node3 broadcast-votes 7',
  '1007.000 node0 sign-precommit 7',
  '1008.000 node0 precommit-signed 7',
  '1007.500 node3 sign-precommit 7',
  '1009.500 node3 precommit-signed 7',
  '1008.200 node1 sign-precommit 7',
  '1010.000 node1 precommit-signed 7',
  '1010.600 node3 broadcast-votes 7',
  '1010.700 node3 commit 7',
  '1012.000 node0 commit 7',
  '1013.000 node0 persisted 7',
  'garbage line',
  '1014.000 node0 tx-local', // no height: skipped
].join('\n')

test('height trace: lines parse into time-ordered events; broken lines are skipped', () => {
  const events = parseTrace(TRACE)
  assert.equal(events.length, 19)
  assert.deepEqual(events[0], { at: 1000.5, node: 'node0', event: 'tx-local', height: 7 })
  assert.ok(events.every((e, i) => i === 0 || e.at >= events[i - 1]!.at))
})

test('height trace: one record window becomes a timeline from its start', () => {
  const events = parseTrace(TRACE)
  const [r] = recordPhases(events, [{ start: 1000, final: 1014 }], 3)
  assert.ok(r)
  assert.equal(r.height, 7)
  assert.equal(r.clientNode, 'node0')
  assert.deepEqual(Object.values(r.phases).map((x) => +x!.toFixed(3)), [0.5, 2, 3, 6, 6.5, 10, 10.6, 12, 13, 14])
  // A window in which the client's node persisted nothing is left out; so is one with no local tx.
  assert.deepEqual(recordPhases(events, [{ start: 1000, final: 1012.5 }], 3), [])
  assert.deepEqual(recordPhases(events, [{ start: 1001, final: 1014 }], 3), [])
})

test('height trace: precommit save times pair each request with its signed vote, per node and height', () => {
  const events = parseTrace(TRACE)
  assert.deepEqual(precommitSaveTimes(events, [{ start: 1000, final: 1014 }]).map((x) => +x.toFixed(3)), [1, 2, 1.8])
  assert.deepEqual(precommitSaveTimes(events, [{ start: 2000, final: 3000 }]), [])
})

test('height trace: summaries are nearest-rank quantiles over the records that saw the phase', () => {
  assert.equal(quantile([], 0.5), undefined)
  assert.equal(quantile([1, 2, 3, 4], 0.5), 3)
  assert.equal(quantile([1, 2, 3, 4], 0.9), 4)
  const events = parseTrace(TRACE)
  const records = recordPhases(events, [{ start: 1000, final: 1014 }], 3)
  const summary = summarisePhases(records)
  assert.equal(summary.length, 10)
  assert.deepEqual(summary[0], { phase: "tx at the client's node", samples: 1, p50Ms: 0.5, p90Ms: 0.5 })
})

test('height trace: a real 4-validator testnet traces every phase of each record, in order', { timeout: 120_000 }, async () => {
  const { events, windows } = await runTracedRecords({ validators: 4, warmUpRecords: 3, records: 8 })
  assert.equal(windows.length, 8)
  const records = recordPhases(events, windows, quorumSize(4, 'bft'))
  const complete = records.filter((r) => PHASES.every((name) => r.phases[name] !== undefined))
  // A height that needed a second round, that the client's node took by sync, or whose record
  // window caught the previous height's persist instead of its own, has no full timeline and is
  // left out by design. Loaded CI machines have shown such records: one of three, one of four,
  // and (an AMD EPYC with a slow kernel, the whole suite running, one warm-up record) four of six,
  // all early in the run. Three warm-up records now, and two complete timelines of eight is the
  // floor: none would be a fault.
  assert.ok(complete.length >= 2, `complete timelines for ${complete.length} of 8 records: ${JSON.stringify(records)}; windows ${JSON.stringify(windows)}`)
  for (const r of complete) {
    const p = PHASES.map((name) => r.phases[name]!)
    assert.ok(p.every((x) => x >= 0), JSON.stringify(r.phases))
    // Steps that follow one another on the critical path come out in that order.
    const onPath = [0, 1, 2, 5, 7, 8, 9].map((i) => p[i]!)
    assert.deepEqual(onPath, [...onPath].sort((a, b) => a - b), JSON.stringify(r.phases))
  }
  assert.ok(precommitSaveTimes(events, windows).length >= 9, 'each validator saved a precommit per traced height')
})
