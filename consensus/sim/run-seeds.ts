/**
 * Runs seeds: the shared driver of the test (sim.test.ts) and the command line (cli.ts).
 */
import { runSimulation, type SimResult } from './simulator.ts'
import { scenarioFromSeed } from './scenario.ts'

export function runSeed(seed: number, log?: (line: string) => void): SimResult {
  return runSimulation(scenarioFromSeed(seed), log ? { log } : {})
}

export interface SeedsSummary {
  readonly seeds: number
  readonly failures: readonly SimResult[]
  readonly heights: number
  readonly evidence: number
  readonly syncs: number
  readonly events: number
  readonly simTimeMs: number
}

export function runSeeds(from: number, count: number, onResult?: (r: SimResult, done: number) => void): SeedsSummary {
  const failures: SimResult[] = []
  let heights = 0, evidence = 0, syncs = 0, events = 0, simTimeMs = 0
  for (let k = 0; k < count; k++) {
    const r = runSeed(from + k)
    if (!r.ok) failures.push(r)
    heights += r.finalHeight
    evidence += r.evidence
    syncs += r.syncs
    events += r.events
    simTimeMs += r.simTimeMs
    onResult?.(r, k + 1)
  }
  return { seeds: count, failures, heights, evidence, syncs, events, simTimeMs }
}
