/**
 * The only door from the RPC server into the node. The server formats everything for the wire
 * (hex, addresses, JSON values); the backend deals in core types and bytes only.
 */
import type { Block } from '../../core/block.ts'
import type { CanonicalValue } from '../../core/encoding.ts'
import type { CallResult, Receipt } from '../../core/execution.ts'
import type { SignedTx } from '../../core/tx.ts'
import type { QuorumMode, Validator } from '../../core/validators.ts'

/**
 * What `chain_status` reports, with bytes as Uint8Array (the server formats them: hashes and
 * keys as 0x-hex, addresses as `mc…`). `validators`, `quorumMode` and `quorum` can be passed
 * straight from a core `ValidatorSet`; a validator's index is its position in the list.
 */
export interface ChainStatus {
  readonly chainId: string
  /** Height of the latest final block (0 = only genesis / nothing yet). */
  readonly height: number
  readonly latestBlockHash: Uint8Array
  /** ms since the Unix epoch. */
  readonly latestBlockTime: number
  readonly validators: readonly Validator[]
  readonly quorumMode: QuorumMode
  readonly quorum: number
  /** Connected peers: their node public key and 20-byte address (shown as `mc…`). */
  readonly peers: readonly { readonly publicKey: Uint8Array; readonly address: Uint8Array }[]
  readonly syncing: boolean
  /** This node's own 20-byte address, if it has a key. */
  readonly nodeAddress?: Uint8Array
}

export type TxLookupStatus = 'pending' | 'final' | 'failed'

export interface TxLookup {
  readonly tx: SignedTx
  /** 'failed' = included in a final block with a failed receipt. */
  readonly status: TxLookupStatus
  readonly height?: number
  readonly index?: number
  readonly blockHash?: Uint8Array
  readonly receipt?: Receipt
}

/** Proof that a validator equivocated, as the consensus engine recorded it. */
export interface EvidenceRecord {
  readonly kind: string
  readonly validatorIndex: number
  readonly height: number
  readonly round: number
  /** Canonical encoding of the two signed messages (consensus/evidence.ts); re-checkable offline. */
  readonly encoded: Uint8Array
}

export interface RpcBackend {
  status(): Promise<ChainStatus>
  /** A final block (with its commit), or undefined. */
  getBlockByHeight(height: number): Promise<Block | undefined>
  getBlockByHash(hash: Uint8Array): Promise<Block | undefined>
  /** Admits a signed tx to the mempool; returns its id. @throws CoreError with the rejection code. */
  submitTx(bytes: Uint8Array): Promise<Uint8Array>
  /** Must reflect finality as soon as a block is final (no indexing lag). */
  getTx(id: Uint8Array): Promise<TxLookup | undefined>
  /** The final block holding the tx and its position; the server builds the Merkle proof. */
  getTxProof(id: Uint8Array): Promise<{ block: Block; index: number } | undefined>
  /**
   * The account's next nonce on the final chain, and the next one counting its pending txs
   * (what a client should sign with next).
   */
  /** Equivocation evidence this node has seen, oldest first. */
  getEvidence(): Promise<readonly EvidenceRecord[]>
  getAccountNonce(address: Uint8Array): Promise<{ nonce: number; pendingNonce: number }>
  /** Read-only call against the latest final state. A contract failure is a CallResult value. */
  callContract(target: Uint8Array, method: string, args: CanonicalValue[], caller: Uint8Array): Promise<CallResult>
  /**
   * Called once per final block, in height order, with one receipt per tx. The server's
   * listener returns at once (it only queues), so the node never waits for subscribers.
   * Returns the unsubscribe function.
   */
  onFinalBlock(listener: (block: Block, receipts: readonly Receipt[]) => void): () => void
}
