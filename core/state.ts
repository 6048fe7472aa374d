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
import { concatBytes } from './hex.ts'
import type { StateWrite } from './state-root.ts'

export interface StateView {
  get(key: Uint8Array): Uint8Array | undefined
}

export const stateKey = {
  nonce: (address: Uint8Array): Uint8Array => concatBytes(Uint8Array.of(0x01), address),
  code: (address: Uint8Array): Uint8Array => concatBytes(Uint8Array.of(0x02), address),
  contractSlot: (address: Uint8Array, slot: Uint8Array): Uint8Array => concatBytes(Uint8Array.of(0x03), address, slot),
  kv: (key: Uint8Array): Uint8Array => concatBytes(Uint8Array.of(0x04), key),
}

const keyId = (k: Uint8Array): string => Buffer.from(k.buffer, k.byteOffset, k.byteLength).toString('latin1')
const idKey = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'))

/** A view over an in-memory map (tests, genesis, the node's state cache). */
export class MapStateView implements StateView {
  private readonly map = new Map<string, Uint8Array>()
  get(key: Uint8Array): Uint8Array | undefined {
    return this.map.get(keyId(key))
  }
  set(key: Uint8Array, value: Uint8Array): void {
    this.map.set(keyId(key), value)
  }
  delete(key: Uint8Array): void {
    this.map.delete(keyId(key))
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
    for (const [id, v] of this.map) yield [idKey(id), v]
  }
}

/**
 * Journaled writes over a base view. `checkpoint()` marks a point, `revert()` undoes every write
 * since the last mark, `commit()` keeps them and drops the mark. Reads see the newest write.
 */
export class StateOverlay implements StateView {
  private readonly writes = new Map<string, Uint8Array | null>()
  /** Per checkpoint: the previous value of each key first written after it (undefined = absent). */
  private readonly journal: Map<string, Uint8Array | null | undefined>[] = []

  constructor(private readonly base: StateView) {}

  get(key: Uint8Array): Uint8Array | undefined {
    const id = keyId(key)
    if (this.writes.has(id)) return this.writes.get(id) ?? undefined
    return this.base.get(key)
  }

  set(key: Uint8Array, value: Uint8Array): void {
    this.record(keyId(key))
    this.writes.set(keyId(key), value)
  }

  delete(key: Uint8Array): void {
    this.record(keyId(key))
    this.writes.set(keyId(key), null)
  }

  private record(id: string): void {
    const top = this.journal[this.journal.length - 1]
    if (top && !top.has(id)) top.set(id, this.writes.has(id) ? this.writes.get(id) : undefined)
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
    return [...this.writes.entries()].map(([id, v]) => [idKey(id), v] as const)
  }
}

export function readNonce(state: StateView, address: Uint8Array): number {
  const raw = state.get(stateKey.nonce(address))
  return raw ? (decode(raw) as number) : 0
}

export function writeNonce(state: StateOverlay, address: Uint8Array, nonce: number): void {
  state.set(stateKey.nonce(address), encodeTrusted(nonce))
}
