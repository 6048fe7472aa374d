/**
 * The contract compiler: TypeScript source → IR (vm/ir.ts) + ABI.
 *
 *   1. parse; syntax errors refused
 *   2. subset check (subset-check.ts): host access and non-deterministic constructs refused
 *   3. type check with the TypeScript compiler API against api.ts and a minimal lib
 *   4. code generation (this file): a whitelist; every construct not handled here is refused
 *      with file:line:col and what is not allowed
 *   5. the IR is validated by the VM's own decoder (the same check a deploy runs) and the ABI is
 *      derived from it
 *
 * A contract is one file: imports from the contract API; `enum`s, `interface`s (structs),
 * top-level `const` literals, storage and event declarations; functions. Exported functions
 * are methods, `init` is the constructor, a method is read-only when neither it nor anything
 * it calls writes storage or emits an event.
 */
import ts from 'typescript'
import type { CanonicalValue } from '../core/encoding.ts'
import { abiFromIr, encodeAbi, type ContractAbi } from '../vm/abi.ts'
import { VmError } from '../vm/errors.ts'
import { DEFAULT_LIMITS } from '../vm/gas.ts'
import {
  BinOp, Builtin, FnFlag, Op, SlotKind, SlotOp, TypeTag, codeHashOf, decodeIr, encodeIr, irNodeChildren,
  type IrEvent, type IrFunction, type IrNode, type IrSlot, type IrType,
} from '../vm/ir.ts'
import { CompileError, CompileErrorCode } from './errors.ts'
import { checkSubset } from './subset-check.ts'
import { createContractProgram } from './typescript-program.ts'

export interface CompiledContract {
  /** Canonical IR bytes: what a deploy carries and the VM runs. */
  readonly ir: Uint8Array
  readonly abi: ContractAbi
  /** Canonical ABI bytes (vm/abi.ts `encodeAbi`): what a deploy carries. */
  readonly abiBytes: Uint8Array
  /** SHA-256(domainTag('code') ‖ ir): the code hash stored on chain. */
  readonly codeHash: Uint8Array
}

const CONSTRUCTOR_NAME = 'init'
const MAX_NODES = 50_000
const MAX_LOCALS = 256
const MAX_CONST = 4096

type Fail = (node: ts.Node, code: CompileErrorCode, reason: string) => never

/**
 * Compiles a contract.
 * @throws CompileError (NOT_ALLOWED, TYPE_ERROR, UNSUPPORTED_TYPE, LIMIT_EXCEEDED, BAD_CONTRACT)
 */
export function compileContract(source: string, fileName = 'contract.ts'): CompiledContract {
  if (typeof source !== 'string') throw new CompileError(CompileErrorCode.BAD_CONTRACT, fileName, 1, 1, 'source must be a string')
  const { program, checker, sourceFile, apiFile } = createContractProgram(source)
  const fail: Fail = (node, code, reason) => {
    const pos = node.getSourceFile() === sourceFile ? sourceFile.getLineAndCharacterOfPosition(node.getStart(sourceFile)) : { line: 0, character: 0 }
    throw new CompileError(code, fileName, pos.line + 1, pos.character + 1, reason)
  }
  const report = (diags: readonly ts.Diagnostic[]): void => {
    const d = diags.find((x) => x.category === ts.DiagnosticCategory.Error)
    if (!d) return
    const pos = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : { line: 0, character: 0 }
    const where = d.file && d.file !== sourceFile ? ` (in ${d.file.fileName})` : ''
    throw new CompileError(CompileErrorCode.TYPE_ERROR, fileName, pos.line + 1, pos.character + 1, ts.flattenDiagnosticMessageText(d.messageText, '\n') + where)
  }
  report(program.getSyntacticDiagnostics(sourceFile))
  checkSubset(sourceFile, (node, reason) => fail(node, CompileErrorCode.NOT_ALLOWED, reason))
  report(program.getGlobalDiagnostics())
  report(program.getSemanticDiagnostics(sourceFile))

  const module = new ContractCodegen(checker, sourceFile, apiFile, fail).compile()
  const ir = encodeIr(module)
  try {
    decodeIr(ir)
  } catch (e) {
    if (e instanceof VmError) throw new CompileError(CompileErrorCode.LIMIT_EXCEEDED, fileName, 1, 1, `the VM would refuse this contract: ${e.message}`)
    throw e
  }
  const abi = abiFromIr(module)
  return { ir, abi, abiBytes: encodeAbi(abi), codeHash: codeHashOf(ir) }
}

interface StorageDecl { readonly index: number; readonly kind: SlotKind; readonly name: string }
interface FunctionDecl {
  readonly index: number
  readonly decl: ts.FunctionDeclaration
  readonly name: string
  writes: boolean
  readonly callees: Set<number>
  ir?: IrFunction
}
type ValueClass = 'int' | 'bool' | 'string' | 'bytes' | 'address' | 'enum' | 'struct' | 'array' | 'void' | 'other'

const STORAGE_FACTORIES: Readonly<Record<string, SlotKind>> = { value: SlotKind.VALUE, mapping: SlotKind.MAPPING, list: SlotKind.LIST, multimap: SlotKind.MULTIMAP }
const SLOT_METHODS: Readonly<Record<SlotKind, Readonly<Record<string, number>>>> = {
  [SlotKind.VALUE]: { get: SlotOp.VALUE_GET, set: SlotOp.VALUE_SET },
  [SlotKind.MAPPING]: { get: SlotOp.MAP_GET, set: SlotOp.MAP_SET, has: SlotOp.MAP_HAS, remove: SlotOp.MAP_REMOVE },
  [SlotKind.LIST]: { length: SlotOp.LIST_LENGTH, get: SlotOp.LIST_GET, push: SlotOp.LIST_PUSH },
  [SlotKind.MULTIMAP]: { count: SlotOp.MULTI_COUNT, get: SlotOp.MULTI_GET, push: SlotOp.MULTI_PUSH },
}
const WRITING_SLOT_OPS = new Set<number>([SlotOp.VALUE_SET, SlotOp.MAP_SET, SlotOp.MAP_REMOVE, SlotOp.LIST_PUSH, SlotOp.MULTI_PUSH])

class ContractCodegen {
  private readonly types: IrType[] = []
  private readonly typeIndex = new Map<string, number>()
  private readonly typeDecl = new Map<string, ts.Node>()
  private readonly typesInProgress = new Set<string>()
  private readonly slots: IrSlot[] = []
  private readonly events: IrEvent[] = []
  private readonly nodes: IrNode[] = []
  private readonly depths: number[] = []
  private readonly storage = new Map<ts.Symbol, StorageDecl>()
  private readonly eventDecls = new Map<ts.Symbol, number>()
  private readonly constants = new Map<ts.Symbol, number | string | boolean>()
  private readonly functionDecls = new Map<ts.Symbol, FunctionDecl>()
  private readonly functionList: FunctionDecl[] = []
  // per function
  private locals = new Map<ts.Symbol, number>()
  private nLocals = 0
  private current: FunctionDecl | null = null

  constructor(
    private readonly checker: ts.TypeChecker,
    private readonly sf: ts.SourceFile,
    private readonly apiFile: ts.SourceFile,
    private readonly fail: Fail,
  ) {}

  compile(): { types: IrType[]; slots: IrSlot[]; events: IrEvent[]; functions: IrFunction[]; nodes: IrNode[] } {
    for (const st of this.sf.statements) this.declareTopLevel(st)
    for (const fn of this.functionList) this.compileFunction(fn)
    // Read-only analysis: a function writes if it writes directly or calls one that does.
    for (let changed = true; changed;) {
      changed = false
      for (const fn of this.functionList) {
        if (!fn.writes && [...fn.callees].some((c) => this.functionList[c]!.writes)) {
          fn.writes = true
          changed = true
        }
      }
    }
    const functions = this.functionList.map((fn) => {
      const ir = fn.ir!
      const flags = fn.name === CONSTRUCTOR_NAME
        ? FnFlag.CONSTRUCTOR
        : (this.isExported(fn.decl) ? FnFlag.EXPORTED : 0) | (fn.writes ? 0 : FnFlag.READ_ONLY)
      return { ...ir, flags }
    })
    return { types: this.types, slots: this.slots, events: this.events, functions, nodes: this.nodes }
  }

  // ---- symbols ---------------------------------------------------------------------------

  private resolve(node: ts.Node): ts.Symbol | undefined {
    let s = this.checker.getSymbolAtLocation(node)
    if (s && s.flags & ts.SymbolFlags.Alias) s = this.checker.getAliasedSymbol(s)
    return s
  }

  private apiName(s: ts.Symbol | undefined): string | undefined {
    return s?.declarations?.some((d) => d.getSourceFile() === this.apiFile) ? s.name : undefined
  }

  private isExported(d: ts.Node): boolean {
    return ts.canHaveModifiers(d) && (ts.getModifiers(d)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword) ?? false)
  }

  // ---- top level -------------------------------------------------------------------------

  private declareTopLevel(st: ts.Statement): void {
    if (ts.isImportDeclaration(st) || ts.isInterfaceDeclaration(st) || ts.isTypeAliasDeclaration(st)) return
    if (ts.isEnumDeclaration(st)) return void this.enumType(st)
    if (ts.isFunctionDeclaration(st)) {
      if (!st.name || !st.body) this.fail(st, CompileErrorCode.NOT_ALLOWED, 'function declarations need a name and a body (no overloads)')
      if (st.typeParameters?.length) this.fail(st, CompileErrorCode.NOT_ALLOWED, 'generic functions are not allowed')
      const sym = this.resolve(st.name)!
      if (this.functionList.length >= 256) this.fail(st, CompileErrorCode.LIMIT_EXCEEDED, 'at most 256 functions')
      if (st.name.text === CONSTRUCTOR_NAME && this.functionList.some((f) => f.name === CONSTRUCTOR_NAME)) this.fail(st, CompileErrorCode.BAD_CONTRACT, 'only one init')
      const fn: FunctionDecl = { index: this.functionList.length, decl: st, name: st.name.text, writes: false, callees: new Set() }
      this.functionList.push(fn)
      this.functionDecls.set(sym, fn)
      return
    }
    if (ts.isVariableStatement(st)) {
      if (!(st.declarationList.flags & ts.NodeFlags.Const)) this.fail(st, CompileErrorCode.NOT_ALLOWED, 'top-level variables must be const: contract state lives in value<T>(), mapping<K, V>(), list<T>() or multimap<K, V>()')
      for (const d of st.declarationList.declarations) this.declareConst(d)
      return
    }
    if (ts.isEmptyStatement(st)) return
    this.fail(st, CompileErrorCode.NOT_ALLOWED, `${describeKind(st)} is not allowed at the top level of a contract`)
  }

  private declareConst(d: ts.VariableDeclaration): void {
    if (!ts.isIdentifier(d.name)) this.fail(d, CompileErrorCode.NOT_ALLOWED, 'destructuring is not allowed')
    const sym = this.resolve(d.name)!
    const init = d.initializer
    if (!init) this.fail(d, CompileErrorCode.NOT_ALLOWED, 'a top-level const needs an initializer')
    const lit = this.literal(init)
    if (lit !== undefined) {
      this.constants.set(sym, lit)
      return
    }
    if (ts.isCallExpression(init) && ts.isIdentifier(init.expression)) {
      const api = this.apiName(this.resolve(init.expression))
      const typeArgs = init.typeArguments ?? []
      if (api !== undefined && api in STORAGE_FACTORIES) {
        const kind = STORAGE_FACTORIES[api]!
        const want = kind === SlotKind.MAPPING || kind === SlotKind.MULTIMAP ? 2 : 1
        if (typeArgs.length !== want || init.arguments.length !== 0) this.fail(init, CompileErrorCode.NOT_ALLOWED, `declare the stored type${want === 2 ? 's' : ''}: ${api}<${want === 2 ? 'K, V' : 'T'}>()`)
        const keyType = want === 2 ? this.irType(this.checker.getTypeFromTypeNode(typeArgs[0]!), typeArgs[0]!) : -1
        if (keyType >= 0 && ![TypeTag.INT, TypeTag.BOOL, TypeTag.STRING, TypeTag.BYTES, TypeTag.ADDRESS, TypeTag.ENUM].includes(this.types[keyType]!.tag as 0)) {
          this.fail(typeArgs[0]!, CompileErrorCode.UNSUPPORTED_TYPE, 'a key must be a number, boolean, string, Bytes, Address or enum')
        }
        const valueNode = typeArgs[want - 1]!
        const valueType = this.irType(this.checker.getTypeFromTypeNode(valueNode), valueNode)
        if (this.types[valueType]!.tag === TypeTag.VOID) this.fail(valueNode, CompileErrorCode.UNSUPPORTED_TYPE, 'void cannot be stored')
        if (this.slots.length >= 256) this.fail(d, CompileErrorCode.LIMIT_EXCEEDED, 'at most 256 storage declarations')
        this.storage.set(sym, { index: this.slots.length, kind, name: d.name.text })
        this.slots.push({ kind, name: d.name.text, keyType, valueType })
        return
      }
      if (api === 'event') {
        if (typeArgs.length !== 1 || init.arguments.length !== 0) this.fail(init, CompileErrorCode.NOT_ALLOWED, 'declare the payload struct: event<T>()')
        const type = this.irType(this.checker.getTypeFromTypeNode(typeArgs[0]!), typeArgs[0]!)
        if (this.types[type]!.tag !== TypeTag.STRUCT) this.fail(typeArgs[0]!, CompileErrorCode.UNSUPPORTED_TYPE, 'an event payload must be a struct (an interface)')
        if (this.events.length >= 64) this.fail(d, CompileErrorCode.LIMIT_EXCEEDED, 'at most 64 events')
        this.eventDecls.set(sym, this.events.length)
        this.events.push({ name: d.name.text, type })
        return
      }
    }
    this.fail(init, CompileErrorCode.NOT_ALLOWED, 'a top-level const must be a literal or a storage / event declaration (value<T>(), mapping<K, V>(), list<T>(), multimap<K, V>(), event<T>())')
  }

  private literal(e: ts.Expression): number | string | boolean | undefined {
    if (ts.isParenthesizedExpression(e)) return this.literal(e.expression)
    if (ts.isNumericLiteral(e)) return this.intLiteral(e, 1)
    if (ts.isPrefixUnaryExpression(e) && e.operator === ts.SyntaxKind.MinusToken && ts.isNumericLiteral(e.operand)) return this.intLiteral(e.operand, -1)
    if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) {
      if (e.text.length > MAX_CONST) this.fail(e, CompileErrorCode.LIMIT_EXCEEDED, `string constants are limited to ${MAX_CONST} characters`)
      return e.text
    }
    if (e.kind === ts.SyntaxKind.TrueKeyword) return true
    if (e.kind === ts.SyntaxKind.FalseKeyword) return false
    return undefined
  }

  private intLiteral(e: ts.NumericLiteral, sign: 1 | -1): number {
    const v = Number(e.text) * sign
    if (!Number.isSafeInteger(v)) this.fail(e, CompileErrorCode.NOT_ALLOWED, `'${e.getText()}' is not a safe integer`)
    return v === 0 ? 0 : v
  }

  // ---- types -----------------------------------------------------------------------------

  private internType(key: string, t: IrType): number {
    const hit = this.typeIndex.get(key)
    if (hit !== undefined) return hit
    if (this.types.length >= 256) throw new Error('type table full')
    this.types.push(t)
    this.typeIndex.set(key, this.types.length - 1)
    return this.types.length - 1
  }

  private enumDeclOf(t: ts.Type): ts.EnumDeclaration | undefined {
    const sym = t.aliasSymbol ?? t.symbol
    const d = sym?.declarations?.[0]
    if (d && ts.isEnumDeclaration(d)) return d
    if (d && ts.isEnumMember(d)) return d.parent
    return undefined
  }

  private classify(t: ts.Type): ValueClass {
    const f = t.flags
    if (f & ts.TypeFlags.Union && !(f & ts.TypeFlags.Boolean)) {
      // A union of literals of one kind (narrowed enums, 'a' | 'b', true | false) is that kind.
      const parts = (t as ts.UnionType).types
      const first = this.classify(parts[0]!)
      const sameEnum = first !== 'enum' || parts.every((p) => this.enumDeclOf(p) === this.enumDeclOf(parts[0]!))
      return sameEnum && parts.every((p) => this.classify(p) === first) && ['int', 'bool', 'string', 'enum'].includes(first) ? first : 'other'
    }
    if (f & ts.TypeFlags.EnumLike) return this.enumDeclOf(t) ? 'enum' : 'other'
    if (f & ts.TypeFlags.NumberLike) return 'int'
    if (f & ts.TypeFlags.BooleanLike) return 'bool'
    if (f & ts.TypeFlags.StringLike) return 'string'
    if (f & ts.TypeFlags.Void) return 'void'
    if (f & ts.TypeFlags.Object) {
      const sym = t.aliasSymbol ?? t.symbol
      if (sym?.name === 'Address' && this.apiName(sym)) return 'address'
      if (t.symbol?.name === 'Uint8Array') return 'bytes'
      if (this.checker.isArrayType(t)) return 'array'
      const d = t.symbol?.declarations?.[0]
      if (d && d.getSourceFile() === this.sf && (ts.isInterfaceDeclaration(d) || ts.isTypeLiteralNode(d))) return 'struct'
    }
    return 'other'
  }

  private enumType(d: ts.EnumDeclaration): number {
    const name = d.name.text
    const key = `enum:${name}`
    const hit = this.typeIndex.get(key)
    if (hit !== undefined) return hit
    if (d.members.length === 0) this.fail(d, CompileErrorCode.UNSUPPORTED_TYPE, 'an enum needs at least one member')
    const members: string[] = []
    const values: number[] = []
    for (const m of d.members) {
      const v = this.checker.getConstantValue(m)
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) this.fail(m, CompileErrorCode.UNSUPPORTED_TYPE, 'enum members must be non-negative integers')
      if (!ts.isIdentifier(m.name)) this.fail(m, CompileErrorCode.UNSUPPORTED_TYPE, 'enum member names must be identifiers')
      members.push(m.name.text)
      values.push(v)
    }
    if (new Set(values).size !== values.length) this.fail(d, CompileErrorCode.UNSUPPORTED_TYPE, 'enum members must have distinct values')
    return this.internType(key, { tag: TypeTag.ENUM, name, members, values })
  }

  /** Maps a TypeScript type to an IR type index, or refuses it at `at`. */
  private irType(t: ts.Type, at: ts.Node): number {
    const cls = this.classify(t)
    switch (cls) {
      case 'int': return this.internType('int', { tag: TypeTag.INT })
      case 'bool': return this.internType('bool', { tag: TypeTag.BOOL })
      case 'string': return this.internType('string', { tag: TypeTag.STRING })
      case 'bytes': return this.internType('bytes', { tag: TypeTag.BYTES })
      case 'address': return this.internType('address', { tag: TypeTag.ADDRESS })
      case 'void': return this.internType('void', { tag: TypeTag.VOID })
      case 'enum': return this.enumType(this.enumDeclOf(t.flags & ts.TypeFlags.Union ? (t as ts.UnionType).types[0]! : t)!)
      case 'array': {
        const elem = this.checker.getTypeArguments(t as ts.TypeReference)[0]
        if (!elem) this.fail(at, CompileErrorCode.UNSUPPORTED_TYPE, 'array element type unknown')
        const e = this.irType(elem, at)
        if (this.types[e]!.tag === TypeTag.VOID) this.fail(at, CompileErrorCode.UNSUPPORTED_TYPE, 'arrays of void are not allowed')
        return this.internType(`array:${e}`, { tag: TypeTag.ARRAY, elem: e })
      }
      case 'struct': {
        const decl = t.symbol.declarations![0]!
        const name = ts.isInterfaceDeclaration(decl) ? decl.name.text : t.aliasSymbol?.name
        if (!name) this.fail(at, CompileErrorCode.UNSUPPORTED_TYPE, 'anonymous object types are not allowed: declare an interface (a struct)')
        if ((t as ts.TypeReference).typeArguments?.length || (ts.isInterfaceDeclaration(decl) && decl.typeParameters?.length)) this.fail(at, CompileErrorCode.UNSUPPORTED_TYPE, 'generic structs are not allowed')
        const key = `struct:${name}`
        const hit = this.typeIndex.get(key)
        if (hit !== undefined) {
          if (this.typeDecl.get(key) !== decl) this.fail(at, CompileErrorCode.BAD_CONTRACT, `two struct types are named ${name}`)
          return hit
        }
        if (this.typesInProgress.has(key)) this.fail(at, CompileErrorCode.UNSUPPORTED_TYPE, `recursive struct ${name} is not allowed`)
        this.typesInProgress.add(key)
        if (this.checker.getSignaturesOfType(t, ts.SignatureKind.Call).length || this.checker.getIndexInfosOfType(t).length) {
          this.fail(decl, CompileErrorCode.UNSUPPORTED_TYPE, `struct ${name} may only have plain fields`)
        }
        const fields: string[] = []
        const ftypes: number[] = []
        for (const p of this.checker.getPropertiesOfType(t)) {
          const pd = p.declarations?.[0]
          if (!pd || !ts.isPropertySignature(pd)) this.fail(pd ?? decl, CompileErrorCode.UNSUPPORTED_TYPE, `struct ${name}: '${p.name}' must be a plain field (no methods)`)
          if (pd.questionToken) this.fail(pd, CompileErrorCode.UNSUPPORTED_TYPE, `struct ${name}: optional fields are not allowed (every type has a zero value)`)
          const ft = this.irType(this.checker.getTypeOfSymbol(p), pd)
          if (this.types[ft]!.tag === TypeTag.VOID) this.fail(pd, CompileErrorCode.UNSUPPORTED_TYPE, 'a field cannot be void')
          fields.push(p.name)
          ftypes.push(ft)
        }
        this.typesInProgress.delete(key)
        this.typeDecl.set(key, decl)
        return this.internType(key, { tag: TypeTag.STRUCT, name, fields, types: ftypes })
      }
      default:
        return this.fail(at, CompileErrorCode.UNSUPPORTED_TYPE, `type '${this.checker.typeToString(t)}' is not allowed in contracts (use number, string, boolean, Bytes, Address, an enum, an interface or an array of these)`)
    }
  }

  private typeOf(e: ts.Node): ts.Type {
    return this.checker.getTypeAtLocation(e)
  }

  // ---- nodes -----------------------------------------------------------------------------

  private emit(node: CanonicalValue[], at: ts.Node): number {
    let d = 1
    for (const [c] of irNodeChildren(node)) d = Math.max(d, this.depths[c]! + 1)
    if (d > DEFAULT_LIMITS.maxNodeDepth) this.fail(at, CompileErrorCode.LIMIT_EXCEEDED, `nested too deeply (the VM allows ${DEFAULT_LIMITS.maxNodeDepth} levels): split it into functions or local variables`)
    if (this.nodes.length >= MAX_NODES) this.fail(at, CompileErrorCode.LIMIT_EXCEEDED, `the contract is too large (more than ${MAX_NODES} IR nodes)`)
    this.nodes.push(node)
    this.depths.push(d)
    return this.nodes.length - 1
  }

  private constNode(v: number | string | boolean, at: ts.Node): number {
    return this.emit([typeof v === 'number' ? Op.INT : typeof v === 'string' ? Op.STR : Op.BOOL, v], at)
  }

  // ---- functions -------------------------------------------------------------------------

  private compileFunction(fn: FunctionDecl): void {
    this.current = fn
    this.locals = new Map()
    this.nLocals = 0
    const d = fn.decl
    const paramNames: string[] = []
    const paramTypes: number[] = []
    for (const p of d.parameters) {
      if (!ts.isIdentifier(p.name)) this.fail(p, CompileErrorCode.NOT_ALLOWED, 'destructuring parameters is not allowed')
      if (p.initializer || p.questionToken || p.dotDotDotToken) this.fail(p, CompileErrorCode.NOT_ALLOWED, 'optional, default and rest parameters are not allowed')
      if (!p.type) this.fail(p, CompileErrorCode.NOT_ALLOWED, `parameter '${p.name.text}' needs a type annotation`)
      const t = this.irType(this.typeOf(p), p)
      if (this.types[t]!.tag === TypeTag.VOID) this.fail(p, CompileErrorCode.UNSUPPORTED_TYPE, 'a parameter cannot be void')
      paramNames.push(p.name.text)
      paramTypes.push(t)
      this.newLocal(p.name)
    }
    if (paramNames.length > 16) this.fail(d, CompileErrorCode.LIMIT_EXCEEDED, 'at most 16 parameters')
    const sig = this.checker.getSignatureFromDeclaration(d)!
    const returnType = this.irType(this.checker.getReturnTypeOfSignature(sig), d.type ?? d.name!)
    if (fn.name === CONSTRUCTOR_NAME && this.types[returnType]!.tag !== TypeTag.VOID) this.fail(d, CompileErrorCode.BAD_CONTRACT, 'init (the constructor) returns nothing')
    const body = this.block(d.body!.statements, d.body!)
    fn.ir = { name: fn.name, paramNames, paramTypes, returnType, nLocals: this.nLocals, body, flags: 0 }
    this.current = null
  }

  private newLocal(name: ts.Identifier): number {
    const sym = this.resolve(name)
    if (!sym) this.fail(name, CompileErrorCode.TYPE_ERROR, `cannot resolve '${name.text}'`)
    if (this.nLocals >= MAX_LOCALS) this.fail(name, CompileErrorCode.LIMIT_EXCEEDED, `at most ${MAX_LOCALS} local variables per function`)
    this.locals.set(sym, this.nLocals)
    return this.nLocals++
  }

  // ---- statements ------------------------------------------------------------------------

  private block(stmts: readonly ts.Statement[], at: ts.Node): number {
    const out: number[] = []
    for (const s of stmts) out.push(...this.statement(s))
    if (out.length > 256) this.fail(at, CompileErrorCode.LIMIT_EXCEEDED, 'at most 256 statements per block: split the function')
    return this.emit([Op.BLOCK, out], at)
  }

  private single(s: ts.Statement): number {
    if (ts.isBlock(s)) return this.block(s.statements, s)
    const list = this.statement(s)
    return list.length === 1 ? list[0]! : this.emit([Op.BLOCK, list], s)
  }

  private statement(s: ts.Statement): number[] {
    if (ts.isBlock(s)) return [this.block(s.statements, s)]
    if (ts.isEmptyStatement(s)) return []
    if (ts.isVariableStatement(s)) return this.variables(s.declarationList)
    if (ts.isExpressionStatement(s)) return [this.expressionStatement(s.expression)]
    if (ts.isIfStatement(s)) {
      const cond = this.condition(s.expression)
      const then = this.single(s.thenStatement)
      const otherwise = s.elseStatement ? this.single(s.elseStatement) : -1
      return [this.emit([Op.IF, cond, then, otherwise], s)]
    }
    if (ts.isWhileStatement(s)) {
      const cond = this.condition(s.expression)
      return [this.emit([Op.LOOP, cond, -1, this.single(s.statement)], s)]
    }
    if (ts.isForStatement(s)) {
      const init: number[] = []
      if (s.initializer) {
        if (ts.isVariableDeclarationList(s.initializer)) init.push(...this.variables(s.initializer))
        else init.push(this.expressionStatement(s.initializer))
      }
      const cond = s.condition ? this.condition(s.condition) : this.emit([Op.BOOL, true], s)
      const update = s.incrementor ? this.expressionStatement(s.incrementor) : -1
      const loop = this.emit([Op.LOOP, cond, update, this.single(s.statement)], s)
      return init.length === 0 ? [loop] : [this.emit([Op.BLOCK, [...init, loop]], s)]
    }
    if (ts.isBreakStatement(s) || ts.isContinueStatement(s)) {
      if (s.label) this.fail(s, CompileErrorCode.NOT_ALLOWED, 'labels are not allowed')
      return [this.emit([ts.isBreakStatement(s) ? Op.BREAK : Op.CONTINUE], s)]
    }
    if (ts.isReturnStatement(s)) {
      if (this.current?.name === CONSTRUCTOR_NAME && s.expression) this.fail(s, CompileErrorCode.BAD_CONTRACT, 'init returns nothing')
      return [this.emit([Op.RETURN, s.expression ? this.expr(s.expression) : -1], s)]
    }
    if (ts.isFunctionDeclaration(s)) this.fail(s, CompileErrorCode.NOT_ALLOWED, 'nested functions are not allowed: declare functions at the top level')
    return this.fail(s, CompileErrorCode.NOT_ALLOWED, `${describeKind(s)} is not allowed in contracts`)
  }

  private variables(list: ts.VariableDeclarationList): number[] {
    const out: number[] = []
    for (const d of list.declarations) {
      if (!ts.isIdentifier(d.name)) this.fail(d, CompileErrorCode.NOT_ALLOWED, 'destructuring is not allowed')
      if (!d.initializer) this.fail(d, CompileErrorCode.NOT_ALLOWED, `'${d.name.text}' must be initialised where it is declared`)
      const t = this.irType(this.typeOf(d.name), d.name)
      if (this.types[t]!.tag === TypeTag.VOID) this.fail(d, CompileErrorCode.UNSUPPORTED_TYPE, 'a variable cannot hold void')
      const value = this.expr(d.initializer)
      out.push(this.emit([Op.LET, this.newLocal(d.name), value], d))
    }
    return out
  }

  private condition(e: ts.Expression): number {
    if (this.classify(this.typeOf(e)) !== 'bool') this.fail(e, CompileErrorCode.NOT_ALLOWED, 'a condition must be a boolean (no truthiness): compare explicitly')
    return this.expr(e)
  }

  private expressionStatement(e: ts.Expression): number {
    while (ts.isParenthesizedExpression(e)) e = e.expression
    if (ts.isCallExpression(e)) {
      const callee = e.expression
      if (ts.isIdentifier(callee) && this.apiName(this.resolve(callee)) === 'require') {
        const [cond, msg] = e.arguments
        if (!cond || !msg || e.arguments.length !== 2) this.fail(e, CompileErrorCode.NOT_ALLOWED, 'require takes (condition, message)')
        return this.emit([Op.REQUIRE, this.condition(cond), this.stringExpr(msg)], e)
      }
      if (ts.isPropertyAccessExpression(callee) && callee.name.text === 'emit' && ts.isIdentifier(callee.expression)) {
        const ev = this.eventDecls.get(this.resolve(callee.expression)!)
        if (ev !== undefined) {
          if (e.arguments.length !== 1) this.fail(e, CompileErrorCode.NOT_ALLOWED, 'emit takes one struct')
          this.current!.writes = true
          return this.emit([Op.EMIT, ev, this.structExpr(e.arguments[0]!, this.events[ev]!.type)], e)
        }
      }
      return this.emit([Op.EXPR, this.expr(e)], e)
    }
    if (ts.isBinaryExpression(e) && isAssignment(e.operatorToken.kind)) return this.assignment(e)
    if ((ts.isPrefixUnaryExpression(e) || ts.isPostfixUnaryExpression(e)) && (e.operator === ts.SyntaxKind.PlusPlusToken || e.operator === ts.SyntaxKind.MinusMinusToken)) {
      const local = this.localTarget(e.operand)
      const one = this.emit([Op.INT, 1], e)
      const op = e.operator === ts.SyntaxKind.PlusPlusToken ? BinOp.ADD : BinOp.SUB
      return this.emit([Op.LET, local, this.emit([Op.BIN, op, this.emit([Op.LOCAL, local], e), one], e)], e)
    }
    return this.fail(e, CompileErrorCode.NOT_ALLOWED, 'an expression statement must be a call, an assignment, or ++ / --')
  }

  private localTarget(e: ts.Expression): number {
    const local = ts.isIdentifier(e) ? this.locals.get(this.resolve(e)!) : undefined
    if (local === undefined) this.fail(e, CompileErrorCode.NOT_ALLOWED, 'only local variables can be assigned (contract state changes through its storage methods)')
    return local
  }

  private assignment(e: ts.BinaryExpression): number {
    const k = e.operatorToken.kind
    if (k === ts.SyntaxKind.EqualsToken && ts.isElementAccessExpression(e.left)) {
      if (this.classify(this.typeOf(e.left.expression)) !== 'array') this.fail(e.left, CompileErrorCode.NOT_ALLOWED, 'only array elements can be assigned by index')
      return this.emit([Op.ISET, this.expr(e.left.expression), this.intExpr(e.left.argumentExpression), this.expr(e.right)], e)
    }
    if (ts.isPropertyAccessExpression(e.left)) this.fail(e.left, CompileErrorCode.NOT_ALLOWED, 'properties are read-only (struct fields, .length): build a new struct')
    const local = this.localTarget(e.left)
    let value: number
    if (k === ts.SyntaxKind.EqualsToken) value = this.expr(e.right)
    else {
      const op = COMPOUND[k]
      if (op === undefined) return this.fail(e.operatorToken, CompileErrorCode.NOT_ALLOWED, `'${e.operatorToken.getText()}' is not allowed`)
      value = this.binary(op, e.left, e.right, e)
    }
    return this.emit([Op.LET, local, value], e)
  }

  // ---- expressions -----------------------------------------------------------------------

  private intExpr(e: ts.Expression): number {
    const c = this.classify(this.typeOf(e))
    if (c !== 'int' && c !== 'enum') this.fail(e, CompileErrorCode.NOT_ALLOWED, 'an integer is expected here')
    return this.expr(e)
  }

  private stringExpr(e: ts.Expression): number {
    if (this.classify(this.typeOf(e)) !== 'string') this.fail(e, CompileErrorCode.NOT_ALLOWED, 'a string is expected here')
    return this.expr(e)
  }

  private expr(e: ts.Expression): number {
    if (ts.isParenthesizedExpression(e)) return this.expr(e.expression)
    const lit = this.literal(e)
    if (lit !== undefined) return this.constNode(lit, e)
    if (ts.isIdentifier(e)) return this.identifier(e, this.resolve(e))
    if (ts.isTemplateExpression(e)) {
      let acc = this.constNode(e.head.text, e.head)
      for (const span of e.templateSpans) {
        const c = this.classify(this.typeOf(span.expression))
        let part = this.expr(span.expression)
        if (c === 'int' || c === 'enum') part = this.emit([Op.BUILTIN, Builtin.intToString, [part]], span.expression)
        else if (c !== 'string') this.fail(span.expression, CompileErrorCode.NOT_ALLOWED, 'only strings and integers can be interpolated')
        acc = this.emit([Op.BIN, BinOp.CONCAT, acc, part], span)
        if (span.literal.text.length > 0) acc = this.emit([Op.BIN, BinOp.CONCAT, acc, this.constNode(span.literal.text, span.literal)], span)
      }
      return acc
    }
    if (ts.isPropertyAccessExpression(e)) return this.propertyAccess(e)
    if (ts.isElementAccessExpression(e)) {
      const c = this.classify(this.typeOf(e.expression))
      if (c !== 'array' && c !== 'bytes') this.fail(e, CompileErrorCode.NOT_ALLOWED, 'only arrays and Bytes can be indexed')
      return this.emit([Op.INDEX, this.expr(e.expression), this.intExpr(e.argumentExpression)], e)
    }
    if (ts.isCallExpression(e)) return this.call(e)
    if (ts.isPrefixUnaryExpression(e)) {
      if (e.operator === ts.SyntaxKind.ExclamationToken) return this.emit([Op.NOT, this.condition(e.operand)], e)
      if (e.operator === ts.SyntaxKind.MinusToken) return this.emit([Op.NEG, this.intExpr(e.operand)], e)
      return this.fail(e, CompileErrorCode.NOT_ALLOWED, `'${ts.tokenToString(e.operator)}' inside an expression is not allowed: use it as a statement`)
    }
    if (ts.isPostfixUnaryExpression(e)) return this.fail(e, CompileErrorCode.NOT_ALLOWED, "'++' / '--' inside an expression is not allowed: use it as a statement")
    if (ts.isBinaryExpression(e)) {
      const k = e.operatorToken.kind
      if (isAssignment(k)) this.fail(e, CompileErrorCode.NOT_ALLOWED, 'assignments are statements, not expressions')
      const op = BINARY[k]
      if (op === undefined) return this.fail(e.operatorToken, CompileErrorCode.NOT_ALLOWED, `the operator '${e.operatorToken.getText()}' is not allowed`)
      return this.binary(op, e.left, e.right, e)
    }
    if (ts.isConditionalExpression(e)) return this.emit([Op.COND, this.condition(e.condition), this.expr(e.whenTrue), this.expr(e.whenFalse)], e)
    if (ts.isObjectLiteralExpression(e)) {
      const ctx = this.checker.getContextualType(e)
      if (!ctx) this.fail(e, CompileErrorCode.UNSUPPORTED_TYPE, 'an object literal needs a struct type from its context: annotate the variable, parameter or return type')
      return this.structExpr(e, this.irType(ctx, e))
    }
    if (ts.isArrayLiteralExpression(e)) {
      if (e.elements.length > 256) this.fail(e, CompileErrorCode.LIMIT_EXCEEDED, 'at most 256 elements in an array literal')
      const ctx = this.checker.getContextualType(e)
      if (e.elements.length === 0 && !ctx) this.fail(e, CompileErrorCode.UNSUPPORTED_TYPE, 'an empty array needs a declared type: const xs: T[] = []')
      this.irType(e.elements.length === 0 ? ctx! : this.typeOf(e), e)
      return this.emit([Op.ARRAY, e.elements.map((x) => this.expr(x))], e)
    }
    return this.fail(e, CompileErrorCode.NOT_ALLOWED, `${describeKind(e)} is not allowed in contracts`)
  }

  private identifier(e: ts.Identifier, sym: ts.Symbol | undefined): number {
    if (!sym) return this.fail(e, CompileErrorCode.TYPE_ERROR, `cannot resolve '${e.text}'`)
    const local = this.locals.get(sym)
    if (local !== undefined) return this.emit([Op.LOCAL, local], e)
    const c = this.constants.get(sym)
    if (c !== undefined) return this.constNode(c, e)
    if (this.storage.has(sym)) this.fail(e, CompileErrorCode.NOT_ALLOWED, `'${e.text}' is storage: use its methods (get, set, …)`)
    if (this.functionDecls.has(sym) || this.apiName(sym)) this.fail(e, CompileErrorCode.NOT_ALLOWED, `'${e.text}' is a function: functions are not values`)
    return this.fail(e, CompileErrorCode.NOT_ALLOWED, `'${e.text}' is not a value a contract can use here`)
  }

  private propertyAccess(e: ts.PropertyAccessExpression): number {
    const objSym = ts.isIdentifier(e.expression) ? this.resolve(e.expression) : undefined
    if (objSym && objSym.flags & ts.SymbolFlags.Enum) {
      const member = this.checker.getSymbolAtLocation(e)?.valueDeclaration
      const v = member && ts.isEnumMember(member) ? this.checker.getConstantValue(member) : undefined
      if (typeof v !== 'number') this.fail(e, CompileErrorCode.UNSUPPORTED_TYPE, 'enum members must be integers')
      return this.emit([Op.INT, v], e)
    }
    const objType = this.typeOf(e.expression)
    const c = this.classify(objType)
    const name = e.name.text
    if (name === 'length' && (c === 'string' || c === 'bytes' || c === 'array')) return this.emit([Op.LEN, this.expr(e.expression)], e)
    if (c === 'struct') {
      const t = this.types[this.irType(objType, e.expression)]!
      const i = t.tag === TypeTag.STRUCT ? t.fields.indexOf(name) : -1
      if (i < 0) this.fail(e.name, CompileErrorCode.TYPE_ERROR, `no field '${name}'`)
      return this.emit([Op.FIELD, this.expr(e.expression), i], e)
    }
    return this.fail(e, CompileErrorCode.NOT_ALLOWED, `'.${name}' is not allowed here (only struct fields, enum members and .length of strings, Bytes and arrays)`)
  }

  private structExpr(e: ts.Expression, typeIndex: number): number {
    const t = this.types[typeIndex]!
    if (t.tag !== TypeTag.STRUCT) return this.fail(e, CompileErrorCode.UNSUPPORTED_TYPE, 'a struct is expected here')
    if (!ts.isObjectLiteralExpression(e)) return this.expr(e)
    const given = new Map<string, ts.ObjectLiteralElementLike>()
    for (const p of e.properties) {
      if (!(ts.isPropertyAssignment(p) || ts.isShorthandPropertyAssignment(p)) || !(ts.isIdentifier(p.name) || ts.isStringLiteral(p.name))) {
        this.fail(p, CompileErrorCode.NOT_ALLOWED, 'struct literals take plain fields: { name: value } or { name }')
      }
      given.set(p.name.text, p)
    }
    const fields = t.fields.map((f) => {
      const p = given.get(f)
      if (!p) return this.fail(e, CompileErrorCode.TYPE_ERROR, `field '${f}' of ${t.name} is missing`)
      given.delete(f)
      if (ts.isShorthandPropertyAssignment(p)) return this.identifier(p.name, this.checker.getShorthandAssignmentValueSymbol(p))
      return this.expr((p as ts.PropertyAssignment).initializer)
    })
    for (const [k, p] of given) this.fail(p, CompileErrorCode.TYPE_ERROR, `${t.name} has no field '${k}'`)
    return this.emit([Op.STRUCT, typeIndex, fields], e)
  }

  private binary(op: number, left: ts.Expression, right: ts.Expression, at: ts.Node): number {
    const lc = this.classify(this.typeOf(left))
    const rc = this.classify(this.typeOf(right))
    const num = (c: ValueClass): boolean => c === 'int' || c === 'enum'
    if (op === BinOp.ADD && lc === 'string' && rc === 'string') op = BinOp.CONCAT
    else if (op === LOGIC_AND || op === LOGIC_OR) {
      if (lc !== 'bool' || rc !== 'bool') this.fail(at, CompileErrorCode.NOT_ALLOWED, "'&&' and '||' take booleans")
      return this.emit([op === LOGIC_AND ? Op.AND : Op.OR, this.expr(left), this.expr(right)], at)
    } else if (op === BinOp.EQ || op === BinOp.NE) {
      const same = (num(lc) && num(rc)) || (lc === rc && (lc === 'string' || lc === 'bool' || lc === 'address'))
      if (!same) this.fail(at, CompileErrorCode.NOT_ALLOWED, `'===' compares two integers, enums, strings, booleans or addresses${lc === 'bytes' ? ' (use bytesEqual for Bytes)' : ''}`)
    } else if (!num(lc) || !num(rc)) {
      this.fail(at, CompileErrorCode.NOT_ALLOWED, op === BinOp.ADD ? "'+' takes two integers or two strings (convert with intToString)" : 'arithmetic and ordering take integers')
    }
    return this.emit([Op.BIN, op, this.expr(left), this.expr(right)], at)
  }

  private call(e: ts.CallExpression): number {
    const callee = e.expression
    const args = (): number[] => e.arguments.map((a) => this.expr(a))
    if (ts.isIdentifier(callee)) {
      const sym = this.resolve(callee)
      const api = this.apiName(sym)
      if (api !== undefined) {
        if (api === 'require') this.fail(e, CompileErrorCode.NOT_ALLOWED, 'require(condition, message) is a statement')
        if (api in STORAGE_FACTORIES || api === 'event') this.fail(e, CompileErrorCode.NOT_ALLOWED, `${api}<…>() declares storage: only as a top-level const`)
        const id = (Builtin as Record<string, number>)[api]
        if (id === undefined) this.fail(e, CompileErrorCode.NOT_ALLOWED, `'${api}' cannot be called`)
        return this.emit([Op.BUILTIN, id, args()], e)
      }
      const fn = sym ? this.functionDecls.get(sym) : undefined
      if (fn) {
        if (fn.name === CONSTRUCTOR_NAME) this.fail(e, CompileErrorCode.NOT_ALLOWED, 'init (the constructor) runs only at deploy')
        this.current!.callees.add(fn.index)
        return this.emit([Op.CALL, fn.index, args()], e)
      }
      return this.fail(callee, CompileErrorCode.NOT_ALLOWED, `'${callee.text}' is not a function a contract can call`)
    }
    if (ts.isPropertyAccessExpression(callee)) {
      const method = callee.name.text
      const objSym = ts.isIdentifier(callee.expression) ? this.resolve(callee.expression) : undefined
      const slot = objSym ? this.storage.get(objSym) : undefined
      if (slot) {
        const op = SLOT_METHODS[slot.kind][method]
        if (op === undefined) this.fail(callee.name, CompileErrorCode.NOT_ALLOWED, `'${method}' is not a method of ${slot.name}`)
        if (WRITING_SLOT_OPS.has(op)) this.current!.writes = true
        const s = this.slots[slot.index]!
        const argNodes = e.arguments.map((a, i) => {
          // Struct literals passed to storage take the stored type from the slot.
          const isValueArg = i === e.arguments.length - 1 && WRITING_SLOT_OPS.has(op) && op !== SlotOp.MAP_REMOVE
          return isValueArg && ts.isObjectLiteralExpression(a) ? this.structExpr(a, s.valueType) : this.expr(a)
        })
        return this.emit([Op.SLOT, slot.index, op, argNodes], e)
      }
      if (objSym && this.eventDecls.has(objSym)) this.fail(e, CompileErrorCode.NOT_ALLOWED, 'emit is a statement')
      if (method === 'push' && this.classify(this.typeOf(callee.expression)) === 'array') {
        if (e.arguments.length !== 1) this.fail(e, CompileErrorCode.NOT_ALLOWED, 'push takes one item')
        return this.emit([Op.PUSH, this.expr(callee.expression), this.expr(e.arguments[0]!)], e)
      }
      return this.fail(callee, CompileErrorCode.NOT_ALLOWED, `method call '.${method}()' is not allowed (only storage methods, event.emit and array.push)`)
    }
    return this.fail(e, CompileErrorCode.NOT_ALLOWED, 'only named functions can be called')
  }
}

/** '&&' and '||' are not IR binary operators: `binary` routes them to their own AND / OR nodes. */
const LOGIC_AND = 100
const LOGIC_OR = 101
const BINARY: Readonly<Partial<Record<ts.SyntaxKind, number>>> = {
  [ts.SyntaxKind.PlusToken]: BinOp.ADD, [ts.SyntaxKind.MinusToken]: BinOp.SUB, [ts.SyntaxKind.AsteriskToken]: BinOp.MUL,
  [ts.SyntaxKind.SlashToken]: BinOp.DIV, [ts.SyntaxKind.PercentToken]: BinOp.MOD,
  [ts.SyntaxKind.LessThanToken]: BinOp.LT, [ts.SyntaxKind.LessThanEqualsToken]: BinOp.LE,
  [ts.SyntaxKind.GreaterThanToken]: BinOp.GT, [ts.SyntaxKind.GreaterThanEqualsToken]: BinOp.GE,
  [ts.SyntaxKind.EqualsEqualsEqualsToken]: BinOp.EQ, [ts.SyntaxKind.ExclamationEqualsEqualsToken]: BinOp.NE,
  [ts.SyntaxKind.AmpersandAmpersandToken]: LOGIC_AND, [ts.SyntaxKind.BarBarToken]: LOGIC_OR,
}
const COMPOUND: Readonly<Partial<Record<ts.SyntaxKind, number>>> = {
  [ts.SyntaxKind.PlusEqualsToken]: BinOp.ADD, [ts.SyntaxKind.MinusEqualsToken]: BinOp.SUB, [ts.SyntaxKind.AsteriskEqualsToken]: BinOp.MUL,
  [ts.SyntaxKind.SlashEqualsToken]: BinOp.DIV, [ts.SyntaxKind.PercentEqualsToken]: BinOp.MOD,
}

function isAssignment(k: ts.SyntaxKind): boolean {
  return k >= ts.SyntaxKind.FirstAssignment && k <= ts.SyntaxKind.LastAssignment
}

function describeKind(n: ts.Node): string {
  const name = ts.SyntaxKind[n.kind].replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase()
  return `'${name}'`
}
