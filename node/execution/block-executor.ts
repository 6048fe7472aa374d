/**
 * Block execution: `executeBlock(preState, txs, ctx) → (writes, receipts, stateRoot)`, checked
 * and transactional (ethereumjs `vm/src/runBlock.ts`, Lodestar `stateTransition`). Also builds
 * proposals: `buildBlockBody` runs candidates from the mempool and keeps those that apply.
 *
 * Per tx, in order: the nonce must equal the sender's next nonce (else the block is invalid, or
 * the candidate is skipped when building); the nonce is incremented; the executor for the tx
 * kind runs and reverts its own writes on failure. A failed tx is still included and still
 * consumes its nonce (as in Ethereum), so a client can tell "refused" from "never arrived".
 */
import {
  StateOverlay, nextStateRoot, readNonce, sortWrites, writeNonce, toHex, failedReceipt,
  type BlockContext, type Receipt, type SignedTx, type StateView, type StateWrite, type TxExecutor, type TxKind,
} from '../../core/index.ts'
import { NodeError, NodeErrorCode } from '../errors.ts'

export interface ExecutedBody {
  readonly txs: readonly SignedTx[]
  readonly receipts: readonly Receipt[]
  readonly stateWrites: readonly StateWrite[]
  readonly stateRoot: Uint8Array
  readonly gasUsed: number
}

export interface BlockLimits {
  readonly maxTxs: number
  readonly maxBytes: number
  readonly maxGas: number
}

export const DEFAULT_BLOCK_LIMITS: BlockLimits = { maxTxs: 5_000, maxBytes: 8 * 1024 * 1024, maxGas: 2_000_000_000 }

export class BlockExecutor {
  private readonly byKind = new Map<number, TxExecutor>()

  constructor(executors: readonly TxExecutor[]) {
    for (const ex of executors) for (const k of ex.kinds) {
      if (this.byKind.has(k)) throw new Error(`two executors for tx kind ${k}`)
      this.byKind.set(k, ex)
    }
  }

  executorFor(kind: TxKind): TxExecutor | undefined {
    return this.byKind.get(kind)
  }

  private runTx(tx: SignedTx, overlay: StateOverlay, ctx: BlockContext): Receipt {
    writeNonce(overlay, tx.sender, tx.nonce + 1)
    const ex = this.byKind.get(tx.kind)
    if (!ex) return failedReceipt(0, 'UNSUPPORTED_KIND', `this chain executes no tx of kind ${tx.kind}`)
    return ex.execute(tx, overlay, ctx)
  }

  /**
   * Executes a block's txs exactly (a received proposal or a synced block).
   * @throws NodeError INVALID_BLOCK (penalisePeer) when a tx's nonce does not apply.
   */
  executeBlock(preState: StateView, prevStateRoot: Uint8Array, txs: readonly SignedTx[], ctx: BlockContext): ExecutedBody {
    const overlay = new StateOverlay(preState)
    const receipts: Receipt[] = []
    let gasUsed = 0
    for (const tx of txs) {
      const expected = readNonce(overlay, tx.sender)
      if (tx.nonce !== expected) {
        throw new NodeError(NodeErrorCode.INVALID_BLOCK, `tx ${toHex(tx.id)} has nonce ${tx.nonce}, sender's next is ${expected}`, { penalisePeer: true })
      }
      const r = this.runTx(tx, overlay, ctx)
      receipts.push(r)
      gasUsed += r.gasUsed
    }
    const stateWrites = sortWrites(overlay.writeSet())
    return { txs, receipts, stateWrites, stateRoot: nextStateRoot(prevStateRoot, stateWrites), gasUsed }
  }

  /**
   * Builds a block body from candidates (in mempool order), skipping any whose nonce does not
   * apply at that point and stopping at the block limits.
   */
  buildBlockBody(preState: StateView, prevStateRoot: Uint8Array, candidates: Iterable<SignedTx>, ctx: BlockContext, limits: BlockLimits = DEFAULT_BLOCK_LIMITS): ExecutedBody {
    const overlay = new StateOverlay(preState)
    const txs: SignedTx[] = []
    const receipts: Receipt[] = []
    let bytes = 0
    let gasUsed = 0
    for (const tx of candidates) {
      if (txs.length >= limits.maxTxs) break
      if (bytes + tx.bytes.length > limits.maxBytes) continue
      if (gasUsed + tx.gasLimit > limits.maxGas) continue
      if (readNonce(overlay, tx.sender) !== tx.nonce) continue
      const r = this.runTx(tx, overlay, ctx)
      txs.push(tx)
      receipts.push(r)
      bytes += tx.bytes.length
      gasUsed += r.gasUsed
    }
    const stateWrites = sortWrites(overlay.writeSet())
    return { txs, receipts, stateWrites, stateRoot: nextStateRoot(prevStateRoot, stateWrites), gasUsed }
  }
}
