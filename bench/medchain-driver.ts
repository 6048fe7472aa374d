/**
 * The medchain side of the benchmark: the paper's walk-through on a fresh local BFT testnet of N
 * validators (default 10, as the paper's Ganache had 10 nodes), driven through the
 * client library exactly as a hospital would (RpcClient, TxBuilder with nonces from
 * account_getNonce, personal data sealed with client/personal-data.ts).
 *
 * Topology of the clients: gov, the host hospital, Dr. Lee and the patient all talk to node0,
 * "their hospital's validator". Sending everything to one node is the realistic case (a hospital
 * runs one node) and the worst one for latency: the tx must still be gossiped to the proposer of
 * the height, which is another node most of the time. The load sweep instead spreads its senders
 * over all nodes, one account per node, as many hospitals would.
 *
 * The validators run in one OS process per core by default (`processes`; node i in process i mod
 * P): on this machine's 2 cores, 10 processes each paid for their own V8 (compiling the same code
 * ten times, ten heaps, ten sets of V8 threads) and the context switches between them, which a
 * hospital's node, alone on its machine, does not. Each validator still has its own key, store,
 * libp2p host (Noise over TCP on loopback), mempool, consensus state and JSON-RPC server.
 * `processes: validators` runs one process per node, as `npm run testnet` does by default.
 *
 * Finality is learned over one WebSocket subscription per client (bench/medchain/
 * final-tx-watcher.ts): a record is final the moment its `XrayRecorded` event arrives, which the
 * node only sends for final blocks, with no polling.
 *
 * Imports: bench/ (workload contract), client/ (the hospital library), contracts-dsl/ (the stock
 * X-ray contract), testnet/ (starting the nodes), core/ (keys, hex).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ChainDriver, ChainDriverFactory, PaperScenario, PatientProfile, ProgressFn, RecordOutcome, RefusalEvidence, ReportTable, Series, XrayRecord } from './workload.ts'
import { BenchError, BenchErrorCode } from './errors.ts'
import { RpcClient, RpcError } from '../client/rpc-client.ts'
import { TxBuilder } from '../client/tx-builder.ts'
import { Keystore } from '../client/keystore.ts'
import { openPersonalFieldText, PersonalFieldKey, sealPersonalField } from '../client/personal-data.ts'
import {
  PERSONAL_FIELDS, XrayMethod, XrayUserType, grantArgs, parseCount, parseProfile, parseXrayRecord, recordArgs, revokeArgs,
} from '../client/xray-contract.ts'
import { compileXrayContract, xrayContractSource, type CompiledContract } from '../contracts-dsl/index.ts'
import { generateKeyPair, parseAddress, toHex, type KeyPair, type SignedTx } from '../core/index.ts'
import { DEFAULT_TESTNET_OPTIONS, DEMO_PASSPHRASE, type TestnetOptions } from '../testnet/layout.ts'
import { startTestnet, waitUntilFinal, type RunningTestnet } from '../testnet/testnet.ts'
import { freePortRange } from '../testnet/free-ports.ts'
import { FinalTxWatcher, type FinalTx } from './medchain/final-tx-watcher.ts'
import { runLoadSweep, type EveryNodeFinality, type LoadSweepResult } from './medchain/load-sweep.ts'
import { NodeBlockClocks } from './medchain/node-block-clocks.ts'
import { LOAD_PLOTS, LOAD_SERIES } from './medchain/load-series.ts'

export interface MedchainBenchOptions {
  /** Validators in the testnet (the paper's Ganache had 10 nodes). */
  readonly validators: number
  /** OS processes the validators run in (1..validators); default `defaultBenchProcesses`. */
  readonly processes?: number
  /** Offered loads (tx/s) of the sweep in `extraSeries`; empty skips the sweep. */
  readonly loadRates?: readonly number[]
  /** Seconds of sending per offered load. */
  readonly loadSecondsPerRate?: number
  /** Empty-block pace of the idle chain (blocks with txs are made at once). */
  readonly blockIntervalMs?: number
  /** Where node progress lines go while the nodes start (untimed). */
  readonly log?: (message: string) => void
  /** Extra environment for every node process (e.g. MEDCHAIN_TRACE_FILE for bench:trace). */
  readonly nodeEnv?: Readonly<Record<string, string>>
}

/** One node process per core, never more processes than validators. */
export function defaultBenchProcesses(validators: number, cores: number = availableParallelism()): number {
  return Math.max(1, Math.min(validators, cores))
}

export const DEFAULT_LOAD_RATES: readonly number[] = [100, 250, 500, 1000, 2000]
export const QUICK_LOAD_RATES: readonly number[] = [100, 500, 1000, 2000]

/** The benchmark's client is one IP standing for every hospital: lift the per-IP RPC rate limit. */
const BENCH_RPC_RATE_LIMIT = 1_000_000
const BATCH_MAX = 100
const CHAIN_ID = 'medchain-bench'

interface Account {
  readonly name: string
  readonly keyPair: KeyPair
  readonly address: string
  readonly builder: TxBuilder
  /** The key prepared for opening personal fields when the account is unlocked, as a wallet derives its address once. */
  readonly fieldKey: PersonalFieldKey
}

const fail = (message: string, detail?: Record<string, unknown>): never => {
  throw new BenchError(BenchErrorCode.CHAIN_CALL_FAILED, message, detail)
}

/** Starts the testnet (untimed: the runner times from `setup`), then returns the driver. */
export function createMedchainDriverFactory(options: MedchainBenchOptions): ChainDriverFactory {
  return async () => {
    const dir = await mkdtemp(join(tmpdir(), 'medchain-bench-'))
    let net: RunningTestnet | undefined
    try {
      const n = options.validators
      const base = await freePortRange(n * 2)
      const testnet: TestnetOptions = {
        ...DEFAULT_TESTNET_OPTIONS, nodes: n, dir: join(dir, 'net'), basePort: base, baseRpcPort: base + n, fresh: true,
        blockIntervalMs: options.blockIntervalMs ?? DEFAULT_TESTNET_OPTIONS.blockIntervalMs, chainId: CHAIN_ID,
        processes: options.processes ?? defaultBenchProcesses(n),
      }
      net = await startTestnet(testnet, options.log, { env: { MEDCHAIN_RPC_RATE_LIMIT: String(BENCH_RPC_RATE_LIMIT), MEDCHAIN_LOG_LEVEL: 'warn', ...options.nodeEnv } })
      await waitUntilFinal(net, 0, 120_000, options.log)
      return await MedchainDriver.create(net, dir, options)
    } catch (e) {
      await net?.stop().catch(() => {})
      await rm(dir, { recursive: true, force: true })
      throw new BenchError(BenchErrorCode.CHAIN_START_FAILED, `medchain testnet did not start: ${(e as Error).message}`)
    }
  }
}

class MedchainDriver implements ChainDriver {
  readonly id = 'medchain'
  readonly label: string
  readonly role = 'subject' as const
  #contract: string | undefined
  #part = 'chest'
  #sweep: LoadSweepResult | undefined
  #stopped = false

  private constructor(
    private readonly net: RunningTestnet,
    private readonly dir: string,
    private readonly options: MedchainBenchOptions,
    /** node0's client: gov, host, Dr. Lee and the patient all use their hospital's node. */
    private readonly client: RpcClient,
    private readonly gov: Account,
    private readonly host: Account,
    private readonly doctor: Account,
    private readonly patient: Account,
    /** Compiled before timing starts, as the Ethereum drivers compile Xray.sol in their factory. */
    private readonly compiled: CompiledContract,
    /** node0's finality subscription, opened before timing starts (see `create`). */
    private readonly watcher: FinalTxWatcher,
  ) {
    const g = net.layout.genesis
    const validators = g.validatorSet.validators.length
    const processes = net.processes.length
    const where = processes === validators ? 'one process each' : processes === 1 ? 'all in one process' : `in ${processes} processes (node i in process i mod ${processes})`
    this.label = `medchain ${validators} BFT validators (quorum ${g.validatorSet.quorum}), ${where}, on 127.0.0.1; clients on node0`
  }

  static async create(net: RunningTestnet, dir: string, options: MedchainBenchOptions): Promise<MedchainDriver> {
    const client = new RpcClient(net.layout.nodes[0]!.rpcUrl, { timeoutMs: 30_000 })
    const keystore = new Keystore(net.layout.keystoreDir)
    const account = async (name: string): Promise<Account> => {
      const loaded = await keystore.load(name, DEMO_PASSPHRASE)
      return { name, keyPair: loaded.keyPair, address: loaded.address, builder: MedchainDriver.builderFor(client, loaded.keyPair), fieldKey: PersonalFieldKey.fromSecretKey(loaded.keyPair.secretKey) }
    }
    const [gov, host, doctor, patient] = [await account('gov'), await account('host'), await account('doctor'), await account('patient')]
    const compiled = compileXrayContract()
    // Connecting is preparation, as the Ethereum drivers' factory connects its provider and calls
    // the node once (web3_clientVersion) before timing starts: here the client calls the node once
    // too, and opens the WebSocket its finality subscription runs on (~22 ms when setup did it).
    await client.request('chain_status')
    const watcher = await FinalTxWatcher.open(client)
    return new MedchainDriver(net, dir, options, client, gov, host, doctor, patient, compiled, watcher)
  }

  static builderFor(client: RpcClient, keyPair: KeyPair): TxBuilder {
    return new TxBuilder({ chainId: CHAIN_ID, keyPair, fetchNonce: async (address) => (await client.getNonce(address)).pendingNonce })
  }

  private get contract(): string {
    return this.#contract ?? fail('setup has not deployed the contract')
  }

  /**
   * Registers the wait, then sends (so the tx cannot become final unobserved); resolves once the
   * node accepted the tx, with its finality still to come in `final`.
   */
  private async submit(tx: SignedTx): Promise<{ final: Promise<FinalTx> }> {
    const [final] = await this.watchAndSend([tx], async () => void (await this.client.sendTx(tx.bytes)))
    return { final: final! }
  }

  /**
   * Registers the finality waits of `txs` (before anything is sent), then runs `send`. If sending
   * fails, the waits are dropped and the error rethrown.
   */
  private async watchAndSend(txs: readonly SignedTx[], send: () => Promise<void>): Promise<Promise<FinalTx>[]> {
    const finals = txs.map((tx) => this.watcher.wait(toHex(tx.id)))
    try {
      await send()
    } catch (e) {
      finals.forEach((f) => f.catch(() => {}))
      for (const tx of txs) this.watcher.forget(toHex(tx.id))
      throw e
    }
    return finals
  }

  /**
   * Sends txs as JSON-RPC batches of `tx_send` (one round trip per BATCH_MAX, all batches at
   * once), noting in `sentAt` when each tx went out. Rejects if the node refuses any of them.
   */
  private async sendInBatches(txs: readonly SignedTx[], sentAt?: number[]): Promise<void> {
    const sends: Promise<void>[] = []
    for (let i = 0; i < txs.length; i += BATCH_MAX) {
      const chunk = txs.slice(i, i + BATCH_MAX)
      const at = performance.now()
      for (let j = 0; j < chunk.length; j++) sentAt?.push(at)
      sends.push(this.client.batch<{ id: string }>(chunk.map((tx) => ({ method: 'tx_send', params: { tx: toHex(tx.bytes) } }))).then((answers) => {
        const refused = answers.findIndex((a) => a instanceof RpcError)
        if (refused >= 0) fail(`tx ${i + refused} of ${txs.length} refused by the node: ${(answers[refused] as RpcError).message}`)
      }))
    }
    await Promise.all(sends)
  }

  /** Waits and insists on an ok receipt (setup steps must not fail silently). */
  private async finalOk(what: string, pending: { final: Promise<FinalTx> } | Promise<FinalTx>): Promise<FinalTx> {
    const f = await ('final' in pending ? pending.final : pending)
    if (f.status !== 'final') fail(`${what} failed on chain: ${f.error?.code ?? '?'} ${f.error?.message ?? ''}`)
    return f
  }

  async setup(scenario: PaperScenario, progress: (message: string) => void): Promise<void> {
    this.#part = scenario.part
    const compiled = this.compiled
    const deploy = await this.host.builder.deploy(compiled.ir, compiled.abiBytes, xrayContractSource, [
      scenario.patientName, parseAddress(this.gov.address), scenario.patientAge, scenario.constructorCodes[0], scenario.constructorCodes[1],
    ])
    const deployed = await this.finalOk('deploy', await this.submit(deploy))
    // The block notification names the new contract: no tx_get for the receipt.
    this.#contract = deployed.contractAddress ?? fail('the deploy\'s final block lists no contract address')
    progress(`deployed Xray('${scenario.patientName}', gov, ${scenario.patientAge}, ${scenario.constructorCodes.join(', ')}) at ${this.contract}`)
    // Gov grants the three roles; the host (the deploying hospital) seals the personal fields to
    // the patient and itself. Different senders, so all five go out at once.
    const recipients = [this.patient.keyPair.publicKey, this.host.keyPair.publicKey]
    const seal = (field: 'birthday' | 'contact', value: string): Uint8Array =>
      sealPersonalField(value, { recipients, context: { contract: this.contract, field: PERSONAL_FIELDS[field].field } })
    const txs: [string, SignedTx][] = [
      ['grant Dr. Lee', await this.gov.builder.call(this.contract, XrayMethod.setPermission, grantArgs(this.doctor.address, scenario.doctorName, scenario.doctorUserType))],
      ['grant host', await this.gov.builder.call(this.contract, XrayMethod.setPermission, grantArgs(this.host.address, 'host', XrayUserType.host!))],
      ['grant patient', await this.gov.builder.call(this.contract, XrayMethod.setPermission, grantArgs(this.patient.address, scenario.patientName, XrayUserType.patient!))],
      ['set birthday', await this.host.builder.call(this.contract, XrayMethod.setBirthday, [seal('birthday', scenario.birthday)])],
      ['set contact', await this.host.builder.call(this.contract, XrayMethod.setContact, [seal('contact', scenario.contact)])],
    ]
    // One batch, so the five land in one block (separate requests would start a height on the first).
    const signed = txs.map(([, tx]) => tx)
    const finals = await this.watchAndSend(signed, () => this.sendInBatches(signed))
    for (const [i, [what]] of txs.entries()) await this.finalOk(what, finals[i]!)
    progress('gov granted Dr. Lee (doctor), host and patient; host set birthday and contact, sealed to patient + host')
  }

  async recordSequential(hashes: readonly string[], progress: ProgressFn): Promise<RecordOutcome> {
    const latenciesMs: number[] = []
    for (const h of hashes) {
      const t0 = performance.now()
      const tx = await this.doctor.builder.call(this.contract, XrayMethod.setXrayhash, recordArgs(this.#part, h))
      const f = await this.finalOk('setXrayhash', await this.submit(tx))
      latenciesMs.push(f.observedAt - t0)
      progress(latenciesMs.length, hashes.length)
    }
    return { latenciesMs }
  }

  async recordPipelined(hashes: readonly string[], progress: ProgressFn): Promise<RecordOutcome> {
    // Sign all first with locally counted nonces, then hand them over in batches of one round trip.
    const txs: SignedTx[] = []
    for (const h of hashes) txs.push(await this.doctor.builder.call(this.contract, XrayMethod.setXrayhash, recordArgs(this.#part, h)))
    const finals = txs.map((tx) => this.watcher.wait(toHex(tx.id)))
    const sentAt: number[] = []
    const sent = this.sendInBatches(txs, sentAt)
    let done = 0
    const [latencies] = await Promise.all([
      Promise.all(finals.map(async (p, i) => {
        const f = await this.finalOk('setXrayhash', p)
        progress(++done, hashes.length)
        return f.observedAt - sentAt[i]!
      })),
      sent,
    ])
    return { latenciesMs: latencies }
  }

  async readProfile(): Promise<PatientProfile> {
    const r = await this.client.call(this.contract, XrayMethod.profile, [], this.patient.address)
    if (r.status !== 'ok') fail(`profile() failed: ${r.errorCode} ${r.errorMessage}`)
    const p = parseProfile(r.returnValue)
    // The chain holds only envelopes; the patient opens them with their own key.
    const open = (field: 'birthday' | 'contact', v: Uint8Array | string | null): string => {
      if (!(v instanceof Uint8Array)) return fail(`profile().${field} is not a sealed envelope: the chain holds it in clear or unset`)
      return openPersonalFieldText(v, this.patient.fieldKey, { contract: this.contract, field: PERSONAL_FIELDS[field].field })
    }
    return { name: p.name, age: p.age, birthday: open('birthday', p.birthday), contact: open('contact', p.contact) }
  }

  private async count(): Promise<number> {
    const r = await this.client.call(this.contract, XrayMethod.getXrayhashCount, [], this.patient.address)
    if (r.status !== 'ok') fail(`getXrayhashCount() failed: ${r.errorCode} ${r.errorMessage}`)
    return parseCount(r.returnValue)
  }

  async readAll(progress: ProgressFn): Promise<XrayRecord[]> {
    const count = await this.count()
    // getXrayhash(i) for every i, as JSON-RPC batches of up to 100 calls, all batches at once.
    const chunks: Promise<XrayRecord[]>[] = []
    let done = 0
    for (let from = 0; from < count; from += BATCH_MAX) {
      const indices = Array.from({ length: Math.min(BATCH_MAX, count - from) }, (_, k) => from + k)
      chunks.push(this.client.callBatch(this.contract, indices.map((i) => ({ method: XrayMethod.getXrayhash, args: [i] })), this.patient.address).then((results) => {
        const out = results.map((r, k) => {
          if (r instanceof RpcError) return fail(`getXrayhash(${indices[k]}): ${r.message}`)
          if (r.status !== 'ok') return fail(`getXrayhash(${indices[k]}) failed: ${r.errorCode} ${r.errorMessage}`)
          const rec = parseXrayRecord(r.returnValue)
          return { doctorName: rec.doctorName, part: rec.part, hash: rec.hash }
        })
        done += out.length
        progress(done, count)
        return out
      }))
    }
    return (await Promise.all(chunks)).flat()
  }

  async revokeAndCheckRefused(probeHash: string): Promise<RefusalEvidence> {
    const revoke = await this.gov.builder.call(this.contract, XrayMethod.removePermission, revokeArgs(this.doctor.address))
    await this.finalOk('removePermission', await this.submit(revoke))
    const countBefore = await this.count()
    // The node admits the tx (signature and nonce are fine); the contract refuses it in the block.
    const attempt = await this.doctor.builder.call(this.contract, XrayMethod.setXrayhash, recordArgs(this.#part, probeHash))
    // The block notification says how it ended and why: no tx_get needed.
    const settled = await (await this.submit(attempt)).final
    const countAfter = await this.count()
    const code = settled.error?.code ?? ''
    const refused = settled.status === 'failed' && code === 'REQUIRE_FAILED'
    const how = settled.status === 'failed'
      ? `final block ${settled.height}, failed receipt ${code}: ${settled.error?.message ?? ''}`
      : `accepted in block ${settled.height} (status ${settled.status})`
    return { refused, how, countBefore, countAfter }
  }

  async extraSeries(progress: (message: string) => void): Promise<Series[]> {
    const rates = this.options.loadRates ?? DEFAULT_LOAD_RATES
    if (rates.length === 0) return []
    // One fresh account per node, each sending to its own node over one WebSocket, as a
    // hospital gateway that submits all day keeps its connection (no HTTP exchange per batch).
    const senders = this.net.clients.map((_, i) => {
      const client = new RpcClient(this.net.layout.nodes[i]!.rpcUrl, { timeoutMs: 30_000, transport: 'websocket' })
      return { client, builder: MedchainDriver.builderFor(client, generateKeyPair()) }
    })
    let clocks: NodeBlockClocks | undefined
    try {
      // Every node's final blocks too: a tx counts as final everywhere when the last node has it.
      clocks = await NodeBlockClocks.open(senders.map((s) => s.client))
      this.#sweep = await runLoadSweep({
        rates, secondsPerRate: this.options.loadSecondsPerRate ?? 4, senders, watcher: this.watcher, clocks,
        nodeProcessPids: () => this.net.processes.map((p) => p.pid), progress,
      })
    } finally {
      await clocks?.close()
      for (const s of senders) await s.client.close()
    }
    const steps = this.#sweep.steps
    const line = (plot: string, plotTitle: string, yLabel: string, name: string, y: (s: (typeof steps)[number]) => number): Series => ({
      plot, plotTitle, kind: 'line', name, xLabel: 'offered load (tx/s)', yLabel,
      points: steps.flatMap((s) => (Number.isFinite(y(s)) ? [{ x: s.offered, y: y(s) }] : [])),
    })
    const tput = 'Throughput against offered load (KV_PUT from one sender per node)'
    const lat = 'Finality latency against offered load (send → final at the client\'s node, and on every node)'
    const every = (pick: (e: EveryNodeFinality) => number) => (s: (typeof steps)[number]): number => (s.everyNode ? pick(s.everyNode) : Number.NaN)
    return [
      line(LOAD_PLOTS.throughput, tput, 'final tx/s (sustained)', LOAD_SERIES.everyNodeTps, every((e) => e.sustainedTps)),
      line(LOAD_PLOTS.throughput, tput, 'final tx/s (sustained)', LOAD_SERIES.clientNodeTps, (s) => s.sustainedTps),
      line(LOAD_PLOTS.throughput, tput, 'final tx/s (sustained)', LOAD_SERIES.offered, (s) => s.offered),
      line(LOAD_PLOTS.latency, lat, 'latency (ms)', LOAD_SERIES.everyNodeP50, every((e) => e.p50Ms)),
      line(LOAD_PLOTS.latency, lat, 'latency (ms)', LOAD_SERIES.everyNodeP99, every((e) => e.p99Ms)),
      line(LOAD_PLOTS.latency, lat, 'latency (ms)', LOAD_SERIES.clientNodeP50, (s) => s.p50Ms),
      line(LOAD_PLOTS.latency, lat, 'latency (ms)', LOAD_SERIES.clientNodeP95, (s) => s.p95Ms),
      line(LOAD_PLOTS.latency, lat, 'latency (ms)', LOAD_SERIES.clientNodeP99, (s) => s.p99Ms),
      line(LOAD_PLOTS.nodeCpu, 'CPU of all nodes together against offered load (% of one core)', 'CPU %', LOAD_SERIES.nodes, (s) => s.nodeProcessCpuPercent.reduce((a, b) => a + b, 0)),
    ]
  }

  extraTables(): ReportTable[] {
    const sweep = this.#sweep
    if (!sweep) return []
    const f1 = (x: number): string => (Number.isFinite(x) ? x.toFixed(1) : '—')
    const mb = (b: number): string => (b > 0 ? (b / 2 ** 20).toFixed(0) : '—')
    return [
      {
        title: 'medchain under offered load (KV_PUT; final at the client\'s node, then on every node)',
        columns: ['offered tx/s', 'sent', 'refused', 'final tx/s', 'p50 ms', 'p95 ms', 'p99 ms', 'all nodes tx/s', 'all p50 ms', 'all p99 ms', 'not final', 'nodes CPU %'],
        rows: sweep.steps.map((s) => [
          String(s.offered), String(s.sent), String(s.refused), String(Math.floor(s.sustainedTps)), f1(s.p50Ms), f1(s.p95Ms), f1(s.p99Ms),
          s.everyNode ? String(Math.floor(s.everyNode.sustainedTps)) : '—', f1(s.everyNode?.p50Ms ?? Number.NaN), f1(s.everyNode?.p99Ms ?? Number.NaN),
          String(s.unfinished + (s.everyNode?.notFinal ?? 0)),
          s.nodeProcessCpuPercent.reduce((a, b) => a + b, 0).toFixed(0),
        ]),
      },
      {
        title: `medchain node processes during the load sweep (${(sweep.wallMs / 1000).toFixed(1)} s; CPU % of one core; RSS per node is the process's RSS over its nodes)`,
        columns: ['process (its nodes)', 'CPU s', 'CPU %', 'RSS MB', 'peak RSS MB', 'RSS MB per node'],
        rows: sweep.nodeProcesses.map((p, i) => {
          const proc = this.net.processes[i]!
          return [proc.name, (p.cpuMs / 1000).toFixed(1), p.cpuPercent.toFixed(0), mb(p.rssBytes), mb(p.peakRssBytes), mb(p.rssBytes / proc.nodeCount)]
        }),
      },
    ]
  }

  async teardown(): Promise<void> {
    if (this.#stopped) return
    this.#stopped = true
    await this.watcher.close().catch(() => {})
    await this.client.close().catch(() => {})
    try {
      await this.net.stop()
    } finally {
      await rm(this.dir, { recursive: true, force: true })
    }
  }
}
