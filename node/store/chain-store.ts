/**
 * ChainStore: blocks, tx index, receipts, state and the chain head in one LevelDB.
 *
 * Key layout (first byte = table):
 *   'M' head            → encode([height, blockHash, stateRoot])
 *   'G' genesis         → genesis hash (refuses a data dir made for another chain)
 *   'B' height(u64 BE)  → encoded block (with its commit certificate)
 *   'H' blockHash       → height (u64 BE)
 *   'T' txId            → encode([height, index])
 *   'R' txId            → encoded receipt
 *   'S' state key       → state value (core/state.ts key layout)
 *
 * Every block is written with `commitBlock` in ONE atomic batch (block, indexes, receipts, state
 * writes, head), so a crash leaves the store at the last whole block. The whole state is also
 * held in memory (`state`) so execution reads synchronously; it is loaded at open.
 */
import { Level } from 'level'
import {
  ZERO_HASH, concatBytes, decode, decodeBlock, decodeBlockTx, decodeReceipt, encodeBlock, encodeReceipt, encodeTrusted,
  GENESIS_STATE_ROOT_SEED, MapStateView, bytesEqual, toHex,
  type Block, type Receipt, type SignedTx, type StateWrite,
} from '../../core/index.ts'
import { NodeError, NodeErrorCode } from '../errors.ts'

const T = {
  head: Uint8Array.of(0x4d),
  genesis: Uint8Array.of(0x47),
  block: 0x42,
  hash: 0x48,
  tx: 0x54,
  receipt: 0x52,
  state: 0x53,
}

function u64(n: number): Uint8Array {
  const b = new Uint8Array(8)
  new DataView(b.buffer).setBigUint64(0, BigInt(n))
  return b
}
function readU64(b: Uint8Array): number {
  return Number(new DataView(b.buffer, b.byteOffset, b.byteLength).getBigUint64(0))
}
const key = (table: number, ...parts: Uint8Array[]): Uint8Array => concatBytes(Uint8Array.of(table), ...parts)

export interface ChainHead {
  readonly height: number
  readonly hash: Uint8Array
  readonly stateRoot: Uint8Array
}

export interface TxLocation {
  readonly height: number
  readonly index: number
}

/** What the store needs written for one block; produced by execution. */
export interface BlockWrite {
  readonly block: Block
  readonly receipts: readonly Receipt[]
  readonly stateWrites: readonly StateWrite[]
}

export class ChainStore {
  private head: ChainHead = { height: 0, hash: ZERO_HASH, stateRoot: GENESIS_STATE_ROOT_SEED }
  /** In-memory copy of the state, kept in step with the store by `commitBlock`. */
  readonly state = new MapStateView()

  private constructor(private readonly db: Level<Uint8Array, Uint8Array>, readonly dataDir: string) {}

  /**
   * Opens (or creates) the store in `dataDir`, checks it belongs to `genesisHash`, loads state.
   * @throws NodeError DATA_DIR_LOCKED when another process holds the directory,
   *   GENESIS_MISMATCH when it was made for another chain, STORE_CORRUPT when unreadable.
   */
  static async open(dataDir: string, genesisHash: Uint8Array): Promise<ChainStore> {
    const db = new Level<Uint8Array, Uint8Array>(dataDir, { keyEncoding: 'view', valueEncoding: 'view' })
    try {
      await db.open()
    } catch (e) {
      const cause = (e as { cause?: { code?: string } }).cause
      if (cause?.code === 'LEVEL_LOCKED') {
        throw new NodeError(NodeErrorCode.DATA_DIR_LOCKED, `data directory ${dataDir} is in use by another medchain process (LevelDB lock held); stop that node first or use another --data-dir`, { cause: e })
      }
      throw new NodeError(NodeErrorCode.STORE_CORRUPT, `cannot open data directory ${dataDir}: ${(e as Error).message}`, { cause: e })
    }
    const store = new ChainStore(db, dataDir)
    try {
      await store.load(genesisHash)
    } catch (e) {
      await db.close()
      throw e
    }
    return store
  }

  private async load(genesisHash: Uint8Array): Promise<void> {
    const storedGenesis = await this.db.get(T.genesis)
    if (storedGenesis === undefined) {
      await this.db.put(T.genesis, genesisHash)
    } else if (!bytesEqual(storedGenesis, genesisHash)) {
      throw new NodeError(NodeErrorCode.GENESIS_MISMATCH, `data directory ${this.dataDir} belongs to genesis ${toHex(storedGenesis)}, not ${toHex(genesisHash)}`)
    }
    const head = await this.db.get(T.head)
    if (head !== undefined) {
      try {
        const [height, hash, stateRoot] = decode(head) as [number, Uint8Array, Uint8Array]
        this.head = { height, hash: new Uint8Array(hash), stateRoot: new Uint8Array(stateRoot) }
      } catch (e) {
        throw new NodeError(NodeErrorCode.STORE_CORRUPT, `head record unreadable: ${(e as Error).message}`, { cause: e })
      }
    }
    for await (const [k, v] of this.db.iterator({ gte: Uint8Array.of(T.state), lt: Uint8Array.of(T.state + 1) })) {
      this.state.set(k.subarray(1), new Uint8Array(v))
    }
  }

  getHead(): ChainHead {
    return this.head
  }

  /** Writes a block with everything it changed in one atomic batch, then advances the head. */
  async commitBlock(w: BlockWrite): Promise<void> {
    const { block } = w
    const h = block.header.height
    if (h !== this.head.height + 1) throw new NodeError(NodeErrorCode.INVALID_BLOCK, `cannot commit height ${h} on head ${this.head.height}`)
    if (!block.commit) throw new NodeError(NodeErrorCode.INVALID_BLOCK, `block ${h} has no commit certificate`)
    const batch = this.db.batch()
    batch.put(key(T.block, u64(h)), encodeBlock(block))
    batch.put(key(T.hash, block.hash), u64(h))
    block.txs.forEach((tx, i) => {
      batch.put(key(T.tx, tx.id), encodeTrusted([h, i]))
      const receipt = w.receipts[i]
      if (receipt) batch.put(key(T.receipt, tx.id), encodeReceipt(receipt))
    })
    for (const [k, v] of w.stateWrites) {
      if (v === null) batch.del(key(T.state, k))
      else batch.put(key(T.state, k), v)
    }
    const head: ChainHead = { height: h, hash: block.hash, stateRoot: block.header.stateRoot }
    batch.put(T.head, encodeTrusted([head.height, head.hash, head.stateRoot]))
    await batch.write()
    this.state.apply(w.stateWrites)
    this.head = head
  }

  async getBlock(height: number): Promise<Block | undefined> {
    if (!Number.isSafeInteger(height) || height < 1 || height > this.head.height) return undefined
    const bytes = await this.db.get(key(T.block, u64(height)))
    return bytes === undefined ? undefined : decodeBlock(bytes)
  }

  /** One final tx and its block's hash, without decoding the block's other txs. */
  async getBlockTx(location: TxLocation): Promise<{ readonly tx: SignedTx; readonly blockHash: Uint8Array } | undefined> {
    const bytes = await this.getBlockBytes(location.height)
    if (bytes === undefined) return undefined
    const { tx, hash } = decodeBlockTx(bytes, location.index)
    return { tx, blockHash: hash }
  }

  async getBlockBytes(height: number): Promise<Uint8Array | undefined> {
    if (!Number.isSafeInteger(height) || height < 1 || height > this.head.height) return undefined
    return this.db.get(key(T.block, u64(height)))
  }

  async getHeightByHash(hash: Uint8Array): Promise<number | undefined> {
    const v = await this.db.get(key(T.hash, hash))
    return v === undefined ? undefined : readU64(v)
  }

  async getTxLocation(id: Uint8Array): Promise<TxLocation | undefined> {
    const v = await this.db.get(key(T.tx, id))
    if (v === undefined) return undefined
    const [height, index] = decode(v) as [number, number]
    return { height, index }
  }

  async getReceipt(id: Uint8Array): Promise<Receipt | undefined> {
    const v = await this.db.get(key(T.receipt, id))
    return v === undefined ? undefined : decodeReceipt(v)
  }

  async close(): Promise<void> {
    await this.db.close()
  }
}
