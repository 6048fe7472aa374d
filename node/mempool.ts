/**
 * Mempool: signed txs waiting for a block, bounded by count and bytes, ordered by sender nonce.
 *
 * Admission (`add`), cheapest check first: the same id is DUPLICATE_TX; a tx for another chain
 * is WRONG_CHAIN_ID; the nonce must be at least the sender's next nonce on chain (else
 * NONCE_TOO_LOW: a replay, or a gossiped copy of a tx already committed) and at most
 * `maxNonceGap` ahead (NONCE_GAP); another tx with the same sender and nonce is DUPLICATE_TX;
 * last the signature (BAD_SIGNATURE). Shape was checked by `createTxFromBytes`.
 *
 * Eviction when full: the incoming tx may push out the highest-nonce tx of the sender that holds
 * the most pending txs, if that sender holds more than the incoming sender would; otherwise the
 * incoming tx is refused with MEMPOOL_FULL. So one busy sender cannot starve everyone else, and
 * nothing is evicted for a sender that is already the largest. Evicted txs are dropped (clients
 * see them as unknown and resubmit); committed and stale txs leave via `removeCommitted`.
 *
 * Block candidates (`candidates`) take senders round-robin, each in nonce order.
 */
import {
  CoreError, CoreErrorCode, bytesEqual, toHex, validateTxChainId, validateTxNonce, validateTxSignature, type SignatureVerifier, type SignedTx,
} from '../core/index.ts'

export interface MempoolOptions {
  readonly chainId: string
  readonly maxTxs: number
  readonly maxBytes: number
  readonly maxNonceGap: number
}

export const DEFAULT_MEMPOOL_OPTIONS: Omit<MempoolOptions, 'chainId'> = {
  maxTxs: 50_000,
  maxBytes: 64 * 1024 * 1024,
  maxNonceGap: 1_000,
}

type SenderQueue = Map<number, SignedTx> // nonce → tx

const idKey = (id: Uint8Array): string => Buffer.from(id).toString('hex')
const senderKey = (address: Uint8Array): string => Buffer.from(address).toString('hex')
/** A signed tx's canonical bytes end with its 64-byte signature: a key found without hashing. */
const SIGNATURE_BYTES = 64
/** Committed txs remembered by signature for `committedRecently`: several blocks' worth at full load. */
const RECENTLY_COMMITTED = 32_768

const signatureKey = (signature: Uint8Array): string => Buffer.from(signature.buffer, signature.byteOffset, signature.length).toString('latin1')
/** The signature key of an encoded tx, from the 64 bytes it ends with; undefined when too short to be one. */
const encodedSignatureKey = (bytes: Uint8Array): string | undefined =>
  bytes.length > SIGNATURE_BYTES ? signatureKey(bytes.subarray(bytes.length - SIGNATURE_BYTES)) : undefined

export class Mempool {
  private readonly byId = new Map<string, SignedTx>()
  /** The same txs by signature, to recognise a tx from its encoded bytes (`findByBytes`). */
  private readonly bySignature = new Map<string, SignedTx>()
  /** Insertion-ordered: senders in the order their first pending tx arrived. */
  private readonly bySender = new Map<string, SenderQueue>()
  /**
   * Signatures of the txs of the last committed blocks (oldest first, at most
   * RECENTLY_COMMITTED), so a gossiped copy that arrives after its block is dropped from its
   * bytes alone (`committedRecently`), before it is decoded.
   */
  private readonly recentlyCommitted = new Set<string>()
  private totalBytes = 0

  constructor(
    private readonly options: MempoolOptions,
    /** The sender's next nonce according to the committed chain state. */
    private readonly chainNonceOf: (address: Uint8Array) => number,
    /**
     * Checks tx signatures; the node passes its memo of verified signatures (verified-signatures.ts),
     * so a tx whose signature a proposed block's validation checked is not checked again when its
     * gossiped copy arrives before the block commits. Default: core's `verify`.
     */
    private readonly verifySignature?: SignatureVerifier,
  ) {}

  get size(): number {
    return this.byId.size
  }
  get bytes(): number {
    return this.totalBytes
  }

  has(id: Uint8Array): boolean {
    return this.byId.has(idKey(id))
  }
  get(id: Uint8Array): SignedTx | undefined {
    return this.byId.get(idKey(id))
  }

  /**
   * The pending tx whose canonical encoding is exactly `bytes`, found without decoding or
   * hashing them (a proposed block lists its txs as bytes), or undefined.
   */
  findByBytes(bytes: Uint8Array): SignedTx | undefined {
    const key = encodedSignatureKey(bytes)
    const tx = key === undefined ? undefined : this.bySignature.get(key)
    return tx !== undefined && bytesEqual(tx.bytes, bytes) ? tx : undefined
  }

  /**
   * True when these encoded tx bytes end with the signature of a tx in one of the last committed
   * blocks. Such a copy can only be that tx again (a signature covers the tx id, so no other valid
   * tx carries it) or junk, and neither is worth decoding: under load, gossip admitted within a
   * budget (gossip-tx-intake.ts) often reaches a tx after the block that committed it.
   */
  committedRecently(bytes: Uint8Array): boolean {
    const key = encodedSignatureKey(bytes)
    return key !== undefined && this.recentlyCommitted.has(key)
  }

  private rememberCommitted(sig: string): void {
    if (this.recentlyCommitted.has(sig)) return
    if (this.recentlyCommitted.size >= RECENTLY_COMMITTED) this.recentlyCommitted.delete(this.recentlyCommitted.values().next().value!)
    this.recentlyCommitted.add(sig)
  }

  /** True when this very tx (same bytes) is pending: its signature was checked on admission. */
  holds(tx: SignedTx): boolean {
    const pending = this.bySignature.get(signatureKey(tx.signature))
    return pending !== undefined && (pending === tx || bytesEqual(pending.bytes, tx.bytes))
  }

  /**
   * Admits a tx, or throws why not.
   * @throws CoreError WRONG_CHAIN_ID, BAD_SIGNATURE, DUPLICATE_TX, NONCE_TOO_LOW, NONCE_GAP, MEMPOOL_FULL
   */
  add(tx: SignedTx): void {
    const id = idKey(tx.id)
    if (this.byId.has(id)) throw new CoreError(CoreErrorCode.DUPLICATE_TX, `tx ${toHex(tx.id)} is already pending`)
    // Cheap checks before the signature: a tx for another chain says so, and a gossiped copy of
    // a tx that a block has already committed (or a replay) is refused without a ~40 µs check.
    validateTxChainId(tx, this.options.chainId)
    validateTxNonce(tx, this.chainNonceOf(tx.sender), this.options.maxNonceGap)
    const sk = senderKey(tx.sender)
    const queue = this.bySender.get(sk)
    if (queue?.has(tx.nonce)) {
      throw new CoreError(CoreErrorCode.DUPLICATE_TX, `another tx from this sender with nonce ${tx.nonce} is already pending`)
    }
    validateTxSignature(tx, this.verifySignature)
    if (tx.bytes.length > this.options.maxBytes) throw new CoreError(CoreErrorCode.MEMPOOL_FULL, 'tx larger than the whole mempool')
    while (this.byId.size >= this.options.maxTxs || this.totalBytes + tx.bytes.length > this.options.maxBytes) {
      if (!this.evictFor(sk, (queue?.size ?? 0) + 1)) {
        throw new CoreError(CoreErrorCode.MEMPOOL_FULL, `mempool full (${this.byId.size} txs, ${this.totalBytes} bytes); retry later`)
      }
    }
    let q = this.bySender.get(sk)
    if (!q) {
      q = new Map()
      this.bySender.set(sk, q)
    }
    q.set(tx.nonce, tx)
    this.byId.set(id, tx)
    // Two admitted txs never share a signature (each verified over its own id); keep the first anyway.
    const sig = signatureKey(tx.signature)
    if (!this.bySignature.has(sig)) this.bySignature.set(sig, tx)
    this.totalBytes += tx.bytes.length
  }

  private evictFor(incomingSender: string, incomingCount: number): boolean {
    let victim: string | undefined
    let most = incomingCount
    for (const [s, q] of this.bySender) {
      if (s !== incomingSender && q.size > most) {
        most = q.size
        victim = s
      }
    }
    if (!victim) return false
    const q = this.bySender.get(victim)!
    const highest = Math.max(...q.keys())
    this.removeOne(victim, q, highest)
    return true
  }

  private removeOne(sk: string, q: SenderQueue, nonce: number): void {
    const tx = q.get(nonce)
    if (!tx) return
    q.delete(nonce)
    if (q.size === 0) this.bySender.delete(sk)
    this.byId.delete(idKey(tx.id))
    const sig = signatureKey(tx.signature)
    if (this.bySignature.get(sig) === tx) this.bySignature.delete(sig)
    this.totalBytes -= tx.bytes.length
  }

  /** Pending txs for a block: senders round-robin, each in ascending nonce order. */
  *candidates(): Generator<SignedTx> {
    const queues = [...this.bySender.values()].map((q) => [...q.values()].sort((a, b) => a.nonce - b.nonce))
    let index = 0
    let any = true
    while (any) {
      any = false
      for (const q of queues) {
        const tx = q[index]
        if (tx) {
          any = true
          yield tx
        }
      }
      index++
    }
  }

  /** After a block: drops every pending tx whose nonce the chain has now used. */
  removeCommitted(txs: readonly SignedTx[]): void {
    const senders = new Map<string, Uint8Array>()
    for (const tx of txs) {
      senders.set(senderKey(tx.sender), tx.sender)
      this.rememberCommitted(signatureKey(tx.signature))
    }
    for (const [sk, address] of senders) {
      const q = this.bySender.get(sk)
      if (!q) continue
      const next = this.chainNonceOf(address)
      for (const nonce of [...q.keys()]) if (nonce < next) this.removeOne(sk, q, nonce)
    }
  }

  /** Pending txs of one sender (for nonce tracking in the RPC). */
  pendingNonces(address: Uint8Array): number[] {
    return [...(this.bySender.get(senderKey(address))?.keys() ?? [])].sort((a, b) => a - b)
  }
}
