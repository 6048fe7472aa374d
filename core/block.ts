/**
 * Blocks. Header raw = [chainId, height, time, prevHash, txRoot, stateRoot, proposer,
 * validatorsHash]; block hash = SHA-256(SHA-256(encode(header raw))), the paper's double hash.
 * `time` is milliseconds since the Unix epoch, chosen by the proposer and checked by voters
 * (monotonic, not ahead of their clocks by more than the allowed drift).
 * `stateRoot` commits to the state after executing this block (see state-root.ts).
 * A block travels as [header raw, [signed tx bytes…], commit raw | null].
 */
import {
  asArray, asBytes, asList, asString, asUint, decode, encodeTrusted, shapeError, type CanonicalValue,
} from './encoding.ts'
import { CoreError, CoreErrorCode } from './errors.ts'
import { sha256d } from './hash.ts'
import { bytesEqual, toHex } from './hex.ts'
import { ADDRESS_LENGTH } from './keys.ts'
import { merkleRoot } from './merkle.ts'
import { commitFromRaw, commitRaw, type CommitCertificate } from './commit.ts'
import { createTxFromBytes, type SignedTx } from './tx.ts'

export const BLOCK_LIMITS = {
  maxTxs: 10_000,
  maxBytes: 16 * 1024 * 1024,
}

export interface BlockHeader {
  readonly chainId: string
  readonly height: number
  readonly time: number
  readonly prevHash: Uint8Array
  readonly txRoot: Uint8Array
  readonly stateRoot: Uint8Array
  readonly proposer: Uint8Array
  readonly validatorsHash: Uint8Array
}

export interface Block {
  readonly header: BlockHeader
  readonly hash: Uint8Array
  readonly txs: readonly SignedTx[]
  /** Finality proof; null only while the block is a proposal. */
  readonly commit: CommitCertificate | null
}

export const ZERO_HASH = new Uint8Array(32)

export function headerRaw(h: BlockHeader): CanonicalValue[] {
  return [h.chainId, h.height, h.time, h.prevHash, h.txRoot, h.stateRoot, h.proposer, h.validatorsHash]
}

export function encodeHeader(h: BlockHeader): Uint8Array {
  return encodeTrusted(headerRaw(h))
}

export function blockHash(h: BlockHeader): Uint8Array {
  return sha256d(encodeHeader(h))
}

export function headerFromRaw(raw: CanonicalValue): BlockHeader {
  const r = asArray(raw, 8, 'header')
  return Object.freeze({
    chainId: asString(r[0], 'header.chainId', 64),
    height: asUint(r[1], 'header.height'),
    time: asUint(r[2], 'header.time'),
    prevHash: asBytes(r[3], 'header.prevHash', 32),
    txRoot: asBytes(r[4], 'header.txRoot', 32),
    stateRoot: asBytes(r[5], 'header.stateRoot', 32),
    proposer: asBytes(r[6], 'header.proposer', ADDRESS_LENGTH),
    validatorsHash: asBytes(r[7], 'header.validatorsHash', 32),
  })
}

export function decodeHeader(bytes: Uint8Array): BlockHeader {
  return headerFromRaw(decode(bytes))
}

export function txRootOf(txs: readonly SignedTx[]): Uint8Array {
  return merkleRoot(txs.map((t) => t.id))
}

export function createBlock(header: BlockHeader, txs: readonly SignedTx[], commit: CommitCertificate | null): Block {
  return Object.freeze({ header, hash: blockHash(header), txs, commit })
}

export function withCommit(block: Block, commit: CommitCertificate): Block {
  return Object.freeze({ ...block, commit })
}

export function encodeBlock(b: Block): Uint8Array {
  return encodeTrusted([headerRaw(b.header), b.txs.map((t) => t.bytes), b.commit ? commitRaw(b.commit) : null])
}

export interface DecodeBlockOptions {
  /**
   * A tx this node already decoded and checked, looked up by its encoded bytes (a node's
   * mempool): used only when its bytes are exactly `txBytes`, so the block is the same as when
   * every tx is decoded again. A received block's txs are nearly all in the mempool already;
   * decoding each one a second time (msgpack, canonical re-encoding, SHA-256d id) was about a
   * tenth of a validator's CPU under load.
   */
  readonly knownTx?: (txBytes: Uint8Array) => SignedTx | undefined
}

/** Blocks whose tx root and tx list `decodeBlock` has checked (see `txRootChecked`). */
const rootChecked = new WeakSet<Block>()

/**
 * Decodes a block and checks its internal consistency: every tx decodes, the tx root matches,
 * the commit (if any) names this block. Signatures and chain rules are checked by the node.
 * @throws CoreError DECODE_*, BAD_SHAPE, BAD_BLOCK, and any tx decoding error
 */
export function decodeBlock(bytes: Uint8Array, options: DecodeBlockOptions = {}): Block {
  const r = asArray(decode(bytes, BLOCK_LIMITS.maxBytes), 3, 'block')
  const header = headerFromRaw(r[0]!)
  const knownTx = options.knownTx
  const txs = asList(r[1], 'block.txs', BLOCK_LIMITS.maxTxs).map((t) => {
    if (!(t instanceof Uint8Array)) throw shapeError('block.tx', 'expected bytes')
    const known = knownTx?.(t)
    return known !== undefined && bytesEqual(known.bytes, t) ? known : createTxFromBytes(t)
  })
  const commit = r[2] === null ? null : commitFromRaw(r[2]!)
  const block = createBlock(header, txs, commit)
  checkBlockIntegrity(block)
  rootChecked.add(block)
  return block
}

/**
 * True when `block` came from `decodeBlock`, which checked its tx root: a validator need not
 * hash the tree again. Blocks built any other way (createBlock) say false.
 */
export function txRootChecked(block: Block): boolean {
  return rootChecked.has(block)
}

/**
 * One tx of an encoded block, with the block's header and hash, turning only that tx into a
 * SignedTx: for lookups in a node's own store, whose blocks were fully checked before they were
 * written. (Decoding a whole 3,000-tx block hashes every tx and the Merkle tree, ~40 ms; a
 * gateway asking `tx_get` for many txs of big blocks made node0 the busiest validator.)
 * @throws CoreError DECODE_*, BAD_SHAPE, and BAD_BLOCK when `index` is not a tx of the block
 */
export function decodeBlockTx(bytes: Uint8Array, index: number): { readonly header: BlockHeader; readonly hash: Uint8Array; readonly tx: SignedTx } {
  const r = asArray(decode(bytes, BLOCK_LIMITS.maxBytes), 3, 'block')
  const header = headerFromRaw(r[0]!)
  const txs = asList(r[1], 'block.txs', BLOCK_LIMITS.maxTxs)
  if (!Number.isSafeInteger(index) || index < 0 || index >= txs.length) {
    throw new CoreError(CoreErrorCode.BAD_BLOCK, `block ${header.height} has no tx #${index} (it has ${txs.length})`)
  }
  return { header, hash: blockHash(header), tx: createTxFromBytes(asBytes(txs[index], 'block.tx')) }
}

/** @throws CoreError BAD_BLOCK */
export function checkBlockIntegrity(block: Block): void {
  const root = txRootOf(block.txs)
  if (!bytesEqual(root, block.header.txRoot)) {
    throw new CoreError(CoreErrorCode.BAD_BLOCK, `tx root ${toHex(root)} does not match header ${toHex(block.header.txRoot)}`)
  }
  const seen = new Set<string>()
  for (const tx of block.txs) {
    const id = toHex(tx.id)
    if (seen.has(id)) throw new CoreError(CoreErrorCode.BAD_BLOCK, `tx ${id} appears twice`)
    seen.add(id)
  }
  if (block.commit && (block.commit.height !== block.header.height || !bytesEqual(block.commit.blockHash, block.hash))) {
    throw new CoreError(CoreErrorCode.BAD_BLOCK, 'commit certificate does not name this block')
  }
}
