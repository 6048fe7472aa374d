/**
 * The paper's walk-through on an Ethereum node over JSON-RPC, with ethers v6.
 *
 * The client is deliberately the best case for Ethereum, so a medchain win is not a win against
 * a clumsy client: every account signs locally (like MetaMask did for the paper), nonces are
 * tracked locally, fees are fixed once, and the gas limit of `setXrayhash` is estimated once at
 * setup, so a record is exactly one `eth_sendRawTransaction` plus receipt polling (the first poll
 * already finds it, both nodes mine on arrival). A record counts as final when its receipt exists
 * with status 1: a single-node dev chain never reorganises.
 */
import { AbiCoder, Contract, Interface, JsonRpcProvider, Network, Wallet, id as keccakId } from 'ethers'
import type { ChainDriver, ChainDriverFactory, PaperScenario, PatientProfile, ProgressFn, RecordOutcome, RefusalEvidence, XrayRecord } from '../workload.ts'
import { BenchError, BenchErrorCode } from '../errors.ts'
import { compileXray, type CompiledContract } from './compile.ts'
import { rawRpc, startEthereumNode, type EthereumChainKind, type EthereumNodeProcess } from './chain-process.ts'

const USER_TYPE = { doctor: 1, host: 2, patient: 3 } as const
const GWEI = 1_000_000_000n

interface RpcReceipt {
  status: string
  contractAddress: string | null
  transactionHash: string
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** Finds a Solidity `Error(string)` revert payload anywhere in an error and decodes its reason. */
export function revertReason(e: unknown): string | undefined {
  const seen = new WeakSet<object>()
  let dump = ''
  try {
    dump = JSON.stringify(e, (_k, v: unknown) => {
      if (typeof v === 'bigint') return v.toString()
      if (v && typeof v === 'object') {
        if (seen.has(v)) return undefined
        seen.add(v)
      }
      return v
    })
  } catch {
    dump = ''
  }
  dump += ' ' + String((e as Error)?.message ?? '')
  const m = /0x08c379a0([0-9a-fA-F]{128,})/.exec(dump)
  if (m) {
    try {
      return String(AbiCoder.defaultAbiCoder().decode(['string'], '0x' + m[1])[0])
    } catch {
      // malformed payload: fall through to the message
    }
  }
  const r = /revert(?:ed)?(?: with reason string)?[: ]+'?([A-Z_]{3,})/.exec(dump)
  return r?.[1]
}

/** One signing account with a locally tracked nonce. */
class Account {
  nonce = 0
  constructor(readonly wallet: Wallet) {}
  get address(): string {
    return this.wallet.address
  }
}

/**
 * How records are written:
 * - `lean` (default): local nonces, fixed fees, one gas estimate for all records — one
 *   `eth_sendRawTransaction` and one receipt poll per record; Ethereum at its best.
 * - `contract`: the usual dApp code, `await contract.setXrayhash(part, hash)` then
 *   `await tx.wait()` through ethers' Contract API, which looks up the nonce, estimates gas and
 *   fetches fee data for every transaction (what Truffle did for the paper, too).
 */
export type EthereumClientMode = 'lean' | 'contract'

export interface EthereumDriverOptions {
  readonly kind: EthereumChainKind
  readonly client?: EthereumClientMode
  readonly now?: () => number
  /** Receipt polling interval; both nodes mine on arrival, so the first poll normally hits. */
  readonly pollMs?: number
  readonly onNodeOutput?: (line: string) => void
}

class EthereumDriver implements ChainDriver {
  readonly id: string
  readonly role = 'baseline' as const
  label: string
  private readonly iface: Interface
  private readonly client: EthereumClientMode
  private readonly now: () => number
  private readonly pollMs: number
  private address = ''
  private chainId = 0n
  private recordGasLimit = 0n
  private part = 'chest'
  private readonly gov: Account
  private readonly host: Account
  private readonly doctor: Account
  private readonly patient: Account

  constructor(
    private readonly kind: EthereumChainKind,
    private readonly node: EthereumNodeProcess,
    private readonly provider: JsonRpcProvider,
    private readonly compiled: CompiledContract,
    clientVersion: string,
    options: EthereumDriverOptions,
  ) {
    this.id = kind
    this.iface = new Interface(compiled.abi as never)
    this.now = options.now ?? (() => performance.now())
    this.pollMs = options.pollMs ?? 2
    this.client = options.client ?? 'lean'
    const topology = kind === 'ganache' ? '1 node, instamine eager' : '1 node, EDR automine'
    const client = this.client === 'lean' ? 'lean client: local nonces, fixed fees' : 'ethers Contract API: nonce, gas and fee lookups per tx'
    this.label = `${clientVersion} (${topology}), Xray.sol by solc ${compiled.compilerVersion.split('+')[0]} for Shanghai, ethers 6 over HTTP, ${client}`
    // Fixed, well-known test keys derived from names: reproducible runs, nothing secret.
    const key = (who: string): Account => new Account(new Wallet(keccakId(`medchain-bench/${who}`), provider))
    this.gov = key('gov')
    this.host = key('host')
    this.doctor = key('dr-lee')
    this.patient = key('patient')
  }

  private async rpc<T>(method: string, params: unknown[]): Promise<T> {
    return (await this.provider.send(method, params)) as T
  }

  private async waitReceipt(hash: string, timeoutMs = 120_000): Promise<RpcReceipt> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const r = await this.rpc<RpcReceipt | null>('eth_getTransactionReceipt', [hash])
      if (r) return r
      if (Date.now() > deadline) throw new BenchError(BenchErrorCode.CHAIN_CALL_FAILED, `no receipt for ${hash} after ${timeoutMs} ms`)
      await sleep(this.pollMs)
    }
  }

  /** Signs locally and submits; returns the transaction hash (the node's acceptance). */
  private async submit(from: Account, to: string | null, data: string, gasLimit: bigint): Promise<string> {
    const signed = await from.wallet.signTransaction({
      type: 2,
      chainId: this.chainId,
      nonce: from.nonce,
      to,
      data,
      gasLimit,
      maxFeePerGas: 100n * GWEI,
      maxPriorityFeePerGas: 1n * GWEI,
      value: 0n,
    })
    const hash = await this.rpc<string>('eth_sendRawTransaction', [signed])
    from.nonce += 1
    return hash
  }

  private async estimate(from: Account, to: string | null, data: string): Promise<bigint> {
    const g = BigInt(await this.rpc<string>('eth_estimateGas', [{ from: from.address, ...(to ? { to } : {}), data }]))
    return (g * 13n) / 10n
  }

  /** Submits, waits for the receipt and requires status 1. */
  private async transact(from: Account, method: string, args: unknown[]): Promise<RpcReceipt> {
    const data = this.iface.encodeFunctionData(method, args)
    const hash = await this.submit(from, this.address, data, await this.estimate(from, this.address, data))
    const r = await this.waitReceipt(hash)
    if (r.status !== '0x1') throw new BenchError(BenchErrorCode.CHAIN_CALL_FAILED, `${method} reverted (tx ${hash})`)
    return r
  }

  private async call(from: Account, method: string, args: unknown[]): Promise<ReturnType<Interface['decodeFunctionResult']>> {
    const data = this.iface.encodeFunctionData(method, args)
    const out = await this.rpc<string>('eth_call', [{ from: from.address, to: this.address, data }, 'latest'])
    return this.iface.decodeFunctionResult(method, out)
  }

  async setup(s: PaperScenario, progress: (message: string) => void): Promise<void> {
    this.chainId = BigInt(await this.rpc<string>('eth_chainId', []))
    // Fund the four actors from the node's pre-funded dev account.
    const [funder] = await this.rpc<string[]>('eth_accounts', [])
    if (!funder) throw new BenchError(BenchErrorCode.CHAIN_START_FAILED, `${this.kind} has no unlocked dev account`)
    for (const a of [this.gov, this.host, this.doctor, this.patient]) {
      const hash = await this.rpc<string>('eth_sendTransaction', [{ from: funder, to: a.address, value: '0x' + (100n * 10n ** 18n).toString(16) }])
      const r = await this.waitReceipt(hash)
      if (r.status !== '0x1') throw new BenchError(BenchErrorCode.CHAIN_START_FAILED, `funding ${a.address} failed`)
      await this.syncNonce(a)
    }
    progress(`deploying Xray('${s.patientName}', gov, ${s.patientAge}, ${s.constructorCodes.join(', ')})`)
    const deployData = this.compiled.bytecode + this.iface.encodeDeploy([s.patientName, this.gov.address, s.patientAge, ...s.constructorCodes]).slice(2)
    const deployHash = await this.submit(this.gov, null, deployData, await this.estimate(this.gov, null, deployData))
    const deployed = await this.waitReceipt(deployHash)
    if (deployed.status !== '0x1' || !deployed.contractAddress) throw new BenchError(BenchErrorCode.CHAIN_CALL_FAILED, 'deployment failed')
    this.address = deployed.contractAddress
    await this.transact(this.gov, 'setPermission', [this.doctor.address, s.doctorName, s.doctorUserType, true])
    await this.transact(this.gov, 'setPermission', [this.host.address, 'host', USER_TYPE.host, true])
    await this.transact(this.gov, 'setPermission', [this.patient.address, s.patientName, USER_TYPE.patient, true])
    await this.transact(this.host, 'setBirthday', [s.birthday])
    await this.transact(this.host, 'setContact', [s.contact])
    // Every record has the same shape (5-byte part, 64-byte hash), so one estimate serves all.
    this.recordGasLimit = await this.estimate(this.doctor, this.address, this.iface.encodeFunctionData('setXrayhash', [s.part, 'e'.repeat(64)]))
    this.part = s.part
  }


  /** The `contract` client mode: ethers' Contract API does its own nonce, gas and fee lookups. */
  private doctorContract(): Contract {
    return new Contract(this.address, this.iface, this.doctor.wallet)
  }

  private async syncNonce(a: Account): Promise<void> {
    a.nonce = Number(BigInt(await this.rpc<string>('eth_getTransactionCount', [a.address, 'pending'])))
  }

  private async recordWithContract(hashes: readonly string[], pipelined: boolean, progress: ProgressFn): Promise<RecordOutcome> {
    const c = this.doctorContract()
    const setXrayhash = c.getFunction('setXrayhash')
    const latenciesMs: number[] = []
    const pending: { tx: { wait(): Promise<{ status: number | null } | null> }; t0: number }[] = []
    const total = pipelined ? 2 * hashes.length : hashes.length
    for (const h of hashes) {
      const t0 = this.now()
      const tx = (await setXrayhash(this.part, h)) as { wait(): Promise<{ status: number | null } | null> }
      if (pipelined) {
        pending.push({ tx, t0 })
        progress(pending.length, total)
        continue
      }
      const r = await tx.wait()
      if (r?.status !== 1) throw new BenchError(BenchErrorCode.CHAIN_CALL_FAILED, 'setXrayhash reverted')
      latenciesMs.push(this.now() - t0)
      progress(latenciesMs.length, total)
    }
    for (const p of pending) {
      const r = await p.tx.wait()
      if (r?.status !== 1) throw new BenchError(BenchErrorCode.CHAIN_CALL_FAILED, 'setXrayhash reverted')
      latenciesMs.push(this.now() - p.t0)
      progress(hashes.length + latenciesMs.length, total)
    }
    await this.syncNonce(this.doctor)
    return { latenciesMs }
  }

  async recordSequential(hashes: readonly string[], progress: ProgressFn): Promise<RecordOutcome> {
    if (this.client === 'contract') return this.recordWithContract(hashes, false, progress)
    const latenciesMs: number[] = []
    for (const h of hashes) {
      const t0 = this.now()
      const tx = await this.submit(this.doctor, this.address, this.iface.encodeFunctionData('setXrayhash', [this.part, h]), this.recordGasLimit)
      const r = await this.waitReceipt(tx)
      if (r.status !== '0x1') throw new BenchError(BenchErrorCode.CHAIN_CALL_FAILED, `setXrayhash reverted (tx ${tx})`)
      latenciesMs.push(this.now() - t0)
      progress(latenciesMs.length, hashes.length)
    }
    return { latenciesMs }
  }

  async recordPipelined(hashes: readonly string[], progress: ProgressFn): Promise<RecordOutcome> {
    if (this.client === 'contract') return this.recordWithContract(hashes, true, progress)
    // Submissions go in nonce order, each as soon as the previous one is accepted: both nodes
    // refuse a nonce gap while automining, and concurrent HTTP requests could arrive reordered.
    const sent: { hash: string; t0: number }[] = []
    for (const h of hashes) {
      const t0 = this.now()
      const hash = await this.submit(this.doctor, this.address, this.iface.encodeFunctionData('setXrayhash', [this.part, h]), this.recordGasLimit)
      sent.push({ hash, t0 })
      progress(sent.length, 2 * hashes.length)
    }
    const latenciesMs: number[] = []
    for (const s of sent) {
      const r = await this.waitReceipt(s.hash)
      if (r.status !== '0x1') throw new BenchError(BenchErrorCode.CHAIN_CALL_FAILED, `setXrayhash reverted (tx ${s.hash})`)
      latenciesMs.push(this.now() - s.t0)
      progress(hashes.length + latenciesMs.length, 2 * hashes.length)
    }
    return { latenciesMs }
  }

  async readProfile(): Promise<PatientProfile> {
    const [name, age, birthday, contact] = await this.call(this.patient, 'profile', [])
    return { name: String(name), age: Number(age), birthday: String(birthday), contact: String(contact) }
  }

  private async count(): Promise<number> {
    return Number((await this.call(this.patient, 'getXrayhashCount', []))[0])
  }

  async readAll(progress: ProgressFn): Promise<XrayRecord[]> {
    const n = await this.count()
    const out: XrayRecord[] = []
    for (let i = 0; i < n; i++) {
      const [doctorName, part, hash] = await this.call(this.patient, 'getXrayhash', [i])
      out.push({ doctorName: String(doctorName), part: String(part), hash: String(hash) })
      progress(i + 1, n)
    }
    return out
  }

  async revokeAndCheckRefused(probeHash: string): Promise<RefusalEvidence> {
    await this.transact(this.gov, 'removePermission', [this.doctor.address])
    const countBefore = await this.count()
    const data = this.iface.encodeFunctionData('setXrayhash', [this.part, probeHash])
    // What the contract says when asked (a client's pre-flight check)…
    let callReason: string | undefined
    try {
      await this.rpc('eth_call', [{ from: this.doctor.address, to: this.address, data }, 'latest'])
      callReason = 'accepted'
    } catch (e) {
      callReason = revertReason(e) ?? `error: ${(e as Error).message.slice(0, 80)}`
    }
    // …and what the chain does with a signed transaction sent anyway, with the gas limit that
    // worked for every earlier record, so a refusal cannot come from running out of gas.
    let txOutcome: string
    let txRefused: boolean
    try {
      const hash = await this.submit(this.doctor, this.address, data, this.recordGasLimit)
      const r = await this.waitReceipt(hash)
      txRefused = r.status !== '0x1'
      txOutcome = txRefused ? 'mined with status 0' : 'mined with status 1'
    } catch (e) {
      const reason = revertReason(e)
      txRefused = reason !== undefined
      txOutcome = reason !== undefined ? `rejected by the node: ${reason}` : `failed: ${(e as Error).message.slice(0, 120)}`
    }
    const countAfter = await this.count()
    return {
      refused: txRefused && callReason === 'NOT_DOCTOR',
      how: `tx ${txOutcome}; eth_call reverts with ${callReason}`,
      countBefore,
      countAfter,
    }
  }

  async teardown(): Promise<void> {
    this.provider.destroy()
    await this.node.stop()
  }
}

/**
 * A factory for the runner: compiles Xray.sol, starts the node and connects (untimed
 * preparation); `setup()` then deploys and configures (timed).
 */
export function createEthereumDriverFactory(options: EthereumDriverOptions): ChainDriverFactory {
  return async () => {
    const compiled = await compileXray()
    const node = await startEthereumNode(options.kind, options.onNodeOutput ? { onOutput: options.onNodeOutput } : {})
    try {
      const chainId = BigInt((await rawRpc(node.url, 'eth_chainId')) as string)
      // batchMaxCount 1: no batching stall, one HTTP request per call, as a wallet would do.
      const provider = new JsonRpcProvider(node.url, Network.from(chainId), { staticNetwork: true, batchMaxCount: 1, cacheTimeout: -1 })
      const clientVersion = String(await provider.send('web3_clientVersion', []))
      return new EthereumDriver(options.kind, node, provider, compiled, clientVersion, options)
    } catch (e) {
      await node.stop()
      throw e
    }
  }
}
