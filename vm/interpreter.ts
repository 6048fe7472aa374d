/**
 * The IR interpreter. `linkContract` turns a validated IR module into a tree of closures once
 * (children before parents, in node-index order, no recursion); `invokeFunction` runs one of its
 * functions on a `Machine` that holds everything a call may touch: gas, a memory budget, the
 * journaled state overlay, the block/caller context and the event list. Nothing else is reachable
 * from contract code: no clock, no randomness, no I/O.
 *
 * Determinism: values are safe integers, strings, booleans, bytes and arrays; every operation
 * checks its operand types and fails with a typed VmError otherwise; integer results outside the
 * safe range fail (INTEGER_OVERFLOW); gas is charged per node evaluated and per byte moved, so the
 * same code, state and input give the same result, events and gas on every node.
 *
 * Bounded: call depth (`maxCallDepth`) and node nesting (`maxNodeDepth`, checked at deploy) bound
 * the host stack; strings, bytes, arrays and cumulative allocation are capped; loops end by gas.
 */
import { decode, encodeTrusted, type CanonicalValue } from '../core/encoding.ts'
import type { ContractEvent } from '../core/execution.ts'
import { sha256 } from '../core/hash.ts'
import { bytesEqual } from '../core/hex.ts'
import { stateKey, stateKeyId, type StateKeyId, type StateOverlay } from '../core/state.ts'
import { VmError, VmErrorCode } from './errors.ts'
import type { GasSchedule, VmLimits } from './gas.ts'
import { BinOp, Builtin, FnFlag, Op, SlotKind, SlotOp, type IrFunction, type IrModule } from './ir.ts'
import { defaultValue, fromCanonical, isWellFormedString, resolveTypes, toCanonical, type VmType } from './values.ts'

const NORMAL = 0
const BREAK = 1
const CONTINUE = 2
const RETURN = 3

interface Frame {
  readonly m: Machine
  readonly l: unknown[]
  r: unknown
}
type Expr = (f: Frame) => unknown
type Stmt = (f: Frame) => number

export interface LinkedFunction {
  readonly index: number
  readonly ir: IrFunction
  readonly paramTypes: readonly VmType[]
  readonly returnType: VmType
  body: Stmt
}

export interface LinkedContract {
  readonly module: IrModule
  readonly types: readonly VmType[]
  readonly functions: readonly LinkedFunction[]
  /** Exported methods by name. */
  readonly methods: ReadonlyMap<string, LinkedFunction>
  readonly init: LinkedFunction | undefined
}

/** The per-call execution context: the only things contract code can reach. */
export interface MachineInit {
  readonly contract: LinkedContract
  readonly state: StateOverlay
  readonly address: Uint8Array
  readonly caller: Uint8Array
  readonly height: number
  readonly time: number
  readonly gas: number
  readonly readOnly: boolean
  readonly schedule: GasSchedule
  readonly limits: VmLimits
}

export class Machine {
  gas: number
  mem = 0
  depth = 0
  readonly events: ContractEvent[] = []
  readonly contract: LinkedContract
  readonly state: StateOverlay
  readonly address: Uint8Array
  readonly addressHex: string
  readonly callerHex: string
  readonly height: number
  readonly time: number
  readonly readOnly: boolean
  readonly g: GasSchedule
  readonly limits: VmLimits
  /** Each slot's key prefix (contract address and slot number), as a state key id. */
  private readonly slotPrefixes: StateKeyId[] = []

  constructor(init: MachineInit) {
    this.contract = init.contract
    this.state = init.state
    this.address = init.address
    this.addressHex = Buffer.from(init.address).toString('hex')
    this.callerHex = Buffer.from(init.caller).toString('hex')
    this.height = init.height
    this.time = init.time
    this.gas = init.gas
    this.readOnly = init.readOnly
    this.g = init.schedule
    this.limits = init.limits
  }

  charge(n: number): void {
    if ((this.gas -= n) < 0) outOfGas()
  }

  alloc(n: number): void {
    if ((this.mem += n) > this.limits.maxMemory) throw new VmError(VmErrorCode.MEMORY_LIMIT, `a call may allocate at most ${this.limits.maxMemory} units`)
  }

  /**
   * The state key id of a slot, or of an entry under it (`suffix`: the entry's canonical key or
   * index). Ids, not bytes: storage is read and written by id, so a key is never built as bytes
   * and then converted on each access (`npm run bench:vm`, four interleaved pairs: 24,187–28,833
   * setXrayhash calls/s against 17,062–24,894 when it was).
   */
  slotKey(slot: number, suffix?: Uint8Array): StateKeyId {
    let p = this.slotPrefixes[slot]
    if (p === undefined) {
      p = stateKeyId(stateKey.contractSlot(this.address, Uint8Array.of(slot >> 8, slot & 0xff)))
      this.slotPrefixes[slot] = p
    }
    return suffix === undefined ? p : p + stateKeyId(suffix)
  }

  /** Reads a stored value; gas per byte of key and value. */
  read(key: StateKeyId, t: VmType): unknown {
    const raw = this.state.getById(key)
    this.charge(this.g.storageRead + this.g.storageReadPerByte * (key.length + (raw?.length ?? 0)))
    if (raw === undefined) return defaultValue(t)
    this.alloc(raw.length)
    let v: CanonicalValue
    try {
      v = decode(raw, this.limits.maxValueBytes + 16)
    } catch {
      throw new VmError(VmErrorCode.CORRUPT_STORAGE, 'a stored value does not decode')
    }
    return fromCanonical(t, v, this.limits, 'stored value')
  }

  has(key: StateKeyId): boolean {
    const raw = this.state.getById(key)
    this.charge(this.g.storageRead + this.g.storageReadPerByte * (key.length + (raw?.length ?? 0)))
    return raw !== undefined
  }

  /** Writes (or deletes, for `undefined`) a stored value; gas per byte of key and value. */
  write(key: StateKeyId, t: VmType | null, v: unknown): void {
    if (this.readOnly) throw new VmError(VmErrorCode.READ_ONLY_VIOLATION, 'a read-only method cannot write storage')
    if (t === null) {
      this.charge(this.g.storageWrite + this.g.storageWritePerByte * key.length)
      this.state.deleteById(key)
      return
    }
    const bytes = encodeTrusted(toCanonical(t, v, this.limits, 'storage value'))
    if (bytes.length > this.limits.maxValueBytes) throw new VmError(VmErrorCode.VALUE_TOO_LARGE, `a stored value may be at most ${this.limits.maxValueBytes} bytes`)
    this.charge(this.g.storageWrite + this.g.storageWritePerByte * (key.length + bytes.length))
    this.state.setById(key, bytes)
  }
}

function outOfGas(): never {
  throw new VmError(VmErrorCode.OUT_OF_GAS, 'out of gas')
}
function typeFault(what: string): never {
  throw new VmError(VmErrorCode.TYPE_MISMATCH, what)
}
function int(v: unknown, what: string): number {
  if (typeof v !== 'number') typeFault(`${what} needs an integer`)
  return v
}
function str(v: unknown, what: string): string {
  if (typeof v !== 'string') typeFault(`${what} needs a string`)
  return v
}
function bool(v: unknown, what: string): boolean {
  if (typeof v !== 'boolean') typeFault(`${what} needs a boolean`)
  return v
}
function bytes(v: unknown, what: string): Uint8Array {
  if (!(v instanceof Uint8Array)) typeFault(`${what} needs bytes`)
  return v
}
function checked(r: number): number {
  if (!Number.isSafeInteger(r)) throw new VmError(VmErrorCode.INTEGER_OVERFLOW, 'integer result outside the safe range (±2^53-1)')
  return r === 0 ? 0 : r // never -0: it has no canonical encoding
}
function words(n: number): number {
  return (n + 7) >> 3
}
function strResult(m: Machine, s: string): string {
  if (s.length > m.limits.maxStringLength) throw new VmError(VmErrorCode.VALUE_TOO_LARGE, `strings are limited to ${m.limits.maxStringLength} characters`)
  m.alloc(s.length)
  m.charge(m.g.perWord * words(s.length))
  return s
}
function bytesResult(m: Machine, b: Uint8Array): Uint8Array {
  if (b.length > m.limits.maxBytesLength) throw new VmError(VmErrorCode.VALUE_TOO_LARGE, `bytes are limited to ${m.limits.maxBytesLength}`)
  m.alloc(b.length)
  m.charge(m.g.perWord * words(b.length))
  return b
}
function index(v: unknown, length: number): number {
  if (typeof v !== 'number') typeFault('an index needs an integer')
  if (!Number.isInteger(v) || v < 0 || v >= length) throw new VmError(VmErrorCode.INDEX_OUT_OF_RANGE, `index ${v} out of range 0..${length - 1}`)
  return v
}

const HEX_RE = /^[0-9a-fA-F]*$/
const UPPER_RE = /[A-Z]+/g

function binary(op: number, a: Expr, b: Expr): Expr {
  switch (op) {
    case BinOp.ADD: return (f) => { f.m.charge(1); return checked(int(a(f), '+') + int(b(f), '+')) }
    case BinOp.SUB: return (f) => { f.m.charge(1); return checked(int(a(f), '-') - int(b(f), '-')) }
    case BinOp.MUL: return (f) => { f.m.charge(1); return checked(int(a(f), '*') * int(b(f), '*')) }
    case BinOp.DIV: return (f) => {
      f.m.charge(1)
      const x = int(a(f), '/'), y = int(b(f), '/')
      if (y === 0) throw new VmError(VmErrorCode.DIVISION_BY_ZERO, 'division by zero')
      // Truncating integer division, exact for safe integers: (x - x % y) is a multiple of y.
      return checked((x - (x % y)) / y)
    }
    case BinOp.MOD: return (f) => {
      f.m.charge(1)
      const x = int(a(f), '%'), y = int(b(f), '%')
      if (y === 0) throw new VmError(VmErrorCode.DIVISION_BY_ZERO, 'division by zero')
      return checked(x % y)
    }
    case BinOp.LT: return (f) => { f.m.charge(1); return int(a(f), '<') < int(b(f), '<') }
    case BinOp.LE: return (f) => { f.m.charge(1); return int(a(f), '<=') <= int(b(f), '<=') }
    case BinOp.GT: return (f) => { f.m.charge(1); return int(a(f), '>') > int(b(f), '>') }
    case BinOp.GE: return (f) => { f.m.charge(1); return int(a(f), '>=') >= int(b(f), '>=') }
    case BinOp.EQ: case BinOp.NE: {
      const ne = op === BinOp.NE
      return (f) => {
        f.m.charge(1)
        const x = a(f), y = b(f)
        const tx = typeof x
        if ((tx !== 'number' && tx !== 'string' && tx !== 'boolean') || typeof y !== tx) typeFault('=== compares two integers, strings, booleans or addresses of the same type')
        if (tx === 'string') f.m.charge(f.m.g.perWord * words(Math.min((x as string).length, (y as string).length)))
        return (x === y) !== ne
      }
    }
    case BinOp.CONCAT: return (f) => { f.m.charge(1); const x = str(a(f), '+'), y = str(b(f), '+'); return strResult(f.m, x + y) }
    default: throw new VmError(VmErrorCode.BAD_CODE, `unknown binary operator ${op}`)
  }
}

function builtin(id: number, args: Expr[]): Expr {
  const [a, b, c] = args as [Expr, Expr, Expr]
  switch (id) {
    case Builtin.caller: return (f) => { f.m.charge(f.m.g.builtin); return f.m.callerHex }
    case Builtin.blockHeight: return (f) => { f.m.charge(f.m.g.builtin); return f.m.height }
    case Builtin.blockTime: return (f) => { f.m.charge(f.m.g.builtin); return f.m.time }
    case Builtin.contractAddress: return (f) => { f.m.charge(f.m.g.builtin); return f.m.addressHex }
    case Builtin.substring: return (f) => {
      f.m.charge(f.m.g.builtin)
      const s = str(a(f), 'substring'), start = int(b(f), 'substring'), end = int(c(f), 'substring')
      if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end < start || end > s.length) throw new VmError(VmErrorCode.INDEX_OUT_OF_RANGE, `substring(${start}, ${end}) outside 0..${s.length}`)
      const out = s.slice(start, end)
      if (!isWellFormedString(out)) throw new VmError(VmErrorCode.BAD_STRING, 'substring would split a surrogate pair')
      return strResult(f.m, out)
    }
    case Builtin.isHexString: return (f) => {
      f.m.charge(f.m.g.builtin)
      const s = str(a(f), 'isHexString'), n = int(b(f), 'isHexString')
      f.m.charge(f.m.g.perWord * words(s.length))
      return s.length === n && HEX_RE.test(s)
    }
    case Builtin.toLowerCase: return (f) => {
      f.m.charge(f.m.g.builtin)
      // ASCII only: Unicode case tables differ between engine versions, ASCII never does.
      return strResult(f.m, str(a(f), 'toLowerCase').replace(UPPER_RE, (x) => x.toLowerCase()))
    }
    case Builtin.intToString: return (f) => { f.m.charge(f.m.g.builtin); return strResult(f.m, String(checked(int(a(f), 'intToString')))) }
    case Builtin.bytesToHex: return (f) => {
      f.m.charge(f.m.g.builtin)
      const x = bytes(a(f), 'bytesToHex')
      if (x.length * 2 > f.m.limits.maxStringLength) throw new VmError(VmErrorCode.VALUE_TOO_LARGE, 'hex string too long')
      return strResult(f.m, Buffer.from(x.buffer, x.byteOffset, x.byteLength).toString('hex'))
    }
    case Builtin.hexToBytes: return (f) => {
      f.m.charge(f.m.g.builtin)
      const s = str(a(f), 'hexToBytes')
      f.m.charge(f.m.g.perWord * words(s.length))
      if (s.length % 2 !== 0 || !HEX_RE.test(s)) throw new VmError(VmErrorCode.BAD_STRING, 'hexToBytes needs an even number of hex digits')
      return bytesResult(f.m, new Uint8Array(Buffer.from(s, 'hex')))
    }
    case Builtin.utf8Bytes: return (f) => {
      f.m.charge(f.m.g.builtin)
      const s = str(a(f), 'utf8Bytes')
      if (s.length > f.m.limits.maxBytesLength) throw new VmError(VmErrorCode.VALUE_TOO_LARGE, 'string too long for bytes')
      return bytesResult(f.m, new Uint8Array(Buffer.from(s, 'utf8')))
    }
    case Builtin.sha256: return (f) => {
      const x = bytes(a(f), 'sha256')
      f.m.charge(f.m.g.sha256 + f.m.g.perWord * words(x.length))
      return sha256(x)
    }
    case Builtin.bytesEqual: return (f) => {
      const x = bytes(a(f), 'bytesEqual'), y = bytes(b(f), 'bytesEqual')
      f.m.charge(f.m.g.builtin + f.m.g.perWord * words(Math.min(x.length, y.length)))
      return bytesEqual(x, y)
    }
    case Builtin.addressToString: return (f) => {
      f.m.charge(f.m.g.builtin)
      const x = str(a(f), 'addressToString')
      if (!/^[0-9a-f]{40}$/.test(x)) typeFault('addressToString needs an address')
      return strResult(f.m, 'mc' + x)
    }
    case Builtin.startsWith: return (f) => {
      const s = str(a(f), 'startsWith'), p = str(b(f), 'startsWith')
      f.m.charge(f.m.g.builtin + f.m.g.perWord * words(p.length))
      return s.startsWith(p)
    }
    default: throw new VmError(VmErrorCode.BAD_CODE, `unknown builtin ${id}`)
  }
}

function storageOp(slotIndex: number, op: number, args: Expr[], module: IrModule, types: readonly VmType[]): Expr {
  const slot = module.slots[slotIndex]!
  const vt = types[slot.valueType]!
  const kt = slot.kind === SlotKind.MAPPING || slot.kind === SlotKind.MULTIMAP ? types[slot.keyType]! : vt
  const [a, b] = args as [Expr, Expr]
  const keyOf = (m: Machine, k: unknown): StateKeyId => m.slotKey(slotIndex, encodeTrusted(toCanonical(kt, k, m.limits, `${slot.name} key`)))
  const intType: VmType = { tag: 0 }
  const lengthOf = (m: Machine, key: StateKeyId): number => m.read(key, intType) as number
  switch (op) {
    case SlotOp.VALUE_GET: return (f) => f.m.read(f.m.slotKey(slotIndex), vt)
    case SlotOp.VALUE_SET: return (f) => { f.m.write(f.m.slotKey(slotIndex), vt, a(f)); return undefined }
    case SlotOp.MAP_GET: return (f) => f.m.read(keyOf(f.m, a(f)), vt)
    case SlotOp.MAP_SET: return (f) => { const k = keyOf(f.m, a(f)); f.m.write(k, vt, b(f)); return undefined }
    case SlotOp.MAP_HAS: return (f) => f.m.has(keyOf(f.m, a(f)))
    case SlotOp.MAP_REMOVE: return (f) => { f.m.write(keyOf(f.m, a(f)), null, undefined); return undefined }
    case SlotOp.LIST_LENGTH: return (f) => lengthOf(f.m, f.m.slotKey(slotIndex))
    case SlotOp.LIST_GET: return (f) => {
      const i = a(f)
      const n = lengthOf(f.m, f.m.slotKey(slotIndex))
      return f.m.read(f.m.slotKey(slotIndex, encodeTrusted(index(i, n))), vt)
    }
    case SlotOp.LIST_PUSH: return (f) => {
      const v = a(f)
      const lenKey = f.m.slotKey(slotIndex)
      const n = lengthOf(f.m, lenKey)
      f.m.write(f.m.slotKey(slotIndex, encodeTrusted(n)), vt, v)
      f.m.write(lenKey, intType, checked(n + 1))
      return n
    }
    case SlotOp.MULTI_COUNT: return (f) => lengthOf(f.m, keyOf(f.m, a(f)))
    case SlotOp.MULTI_GET: return (f) => {
      const k = keyOf(f.m, a(f))
      const i = b(f)
      const n = lengthOf(f.m, k)
      return f.m.read(k + stateKeyId(encodeTrusted(index(i, n))), vt)
    }
    case SlotOp.MULTI_PUSH: return (f) => {
      const k = keyOf(f.m, a(f))
      const v = b(f)
      const n = lengthOf(f.m, k)
      f.m.write(k + stateKeyId(encodeTrusted(n)), vt, v)
      f.m.write(k, intType, checked(n + 1))
      return n
    }
    default: throw new VmError(VmErrorCode.BAD_CODE, `unknown storage operation ${op}`)
  }
}

/** Links a validated IR module into closures. Runs once per code hash (the executor caches it). */
export function linkContract(module: IrModule): LinkedContract {
  const types = resolveTypes(module)
  const functions: LinkedFunction[] = module.functions.map((ir, index) => ({
    index, ir, paramTypes: ir.paramTypes.map((t) => types[t]!), returnType: types[ir.returnType]!,
    body: () => NORMAL,
  }))
  const c: Array<Expr | Stmt> = new Array(module.nodes.length)
  const E = (v: CanonicalValue | undefined): Expr => c[v as number] as Expr
  const S = (v: CanonicalValue | undefined): Stmt => c[v as number] as Stmt
  const Es = (v: CanonicalValue | undefined): Expr[] => (v as number[]).map((i) => c[i] as Expr)

  for (let i = 0; i < module.nodes.length; i++) {
    const n = module.nodes[i]!
    switch (n[0]) {
      case Op.INT: case Op.STR: case Op.BOOL: case Op.BYTES: {
        const v = n[1]
        c[i] = (f: Frame) => { f.m.charge(1); return v }
        break
      }
      case Op.LOCAL: { const k = n[1] as number; c[i] = (f: Frame) => { f.m.charge(1); return f.l[k] }; break }
      case Op.BIN: c[i] = binary(n[1] as number, E(n[2]), E(n[3])); break
      case Op.AND: { const a = E(n[1]), b = E(n[2]); c[i] = (f: Frame) => { f.m.charge(1); return bool(a(f), '&&') && bool(b(f), '&&') }; break }
      case Op.OR: { const a = E(n[1]), b = E(n[2]); c[i] = (f: Frame) => { f.m.charge(1); return bool(a(f), '||') || bool(b(f), '||') }; break }
      case Op.NOT: { const a = E(n[1]); c[i] = (f: Frame) => { f.m.charge(1); return !bool(a(f), '!') }; break }
      case Op.NEG: { const a = E(n[1]); c[i] = (f: Frame) => { f.m.charge(1); return checked(0 - int(a(f), 'unary -')) }; break }
      case Op.COND: { const k = E(n[1]), a = E(n[2]), b = E(n[3]); c[i] = (f: Frame) => { f.m.charge(1); return bool(k(f), '?:') ? a(f) : b(f) }; break }
      case Op.CALL: {
        const callee = functions[n[1] as number]!
        const args = Es(n[2])
        const nLocals = callee.ir.nLocals
        c[i] = (f: Frame) => {
          const m = f.m
          m.charge(m.g.call)
          if (m.depth >= m.limits.maxCallDepth) throw new VmError(VmErrorCode.CALL_DEPTH_EXCEEDED, `call depth above ${m.limits.maxCallDepth}`)
          const locals = new Array<unknown>(nLocals)
          for (let j = 0; j < args.length; j++) locals[j] = args[j]!(f)
          m.alloc(nLocals)
          const frame: Frame = { m, l: locals, r: undefined }
          m.depth++
          callee.body(frame)
          m.depth--
          return frame.r
        }
        break
      }
      case Op.BUILTIN: c[i] = builtin(n[1] as number, Es(n[2])); break
      case Op.SLOT: c[i] = storageOp(n[1] as number, n[2] as number, Es(n[3]), module, types); break
      case Op.STRUCT: case Op.ARRAY: {
        const items = Es(n[0] === Op.STRUCT ? n[2] : n[1])
        c[i] = (f: Frame) => {
          f.m.charge(1 + f.m.g.perElement * items.length)
          f.m.alloc(items.length)
          const out = new Array<unknown>(items.length)
          for (let j = 0; j < items.length; j++) out[j] = items[j]!(f)
          return out
        }
        break
      }
      case Op.FIELD: {
        const x = E(n[1]), k = n[2] as number
        c[i] = (f: Frame) => {
          f.m.charge(1)
          const v = x(f)
          if (!Array.isArray(v) || k >= v.length) typeFault('field access needs a struct')
          return v[k]
        }
        break
      }
      case Op.INDEX: {
        const x = E(n[1]), k = E(n[2])
        c[i] = (f: Frame) => {
          f.m.charge(1)
          const v = x(f), j = k(f)
          if (Array.isArray(v)) return v[index(j, v.length)]
          if (v instanceof Uint8Array) return v[index(j, v.length)]
          return typeFault('[] needs an array or bytes')
        }
        break
      }
      case Op.LEN: {
        const x = E(n[1])
        c[i] = (f: Frame) => {
          f.m.charge(1)
          const v = x(f)
          if (typeof v === 'string' || Array.isArray(v) || v instanceof Uint8Array) return v.length
          return typeFault('.length needs a string, bytes or an array')
        }
        break
      }
      case Op.PUSH: {
        const x = E(n[1]), y = E(n[2])
        c[i] = (f: Frame) => {
          f.m.charge(1 + f.m.g.perElement)
          const v = x(f)
          if (!Array.isArray(v)) typeFault('push needs an array')
          const item = y(f)
          if (v.length >= f.m.limits.maxArrayLength) throw new VmError(VmErrorCode.VALUE_TOO_LARGE, `arrays are limited to ${f.m.limits.maxArrayLength} items`)
          f.m.alloc(1)
          return v.push(item)
        }
        break
      }
      case Op.BLOCK: {
        const body = (n[1] as number[]).map((j) => c[j] as Stmt)
        c[i] = (f: Frame) => {
          f.m.charge(1)
          for (let j = 0; j < body.length; j++) {
            const s = body[j]!(f)
            if (s !== NORMAL) return s
          }
          return NORMAL
        }
        break
      }
      case Op.LET: { const k = n[1] as number, x = E(n[2]); c[i] = (f: Frame) => { f.m.charge(1); f.l[k] = x(f); return NORMAL }; break }
      case Op.IF: {
        const k = E(n[1]), t = S(n[2]), e = n[3] === -1 ? null : S(n[3])
        c[i] = (f: Frame) => {
          f.m.charge(1)
          if (bool(k(f), 'if')) return t(f)
          return e ? e(f) : NORMAL
        }
        break
      }
      case Op.LOOP: {
        const k = E(n[1]), u = n[2] === -1 ? null : S(n[2]), body = S(n[3])
        c[i] = (f: Frame) => {
          for (;;) {
            f.m.charge(1)
            if (!bool(k(f), 'loop condition')) return NORMAL
            const s = body(f)
            if (s === BREAK) return NORMAL
            if (s === RETURN) return RETURN
            if (u) u(f)
          }
        }
        break
      }
      case Op.BREAK: c[i] = (f: Frame) => { f.m.charge(1); return BREAK }; break
      case Op.CONTINUE: c[i] = (f: Frame) => { f.m.charge(1); return CONTINUE }; break
      case Op.RETURN: {
        const x = n[1] === -1 ? null : E(n[1])
        c[i] = (f: Frame) => { f.m.charge(1); f.r = x ? x(f) : undefined; return RETURN }
        break
      }
      case Op.EXPR: { const x = E(n[1]); c[i] = (f: Frame) => { f.m.charge(1); x(f); return NORMAL }; break }
      case Op.REQUIRE: {
        const k = E(n[1]), msg = E(n[2])
        c[i] = (f: Frame) => {
          f.m.charge(1)
          if (bool(k(f), 'require')) return NORMAL
          const text = str(msg(f), 'require message')
          throw new VmError(VmErrorCode.REQUIRE_FAILED, text.slice(0, f.m.limits.maxErrorMessage))
        }
        break
      }
      case Op.EMIT: {
        const ev = module.events[n[1] as number]!
        const t = types[ev.type]!
        const x = E(n[2])
        c[i] = (f: Frame) => {
          const m = f.m
          m.charge(1)
          if (m.readOnly) throw new VmError(VmErrorCode.READ_ONLY_VIOLATION, 'a read-only method cannot emit events')
          const data = toCanonical(t, x(f), m.limits, `event ${ev.name}`) as CanonicalValue[]
          const size = encodeTrusted(data).length
          m.charge(m.g.emit + m.g.emitPerByte * (size + ev.name.length))
          if (m.events.length >= m.limits.maxEvents) throw new VmError(VmErrorCode.TOO_MANY_EVENTS, `a call may emit at most ${m.limits.maxEvents} events`)
          m.events.push({ contract: m.address, name: ev.name, data })
          return NORMAL
        }
        break
      }
      case Op.ISET: {
        const x = E(n[1]), k = E(n[2]), y = E(n[3])
        c[i] = (f: Frame) => {
          f.m.charge(1)
          const v = x(f)
          if (!Array.isArray(v)) typeFault('[]= needs an array')
          const j = index(k(f), v.length)
          v[j] = y(f)
          return NORMAL
        }
        break
      }
      default: throw new VmError(VmErrorCode.BAD_CODE, `unknown opcode ${String(n[0])}`)
    }
  }
  for (const fn of functions) fn.body = c[fn.ir.body] as Stmt
  const methods = new Map<string, LinkedFunction>()
  for (const fn of functions) if (fn.ir.flags & FnFlag.EXPORTED) methods.set(fn.ir.name, fn)
  return { module, types, functions, methods, init: functions.find((fn) => fn.ir.flags & FnFlag.CONSTRUCTOR) }
}

/**
 * Runs `fn` with already-converted arguments on `m`. Returns the function's return value (an
 * internal value); throws VmError on any contract failure.
 */
export function invokeFunction(m: Machine, fn: LinkedFunction, args: readonly unknown[]): unknown {
  const locals = new Array<unknown>(fn.ir.nLocals)
  for (let j = 0; j < args.length; j++) locals[j] = args[j]
  const frame: Frame = { m, l: locals, r: undefined }
  m.depth = 1
  fn.body(frame)
  return frame.r
}
