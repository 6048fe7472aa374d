import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ReceiptStatus } from '../core/execution.ts'
import { compileContract } from './compiler.ts'
import { CompileError, CompileErrorCode } from './errors.ts'
import { LocalChain, testAccount } from './testing/local-chain.ts'

const HEADER = "import { value, mapping, list, require, caller, blockHeight, intToString, type Address } from '../api.ts'\n"

/** Compiles `body` (after a one-line import) and returns the CompileError, asserting its line. */
function refused(body: string, line: number, includes: string, code: CompileErrorCode = CompileErrorCode.NOT_ALLOWED): CompileError {
  try {
    compileContract(HEADER + body, 'bad.ts')
  } catch (e) {
    assert.ok(e instanceof CompileError, `expected a CompileError, got ${String(e)}`)
    assert.equal(e.code, code, e.message)
    assert.equal(e.line, line + 1, e.message)
    assert.ok(e.message.includes(includes), `${e.message} should mention ${includes}`)
    assert.match(e.message, new RegExp(`^bad\\.ts:${line + 1}:\\d+: `))
    return e
  }
  assert.fail(`compiled: ${body}`)
}

test('host access and non-determinism are refused at compile time with the line', () => {
  refused('export function f(): number {\n  return Date.now()\n}', 2, 'Date')
  refused('export function f(): number {\n  const x = 1\n  return Math.random()\n}', 3, 'Math.random()')
  refused("export function f(): void {\n  require('fs')\n}", 2, "require('fs') cannot load modules")
  refused('export function f(): void {\n  const g = globalThis\n}', 2, 'globalThis')
  refused("export function f(): void {\n  eval('1')\n}", 2, 'eval')
  refused("export function f(): void {\n  const o = { a: 1 }\n  const c = o.constructor\n}", 3, 'prototype access')
  refused("interface S { readonly a: number }\nexport function f(s: S): void {\n  const c = s['__proto__']\n}", 3, 'indexing with a string')
  refused("import { readFileSync } from 'node:fs'\nexport function f(): void {}", 1, "not 'node:fs'")
  refused('export function f(): number {\n  return 1.5\n}', 2, 'floating point')
  refused('export function f(): bigint {\n  return 10n\n}', 2, 'bigint')
  refused('class A {}\n', 1, 'classes')
  refused('export function f(): void {\n  const g = (x: number) => x\n}', 2, 'arrow functions')
  refused('export function f(): void {\n  throw 1\n}', 2, 'require(condition, message)')
  refused('export function f(x: number): void {\n  for (const k in [x]) {}\n}', 2, 'for…in')
  refused('export function f(x: number): number {\n  return x as number\n}', 2, "'as'")
  refused('export function f(): void {\n  const p = process\n}', 2, 'host I/O')
  refused('export function f(): void {\n  const n = new Uint8Array(3)\n}', 2, "'new'")
  refused('export function f(x: number): number {\n  return x | 1\n}', 2, "'|'")
  refused('var counter = 1\n', 1, "'var'")
  refused('let counter = 1\n', 1, 'top-level variables must be const')
  refused('export function f(): void {\n  import("fs")\n}', 2, 'dynamic import')
})

test('type errors and unsupported types carry the line', () => {
  refused("export function f(): number {\n  return 'x'\n}", 2, "not assignable", CompileErrorCode.TYPE_ERROR)
  refused('export function f(x: number | string): void {\n}', 1, "type 'string | number'", CompileErrorCode.UNSUPPORTED_TYPE)
  refused('export function f(x: any): void {\n}', 1, "type 'any'", CompileErrorCode.UNSUPPORTED_TYPE)
  refused('interface S { readonly a?: number }\nconst s = value<S>()\n', 1, 'optional fields', CompileErrorCode.UNSUPPORTED_TYPE)
  refused('export function f(x: number): boolean {\n  if (x) { return true }\n  return false\n}', 2, 'must be a boolean')
  refused('export function f(x: string): string {\n  return x + 1\n}', 2, "'+' takes two integers or two strings")
})

const LANGUAGE = `
import { value, mapping, list, event, require, caller, intToString, substring, bytesToHex, sha256, utf8Bytes, type Address } from '../api.ts'

export enum Color { Red, Green = 5, Blue }
export interface Pair { readonly left: number; readonly right: string }
interface Bumped { readonly by: Address; readonly total: number }

const total = value<number>()
const names = mapping<string, number>()
const pairs = list<Pair>()
const Bumped = event<Bumped>()
const LIMIT = 3

export function init(start: number): void {
  total.set(start)
}

export function add(a: number, b: number): number { return a + b }
export function div(a: number, b: number): number { return a / b }
export function mod(a: number, b: number): number { return a % b }
export function mul(a: number, b: number): number { return a * b }
export function neg(a: number): number { return -a }
export function greet(name: string, n: number): string { return \`hi \${name} #\${n}\` }
export function pick(c: Color): string { return c === Color.Green ? 'green' : c === Color.Blue ? 'blue' : 'red' }
export function pair(n: number): Pair { return { right: intToString(n), left: n } }
export function squares(n: number): number[] {
  const out: number[] = []
  let i = 0
  while (true) {
    i += 1
    if (i > n) { break }
    if (i % 2 === 0) { continue }
    out.push(i * i)
  }
  if (out.length > 0) { out[0] = -1 }
  return out
}
export function hexOfHash(s: string): string { return substring(bytesToHex(sha256(utf8Bytes(s))), 0, 8) }
export function bump(by: number): number {
  require(by > 0, 'by must be positive, got ' + intToString(by))
  total.set(total.get() + by)
  names.set('last', by)
  pairs.push({ left: by, right: 'x' })
  require(total.get() <= 100, 'total would exceed 100')
  Bumped.emit({ by: caller(), total: total.get() })
  return total.get()
}
export function getTotal(): number { return helper() }
function helper(): number { return total.get() + LIMIT - LIMIT }
export function indirectWrite(): void { writer() }
function writer(): void { names.set('w', 1) }
export function spin(): void {
  let i = 0
  while (true) { i += 1 }
}
export function recurse(n: number): number { return recurse(n + 1) }
export function fact(n: number): number { return n <= 1 ? 1 : n * fact(n - 1) }
export function grow(n: number): string {
  let s = 'x'
  for (let i = 0; i < n; i++) { s = s + s }
  return s
}
`

test('the language: arithmetic, strings, enums, structs, arrays, loops and builtins behave as specified', () => {
  const chain = new LocalChain()
  const me = testAccount(7)
  const c = chain.deploy(me, LANGUAGE, [10])
  const v = (m: string, ...args: (number | string)[]) => chain.view(c, m, args)
  assert.equal(v('add', 2, 3).returnValue, 5)
  assert.equal(v('div', 7, 2).returnValue, 3)
  assert.equal(v('div', -7, 2).returnValue, -3, 'division truncates toward zero')
  assert.equal(v('mod', -7, 2).returnValue, -1)
  assert.equal(v('mod', -4, 2).returnValue, 0)
  assert.equal(v('div', 1, 0).errorCode, 'DIVISION_BY_ZERO')
  assert.equal(v('add', Number.MAX_SAFE_INTEGER, 1).errorCode, 'INTEGER_OVERFLOW')
  assert.equal(v('mul', 2 ** 30, 2 ** 30).errorCode, 'INTEGER_OVERFLOW')
  assert.equal(v('neg', 0).returnValue, 0)
  assert.ok(!Object.is(v('mul', 0, -5).returnValue, -0), 'never -0')
  assert.equal(v('greet', 'Ken', 25).returnValue, 'hi Ken #25')
  assert.equal(v('pick', 5).returnValue, 'green')
  assert.equal(v('pick', 6).returnValue, 'blue')
  assert.equal(v('pick', 1).errorCode, 'BAD_ARGS', 'enum args are checked')
  assert.deepEqual(v('pair', 4).returnValue, [4, '4'])
  assert.deepEqual(v('squares', 6).returnValue, [-1, 9, 25])
  assert.equal(v('hexOfHash', 'abc').returnValue, 'ba7816bf')
  assert.equal(v('fact', 10).returnValue, 3628800)
  assert.equal(v('getTotal').returnValue, 10)
  assert.equal(v('add', 1).errorCode, 'BAD_ARGS')
  assert.equal(v('add', 1, 'x').errorCode, 'BAD_ARGS')
  assert.equal(v('nope').errorCode, 'NO_METHOD')
  assert.equal(v('grow', 30).errorCode, 'VALUE_TOO_LARGE')

  const r = chain.callTx(me, c, 'bump', [5])
  assert.equal(r.status, ReceiptStatus.OK, r.errorMessage)
  assert.equal(r.returnValue, 15)
  assert.deepEqual(r.events.map((e) => [e.name, e.data]), [['Bumped', [me.address, 15]]])
  const bad = chain.callTx(me, c, 'bump', [-2])
  assert.equal(bad.errorCode, 'REQUIRE_FAILED')
  assert.equal(bad.errorMessage, 'by must be positive, got -2')
})

test('read-only is inferred through calls', () => {
  const abi = compileContract(LANGUAGE).abi
  const ro = new Map(abi.methods.map((m) => [m.name, m.readOnly]))
  assert.equal(ro.get('getTotal'), true)
  assert.equal(ro.get('bump'), false)
  assert.equal(ro.get('indirectWrite'), false)
  assert.equal(abi.methods.some((m) => m.name === 'init' || m.name === 'helper'), false)
})

test('an infinite loop ends out of gas and deep recursion is stopped, both deterministically', () => {
  const chain = new LocalChain()
  const me = testAccount(7)
  const c = chain.deploy(me, LANGUAGE, [0])
  const spin1 = chain.callTx(me, c, 'spin', [], 200_000)
  const spin2 = chain.callTx(me, c, 'spin', [], 200_000)
  assert.equal(spin1.errorCode, 'OUT_OF_GAS')
  assert.equal(spin1.gasUsed, 200_000)
  assert.deepEqual(spin2, spin1)
  const rec = chain.callTx(me, c, 'recurse', [0])
  assert.equal(rec.errorCode, 'CALL_DEPTH_EXCEEDED')
  assert.equal(chain.callTx(me, c, 'recurse', [0]).gasUsed, rec.gasUsed)
  assert.equal(chain.view(c, 'spin', [], 50_000).errorCode, 'OUT_OF_GAS')
})

test('a failed call leaves storage byte-for-byte unchanged, and the same call gives the same gas', () => {
  const chain = new LocalChain()
  const me = testAccount(7)
  const c = chain.deploy(me, LANGUAGE, [90])
  chain.seal()
  const snapshot = (): string => JSON.stringify(chain.overlay.writeSet().filter(([k]) => k[0] === 0x03).map(([k, v]) => [Buffer.from(k).toString('hex'), v && Buffer.from(v).toString('hex')]))
  const before = snapshot()
  // bump(20) writes total, names and pairs, then fails its second require
  const r = chain.callTx(me, c, 'bump', [20])
  assert.equal(r.errorMessage, 'total would exceed 100')
  assert.equal(snapshot(), before)
  assert.equal(chain.view(c, 'getTotal').returnValue, 90)
  const again = chain.callTx(me, c, 'bump', [20])
  assert.equal(again.gasUsed, r.gasUsed)
  // out of gas in the middle of the writes also reverts them
  const oog = chain.callTx(me, c, 'bump', [1], 1_800)
  assert.equal(oog.errorCode, 'OUT_OF_GAS')
  assert.equal(snapshot(), before)
  const ok1 = chain.callTx(me, c, 'bump', [1])
  const ok2 = chain.callTx(me, c, 'bump', [1])
  const ok3 = chain.callTx(me, c, 'bump', [1])
  assert.equal(ok1.status, ReceiptStatus.OK)
  // the first push reads an absent list length (0 bytes), later ones read 1 byte: gas per byte
  assert.equal(ok2.gasUsed, ok1.gasUsed + 1)
  assert.equal(ok3.gasUsed, ok2.gasUsed)
})
