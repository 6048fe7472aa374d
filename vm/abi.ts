/**
 * A contract's ABI: its methods (argument and return types, read-only or not), its constructor
 * and its events. The ABI is a pure function of the IR (`abiFromIr`), so a deploy is refused
 * unless the ABI it carries is byte-for-byte the one its IR implies: clients can trust it.
 *
 * Canonical encoding (`encodeAbi`): [1, constructorInputs, methods, events] where
 *   field  = [name, type]
 *   type   = ['int'] | ['bool'] | ['string'] | ['bytes'] | ['address'] | ['void']
 *          | ['enum', name, [[member, value]…]] | ['struct', name, [field…]] | ['array', type]
 *   method = [name, [field…], outputType, readOnly]
 *   event  = [name, [field…]]
 */
import { asArray, asList, asString, asUint, decode, encodeTrusted, type CanonicalValue } from '../core/encoding.ts'
import { isCoreError } from '../core/errors.ts'
import { VmError, VmErrorCode } from './errors.ts'
import { FnFlag, TypeTag, type IrModule } from './ir.ts'

export type AbiScalarKind = 'int' | 'bool' | 'string' | 'bytes' | 'address' | 'void'
export type AbiType =
  | { readonly kind: AbiScalarKind }
  | { readonly kind: 'enum'; readonly name: string; readonly members: readonly AbiEnumMember[] }
  | { readonly kind: 'struct'; readonly name: string; readonly fields: readonly AbiField[] }
  | { readonly kind: 'array'; readonly element: AbiType }
export interface AbiEnumMember { readonly name: string; readonly value: number }
export interface AbiField { readonly name: string; readonly type: AbiType }
export interface AbiMethod {
  readonly name: string
  readonly inputs: readonly AbiField[]
  readonly output: AbiType
  /** True when the method never writes storage nor emits events: call it without a tx. */
  readonly readOnly: boolean
}
export interface AbiEvent { readonly name: string; readonly fields: readonly AbiField[] }
export interface ContractAbi {
  readonly version: 1
  readonly constructorInputs: readonly AbiField[]
  readonly methods: readonly AbiMethod[]
  readonly events: readonly AbiEvent[]
}

export function abiFromIr(m: IrModule): ContractAbi {
  const cache = new Map<number, AbiType>()
  const typeOf = (i: number): AbiType => {
    const hit = cache.get(i)
    if (hit) return hit
    const t = m.types[i]!
    let out: AbiType
    switch (t.tag) {
      case TypeTag.INT: out = { kind: 'int' }; break
      case TypeTag.BOOL: out = { kind: 'bool' }; break
      case TypeTag.STRING: out = { kind: 'string' }; break
      case TypeTag.BYTES: out = { kind: 'bytes' }; break
      case TypeTag.ADDRESS: out = { kind: 'address' }; break
      case TypeTag.VOID: out = { kind: 'void' }; break
      case TypeTag.ENUM: out = { kind: 'enum', name: t.name, members: t.members.map((name, j) => ({ name, value: t.values[j]! })) }; break
      case TypeTag.STRUCT: out = { kind: 'struct', name: t.name, fields: t.fields.map((name, j) => ({ name, type: typeOf(t.types[j]!) })) }; break
      case TypeTag.ARRAY: out = { kind: 'array', element: typeOf(t.elem) }; break
    }
    cache.set(i, out)
    return out
  }
  const inputs = (names: readonly string[], types: readonly number[]): AbiField[] => names.map((name, j) => ({ name, type: typeOf(types[j]!) }))
  const ctor = m.functions.find((f) => f.flags & FnFlag.CONSTRUCTOR)
  return {
    version: 1,
    constructorInputs: ctor ? inputs(ctor.paramNames, ctor.paramTypes) : [],
    methods: m.functions
      .filter((f) => f.flags & FnFlag.EXPORTED)
      .map((f) => ({ name: f.name, inputs: inputs(f.paramNames, f.paramTypes), output: typeOf(f.returnType), readOnly: (f.flags & FnFlag.READ_ONLY) !== 0 })),
    events: m.events.map((e) => {
      const t = typeOf(e.type) as Extract<AbiType, { kind: 'struct' }>
      return { name: e.name, fields: t.fields }
    }),
  }
}

function typeRaw(t: AbiType): CanonicalValue {
  switch (t.kind) {
    case 'enum': return ['enum', t.name, t.members.map((m) => [m.name, m.value])]
    case 'struct': return ['struct', t.name, t.fields.map(fieldRaw)]
    case 'array': return ['array', typeRaw(t.element)]
    default: return [t.kind]
  }
}
const fieldRaw = (f: AbiField): CanonicalValue => [f.name, typeRaw(f.type)]

export function encodeAbi(abi: ContractAbi): Uint8Array {
  return encodeTrusted([
    abi.version,
    abi.constructorInputs.map(fieldRaw),
    abi.methods.map((m) => [m.name, m.inputs.map(fieldRaw), typeRaw(m.output), m.readOnly]),
    abi.events.map((e) => [e.name, e.fields.map(fieldRaw)]),
  ])
}

const SCALARS = new Set<string>(['int', 'bool', 'string', 'bytes', 'address', 'void'])
function typeFromRaw(v: CanonicalValue | undefined): AbiType {
  const r = asList(v, 'abi type', 3)
  const kind = asString(r[0], 'abi type kind')
  if (SCALARS.has(kind)) return { kind: kind as AbiScalarKind }
  if (kind === 'enum') {
    return { kind, name: asString(r[1], 'enum name'), members: asList(r[2], 'enum members', 256).map((m) => {
      const mm = asArray(m, 2, 'enum member')
      return { name: asString(mm[0], 'member name'), value: asUint(mm[1], 'member value') }
    }) }
  }
  if (kind === 'struct') return { kind, name: asString(r[1], 'struct name'), fields: asList(r[2], 'struct fields', 64).map(fieldFromRaw) }
  if (kind === 'array') return { kind, element: typeFromRaw(r[1]) }
  throw new VmError(VmErrorCode.BAD_ABI, `unknown ABI type '${kind}'`)
}
function fieldFromRaw(v: CanonicalValue): AbiField {
  const f = asArray(v, 2, 'abi field')
  return { name: asString(f[0], 'field name'), type: typeFromRaw(f[1]) }
}

/**
 * Decodes an ABI produced by `encodeAbi`.
 * @throws VmError BAD_ABI
 */
export function decodeAbi(bytes: Uint8Array): ContractAbi {
  try {
    const r = asArray(decode(bytes), 4, 'abi')
    if (r[0] !== 1) throw new VmError(VmErrorCode.BAD_ABI, `unsupported ABI version ${String(r[0])}`)
    return {
      version: 1,
      constructorInputs: asList(r[1], 'constructor inputs', 64).map(fieldFromRaw),
      methods: asList(r[2], 'methods', 256).map((mv) => {
        const m = asArray(mv, 4, 'method')
        if (typeof m[3] !== 'boolean') throw new VmError(VmErrorCode.BAD_ABI, 'method.readOnly must be a boolean')
        return { name: asString(m[0], 'method name'), inputs: asList(m[1], 'inputs', 64).map(fieldFromRaw), output: typeFromRaw(m[2]), readOnly: m[3] }
      }),
      events: asList(r[3], 'events', 64).map((ev) => {
        const e = asArray(ev, 2, 'event')
        return { name: asString(e[0], 'event name'), fields: asList(e[1], 'event fields', 64).map(fieldFromRaw) }
      }),
    }
  } catch (e) {
    if (isCoreError(e)) throw new VmError(VmErrorCode.BAD_ABI, e.message)
    throw e
  }
}
