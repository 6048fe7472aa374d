/**
 * The start-up self-test: before a node opens its store or meets a peer, it runs the paper's
 * walk-through on the stock X-ray contract through its own parts (JSON-RPC over HTTP, mempool,
 * block building, the contract VM, the LevelDB store) on
 * a private one-validator chain in a fresh temporary folder. It checks every answer and the
 * state root at a checkpoint against a known answer, then deletes the folder.
 *
 * Why, twice:
 * - Self-test: every validator must compute the same state root for the same block. A build
 *   whose VM or encoding computes another one (a bad install, a changed dependency) would
 *   prevote nil on every block of the real chain with nothing in its log to say why; this stops
 *   it at start with a clear error instead (exit 2).
 * - Warm-up: a freshly started node ran its first transactions on code it had never run (V8
 *   compiles each function on first call and learns types as it goes): on a fresh 10-node
 *   testnet the bench's deploy took 133–184 ms to be final, against 54–76 ms for a second deploy
 *   on the same nodes. After the walk-through those paths have run once: the bench's setup
 *   (deploy, grants, profile writes) took 137.7–172.1 ms with it against 203.3–271.1 ms without,
 *   four interleaved pairs on fresh testnets (bench/README.md, round of 2026-12-02, morning).
 *
 * The private chain shares nothing with the real one: its own genesis (chain id
 * `medchain-warm-up`), its own fixed keys, a fixed clock (block times are genesis time + 1, + 2,
 * …, so the state root is the same on every machine), an RPC server on 127.0.0.1 at a port the
 * OS picks, closed before the real node starts. `MEDCHAIN_WARM_UP=false` (or `--warm-up false`)
 * skips it.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import http from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fromJsonValue, toJsonValue } from '../core/json-value.ts'
import {
  ReceiptStatus, TxKind, addressFromPublicKey, bytesEqual, createSignedTx, formatAddress, keyPairFromSecretKey, parseAddress, sha256, toHex, utf8,
  type CanonicalValue, type KeyPair, type SignedTx, type TxExecutor,
} from '../core/index.ts'
// The shipped build, not the compiler: it would load TypeScript into every node (stock-build.ts).
import { XrayRole, deployTxArgs, xrayContractSource, xrayStockBuild } from '../contracts-dsl/stock-build.ts'
import { NodeError, NodeErrorCode } from './errors.ts'
import { genesisFromJson } from './genesis.ts'
import { MedchainNode } from './node.ts'
import { createNodeRpcBackend } from './node-rpc-backend.ts'
import { createRpcServer } from './rpc/server.ts'

/** The state root after the walk-through's one-block-per-tx part: deploy, five setup txs, three records. */
export const WARM_UP_STATE_ROOT = '0x19fd459bc4b1906d6d7a4ca81e3a53ca7af8ef41d54bf511c7e62c5e23c8a6cf'
const WARM_UP_CHAIN_ID = 'medchain-warm-up'
const GENESIS_TIME = 1_764_000_000_000
/** Records written one at a time, then as many again in one batch. */
const RECORDS_EACH_WAY = 3
const PART = 'chest'
/** No empty blocks during the walk-through: each block is one the walk-through asked for. */
const NO_EMPTY_BLOCKS_MS = 3_600_000
const STEP_TIMEOUT_MS = 10_000
const GAS = { deploy: 5_000_000, call: 500_000 } as const
const READ_GAS = 1_000_000

export interface WarmUpOptions {
  /** Where the private chain's folder is made (and removed); the OS's temporary folder by default. */
  readonly scratchParent?: string
  /** The executors the real node runs (the contract VM): the ones under test. */
  readonly executors: readonly TxExecutor[]
  /** Also exercise the JSON-RPC server (over HTTP). Default true. */
  readonly rpc?: boolean
}

export interface WarmUpReport {
  readonly ms: number
  readonly blocks: number
  /** The state root at the checkpoint (equal to WARM_UP_STATE_ROOT, or the run failed). */
  readonly stateRoot: string
}

const fail = (message: string): never => {
  throw new NodeError(NodeErrorCode.SELF_TEST_FAILED, `start-up self-test: ${message}`)
}

const keyOf = (name: string): KeyPair => keyPairFromSecretKey(sha256(utf8.encode(`medchain warm-up ${name}`)))

/** Signs txs for one account with locally counted nonces. */
class Account {
  readonly key: KeyPair
  readonly addressBytes: Uint8Array
  readonly address: string
  #nonce = 0
  constructor(name: string) {
    this.key = keyOf(name)
    this.addressBytes = addressFromPublicKey(this.key.publicKey)
    this.address = formatAddress(this.addressBytes)
  }
  tx(kind: TxKind, target: Uint8Array, method: string, args: readonly CanonicalValue[], gasLimit: number): SignedTx {
    return createSignedTx({ chainId: WARM_UP_CHAIN_ID, kind, nonce: this.#nonce++, target, method, args: [...args], gasLimit }, this.key.secretKey, this.key.publicKey)
  }
}

/** How the walk-through talks to the private node: over its JSON-RPC server, or in process. */
interface WarmUpPort {
  send(txs: readonly SignedTx[]): Promise<void>
  call(contract: string, method: string, args: readonly CanonicalValue[], caller: string): Promise<CanonicalValue>
  close(): Promise<void>
}

/** Runs the walk-through; resolves with what it took, or throws NodeError SELF_TEST_FAILED. */
export async function runWarmUp(options: WarmUpOptions): Promise<WarmUpReport> {
  const started = performance.now()
  // A folder of its own, so two nodes starting at once (one of them about to be refused its data
  // directory) cannot disturb each other's walk-through.
  const parent = options.scratchParent ?? tmpdir()
  const dir = await mkdtemp(join(parent, 'medchain-warm-up-')).catch((e: Error) => fail(`cannot make its scratch folder in ${parent}: ${e.message}`))
  const validator = keyOf('validator')
  const genesis = genesisFromJson({
    chainId: WARM_UP_CHAIN_ID, genesisTime: GENESIS_TIME, quorumMode: 'bft',
    validators: [{ name: 'warm-up', publicKey: toHex(validator.publicKey) }],
  })
  const node = new MedchainNode({
    dataDir: dir, genesis, validatorKey: validator, executors: options.executors,
    clock: { now: () => GENESIS_TIME },
    production: { blockIntervalMs: NO_EMPTY_BLOCKS_MS, produceOnTxs: true, batchDelayMs: 0 },
  })
  let port: WarmUpPort | undefined
  let finals: FinalWaiter | undefined
  try {
    await node.start()
    port = options.rpc === false ? inProcessPort(node) : await rpcPort(node)
    finals = new FinalWaiter(node)
    const stateRoot = await walkThrough(node, port, finals)
    return { ms: performance.now() - started, blocks: node.chain.height, stateRoot }
  } catch (e) {
    if (e instanceof NodeError && e.code === NodeErrorCode.SELF_TEST_FAILED) throw e
    // Anything else (the private store, the RPC server) is still this test failing, not the real node.
    return fail((e as Error)?.message ?? String(e))
  } finally {
    finals?.close()
    await port?.close().catch(() => undefined)
    await node.stop().catch(() => undefined)
    await rm(dir, { recursive: true, force: true })
  }
}

/** The paper's walk-through, every answer checked; returns the state root at the checkpoint. */
async function walkThrough(node: MedchainNode, port: WarmUpPort, finals: FinalWaiter): Promise<string> {
  const host = new Account('host')
  const gov = new Account('gov')
  const doctor = new Account('doctor')
  const patient = new Account('patient')
  const settle = async (txs: readonly SignedTx[], expect: 'ok' | 'failed' = 'ok'): Promise<ReceiptView[]> => {
    // Registered before the send, so a block cannot be final unobserved.
    const waits = txs.map((tx) => finals.wait(tx))
    await port.send(txs)
    const receipts = await Promise.all(waits)
    receipts.forEach((r, i) => {
      if (r.status !== expect) fail(`${txs[i]!.method || 'deploy'} ended ${r.status} (${r.errorCode} ${r.errorMessage}), expected ${expect}`)
    })
    return receipts
  }

  const deploy = host.tx(TxKind.DEPLOY, new Uint8Array(0), '', deployTxArgs(xrayStockBuild(), xrayContractSource, ['Ken', gov.addressBytes, 25, 0, 1]), GAS.deploy)
  const [deployed] = await settle([deploy])
  const contractBytes = deployed!.contractAddress
  if (contractBytes.length === 0) fail('the deploy receipt names no contract')
  const contract = formatAddress(contractBytes)
  const call = (from: Account, method: string, args: readonly CanonicalValue[]): SignedTx => from.tx(TxKind.CALL, contractBytes, method, args, GAS.call)
  const grant = (who: Account, name: string, role: number): SignedTx => call(gov, 'setPermission', [who.addressBytes, name, role, true])
  const birthday = utf8.encode('sealed birthday')
  // One block per tx up to the checkpoint: records hold their block's height and time, so the
  // known state root needs every block boundary fixed (a batch may land in one block or two).
  for (const tx of [
    grant(doctor, 'Dr.Lee', XrayRole.Doctor), grant(host, 'host', XrayRole.Host), grant(patient, 'Ken', XrayRole.Patient),
    call(host, 'setBirthday', [birthday]), call(host, 'setContact', [utf8.encode('sealed contact')]),
  ]) await settle([tx])

  // Fingerprints as the paper writes them: 64 hex characters, no 0x.
  const fingerprint = (text: string): string => toHex(sha256(utf8.encode(text))).slice(2)
  const hashes = Array.from({ length: 2 * RECORDS_EACH_WAY }, (_, i) => fingerprint(`warm-up image ${i}`))
  for (const h of hashes.slice(0, RECORDS_EACH_WAY)) await settle([call(doctor, 'setXrayhash', [PART, h])])
  const stateRoot = toHex(node.chain.store.getHead().stateRoot)
  if (stateRoot !== WARM_UP_STATE_ROOT) fail(`the walk-through reached state root ${stateRoot} at its checkpoint, expected ${WARM_UP_STATE_ROOT}: this build executes contracts differently from the release`)
  // Then as a client pipelines: all sent in one batch, then waited.
  await settle(hashes.slice(RECORDS_EACH_WAY).map((h) => call(doctor, 'setXrayhash', [PART, h])))

  const count = await port.call(contract, 'getXrayhashCount', [], patient.address)
  if (count !== hashes.length) fail(`getXrayhashCount() = ${String(count)}, expected ${hashes.length}`)
  for (const [i, h] of hashes.entries()) {
    const record = await port.call(contract, 'getXrayhash', [i], patient.address)
    if (!Array.isArray(record) || !record.includes(h) || !record.includes(PART)) fail(`getXrayhash(${i}) does not hold fingerprint ${h}`)
  }
  const profile = await port.call(contract, 'profile', [], patient.address)
  if (!Array.isArray(profile) || profile[0] !== 'Ken' || !profile.some((v) => v instanceof Uint8Array && bytesEqual(v, birthday))) fail('profile() does not return what was written')

  await settle([call(gov, 'removePermission', [doctor.addressBytes])])
  const [refused] = await settle([call(doctor, 'setXrayhash', [PART, fingerprint('warm-up refused')])], 'failed')
  if (refused!.errorCode !== 'REQUIRE_FAILED') fail(`the revoked doctor's write failed with ${refused!.errorCode}, expected REQUIRE_FAILED`)
  if ((await port.call(contract, 'getXrayhashCount', [], patient.address)) !== hashes.length) fail('the refused write changed the record count')
  return stateRoot
}

interface ReceiptView {
  readonly status: 'ok' | 'failed'
  readonly errorCode: string
  readonly errorMessage: string
  readonly contractAddress: Uint8Array
}

/** Resolves each tx's receipt when its block is final on the private node. */
class FinalWaiter {
  readonly #waiting = new Map<string, { readonly settle: (r: ReceiptView) => void; readonly timer: NodeJS.Timeout }>()
  readonly #unlisten: () => void
  constructor(node: MedchainNode) {
    this.#unlisten = node.chain.onFinalBlock((block, receipts) => {
      block.txs.forEach((tx, i) => {
        const id = toHex(tx.id)
        const waiter = this.#waiting.get(id)
        const r = receipts[i]
        if (!waiter || !r) return
        this.#waiting.delete(id)
        clearTimeout(waiter.timer)
        waiter.settle({ status: r.status === ReceiptStatus.OK ? 'ok' : 'failed', errorCode: r.errorCode, errorMessage: r.errorMessage, contractAddress: r.contractAddress })
      })
    })
  }
  wait(tx: SignedTx): Promise<ReceiptView> {
    const wait = new Promise<ReceiptView>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${tx.method || 'deploy'} was not final within ${STEP_TIMEOUT_MS} ms`)), STEP_TIMEOUT_MS)
      this.#waiting.set(toHex(tx.id), { settle: resolve, timer })
    })
    // A wait the walk-through stopped needing (it failed earlier) must not surface later.
    wait.catch(() => undefined)
    return wait
  }

  /** Stops listening and drops every wait still open. */
  close(): void {
    this.#unlisten()
    for (const w of this.#waiting.values()) clearTimeout(w.timer)
    this.#waiting.clear()
  }
}

function inProcessPort(node: MedchainNode): WarmUpPort {
  return {
    send: async (txs) => {
      for (const tx of txs) node.submitTx(tx.bytes)
    },
    call: async (contract, method, args, caller) => {
      const r = await node.chain.callReadOnly(parseAddress(contract), method, args, parseAddress(caller), READ_GAS)
      if (r.status !== ReceiptStatus.OK) fail(`${method}() failed: ${r.errorCode} ${r.errorMessage}`)
      return r.returnValue
    },
    close: async () => undefined,
  }
}

/**
 * The private node's own JSON-RPC server on 127.0.0.1, over node:http (the global fetch would
 * load undici into every node; client/json-http.ts does the same POST, but node/ may not import
 * client/, and core/ does no I/O):
 * txs go in as one `tx_send` batch, reads as `contract_call`.
 */
async function rpcPort(node: MedchainNode): Promise<WarmUpPort> {
  const server = createRpcServer({ backend: createNodeRpcBackend(node), host: '127.0.0.1', port: 0, rateLimit: false })
  const { port } = await server.start()
  const agent = new http.Agent({ keepAlive: true })
  let id = 0
  const post = (body: unknown): Promise<unknown> => new Promise((resolve, reject) => {
    const payload = Buffer.from(JSON.stringify(body))
    const req = http.request({
      host: '127.0.0.1', port, method: 'POST', path: '/', agent, timeout: STEP_TIMEOUT_MS,
      headers: { 'content-type': 'application/json', 'content-length': payload.length },
    }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')))
        } catch (e) {
          reject(e)
        }
      })
      res.on('error', reject)
    })
    req.on('timeout', () => req.destroy(new Error(`no RPC answer within ${STEP_TIMEOUT_MS} ms`)))
    req.on('error', reject)
    req.end(payload)
  })
  const resultOf = (answer: unknown, what: string): Record<string, unknown> => {
    const a = answer as { result?: Record<string, unknown>; error?: { message?: string } }
    if (a?.error || !a?.result) fail(`${what}: ${a?.error?.message ?? 'no result'}`)
    return a.result!
  }
  return {
    send: async (txs) => {
      const answers = await post(txs.map((tx) => ({ jsonrpc: '2.0', id: ++id, method: 'tx_send', params: { tx: toHex(tx.bytes) } })))
      if (!Array.isArray(answers) || answers.length !== txs.length) fail('tx_send batch: not one answer per tx')
      ;(answers as unknown[]).forEach((a, i) => resultOf(a, `tx_send ${txs[i]!.method || 'deploy'}`))
    },
    call: async (contract, method, args, caller) => {
      const r = resultOf(await post({ jsonrpc: '2.0', id: ++id, method: 'contract_call', params: { address: contract, method, args: args.map((a) => toJsonValue(a)), caller } }), `contract_call ${method}`)
      if (r.status !== 'ok') fail(`${method}() failed: ${String(r.errorCode)} ${String(r.errorMessage)}`)
      return fromJsonValue(r.returnValue, 'returnValue')
    },
    close: async () => {
      agent.destroy()
      await server.stop()
    },
  }
}
