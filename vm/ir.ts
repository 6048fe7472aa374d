/**
 * The contract IR: a flat, canonical encoding of a contract's typed AST.
 *
 *   ir = encode([MAGIC, VERSION, types, slots, events, functions, nodes])
 *
 * Nodes live in one pool and refer to their children by index; a child's index is always lower
 * than its parent's, so the graph is acyclic by construction, the encoding stays shallow (core's
 * canonical decoder caps nesting at 32) and the VM links it in one pass in index order without
 * recursion. `decodeIr` trusts nothing: every node, index, arity, limit and nesting depth is
 * checked before a deploy is accepted, so hand-crafted IR is refused here or fails safely at run
 * time (every operation also checks its operand types).
 *
 * Node shapes (children are node indices, `-1` = none):
 *   expressions                             statements
 *   [INT, n] [STR, s] [BOOL, b] [BYTES, b]   [BLOCK, [stmt…]]
 *   [LOCAL, i]                               [LET, local, expr]
 *   [BIN, binop, a, b]                       [IF, cond, then, else|-1]
 *   [AND, a, b] [OR, a, b] [NOT, a] [NEG, a] [LOOP, cond, update(stmt)|-1, body]
 *   [COND, c, a, b]                          [BREAK] [CONTINUE] [RETURN, expr|-1]
 *   [CALL, fn, [arg…]]                       [EXPR, expr]
 *   [BUILTIN, id, [arg…]]                    [REQUIRE, cond, message]
 *   [SLOT, slot, slotop, [arg…]]             [EMIT, event, struct]
 *   [STRUCT, type, [field…]] [FIELD, x, i]   [ISET, array, index, value]
 *   [ARRAY, [elem…]] [INDEX, x, i] [LEN, x] [PUSH, array, value]
 */
import { decode, encodeTrusted, type CanonicalValue } from '../core/encoding.ts'
import { isCoreError } from '../core/errors.ts'
import { domainTag, sha256 } from '../core/hash.ts'
import { VmError, VmErrorCode } from './errors.ts'
import { DEFAULT_LIMITS, type VmLimits } from './gas.ts'

export const IR_MAGIC = 'medchain-ir'
export const IR_VERSION = 1

export const TypeTag = { INT: 0, BOOL: 1, STRING: 2, BYTES: 3, ADDRESS: 4, ENUM: 5, STRUCT: 6, ARRAY: 7, VOID: 8 } as const
export type TypeTag = (typeof TypeTag)[keyof typeof TypeTag]

export type IrType =
  | { readonly tag: typeof TypeTag.INT | typeof TypeTag.BOOL | typeof TypeTag.STRING | typeof TypeTag.BYTES | typeof TypeTag.ADDRESS | typeof TypeTag.VOID }
  | { readonly tag: typeof TypeTag.ENUM; readonly name: string; readonly members: readonly string[]; readonly values: readonly number[] }
  | { readonly tag: typeof TypeTag.STRUCT; readonly name: string; readonly fields: readonly string[]; readonly types: readonly number[] }
  | { readonly tag: typeof TypeTag.ARRAY; readonly elem: number }

export const SlotKind = { VALUE: 0, MAPPING: 1, LIST: 2, MULTIMAP: 3 } as const
export type SlotKind = (typeof SlotKind)[keyof typeof SlotKind]

export interface IrSlot {
  readonly kind: SlotKind
  readonly name: string
  /** Key type index (mappings and multimaps), -1 otherwise. */
  readonly keyType: number
  readonly valueType: number
}

export interface IrEvent {
  readonly name: string
  /** A struct type: the event's fields. */
  readonly type: number
}

export const FnFlag = { EXPORTED: 1, READ_ONLY: 2, CONSTRUCTOR: 4 } as const

export interface IrFunction {
  readonly name: string
  readonly paramNames: readonly string[]
  readonly paramTypes: readonly number[]
  readonly returnType: number
  readonly nLocals: number
  readonly body: number
  readonly flags: number
}

export type IrNode = readonly CanonicalValue[]

export interface IrModule {
  readonly types: readonly IrType[]
  readonly slots: readonly IrSlot[]
  readonly events: readonly IrEvent[]
  readonly functions: readonly IrFunction[]
  readonly nodes: readonly IrNode[]
}

export const Op = {
  INT: 1, STR: 2, BOOL: 3, BYTES: 4, LOCAL: 5, BIN: 6, AND: 7, OR: 8, NOT: 9, NEG: 10, COND: 11,
  CALL: 12, BUILTIN: 13, SLOT: 14, STRUCT: 15, FIELD: 16, ARRAY: 17, INDEX: 18, LEN: 19, PUSH: 20,
  BLOCK: 30, LET: 31, IF: 32, LOOP: 33, BREAK: 34, CONTINUE: 35, RETURN: 36, EXPR: 37, REQUIRE: 38, EMIT: 39, ISET: 40,
} as const

export const BinOp = { ADD: 0, SUB: 1, MUL: 2, DIV: 3, MOD: 4, LT: 5, LE: 6, GT: 7, GE: 8, EQ: 9, NE: 10, CONCAT: 11 } as const
export const BIN_OP_COUNT = 12

/** Storage operations; the slot kind each applies to and its argument count. */
export const SlotOp = {
  VALUE_GET: 0, VALUE_SET: 1,
  MAP_GET: 2, MAP_SET: 3, MAP_HAS: 4, MAP_REMOVE: 5,
  LIST_LENGTH: 6, LIST_GET: 7, LIST_PUSH: 8,
  MULTI_COUNT: 9, MULTI_GET: 10, MULTI_PUSH: 11,
} as const
export const SLOT_OP_SHAPE: readonly (readonly [kind: SlotKind, args: number, writes: boolean])[] = [
  [SlotKind.VALUE, 0, false], [SlotKind.VALUE, 1, true],
  [SlotKind.MAPPING, 1, false], [SlotKind.MAPPING, 2, true], [SlotKind.MAPPING, 1, false], [SlotKind.MAPPING, 1, true],
  [SlotKind.LIST, 0, false], [SlotKind.LIST, 1, false], [SlotKind.LIST, 1, true],
  [SlotKind.MULTIMAP, 1, false], [SlotKind.MULTIMAP, 2, false], [SlotKind.MULTIMAP, 2, true],
]

/** Builtins: the DSL's context accessors and string/bytes library. Name → [id, arity]. */
export const Builtin = {
  caller: 0, blockHeight: 1, blockTime: 2, contractAddress: 3,
  substring: 4, isHexString: 5, toLowerCase: 6, intToString: 7,
  bytesToHex: 8, hexToBytes: 9, utf8Bytes: 10, sha256: 11, bytesEqual: 12, addressToString: 13, startsWith: 14,
} as const
export type BuiltinName = keyof typeof Builtin
export const BUILTIN_ARITY: readonly number[] = [0, 0, 0, 0, 3, 2, 1, 1, 1, 1, 1, 1, 2, 1, 2]

const EXPR_OPS = new Set<number>([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20])
const STMT_OPS = new Set<number>([30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40])
export const isExprOp = (op: number): boolean => EXPR_OPS.has(op)
export const isStmtOp = (op: number): boolean => STMT_OPS.has(op)

// Module-level, not closures inside irNodeChildren: a deploy walks every node twice, and a
// named closure made per call costs a function object each time (plus the tsx loader's __name
// helper, which was half of a warm deploy's execution time).
const e = (v: CanonicalValue | undefined): [number, 'e'] => [v as number, 'e']
const s = (v: CanonicalValue | undefined): [number, 's'] => [v as number, 's']
function list(v: CanonicalValue | undefined, k: 'e' | 's'): Array<[number, 'e' | 's']> {
  const refs = v as number[]
  const out = new Array<[number, 'e' | 's']>(refs.length)
  for (let i = 0; i < refs.length; i++) out[i] = [refs[i]!, k]
  return out
}

/** Child node references of a node, each tagged with the kind it must be ('e' expr, 's' stmt). */
export function irNodeChildren(node: IrNode): Array<[index: number, kind: 'e' | 's']> {
  const n = node as CanonicalValue[]
  switch (n[0]) {
    case Op.BIN: return [e(n[2]), e(n[3])]
    case Op.AND: case Op.OR: return [e(n[1]), e(n[2])]
    case Op.NOT: case Op.NEG: case Op.LEN: return [e(n[1])]
    case Op.COND: return [e(n[1]), e(n[2]), e(n[3])]
    case Op.CALL: case Op.BUILTIN: case Op.STRUCT: return list(n[2], 'e')
    case Op.SLOT: return list(n[3], 'e')
    case Op.FIELD: return [e(n[1])]
    case Op.ARRAY: return list(n[1], 'e')
    case Op.INDEX: case Op.PUSH: return [e(n[1]), e(n[2])]
    case Op.BLOCK: return list(n[1], 's')
    case Op.LET: case Op.EXPR: return n[0] === Op.LET ? [e(n[2])] : [e(n[1])]
    case Op.IF: return n[3] === -1 ? [e(n[1]), s(n[2])] : [e(n[1]), s(n[2]), s(n[3])]
    case Op.LOOP: return n[2] === -1 ? [e(n[1]), s(n[3])] : [e(n[1]), s(n[2]), s(n[3])]
    case Op.RETURN: return n[1] === -1 ? [] : [e(n[1])]
    case Op.REQUIRE: return [e(n[1]), e(n[2])]
    case Op.EMIT: return [e(n[2])]
    case Op.ISET: return [e(n[1]), e(n[2]), e(n[3])]
    default: return []
  }
}

// ---- encoding ------------------------------------------------------------------------------

function typeRaw(t: IrType): CanonicalValue {
  switch (t.tag) {
    case TypeTag.ENUM: return [t.tag, t.name, t.members as string[], t.values as number[]]
    case TypeTag.STRUCT: return [t.tag, t.name, t.fields as string[], t.types as number[]]
    case TypeTag.ARRAY: return [t.tag, t.elem]
    default: return [t.tag]
  }
}

export function encodeIr(m: IrModule): Uint8Array {
  return encodeTrusted([
    IR_MAGIC, IR_VERSION,
    m.types.map(typeRaw),
    m.slots.map((s) => [s.kind, s.name, s.keyType, s.valueType]),
    m.events.map((e) => [e.name, e.type]),
    m.functions.map((f) => [f.name, f.paramNames as string[], f.paramTypes as number[], f.returnType, f.nLocals, f.body, f.flags]),
    m.nodes as CanonicalValue[],
  ])
}

/** The code hash stored with a contract: SHA-256(domainTag('code') ‖ ir). */
export function codeHashOf(ir: Uint8Array): Uint8Array {
  return sha256(domainTag('code'), ir)
}

// ---- decoding and validation ---------------------------------------------------------------

const NAME_RE = /^[A-Za-z_$][A-Za-z0-9_$]{0,63}$/
const MAX = { types: 256, slots: 256, events: 64, functions: 256, nodes: 50_000, params: 16, locals: 256, members: 256, fields: 64, typeDepth: 8, constLength: 4096, listArgs: 256 }

function bad(detail: string): never {
  throw new VmError(VmErrorCode.BAD_CODE, detail)
}
function arr(v: CanonicalValue | undefined, what: string, len?: number, max = 100_000): CanonicalValue[] {
  if (!Array.isArray(v)) bad(`${what}: expected a list`)
  if (len !== undefined && v.length !== len) bad(`${what}: expected ${len} fields, got ${v.length}`)
  if (v.length > max) bad(`${what}: more than ${max} items`)
  return v as CanonicalValue[]
}
function int(v: CanonicalValue | undefined, what: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) bad(`${what}: expected an integer in ${min}..${max}`)
  return v
}
function name(v: CanonicalValue | undefined, what: string): string {
  if (typeof v !== 'string' || !NAME_RE.test(v)) bad(`${what}: expected an identifier of at most 64 characters`)
  return v
}
function intList(v: CanonicalValue | undefined, what: string, min: number, max: number, maxItems: number): number[] {
  return arr(v, what, undefined, maxItems).map((x, i) => int(x, `${what}[${i}]`, min, max))
}

const KEY_TAGS = new Set<number>([TypeTag.INT, TypeTag.BOOL, TypeTag.STRING, TypeTag.BYTES, TypeTag.ADDRESS, TypeTag.ENUM])

/**
 * Decodes and validates IR bytes.
 * @throws VmError BAD_CODE with the first problem found.
 */
export function decodeIr(bytes: Uint8Array, limits: VmLimits = DEFAULT_LIMITS): IrModule {
  if (!(bytes instanceof Uint8Array)) bad('IR must be bytes')
  if (bytes.length > limits.maxCodeBytes) bad(`IR is ${bytes.length} bytes, limit ${limits.maxCodeBytes}`)
  let raw: CanonicalValue
  try {
    raw = decode(bytes, limits.maxCodeBytes)
  } catch (e) {
    if (isCoreError(e)) bad(`IR is not canonical: ${e.message}`)
    throw e
  }
  const top = arr(raw, 'ir', 7)
  if (top[0] !== IR_MAGIC) bad('not medchain IR (bad magic)')
  if (top[1] !== IR_VERSION) bad(`unsupported IR version ${String(top[1])}`)

  // types: children must come earlier, so the type graph is acyclic
  const typeDepth: number[] = []
  const types: IrType[] = []
  for (const [i, tv] of arr(top[2], 'types', undefined, MAX.types).entries()) types.push(decodeType(tv, i))
  function decodeType(tv: CanonicalValue, i: number): IrType {
    const t = arr(tv, `types[${i}]`)
    const tag = int(t[0], `types[${i}].tag`, 0, 8)
    const ref = (v: CanonicalValue | undefined, what: string): number => int(v, what, 0, i - 1)
    switch (tag) {
      case TypeTag.ENUM: {
        arr(tv, `types[${i}]`, 4)
        const members = arr(t[2], `types[${i}].members`, undefined, MAX.members).map((m, j) => name(m, `types[${i}].members[${j}]`))
        const values = intList(t[3], `types[${i}].values`, 0, Number.MAX_SAFE_INTEGER, MAX.members)
        if (members.length === 0 || members.length !== values.length) bad(`types[${i}]: an enum needs one value per member`)
        if (new Set(values).size !== values.length || new Set(members).size !== members.length) bad(`types[${i}]: duplicate enum member`)
        typeDepth[i] = 1
        return { tag, name: name(t[1], `types[${i}].name`), members, values }
      }
      case TypeTag.STRUCT: {
        arr(tv, `types[${i}]`, 4)
        const fields = arr(t[2], `types[${i}].fields`, undefined, MAX.fields).map((m, j) => name(m, `types[${i}].fields[${j}]`))
        const ftypes = arr(t[3], `types[${i}].types`, fields.length).map((x, j) => ref(x, `types[${i}].types[${j}]`))
        if (new Set(fields).size !== fields.length) bad(`types[${i}]: duplicate field`)
        for (const f of ftypes) if (types[f]?.tag === TypeTag.VOID) bad(`types[${i}]: a field cannot be void`)
        typeDepth[i] = 1 + Math.max(0, ...ftypes.map((f) => typeDepth[f]!))
        if (typeDepth[i]! > MAX.typeDepth) bad(`types[${i}]: nested deeper than ${MAX.typeDepth}`)
        return { tag, name: name(t[1], `types[${i}].name`), fields, types: ftypes }
      }
      case TypeTag.ARRAY: {
        arr(tv, `types[${i}]`, 2)
        const elem = ref(t[1], `types[${i}].elem`)
        if (types[elem]?.tag === TypeTag.VOID) bad(`types[${i}]: array of void`)
        typeDepth[i] = 1 + typeDepth[elem]!
        if (typeDepth[i]! > MAX.typeDepth) bad(`types[${i}]: nested deeper than ${MAX.typeDepth}`)
        return { tag, elem }
      }
      default:
        arr(tv, `types[${i}]`, 1)
        typeDepth[i] = 1
        return { tag } as IrType
    }
  }
  const typeRef = (v: CanonicalValue | undefined, what: string, allowVoid = false): number => {
    const i = int(v, what, 0, types.length - 1)
    if (!allowVoid && types[i]!.tag === TypeTag.VOID) bad(`${what}: void is not a value type`)
    return i
  }

  const slots: IrSlot[] = arr(top[3], 'slots', undefined, MAX.slots).map((sv, i) => {
    const s = arr(sv, `slots[${i}]`, 4)
    const kind = int(s[0], `slots[${i}].kind`, 0, 3) as SlotKind
    const keyed = kind === SlotKind.MAPPING || kind === SlotKind.MULTIMAP
    const keyType = keyed ? typeRef(s[2], `slots[${i}].keyType`) : int(s[2], `slots[${i}].keyType`, -1, -1)
    if (keyed && !KEY_TAGS.has(types[keyType]!.tag)) bad(`slots[${i}]: a key must be an int, bool, string, bytes, address or enum`)
    return { kind, name: name(s[1], `slots[${i}].name`), keyType, valueType: typeRef(s[3], `slots[${i}].valueType`) }
  })

  const events: IrEvent[] = arr(top[4], 'events', undefined, MAX.events).map((ev, i) => {
    const e = arr(ev, `events[${i}]`, 2)
    const type = typeRef(e[1], `events[${i}].type`)
    if (types[type]!.tag !== TypeTag.STRUCT) bad(`events[${i}]: the payload must be a struct`)
    return { name: name(e[0], `events[${i}].name`), type }
  })

  const nodes = arr(top[6], 'nodes', undefined, MAX.nodes) as IrNode[]
  const functions: IrFunction[] = arr(top[5], 'functions', undefined, MAX.functions).map((fv, i) => {
    const f = arr(fv, `functions[${i}]`, 7)
    const paramNames = arr(f[1], `functions[${i}].paramNames`, undefined, MAX.params).map((p, j) => name(p, `functions[${i}].paramNames[${j}]`))
    const paramTypes = arr(f[2], `functions[${i}].paramTypes`, paramNames.length).map((p, j) => typeRef(p, `functions[${i}].paramTypes[${j}]`))
    const nLocals = int(f[4], `functions[${i}].nLocals`, paramNames.length, MAX.locals)
    const body = int(f[5], `functions[${i}].body`, 0, nodes.length - 1)
    return {
      name: name(f[0], `functions[${i}].name`), paramNames, paramTypes,
      returnType: typeRef(f[3], `functions[${i}].returnType`, true), nLocals, body, flags: int(f[6], `functions[${i}].flags`, 0, 7),
    }
  })
  const exported = functions.filter((f) => f.flags & FnFlag.EXPORTED)
  if (new Set(exported.map((f) => f.name)).size !== exported.length) bad('two exported methods share a name')
  const ctors = functions.filter((f) => f.flags & FnFlag.CONSTRUCTOR)
  if (ctors.length > 1) bad('more than one constructor')
  if (ctors.some((f) => f.flags & FnFlag.EXPORTED)) bad('the constructor cannot also be a method')

  validateNodes(nodes, types, slots, events, functions, limits)
  return { types, slots, events, functions, nodes }
}

/** A node's list of child references (checked one by one afterwards). */
function childRefs(v: CanonicalValue | undefined, what: string): void {
  arr(v, `${what} children`, undefined, MAX.listArgs)
}

function validateNodes(nodes: IrNode[], types: IrType[], slots: IrSlot[], events: IrEvent[], functions: IrFunction[], limits: VmLimits): void {
  const depth = new Array<number>(nodes.length)
  const opOf = new Array<number>(nodes.length)
  for (let i = 0; i < nodes.length; i++) {
    const what = `nodes[${i}]`
    const n = arr(nodes[i], what, undefined, 4)
    const op = int(n[0], `${what}.op`, 0, 255)
    switch (op) {
      case Op.INT: arr(n, what, 2); int(n[1], what, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER); break
      case Op.STR: arr(n, what, 2); if (typeof n[1] !== 'string' || n[1].length > MAX.constLength) bad(`${what}: bad string constant`); break
      case Op.BOOL: arr(n, what, 2); if (typeof n[1] !== 'boolean') bad(`${what}: bad boolean constant`); break
      case Op.BYTES: arr(n, what, 2); if (!(n[1] instanceof Uint8Array) || n[1].length > MAX.constLength) bad(`${what}: bad bytes constant`); break
      case Op.LOCAL: arr(n, what, 2); int(n[1], what, 0, MAX.locals - 1); break
      case Op.BIN: arr(n, what, 4); int(n[1], `${what}.binop`, 0, BIN_OP_COUNT - 1); break
      case Op.AND: case Op.OR: case Op.INDEX: case Op.PUSH: arr(n, what, 3); break
      case Op.NOT: case Op.NEG: case Op.LEN: arr(n, what, 2); break
      case Op.COND: arr(n, what, 4); break
      case Op.CALL: {
        arr(n, what, 3); childRefs(n[2], what)
        const fn = functions[int(n[1], `${what}.function`, 0, functions.length - 1)]!
        if ((n[2] as CanonicalValue[]).length !== fn.paramNames.length) bad(`${what}: ${fn.name} takes ${fn.paramNames.length} arguments`)
        break
      }
      case Op.BUILTIN: {
        arr(n, what, 3); childRefs(n[2], what)
        const id = int(n[1], `${what}.builtin`, 0, BUILTIN_ARITY.length - 1)
        if ((n[2] as CanonicalValue[]).length !== BUILTIN_ARITY[id]) bad(`${what}: builtin ${id} takes ${BUILTIN_ARITY[id]} arguments`)
        break
      }
      case Op.SLOT: {
        arr(n, what, 4); childRefs(n[3], what)
        const slot = slots[int(n[1], `${what}.slot`, 0, slots.length - 1)]!
        const [kind, argc] = SLOT_OP_SHAPE[int(n[2], `${what}.slotop`, 0, SLOT_OP_SHAPE.length - 1)]!
        if (kind !== slot.kind) bad(`${what}: operation does not apply to slot ${slot.name}`)
        if ((n[3] as CanonicalValue[]).length !== argc) bad(`${what}: storage operation takes ${argc} arguments`)
        break
      }
      case Op.STRUCT: {
        arr(n, what, 3); childRefs(n[2], what)
        const t = types[int(n[1], `${what}.type`, 0, types.length - 1)]!
        if (t.tag !== TypeTag.STRUCT || t.fields.length !== (n[2] as CanonicalValue[]).length) bad(`${what}: not a struct of that many fields`)
        break
      }
      case Op.FIELD: arr(n, what, 3); int(n[2], `${what}.field`, 0, MAX.fields - 1); break
      case Op.ARRAY: arr(n, what, 2); childRefs(n[1], what); break
      case Op.BLOCK: arr(n, what, 2); childRefs(n[1], what); break
      case Op.LET: arr(n, what, 3); int(n[1], what, 0, MAX.locals - 1); break
      case Op.IF: arr(n, what, 4); break
      case Op.LOOP: arr(n, what, 4); break
      case Op.BREAK: case Op.CONTINUE: arr(n, what, 1); break
      case Op.RETURN: case Op.EXPR: arr(n, what, 2); break
      case Op.REQUIRE: arr(n, what, 3); break
      case Op.EMIT: arr(n, what, 3); int(n[1], `${what}.event`, 0, events.length - 1); break
      case Op.ISET: arr(n, what, 4); break
      default: bad(`${what}: unknown opcode ${op}`)
    }
    let d = 1
    for (const [child, kind] of irNodeChildren(n)) {
      if (typeof child !== 'number' || !Number.isSafeInteger(child) || child < 0 || child >= i) bad(`${what}: child ${String(child)} must be an earlier node`)
      const childOp = opOf[child]!
      if (kind === 'e' ? !isExprOp(childOp) : !isStmtOp(childOp)) bad(`${what}: child ${child} must be ${kind === 'e' ? 'an expression' : 'a statement'}`)
      d = Math.max(d, depth[child]! + 1)
    }
    if (d > limits.maxNodeDepth) bad(`${what}: nested deeper than ${limits.maxNodeDepth}`)
    depth[i] = d
    opOf[i] = op
  }
  // Each function: its body is a statement and every local it can reach is in its frame.
  for (const [fi, f] of functions.entries()) {
    if (!isStmtOp(opOf[f.body]!)) bad(`functions[${fi}].body must be a statement`)
    const seen = new Set<number>()
    const stack = [f.body]
    while (stack.length > 0) {
      const i = stack.pop()!
      if (seen.has(i)) continue
      seen.add(i)
      const n = nodes[i]!
      if ((n[0] === Op.LOCAL || n[0] === Op.LET) && (n[1] as number) >= f.nLocals) bad(`functions[${fi}]: local ${String(n[1])} outside its ${f.nLocals} locals`)
      for (const [c] of irNodeChildren(n)) stack.push(c)
    }
  }
}
