/**
 * State access for execution: a read view, and a journaled overlay with checkpoint / commit /
 * revert (ethereumjs `evm/src/journal.ts`). Execution writes only to the overlay; the node turns
 * the overlay's final write set into one atomic LevelDB batch and the next state root.
 *
 * Key layout (first byte is the namespace):
 *   0x01 ‖ address            → account nonce (canonical uint)
 *   0x02 ‖ address            → contract code record (owned by vm/)
 *   0x03 ‖ address ‖ key      → contract storage slot (owned by vm/)
 *   0x04 ‖ key                → built-in key/value (KV_PUT)
 */
import { decode, encodeTrusted } from './encoding.ts'
import { bufferView, concatBytes } from './hex.ts'
import type { StateWrite } from './state-root.ts'

/**
 * A state key as a Map key: its bytes as a latin1 string, one character per byte (so its length
 * is the key's length in bytes). Callers that read or write the same kind of key many times (the
 * VM's storage slots) build ids directly, sparing a bytes → string conversion per access.
 */
export type StateKeyId = string

export const stateKeyId = (key: Uint8Array): StateKeyId => bufferView(key).toString('latin1')
const keyFromId = (id: StateKeyId): Uint8Array => new Uint8Array(Buffer.from(id, 'latin1'))

export interface StateView {
  get(key: Uint8Array): Uint8Array | undefined
  /** `get` by the key's id (`stateKeyId`). */
  getById(id: StateKeyId): Uint8Array | undefined
}

export const stateKey = {
  nonce: (address: Uint8Array): Uint8Array => concatBytes(Uint8Array.of(0x01), address),
  code: (address: Uint8Array): Uint8Array => concatBytes(Uint8Array.of(0x02), address),
  contractSlot: (address: Uint8Array, slot: Uint8Array): Uint8Array => concatBytes(Uint8Array.of(0x03), address, slot),
  kv: (key: Uint8Array): Uint8Array => concatBytes(Uint8Array.of(0x04), key),
}

/** A view over an in-memory map (tests, genesis, the node's state cache). */
export class MapStateView implements StateView {
  private readonly map = new Map<StateKeyId, Uint8Array>()
  get(key: Uint8Array): Uint8Array | undefined {
    return this.map.get(stateKeyId(key))
  }
  getById(id: StateKeyId): Uint8Array | undefined {
    return this.map.get(id)
  }
  set(key: Uint8Array, value: Uint8Array): void {
    this.map.set(stateKeyId(key), value)
  }
  delete(key: Uint8Array): void {
    this.map.delete(stateKeyId(key))
  }
  apply(writes: Iterable<StateWrite>): void {
    for (const [k, v] of writes) {
      if (v === null) this.delete(k)
      else this.set(k, v)
    }
  }
  get size(): number {
    return this.map.size
  }
  *entries(): Generator<[Uint8Array, Uint8Array]> {
    for (const [id, v] of this.map) yield [keyFromId(id), v]
  }
}

/**
 * Journaled writes over a base view. `checkpoint()` marks a point, `revert()` undoes every write
 * since the last mark, `commit()` keeps them and drops the mark. Reads see the newest write.
 */
export class StateOverlay implements StateView {
  /** Written values by key id; null marks a deletion (absent: not written here). */
  private readonly writes = new Map<StateKeyId, Uint8Array | null>()
  /** Per checkpoint: the previous value of each key first written after it (undefined = absent). */
  private readonly journal: Map<StateKeyId, Uint8Array | null | undefined>[] = []

  constructor(private readonly base: StateView) {}

  get(key: Uint8Array): Uint8Array | undefined {
    return this.getById(stateKeyId(key))
  }

  getById(id: StateKeyId): Uint8Array | undefined {
    const written = this.writes.get(id)
    if (written !== undefined) return written ?? undefined
    return this.base.getById(id)
  }

  set(key: Uint8Array, value: Uint8Array): void {
    this.setById(stateKeyId(key), value)
  }

  setById(id: StateKeyId, value: Uint8Array): void {
    this.record(id)
    this.writes.set(id, value)
  }

  delete(key: Uint8Array): void {
    this.deleteById(stateKeyId(key))
  }

  deleteById(id: StateKeyId): void {
    this.record(id)
    this.writes.set(id, null)
  }

  private record(id: StateKeyId): void {
    const top = this.journal[this.journal.length - 1]
    if (top && !top.has(id)) top.set(id, this.writes.get(id))
  }

  checkpoint(): void {
    this.journal.push(new Map())
  }

  commit(): void {
    const top = this.journal.pop()
    if (!top) throw new Error('StateOverlay.commit without checkpoint')
    const parent = this.journal[this.journal.length - 1]
    if (parent) for (const [id, prev] of top) if (!parent.has(id)) parent.set(id, prev)
  }

  revert(): void {
    const top = this.journal.pop()
    if (!top) throw new Error('StateOverlay.revert without checkpoint')
    for (const [id, prev] of top) {
      if (prev === undefined) this.writes.delete(id)
      else this.writes.set(id, prev)
    }
  }

  get depth(): number {
    return this.journal.length
  }

  /** The net writes, for the block's batch and state root. */
  writeSet(): StateWrite[] {
    return [...this.writes.entries()].map(([id, v]) => [keyFromId(id), v] as const)
  }
}

export function readNonce(state: StateView, address: Uint8Array): number {
  const raw = state.get(stateKey.nonce(address))
  return raw ? (decode(raw) as number) : 0
}

export function writeNonce(state: StateOverlay, address: Uint8Array, nonce: number): void {
  state.set(stateKey.nonce(address), encodeTrusted(nonce))
}
