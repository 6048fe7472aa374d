/**
 * An in-memory `RpcBackend` for tests of the RPC server and client: a real validator set with
 * deterministic keys, real signed txs, blocks with real tx roots and real commit certificates
 * (so proofs verify end to end), but no consensus, storage or VM. Blocks are produced only when
 * a test calls `finalizeBlock`.
 *
 * Execution stand-in (deterministic, documented so tests can rely on it):
 * - a tx whose method is "fail" gets a failed receipt (REQUIRE_FAILED);
 * - a CALL emits one event {contract: target, name: method, data: args} and returns args[0];
 * - a DEPLOY gets contractAddress = first 20 bytes of the tx id;
 * - `callContract` method "echo" returns its args as a list; "fail" returns status failed
 *   (REQUIRE_FAILED); "throw" throws CoreError BAD_PROOF (to exercise error mapping).
 * `hang` makes the named backend methods never answer (request timeout tests).
 */
import { createBlock, withCommit, ZERO_HASH, type Block } from '../../core/block.ts'
import { createCommit, signVote, VoteType } from '../../core/commit.ts'
import type { CanonicalValue } from '../../core/encoding.ts'
import { CoreError, CoreErrorCode } from '../../core/errors.ts'
import { failedReceipt, okReceipt, ReceiptStatus, type CallResult, type Receipt } from '../../core/execution.ts'
import { sha256 } from '../../core/hash.ts'
import { toHex } from '../../core/hex.ts'
import { keyPairFromSecretKey, type KeyPair } from '../../core/keys.ts'
import { merkleRoot } from '../../core/merkle.ts'
import { createTxFromBytes, TxKind, validateTxStateless, type SignedTx } from '../../core/tx.ts'
import { createValidatorSet, proposerIndex, type ValidatorSet } from '../../core/validators.ts'
import type { ChainStatus, EvidenceRecord, RpcBackend, TxLookup } from './backend.ts'

export interface FakeBackendOptions {
  readonly chainId?: string
  readonly validatorCount?: number
  readonly genesisTime?: number
}

type Listener = (block: Block, receipts: readonly Receipt[]) => void

export class FakeRpcBackend implements RpcBackend {
  readonly chainId: string
  readonly validatorKeys: readonly KeyPair[]
  readonly validatorSet: ValidatorSet
  readonly hang = new Set<keyof RpcBackend>()
  readonly #genesisTime: number
  readonly #blocks: Block[] = []
  readonly #receipts: (readonly Receipt[])[] = []
  readonly #pending = new Map<string, SignedTx>()
  readonly #included = new Map<string, { height: number; index: number }>()
  readonly #listeners = new Set<Listener>()

  constructor(options: FakeBackendOptions = {}) {
    this.chainId = options.chainId ?? 'medchain-test'
    this.#genesisTime = options.genesisTime ?? 1_700_000_000_000
    const count = options.validatorCount ?? 4
    this.validatorKeys = Array.from({ length: count }, (_, i) => keyPairFromSecretKey(sha256(new TextEncoder().encode(`fake-validator-${i}`))))
    this.validatorSet = createValidatorSet(this.validatorKeys.map((k) => k.publicKey), 'bft')
  }

  get listenerCount(): number {
    return this.#listeners.size
  }

  async status(): Promise<ChainStatus> {
    await this.#maybeHang('status')
    const latest = this.#blocks.at(-1)
    return {
      chainId: this.chainId,
      height: latest?.header.height ?? 0,
      latestBlockHash: latest?.hash ?? ZERO_HASH,
      latestBlockTime: latest?.header.time ?? this.#genesisTime,
      validators: this.validatorSet.validators,
      quorumMode: this.validatorSet.quorumMode,
      quorum: this.validatorSet.quorum,
      peers: this.validatorSet.validators.slice(1).map((v) => ({ publicKey: v.publicKey, address: v.address })),
      syncing: false,
      nodeAddress: this.validatorSet.validators[0]!.address,
    }
  }

  async getBlockByHeight(height: number): Promise<Block | undefined> {
    await this.#maybeHang('getBlockByHeight')
    return this.#blocks[height - 1]
  }

  async getBlockByHash(hash: Uint8Array): Promise<Block | undefined> {
    await this.#maybeHang('getBlockByHash')
    const hex = toHex(hash)
    return this.#blocks.find((b) => toHex(b.hash) === hex)
  }

  async submitTx(bytes: Uint8Array): Promise<Uint8Array> {
    await this.#maybeHang('submitTx')
    const tx = createTxFromBytes(bytes)
    validateTxStateless(tx, this.chainId)
    const id = toHex(tx.id)
    if (this.#pending.has(id) || this.#included.has(id)) throw new CoreError(CoreErrorCode.DUPLICATE_TX, `tx ${id} is already known`)
    this.#pending.set(id, tx)
    return tx.id
  }

  async getTx(id: Uint8Array): Promise<TxLookup | undefined> {
    await this.#maybeHang('getTx')
    const hex = toHex(id)
    const pending = this.#pending.get(hex)
    if (pending) return { tx: pending, status: 'pending' }
    const at = this.#included.get(hex)
    if (!at) return undefined
    const block = this.#blocks[at.height - 1]!
    const receipt = this.#receipts[at.height - 1]![at.index]!
    return {
      tx: block.txs[at.index]!, status: receipt.status === ReceiptStatus.OK ? 'final' : 'failed',
      height: at.height, index: at.index, blockHash: block.hash, receipt,
    }
  }

  async getTxProof(id: Uint8Array): Promise<{ block: Block; index: number } | undefined> {
    await this.#maybeHang('getTxProof')
    const at = this.#included.get(toHex(id))
    return at ? { block: this.#blocks[at.height - 1]!, index: at.index } : undefined
  }

  /** Evidence the fake reports (tests set it). */
  evidence: EvidenceRecord[] = []

  async getEvidence(): Promise<readonly EvidenceRecord[]> {
    return this.evidence
  }

  async getAccountNonce(address: Uint8Array): Promise<{ nonce: number; pendingNonce: number }> {
    const from = (txs: Iterable<SignedTx>) => [...txs].filter((t) => Buffer.from(t.sender).equals(Buffer.from(address)))
    const final = from(this.#blocks.flatMap((b) => b.txs))
    const nonce = final.length === 0 ? 0 : Math.max(...final.map((t) => t.nonce)) + 1
    const pending = from(this.#pending.values()).map((t) => t.nonce).sort((a, b) => a - b)
    let pendingNonce = nonce
    for (const n of pending) if (n === pendingNonce) pendingNonce++
    return { nonce, pendingNonce }
  }

  async callContract(target: Uint8Array, method: string, args: CanonicalValue[], _caller: Uint8Array): Promise<CallResult> {
    await this.#maybeHang('callContract')
    if (method === 'throw') throw new CoreError(CoreErrorCode.BAD_PROOF, `contract ${toHex(target)} threw`)
    if (method === 'fail') return { status: ReceiptStatus.FAILED, gasUsed: 10, returnValue: null, errorCode: 'REQUIRE_FAILED', errorMessage: 'fail requested' }
    if (method === 'echo') return { status: ReceiptStatus.OK, gasUsed: 10 + args.length, returnValue: args, errorCode: '', errorMessage: '' }
    return { status: ReceiptStatus.FAILED, gasUsed: 0, returnValue: null, errorCode: 'NO_SUCH_METHOD', errorMessage: `no method ${method}` }
  }

  onFinalBlock(listener: Listener): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /**
   * Makes a final block of every pending tx (plus `extraTxs`), signed by a quorum, and tells the
   * listeners. `receiptFor` overrides the stand-in execution.
   */
  finalizeBlock(options: { receiptFor?: (tx: SignedTx, index: number) => Receipt; extraTxs?: readonly SignedTx[] } = {}): Block {
    const txs = [...this.#pending.values(), ...(options.extraTxs ?? [])]
    this.#pending.clear()
    const height = this.#blocks.length + 1
    const proposer = this.validatorSet.validators[proposerIndex(this.validatorSet, height, 0)]!
    const header = {
      chainId: this.chainId,
      height,
      time: this.#genesisTime + height * 1000,
      prevHash: this.#blocks.at(-1)?.hash ?? ZERO_HASH,
      txRoot: merkleRoot(txs.map((t) => t.id)),
      stateRoot: sha256(new TextEncoder().encode(`state-${height}`)),
      proposer: proposer.address,
      validatorsHash: this.validatorSet.hash,
    }
    const proposal = createBlock(header, txs, null)
    const precommits = this.validatorKeys.slice(0, this.validatorSet.quorum).map((k, validatorIndex) =>
      signVote(this.chainId, { type: VoteType.PRECOMMIT, height, round: 0, blockHash: proposal.hash, validatorIndex }, k.secretKey))
    const block = withCommit(proposal, createCommit(height, 0, proposal.hash, precommits))
    const receipts = txs.map((tx, i) => (options.receiptFor ?? standInReceipt)(tx, i))
    this.#blocks.push(block)
    this.#receipts.push(receipts)
    txs.forEach((tx, index) => this.#included.set(toHex(tx.id), { height, index }))
    for (const listener of this.#listeners) listener(block, receipts)
    return block
  }

  async #maybeHang(method: keyof RpcBackend): Promise<void> {
    // A promise that never settles holds no handle, so a hung call cannot keep a test alive.
    if (this.hang.has(method)) await new Promise<never>(() => {})
  }
}

function standInReceipt(tx: SignedTx): Receipt {
  if (tx.method === 'fail') return failedReceipt(700, 'REQUIRE_FAILED', 'fail requested')
  if (tx.kind === TxKind.DEPLOY) return okReceipt(5_000, { contractAddress: tx.id.slice(0, 20) })
  if (tx.kind === TxKind.CALL) {
    return okReceipt(1_000, { events: [{ contract: tx.target, name: tx.method, data: tx.args }], returnValue: tx.args[0] ?? null })
  }
  return okReceipt(500)
}
