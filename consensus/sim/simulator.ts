/**
 * The deterministic consensus simulator: every validator's engine, PrivValidator and block store
 * in one process, a seeded network (delay, loss, duplication, reordering, partitions), crashes
 * and restarts, and Byzantine twins (two instances sharing one key and honest code, Diem's
 * Twins). Everything variable comes from one PRNG seeded with the scenario's seed, and the
 * agenda is ordered by (time, insertion): a run is a pure function of its scenario.
 *
 * What a simulated node does is what the real node will do with the engine's outputs: sign via
 * the PrivValidator and feed the signed message back, broadcast, run timers, answer
 * propose-block / validate-block from a shared block registry (blocks travel with proposals),
 * persist commits, sync from a peer's block store on `need-sync`, and restart from persisted
 * state (block store + PrivValidator store) after a crash.
 *
 * Checks (each failure is a Violation; a run with none passes):
 * - safety: no two different blocks final at one height on any nodes, ever;
 * - validity: every committed block was proposed, is valid and extends the node's chain, and its
 *   commit certificate passes core's verifyCommit; no honest message is ever rejected; evidence
 *   verifies and only ever convicts twins;
 * - liveness: after the heal every live honest node reaches the target height within the budget;
 * - halt / progress: the scenario's expectations about when the chain may or must grow.
 */
import { encodeCommit, verifyCommit, type CommitCertificate } from '../../core/commit.ts'
import { encodeTrusted } from '../../core/encoding.ts'
import { sha256 } from '../../core/hash.ts'
import { toHex } from '../../core/hex.ts'
import { keyPairFromSecretKey, verify } from '../../core/keys.ts'
import { createValidatorSet, type ValidatorSet } from '../../core/validators.ts'
import type { TimeoutStep } from '../config.ts'
import type { ConsensusInput, ConsensusOutput } from '../consensus-io.ts'
import { createConsensus, type ConsensusEngine } from '../engine.ts'
import { isConsensusError } from '../errors.ts'
import { evidenceValidator, verifyEvidence } from '../evidence.ts'
import type { SignatureVerifier } from '../messages.ts'
import { MemoryPrivValidatorStore, PrivValidator } from '../priv-validator.ts'
import { createEd25519Signer, type MessageSigner } from '../signer.ts'
import { EventQueue } from './event-queue.ts'
import { createPrng, type Prng } from './prng.ts'
import type { NetworkBehaviour, Scenario } from './scenario.ts'

export const SIM_CHAIN_ID = 'medchain-sim'
const GENESIS_HASH = new Uint8Array(32)
/** Hard stop on agenda size: a run that needs more has a bug (message storm). */
const MAX_EVENTS = 3_000_000

export type ViolationKind = 'safety' | 'validity' | 'liveness' | 'halt' | 'progress' | 'rejected' | 'evidence'
export interface Violation {
  readonly kind: ViolationKind
  readonly atMs: number
  readonly message: string
}

export interface SimResult {
  readonly seed: number
  readonly ok: boolean
  readonly violations: readonly Violation[]
  /** Highest height final on any node. */
  readonly finalHeight: number
  readonly simTimeMs: number
  readonly events: number
  readonly evidence: number
  readonly syncs: number
  readonly signRefusals: number
  /** SHA-256 over every node's chain and the run's counters: equal for equal runs. */
  readonly traceHash: string
}

export interface SimOptions {
  /** Receives a line per notable event (commits, crashes, syncs, evidence, violations). */
  readonly log?: (line: string) => void
}

interface BlockRecord {
  readonly height: number
  readonly parent: Uint8Array
  readonly valid: boolean
}

interface ChainEntry {
  readonly hash: Uint8Array
  readonly certificate: CommitCertificate
}

interface SimNode {
  readonly endpoint: number
  readonly validator: number
  readonly isTwin: boolean
  readonly store: MemoryPrivValidatorStore
  readonly chain: ChainEntry[]
  alive: boolean
  incarnation: number
  engine: ConsensusEngine | null
  pv: PrivValidator | null
  syncing: boolean
}

type SimEvent =
  | { readonly kind: 'deliver'; readonly to: number; readonly input: ConsensusInput }
  | { readonly kind: 'input'; readonly node: number; readonly incarnation: number; readonly input: ConsensusInput }
  | { readonly kind: 'validate'; readonly node: number; readonly incarnation: number; readonly height: number; readonly blockHash: Uint8Array }
  | { readonly kind: 'start-next'; readonly node: number; readonly incarnation: number }
  | { readonly kind: 'sync'; readonly node: number; readonly incarnation: number }
  | { readonly kind: 'crash'; readonly validator: number; readonly machine: boolean }
  | { readonly kind: 'restart'; readonly validator: number }
  | { readonly kind: 'heal' }
  /** A partition starts or ends (applyPartitions runs before every event; this makes sure one runs then). */
  | { readonly kind: 'network-change' }
  | { readonly kind: 'check-halt-start' }
  | { readonly kind: 'check-halt-end' }
  | { readonly kind: 'check-progress' }

// ---- shared across runs: keys and a verification memo (pure functions of their inputs) ----

const keyCache: { signer: MessageSigner; publicKey: Uint8Array }[] = []
function validatorKey(i: number): { signer: MessageSigner; publicKey: Uint8Array } {
  let k = keyCache[i]
  if (!k) {
    const secret = sha256(encodeTrusted(['medchain-sim-validator-key', i]))
    k = { signer: createEd25519Signer(secret), publicKey: keyPairFromSecretKey(secret).publicKey }
    keyCache[i] = k
  }
  return k
}

const setCache = new Map<string, ValidatorSet>()
/** Validator sets are checked point by point on creation (pure JS): build each shape once. */
function simValidatorSet(n: number, mode: Scenario['quorumMode']): ValidatorSet {
  const key = `${n}/${mode}`
  let set = setCache.get(key)
  if (!set) {
    set = createValidatorSet(Array.from({ length: n }, (_, i) => validatorKey(i).publicKey), mode)
    setCache.set(key, set)
  }
  return set
}

const verifyMemo = new Map<string, boolean>()
const MEMO_MAX = 200_000
/**
 * Real Ed25519 verification (core's rule), remembered: every simulated node checks the same
 * signatures, and a result depends only on (signature, message, key).
 */
export const memoVerify: SignatureVerifier = (signature, message, publicKey) => {
  const key = Buffer.concat([signature, publicKey, message]).toString('latin1')
  let ok = verifyMemo.get(key)
  if (ok === undefined) {
    ok = verify(signature, message, publicKey)
    if (verifyMemo.size >= MEMO_MAX) verifyMemo.clear()
    verifyMemo.set(key, ok)
  }
  return ok
}

const commitMemo = new Map<string, string | null>()
function checkCertificate(set: ValidatorSet, c: CommitCertificate, height: number, blockHash: Uint8Array): string | null {
  const key = `${set.quorumMode}/${set.validators.length}/${height}/${toHex(blockHash)}/${Buffer.from(encodeCommit(c)).toString('base64')}`
  let result = commitMemo.get(key)
  if (result === undefined) {
    try {
      verifyCommit(SIM_CHAIN_ID, set, c, height, blockHash, memoVerify)
      result = null
    } catch (e) {
      result = e instanceof Error ? e.message : String(e)
    }
    if (commitMemo.size >= MEMO_MAX) commitMemo.clear()
    commitMemo.set(key, result)
  }
  return result
}

// ---- the simulation ----------------------------------------------------------------------

export function runSimulation(scenario: Scenario, options: SimOptions = {}): SimResult {
  return new Simulation(scenario, options).run()
}

class Simulation {
  private readonly s: Scenario
  private readonly log: ((line: string) => void) | undefined
  private readonly rng: Prng
  private readonly set: ValidatorSet
  private readonly nodes: SimNode[] = []
  private readonly agenda = new EventQueue<SimEvent>()
  private readonly blocks = new Map<string, BlockRecord>()
  private readonly finalized = new Map<number, string>()
  private readonly violations: Violation[] = []
  private network: NetworkBehaviour
  private partitionSide: Set<number> | null = null
  private healed = false
  private target = Number.POSITIVE_INFINITY
  private deadline = Number.POSITIVE_INFINITY
  private blockCounter = 0
  private events = 0
  private evidenceCount = 0
  private syncs = 0
  private signRefusals = 0
  private haltBaseline = 0
  private readonly permanentlyDown = new Set<number>()

  constructor(scenario: Scenario, options: SimOptions) {
    this.s = scenario
    this.log = options.log
    // A stream independent of the one scenarioFromSeed used.
    this.rng = createPrng(scenario.seed).fork().fork()
    this.set = simValidatorSet(scenario.validators, scenario.quorumMode)
    this.network = scenario.chaos
    for (let v = 0; v < scenario.validators; v++) this.addNode(v, false)
    for (const v of scenario.twins) this.addNode(v, true)
  }

  private addNode(validator: number, isTwin: boolean): void {
    this.nodes.push({
      endpoint: this.nodes.length, validator, isTwin,
      store: new MemoryPrivValidatorStore(), chain: [],
      alive: false, incarnation: 0, engine: null, pv: null, syncing: false,
    })
  }

  run(): SimResult {
    const s = this.s
    for (const node of this.nodes) this.boot(node)
    for (const c of s.crashes) {
      this.agenda.schedule(c.atMs, { kind: 'crash', validator: c.validator, machine: c.machine })
      if (c.restartAtMs === null) this.permanentlyDown.add(c.validator)
      else this.agenda.schedule(c.restartAtMs, { kind: 'restart', validator: c.validator })
    }
    for (const p of s.partitions) {
      this.partitionPlan.push({ atMs: p.atMs, untilMs: p.untilMs, side: new Set(p.side) })
      this.agenda.schedule(p.atMs, { kind: 'network-change' })
      this.agenda.schedule(p.untilMs, { kind: 'network-change' })
    }
    this.agenda.schedule(s.healAtMs, { kind: 'heal' })
    if (s.expectHalt) {
      this.agenda.schedule(s.expectHalt.fromMs, { kind: 'check-halt-start' })
      this.agenda.schedule(s.expectHalt.toMs, { kind: 'check-halt-end' })
    }
    if (s.expectProgress) this.agenda.schedule(s.expectProgress.toMs - 1, { kind: 'check-progress' })

    for (;;) {
      const e = this.agenda.pop()
      if (!e) break
      this.events++
      if (this.events > MAX_EVENTS) {
        this.violate('liveness', `more than ${MAX_EVENTS} events: message storm`)
        break
      }
      this.applyPartitions()
      this.dispatch(e)
      if (this.violations.some((v) => v.kind === 'safety')) break
      if (this.healed && this.livenessReached()) break
      if (this.agenda.now > this.deadline) {
        const behind = this.liveHonest().filter((n) => n.chain.length < this.target).map((n) => `#${n.endpoint}@${n.chain.length}`)
        this.violate('liveness', `target height ${this.target} not reached ${s.livenessBudgetMs} ms after the heal; behind: ${behind.join(' ')}`)
        for (const n of this.nodes) {
          const st = n.engine?.status()
          this.trace(`#${n.endpoint} (validator ${n.validator}${n.isTwin ? ', twin' : ''}) chain ${n.chain.length} ${st ? `h${st.height} r${st.round} ${st.step} locked r${st.lockedRound} valid r${st.validRound}` : 'down'}`)
        }
        break
      }
    }
    return this.result()
  }

  // Partition schedule, applied before each event.
  private readonly partitionPlan: { atMs: number; untilMs: number; side: Set<number> }[] = []
  private applyPartitions(): void {
    const now = this.agenda.now
    let active: Set<number> | null = null
    if (!this.healed) for (const p of this.partitionPlan) if (p.atMs <= now && now < p.untilMs) active = p.side
    if (active !== this.partitionSide) {
      this.partitionSide = active
      this.trace(active ? `partition {${[...active].join(',')}} | rest` : 'partition healed')
    }
  }

  private dispatch(e: SimEvent): void {
    switch (e.kind) {
      case 'deliver': {
        const node = this.nodes[e.to]!
        if (node.alive) this.feed(node, e.input)
        return
      }
      case 'network-change': return
      case 'input': {
        const node = this.nodes[e.node]!
        if (node.alive && node.incarnation === e.incarnation) this.feed(node, e.input)
        return
      }
      case 'validate': {
        const node = this.nodes[e.node]!
        if (!node.alive || node.incarnation !== e.incarnation) return
        this.feed(node, { type: 'block-validated', height: e.height, blockHash: e.blockHash, valid: this.isValidFor(node, e.height, e.blockHash) })
        return
      }
      case 'start-next': {
        const node = this.nodes[e.node]!
        if (node.alive && node.incarnation === e.incarnation) this.startHeight(node)
        return
      }
      case 'sync': this.finishSync(this.nodes[e.node]!, e.incarnation); return
      case 'crash': {
        for (const node of this.nodes) if (node.validator === e.validator && !node.isTwin && node.alive) this.crash(node, e.machine)
        return
      }
      case 'restart': {
        for (const node of this.nodes) if (node.validator === e.validator && !node.isTwin && !node.alive) this.boot(node)
        return
      }
      case 'heal': this.heal(); return
      case 'check-halt-start': this.haltBaseline = this.maxFinalized(); return
      case 'check-halt-end': {
        const h = this.maxFinalized()
        if (h > this.haltBaseline + 1) this.violate('halt', `finalised up to ${h} while quorum was lost (baseline ${this.haltBaseline}): must halt`)
        return
      }
      case 'check-progress': {
        const p = this.s.expectProgress!
        const h = Math.min(...this.liveHonest().filter((n) => n.alive).map((n) => n.chain.length))
        if (h < p.minHeights) this.violate('progress', `only ${h} heights with n - quorum validators down, expected >= ${p.minHeights}`)
        return
      }
    }
  }

  // ---- node lifecycle ----

  private boot(node: SimNode): void {
    node.alive = true
    node.incarnation++
    node.syncing = false
    node.pv = new PrivValidator({ chainId: SIM_CHAIN_ID, signer: validatorKey(node.validator).signer, store: node.store })
    node.engine = createConsensus({
      chainId: SIM_CHAIN_ID, validatorSet: this.set, myIndex: node.validator,
      timeouts: this.s.timeouts, verifySignature: memoVerify, routeVotes: this.s.routeVotes,
    })
    if (node.incarnation > 1) this.trace(`#${node.endpoint} restarts at height ${node.chain.length + 1}`)
    this.startHeight(node)
  }

  private crash(node: SimNode, machine: boolean): void {
    node.alive = false
    node.incarnation++
    node.engine = null
    node.pv = null
    if (machine) node.store.loseProcessSaves()
    this.trace(`#${node.endpoint} ${machine ? 'machine' : 'process'} crashes at height ${node.chain.length + 1}`)
  }

  private startHeight(node: SimNode): void {
    const height = node.chain.length + 1
    const last = node.chain[node.chain.length - 1]
    const input: ConsensusInput = {
      type: 'start-height', height,
      ...(node.pv!.resumePoint(height) ? { resume: node.pv!.resumePoint(height)! } : {}),
      ...(last ? { lastCommit: last.certificate } : {}),
    }
    this.feed(node, input)
  }

  private heal(): void {
    this.healed = true
    this.network = this.s.calm
    this.partitionSide = null
    for (const node of this.nodes) if (!node.alive && !this.permanentlyDown.has(node.validator)) this.boot(node)
    this.target = this.maxFinalized() + this.s.extraHeights
    this.deadline = this.agenda.now + this.s.livenessBudgetMs
    this.trace(`heal: target height ${this.target}`)
  }

  // ---- driving an engine ----

  /** Feeds an input, then every input its outputs produce locally (own signed messages), in order. */
  private feed(node: SimNode, first: ConsensusInput): void {
    const queue: ConsensusInput[] = [first]
    while (queue.length > 0) {
      const input = queue.shift()!
      if (!node.engine) return
      const before = this.log ? node.engine.status() : undefined
      const outputs = node.engine.handle(input)
      if (before) {
        const after = node.engine.status()
        if (after.height !== before.height || after.round !== before.round || after.step !== before.step) {
          this.trace(`#${node.endpoint} h${after.height} r${after.round} ${after.step} (on ${input.type}${input.type === 'timeout' ? ' ' + input.step : ''}) locked r${after.lockedRound} valid r${after.validRound}`)
        }
      }
      for (const o of outputs) this.carryOut(node, o, queue)
    }
  }

  private carryOut(node: SimNode, o: ConsensusOutput, local: ConsensusInput[]): void {
    switch (o.type) {
      case 'propose-block': {
        const parent = node.chain[o.height - 2]?.hash ?? GENESIS_HASH
        const hash = sha256(encodeTrusted(['sim-block', this.s.seed, o.height, o.round, node.endpoint, this.blockCounter++]))
        const valid = !(node.isTwin || this.s.twins.includes(node.validator)) || !this.s.twinsProposeInvalidBlocks || this.rng.chance(0.5)
        this.blocks.set(toHex(hash), { height: o.height, parent, valid })
        local.push({ type: 'block-proposal', height: o.height, round: o.round, blockHash: hash })
        return
      }
      case 'sign-proposal': this.signOwn(node, local, () => ({ type: 'proposal', proposal: node.pv!.signProposal(o.proposal) })); return
      case 'sign-vote': this.signOwn(node, local, () => ({ type: 'vote', vote: node.pv!.signVote(o.vote) }), o.sendTo); return
      case 'broadcast-proposal': this.broadcast(node, { type: 'proposal', proposal: o.proposal }); return
      case 'broadcast-vote': this.broadcast(node, { type: 'vote', vote: o.vote }); return
      case 'broadcast-votes': this.broadcast(node, ...o.votes.map((vote): ConsensusInput => ({ type: 'vote', vote }))); return
      case 'broadcast-commit': this.broadcast(node, { type: 'commit-certificate', certificate: o.certificate }); return
      case 'validate-block':
        this.agenda.schedule(this.rng.int(1, 10), { kind: 'validate', node: node.endpoint, incarnation: node.incarnation, height: o.height, blockHash: o.blockHash })
        return
      case 'schedule-timeout':
        this.agenda.schedule(o.durationMs, {
          kind: 'input', node: node.endpoint, incarnation: node.incarnation,
          input: { type: 'timeout', height: o.height, round: o.round, step: o.step as TimeoutStep },
        })
        return
      case 'commit':
        this.trace(`#${node.endpoint} commits h${o.height} r${o.round} ${toHex(o.blockHash).slice(0, 10)}`)
        this.persistCommit(node, o.height, o.blockHash, o.certificate, 'consensus')
        this.agenda.schedule(this.s.commitDelayMs, { kind: 'start-next', node: node.endpoint, incarnation: node.incarnation })
        return
      case 'evidence': {
        this.evidenceCount++
        const convicted = evidenceValidator(o.evidence)
        try {
          verifyEvidence(SIM_CHAIN_ID, this.set, o.evidence, memoVerify)
        } catch (e) {
          this.violate('evidence', `#${node.endpoint} produced evidence that does not verify: ${(e as Error).message}`)
        }
        if (!this.s.twins.includes(convicted)) this.violate('evidence', `#${node.endpoint} convicts honest validator #${convicted}`)
        this.trace(`#${node.endpoint} evidence ${o.evidence.kind} against #${convicted}`)
        return
      }
      case 'need-sync': {
        if (node.syncing) return
        node.syncing = true
        this.agenda.schedule(this.rng.int(10, 60), { kind: 'sync', node: node.endpoint, incarnation: node.incarnation })
        return
      }
      case 'rejected':
        this.violate('rejected', `#${node.endpoint} rejected an honest message: ${o.error.message}`)
        return
    }
  }

  /**
   * Signs with the node's PrivValidator, then sends the message to all (or to the endpoints of
   * validator `sendTo` only) and to itself; a refusal to double-sign is counted.
   */
  private signOwn(node: SimNode, local: ConsensusInput[], sign: () => ConsensusInput, sendTo?: number): void {
    let signed: ConsensusInput
    try {
      signed = sign()
    } catch (e) {
      if (!isConsensusError(e, 'SIGN_CONFLICT')) throw e
      this.signRefusals++
      return
    }
    if (sendTo === undefined) this.broadcast(node, signed)
    else if (sendTo !== node.validator) this.send(node, (to) => to.validator === sendTo, [signed])
    local.push(signed)
  }

  /** Sends `inputs` to every other endpoint as one message: one delay, one loss draw. */
  private broadcast(from: SimNode, ...inputs: ConsensusInput[]): void {
    this.send(from, () => true, inputs)
  }

  private send(from: SimNode, wanted: (to: SimNode) => boolean, inputs: readonly ConsensusInput[]): void {
    const net = this.network
    const twinSide = this.twinSide(from)
    for (const to of this.nodes) {
      if (to === from || !wanted(to)) continue
      if (twinSide && !this.s.twins.includes(to.validator) && twinSide.has(to.endpoint) !== !from.isTwin) continue
      if (this.partitionSide && this.partitionSide.has(from.endpoint) !== this.partitionSide.has(to.endpoint)) continue
      if (net.lossRate > 0 && this.rng.chance(net.lossRate)) continue
      const copies = net.duplicateRate > 0 && this.rng.chance(net.duplicateRate) ? 2 : 1
      for (let c = 0; c < copies; c++) {
        const delay = this.rng.int(net.minDelayMs, net.maxDelayMs)
        for (const input of inputs) this.agenda.schedule(delay, { kind: 'deliver', to: to.endpoint, input })
      }
    }
  }

  /** The honest endpoints that hear the first instance of a twin key now, or null when `from` sends to all. */
  private twinSide(from: SimNode): Set<number> | null {
    if (!this.s.twins.includes(from.validator) || this.s.twinSplits.length === 0) return null
    const now = this.agenda.now
    let k = -1
    for (let i = 0; i < this.s.twinSplits.length && this.s.twinSplits[i]!.atMs <= now; i++) k = i
    if (k < 0) return null
    let side = this.twinSideCache.get(k)
    if (!side) {
      side = new Set(this.s.twinSplits[k]!.side)
      this.twinSideCache.set(k, side)
    }
    return side
  }
  private readonly twinSideCache = new Map<number, Set<number>>()

  // ---- blocks, commits, sync ----

  private isValidFor(node: SimNode, height: number, blockHash: Uint8Array): boolean {
    const b = this.blocks.get(toHex(blockHash))
    if (!b || !b.valid || b.height !== height) return false
    const parent = height === 1 ? GENESIS_HASH : node.chain[height - 2]?.hash
    return parent !== undefined && toHex(parent) === toHex(b.parent)
  }

  private persistCommit(node: SimNode, height: number, blockHash: Uint8Array, certificate: CommitCertificate, how: string): void {
    const hex = toHex(blockHash)
    if (node.chain.length >= height) {
      const have = toHex(node.chain[height - 1]!.hash)
      if (have !== hex) this.violate('safety', `#${node.endpoint} has ${have} at height ${height}, now told ${hex} (${how})`)
      return
    }
    if (node.chain.length !== height - 1) {
      this.violate('validity', `#${node.endpoint} commits height ${height} with ${node.chain.length} blocks (${how})`)
      return
    }
    if (!this.blocks.has(hex)) this.violate('validity', `#${node.endpoint} commits ${hex} at ${height}: never proposed (${how})`)
    else if (!this.isValidFor(node, height, blockHash)) this.violate('validity', `#${node.endpoint} commits an invalid block ${hex} at ${height} (${how})`)
    const bad = checkCertificate(this.set, certificate, height, blockHash)
    if (bad !== null) this.violate('validity', `#${node.endpoint} certificate for ${height} fails verifyCommit: ${bad} (${how})`)
    const first = this.finalized.get(height)
    if (first === undefined) this.finalized.set(height, hex)
    else if (first !== hex) this.violate('safety', `height ${height}: ${first} and ${hex} both final (#${node.endpoint}, ${how})`)
    node.chain.push({ hash: new Uint8Array(blockHash), certificate })
  }

  /** Sync from the longest chain among the live endpoints this node can reach (the simulator's block store). */
  private finishSync(node: SimNode, incarnation: number): void {
    if (!node.alive || node.incarnation !== incarnation) return
    node.syncing = false
    let best: SimNode | null = null
    for (const peer of this.nodes) {
      if (peer === node || !peer.alive) continue
      if (this.partitionSide && this.partitionSide.has(peer.endpoint) !== this.partitionSide.has(node.endpoint)) continue
      if (!best || peer.chain.length > best.chain.length) best = peer
    }
    if (!best || best.chain.length <= node.chain.length) return
    this.syncs++
    const from = node.chain.length
    for (let h = from + 1; h <= best.chain.length; h++) {
      const entry = best.chain[h - 1]!
      this.persistCommit(node, h, entry.hash, entry.certificate, `sync from #${best.endpoint}`)
    }
    this.trace(`#${node.endpoint} synced heights ${from + 1}..${best.chain.length} from #${best.endpoint}`)
    this.startHeight(node)
  }

  // ---- checks and results ----

  private liveHonest(): SimNode[] {
    return this.nodes.filter((n) => !n.isTwin && !this.s.twins.includes(n.validator) && !this.permanentlyDown.has(n.validator))
  }

  private livenessReached(): boolean {
    return this.liveHonest().every((n) => n.chain.length >= this.target)
  }

  private maxFinalized(): number {
    return this.finalized.size
  }

  private violate(kind: ViolationKind, message: string): void {
    this.violations.push({ kind, atMs: this.agenda.now, message })
    this.trace(`VIOLATION ${kind}: ${message}`)
  }

  private trace(line: string): void {
    if (this.log) this.log(`t=${this.agenda.now} ${line}`)
  }

  private result(): SimResult {
    const digest = encodeTrusted([
      this.nodes.map((n) => n.chain.map((c) => c.hash)),
      this.events, this.agenda.now, this.evidenceCount, this.syncs, this.signRefusals,
    ])
    return {
      seed: this.s.seed,
      ok: this.violations.length === 0,
      violations: this.violations,
      finalHeight: this.maxFinalized(),
      simTimeMs: this.agenda.now,
      events: this.events,
      evidence: this.evidenceCount,
      syncs: this.syncs,
      signRefusals: this.signRefusals,
      traceHash: toHex(sha256(digest)),
    }
  }
}
