/**
 * A simulation scenario is data (after CometBFT's e2e manifests): the validator set, which keys
 * run as Byzantine twins, the network's behaviour before and after the heal, and when nodes
 * crash and restart. `scenarioFromSeed` draws one from a seed; the simulator then runs it with
 * another PRNG stream of the same seed.
 *
 * Kinds:
 * - chaos: lossy, slow, reordering network with partitions and crashes until `healAtMs`, then a
 *   calm network with every node up; the chain must then grow by `extraHeights`.
 * - halt: bft with 10 validators on a calm network; 4 stop (quorum 7 of 10 is lost): nobody may
 *   finalise a new height (one already in flight may finish) until one returns; then it resumes.
 * - crash-max: n - quorum validators down from the start on a calm network: the others must keep
 *   committing; then the crashed ones return and catch up (sync).
 */
import type { QuorumMode } from '../../core/validators.ts'
import { quorumSize } from '../../core/validators.ts'
import type { TimeoutConfig } from '../config.ts'
import { createPrng } from './prng.ts'

export type ScenarioKind = 'chaos' | 'halt' | 'crash-max'

export interface NetworkBehaviour {
  readonly lossRate: number
  readonly duplicateRate: number
  readonly minDelayMs: number
  readonly maxDelayMs: number
}

export interface CrashEvent {
  /** Validator index (its first instance; twins are never crashed). */
  readonly validator: number
  readonly atMs: number
  /** null: stays down for the rest of the run. */
  readonly restartAtMs: number | null
  /**
   * The machine crashes, not just the process: the PrivValidator's saves that were not durable
   * are lost (see priv-validator.ts). Drawn without the seed's generator, so the rest of a
   * scenario is the same as before machine crashes existed.
   */
  readonly machine: boolean
}

export interface PartitionEvent {
  readonly atMs: number
  readonly untilMs: number
  /** Endpoints on one side; every other endpoint is on the other side. */
  readonly side: readonly number[]
}

export interface Scenario {
  readonly seed: number
  readonly kind: ScenarioKind
  readonly validators: number
  readonly quorumMode: QuorumMode
  /** Validator indices whose key runs in two instances (Diem's Twins): Byzantine equivocators. */
  readonly twins: readonly number[]
  /** Twins sometimes propose blocks the honest nodes must find invalid. */
  readonly twinsProposeInvalidBlocks: boolean
  /**
   * Twins routing (Diem's Twins): from `atMs` on, the first instance of each twin key sends only
   * to the honest endpoints in `side`, the second only to the others, so that each honest node
   * hears one face of the equivocator. The last entry holds for the rest of the run: a Byzantine
   * validator does not have to stop when the network heals.
   */
  readonly twinSplits: readonly { readonly atMs: number; readonly side: readonly number[] }[]
  readonly chaos: NetworkBehaviour
  readonly calm: NetworkBehaviour
  readonly healAtMs: number
  readonly crashes: readonly CrashEvent[]
  readonly partitions: readonly PartitionEvent[]
  /** After the heal, every live honest node must reach (highest height at heal) + this ... */
  readonly extraHeights: number
  /** ... within this much simulated time. */
  readonly livenessBudgetMs: number
  /** Node-side delay between a commit and starting the next height (CometBFT's timeout_commit). */
  readonly commitDelayMs: number
  readonly timeouts: TimeoutConfig
  /** Engines route votes through the round's collector (ConsensusConfig.routeVotes). */
  readonly routeVotes: boolean
  /** halt: no new height may be finalised in [fromMs, toMs] beyond one in flight at fromMs. */
  readonly expectHalt: { readonly fromMs: number; readonly toMs: number } | null
  /** crash-max: the live nodes must finalise at least `minHeights` heights in [fromMs, toMs]. */
  readonly expectProgress: { readonly fromMs: number; readonly toMs: number; readonly minHeights: number } | null
}

export const SIM_TIMEOUTS: TimeoutConfig = Object.freeze({
  proposeMs: 150, proposeDeltaMs: 50,
  prevoteMs: 100, prevoteDeltaMs: 50,
  precommitMs: 100, precommitDeltaMs: 50,
  rebroadcastMs: 300,
  voteFallbackMs: 60,
})

const CALM: NetworkBehaviour = Object.freeze({ lossRate: 0, duplicateRate: 0.02, minDelayMs: 1, maxDelayMs: 20 })

export function faultTolerance(n: number): number {
  return Math.floor((n - 1) / 3)
}

export function scenarioFromSeed(seed: number): Scenario {
  if (seed % 20 === 7) return haltScenario(seed)
  if (seed % 20 === 17) return crashMaxScenario(seed)
  return chaosScenario(seed)
}

function base(seed: number, kind: ScenarioKind, validators: number, quorumMode: QuorumMode): Scenario {
  return {
    seed, kind, validators, quorumMode, twins: [], twinsProposeInvalidBlocks: false, twinSplits: [],
    chaos: CALM, calm: CALM, healAtMs: 0, crashes: [], partitions: [],
    extraHeights: 3, livenessBudgetMs: 60_000, commitDelayMs: 10, timeouts: SIM_TIMEOUTS,
    // Two seeds in three route votes; taken from the seed, not the PRNG, so that every seed's
    // faults are the same as before routing existed.
    routeVotes: seed % 3 !== 0,
    expectHalt: null, expectProgress: null,
  }
}

function chaosScenario(seed: number): Scenario {
  const rng = createPrng(seed)
  const validators = seed % 10 === 0 ? 10 : rng.pick([4, 4, 5, 6, 7, 7])
  const quorumMode: QuorumMode = rng.chance(0.2) ? 'majority' : 'bft'
  const f = faultTolerance(validators)
  // Twins only in bft mode, where up to f Byzantine keys are tolerated. In majority mode the
  // protocol is not safe against equivocation (see README), so we only crash nodes there.
  const twinCount = quorumMode === 'bft' && rng.chance(0.45) ? rng.int(1, f) : 0
  const indices = Array.from({ length: validators }, (_, i) => i)
  const twins: number[] = []
  while (twins.length < twinCount) {
    const i = rng.pick(indices.filter((x) => !twins.includes(x)))
    twins.push(i)
  }
  twins.sort((a, b) => a - b)
  const healAtMs = rng.int(1500, 4000)
  const chaos: NetworkBehaviour = {
    lossRate: rng.pick([0, 0.05, 0.15, 0.3]),
    duplicateRate: 0.05,
    minDelayMs: 1,
    maxDelayMs: rng.pick([20, 80, 200, 400]),
  }
  const honest = indices.filter((i) => !twins.includes(i))
  const endpoints = validators + twins.length
  const partitions: PartitionEvent[] = []
  const partitionCount = rng.int(0, 3)
  for (let k = 0; k < partitionCount; k++) {
    const atMs = rng.int(0, healAtMs - 100)
    const untilMs = Math.min(healAtMs, atMs + rng.int(100, 1500))
    const side = Array.from({ length: endpoints }, (_, i) => i).filter(() => rng.chance(0.5))
    partitions.push({ atMs, untilMs, side })
  }
  const crashes: CrashEvent[] = []
  const crashCount = rng.int(0, 3)
  for (let k = 0; k < crashCount; k++) {
    const atMs = rng.int(0, healAtMs - 50)
    const restartAtMs = rng.chance(0.5) ? Math.min(healAtMs, atMs + rng.int(50, 1500)) : healAtMs
    crashes.push({ validator: rng.pick(honest), atMs, restartAtMs, machine: atMs % 2 === 1 })
  }
  const twinSplits: { atMs: number; side: number[] }[] = []
  if (twins.length > 0 && rng.chance(0.8)) {
    for (let atMs = 0; atMs < healAtMs + 2000; atMs += rng.int(100, 800)) {
      twinSplits.push({ atMs, side: honest.filter(() => rng.chance(0.5)) })
    }
  }
  return {
    ...base(seed, 'chaos', validators, quorumMode),
    twins, twinsProposeInvalidBlocks: twins.length > 0 && rng.chance(0.5), twinSplits,
    chaos, healAtMs, crashes, partitions,
  }
}

function haltScenario(seed: number): Scenario {
  const rng = createPrng(seed)
  const validators = 10
  const indices = Array.from({ length: validators }, (_, i) => i)
  const stopped: number[] = []
  while (stopped.length < 4) stopped.push(rng.pick(indices.filter((i) => !stopped.includes(i))))
  const stopAtMs = rng.int(300, 1000)
  const resumeAtMs = stopAtMs + 4000
  const crashes = stopped.map((validator, k) => ({ validator, atMs: stopAtMs, restartAtMs: k === 0 ? resumeAtMs : null, machine: (seed + k) % 2 === 0 }))
  return {
    ...base(seed, 'halt', validators, 'bft'),
    healAtMs: resumeAtMs,
    crashes,
    // Messages in flight when the four stop may still finish the height under way (and the
    // certificate of it may reach the others later): allow one height, never two.
    expectHalt: { fromMs: stopAtMs, toMs: resumeAtMs },
  }
}

function crashMaxScenario(seed: number): Scenario {
  const rng = createPrng(seed)
  const validators = rng.pick([4, 5, 7, 10])
  const quorumMode: QuorumMode = rng.chance(0.3) ? 'majority' : 'bft'
  const down = validators - quorumSize(validators, quorumMode)
  const indices = Array.from({ length: validators }, (_, i) => i)
  const crashed: number[] = []
  while (crashed.length < down) crashed.push(rng.pick(indices.filter((i) => !crashed.includes(i))))
  const healAtMs = 3000
  return {
    ...base(seed, 'crash-max', validators, quorumMode),
    healAtMs,
    crashes: crashed.map((validator, k) => ({ validator, atMs: 0, restartAtMs: healAtMs, machine: (seed + k) % 2 === 0 })),
    expectProgress: { fromMs: 0, toMs: healAtMs, minHeights: 3 },
  }
}
