import { test } from 'node:test'
import assert from 'node:assert/strict'
import { runSeed, runSeeds } from './run-seeds.ts'
import { faultTolerance, scenarioFromSeed } from './scenario.ts'

const SEEDS = 300

test(`simulator: ${SEEDS} seeds, no safety, validity or liveness violation`, () => {
  const summary = runSeeds(0, SEEDS)
  const report = summary.failures.map((f) =>
    `seed ${f.seed}: ${f.violations.map((v) => `${v.kind}: ${v.message}`).join(' | ')}\n  replay: npm run sim -- --seed ${f.seed} --verbose`)
  assert.equal(summary.failures.length, 0, report.join('\n'))
  assert.ok(summary.heights >= SEEDS * 3, `only ${summary.heights} heights final over ${SEEDS} seeds`)
})

test('simulator: the seed set covers twins, majority mode, 10 validators, halts and n - quorum crashes', () => {
  const scenarios = Array.from({ length: SEEDS }, (_, s) => scenarioFromSeed(s))
  assert.ok(scenarios.some((s) => s.quorumMode === 'bft' && s.twins.length === faultTolerance(s.validators) && s.twinSplits.length > 0))
  assert.ok(scenarios.some((s) => s.validators === 10 && s.twins.length === 3))
  assert.ok(scenarios.some((s) => s.quorumMode === 'majority'))
  assert.ok(scenarios.filter((s) => s.kind === 'halt').length >= 10)
  assert.ok(scenarios.filter((s) => s.kind === 'crash-max').length >= 10)
  assert.ok(scenarios.every((s) => s.quorumMode === 'bft' || s.twins.length === 0), 'majority mode is not safe against twins')
})

test('simulator: a seed replays exactly', () => {
  for (const seed of [2, 9, 7]) {
    const a = runSeed(seed)
    const b = runSeed(seed)
    assert.equal(a.traceHash, b.traceHash)
    assert.equal(a.events, b.events)
  }
  assert.notEqual(runSeed(3).traceHash, runSeed(4).traceHash)
})

test('simulator: twins equivocate and are caught as evidence, honest validators never are', () => {
  const seed = Array.from({ length: 100 }, (_, s) => s).find((s) => scenarioFromSeed(s).twins.length > 0)!
  const r = runSeed(seed)
  assert.ok(r.ok, JSON.stringify(r.violations))
  assert.ok(r.evidence > 0, 'twins produced no evidence')
})

test('simulator: 4 of 10 validators stopped (bft) halts without forking, and resumes when one returns', () => {
  const seed = 7
  const s = scenarioFromSeed(seed)
  assert.equal(s.kind, 'halt')
  assert.equal(s.validators, 10)
  assert.equal(s.crashes.length, 4)
  assert.equal(s.crashes.filter((c) => c.restartAtMs !== null).length, 1)
  const lines: string[] = []
  const r = runSeed(seed, (l) => lines.push(l))
  assert.ok(r.ok, JSON.stringify(r.violations))
  // Commits happen before the stop and again after the return, none in between beyond one in flight.
  const commitTimes = lines.filter((l) => / commits h/.test(l)).map((l) => Number(/^t=(\d+)/.exec(l)![1]))
  const stop = s.crashes[0]!.atMs
  const back = s.crashes.find((c) => c.restartAtMs !== null)!.restartAtMs!
  assert.ok(commitTimes.some((t) => t < stop))
  assert.ok(commitTimes.some((t) => t > back))
  assert.ok(!commitTimes.some((t) => t > stop + 1000 && t < back), 'a height was finalised while quorum was lost')
})
