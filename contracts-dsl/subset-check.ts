/**
 * The syntactic half of the contract subset: refuses, with a precise reason, the constructs
 * through which a contract could reach the host or stop being deterministic (clock, randomness,
 * eval, module loading, globals, prototypes, classes, floats, exceptions, async). It runs before
 * type checking so the author sees "Date is not allowed" rather than a type error about it. The
 * code generator is a whitelist as well, so anything this pass misses is refused there.
 */
import ts from 'typescript'
import { API_SPECIFIERS } from './typescript-program.ts'

export type Refuse = (node: ts.Node, reason: string) => never

const NO_HOST = 'contracts have no host globals; only the contract API is reachable'
const FORBIDDEN_NAMES: Readonly<Record<string, string>> = {
  Date: 'there is no clock in a contract (every node would read a different time); use blockTime()',
  Math: 'Math is not available: no floating point and no randomness (Math.random() would differ on every node)',
  eval: 'eval is not allowed: contracts cannot generate code',
  Function: 'Function is not allowed: contracts cannot generate code',
  globalThis: `globalThis is not allowed: ${NO_HOST}`,
  global: `global is not allowed: ${NO_HOST}`,
  window: `window is not allowed: ${NO_HOST}`,
  process: 'process is not allowed: contracts have no host I/O',
  Buffer: 'Buffer is not allowed: use Bytes and the bytes helpers of the contract API',
  console: 'console is not allowed: contracts have no host I/O; emit an event instead',
  fetch: 'fetch is not allowed: contracts have no host I/O',
  setTimeout: 'timers are not allowed in contracts',
  setInterval: 'timers are not allowed in contracts',
  setImmediate: 'timers are not allowed in contracts',
  queueMicrotask: 'timers are not allowed in contracts',
  Promise: 'async code is not allowed in contracts',
  Reflect: 'Reflect is not allowed: no prototype or property reflection in contracts',
  Proxy: 'Proxy is not allowed in contracts',
  Symbol: 'Symbol is not allowed in contracts',
  Object: 'Object is not allowed: no prototype or property reflection in contracts',
  JSON: 'JSON is not allowed in contracts',
  WebAssembly: 'WebAssembly is not allowed in contracts',
  Intl: 'Intl is not allowed: locale data differs between nodes',
  crypto: 'crypto is not allowed: use sha256() from the contract API; randomness is not allowed',
  performance: 'performance is not allowed: there is no clock in a contract',
  arguments: 'arguments is not allowed: declare parameters',
  module: 'module is not allowed: contracts cannot load or export modules',
  exports: 'exports is not allowed: contracts cannot load or export modules',
  __dirname: 'contracts have no file system',
  __filename: 'contracts have no file system',
  undefined: 'undefined is not a contract value: every type has a zero value',
  NaN: 'NaN is not a contract value: numbers are safe integers',
  Infinity: 'Infinity is not a contract value: numbers are safe integers',
  BigInt: 'BigInt is not allowed: integers are numbers (safe integers, overflow fails the call)',
  Array: 'the Array host object is not available; use array literals',
  String: 'the String host object is not available; use the string helpers of the contract API',
  Number: 'the Number host object is not available',
  Boolean: 'the Boolean host object is not available',
  RegExp: 'regular expressions are not allowed in contracts',
  Error: 'exceptions are not allowed: use require(condition, message)',
  Map: 'host collections are not allowed: use mapping<K, V>() storage or arrays',
  Set: 'host collections are not allowed: use mapping<K, V>() storage or arrays',
  WeakMap: 'host collections are not allowed',
  WeakSet: 'host collections are not allowed',
  WeakRef: 'WeakRef is not allowed in contracts',
  ArrayBuffer: 'host buffers are not allowed: use Bytes',
  SharedArrayBuffer: 'host buffers are not allowed: use Bytes',
  Atomics: 'Atomics is not allowed in contracts',
  Uint8Array: 'host classes are not allowed: Bytes values come from arguments, storage and the bytes helpers',
  structuredClone: `structuredClone is not allowed: ${NO_HOST}`,
}

const PROTOTYPE_NAMES = new Set(['constructor', 'prototype', '__proto__', '__defineGetter__', '__defineSetter__', '__lookupGetter__', '__lookupSetter__', 'call', 'apply', 'bind', 'valueOf', 'toString', 'hasOwnProperty'])

const FORBIDDEN_KINDS: ReadonlyMap<ts.SyntaxKind, string> = new Map([
  [ts.SyntaxKind.ThisKeyword, "'this' is not allowed: contracts are plain functions"],
  [ts.SyntaxKind.SuperKeyword, "'super' is not allowed: no classes in contracts"],
  [ts.SyntaxKind.NewExpression, "'new' is not allowed: no host classes in contracts"],
  [ts.SyntaxKind.ClassDeclaration, 'classes are not allowed in contracts'],
  [ts.SyntaxKind.ClassExpression, 'classes are not allowed in contracts'],
  [ts.SyntaxKind.ArrowFunction, 'arrow functions are not allowed: declare top-level functions'],
  [ts.SyntaxKind.FunctionExpression, 'function expressions are not allowed: declare top-level functions'],
  [ts.SyntaxKind.DeleteExpression, "'delete' is not allowed: use Mapping.remove()"],
  [ts.SyntaxKind.TypeOfExpression, "'typeof' is not allowed: types are static"],
  [ts.SyntaxKind.VoidExpression, "'void' is not allowed"],
  [ts.SyntaxKind.AwaitExpression, 'async code is not allowed in contracts'],
  [ts.SyntaxKind.YieldExpression, 'generators are not allowed in contracts'],
  [ts.SyntaxKind.DebuggerStatement, "'debugger' is not allowed"],
  [ts.SyntaxKind.WithStatement, "'with' is not allowed"],
  [ts.SyntaxKind.TryStatement, 'exceptions are not allowed: use require(condition, message)'],
  [ts.SyntaxKind.ThrowStatement, 'throw is not allowed: use require(condition, message)'],
  [ts.SyntaxKind.SwitchStatement, "'switch' is not allowed: use if / else"],
  [ts.SyntaxKind.LabeledStatement, 'labels are not allowed'],
  [ts.SyntaxKind.ForInStatement, "'for…in' is not allowed (it enumerates properties): use an index loop"],
  [ts.SyntaxKind.ForOfStatement, "'for…of' is not allowed: use an index loop"],
  [ts.SyntaxKind.DoStatement, "'do…while' is not allowed: use while"],
  [ts.SyntaxKind.RegularExpressionLiteral, 'regular expressions are not allowed in contracts'],
  [ts.SyntaxKind.BigIntLiteral, 'bigint is not allowed: integers are numbers (safe integers, overflow fails the call)'],
  [ts.SyntaxKind.NullKeyword, "'null' is not a contract value: every type has a zero value"],
  [ts.SyntaxKind.MetaProperty, 'import.meta / new.target are not allowed'],
  [ts.SyntaxKind.TaggedTemplateExpression, 'tagged templates are not allowed'],
  [ts.SyntaxKind.SpreadElement, 'spread is not allowed'],
  [ts.SyntaxKind.SpreadAssignment, 'spread is not allowed'],
  [ts.SyntaxKind.ObjectBindingPattern, 'destructuring is not allowed'],
  [ts.SyntaxKind.ArrayBindingPattern, 'destructuring is not allowed'],
  [ts.SyntaxKind.ComputedPropertyName, 'computed property names are not allowed'],
  [ts.SyntaxKind.MethodDeclaration, 'methods are not allowed: declare top-level functions'],
  [ts.SyntaxKind.GetAccessor, 'getters are not allowed'],
  [ts.SyntaxKind.SetAccessor, 'setters are not allowed'],
  [ts.SyntaxKind.Decorator, 'decorators are not allowed'],
  [ts.SyntaxKind.AsExpression, "type assertions ('as') are not allowed: they could lie about a value's type"],
  [ts.SyntaxKind.TypeAssertionExpression, 'type assertions are not allowed: they could lie about a value\'s type'],
  [ts.SyntaxKind.SatisfiesExpression, "'satisfies' is not allowed"],
  [ts.SyntaxKind.NonNullExpression, "non-null assertions ('!') are not allowed"],
  [ts.SyntaxKind.ModuleDeclaration, 'namespaces are not allowed'],
  [ts.SyntaxKind.ExportAssignment, 'export default / export = are not allowed: export functions'],
  [ts.SyntaxKind.ExportDeclaration, 're-exports are not allowed'],
  [ts.SyntaxKind.ImportEqualsDeclaration, 'import = require() is not allowed: contracts cannot load modules'],
  [ts.SyntaxKind.CommaListExpression, 'the comma operator is not allowed'],
])

const FORBIDDEN_OPERATORS: ReadonlyMap<ts.SyntaxKind, string> = new Map([
  [ts.SyntaxKind.InstanceOfKeyword, "'instanceof' is not allowed (prototype access)"],
  [ts.SyntaxKind.InKeyword, "'in' is not allowed (property reflection)"],
  [ts.SyntaxKind.EqualsEqualsToken, "'==' is not allowed: use '==='"],
  [ts.SyntaxKind.ExclamationEqualsToken, "'!=' is not allowed: use '!=='"],
  [ts.SyntaxKind.AsteriskAsteriskToken, "'**' is not allowed: multiply explicitly"],
  [ts.SyntaxKind.QuestionQuestionToken, "'??' is not allowed: there is no null"],
  [ts.SyntaxKind.CommaToken, 'the comma operator is not allowed'],
])
const BITWISE = new Set([
  ts.SyntaxKind.AmpersandToken, ts.SyntaxKind.BarToken, ts.SyntaxKind.CaretToken, ts.SyntaxKind.LessThanLessThanToken,
  ts.SyntaxKind.GreaterThanGreaterThanToken, ts.SyntaxKind.GreaterThanGreaterThanGreaterThanToken, ts.SyntaxKind.AmpersandEqualsToken,
  ts.SyntaxKind.BarEqualsToken, ts.SyntaxKind.CaretEqualsToken, ts.SyntaxKind.LessThanLessThanEqualsToken,
  ts.SyntaxKind.GreaterThanGreaterThanEqualsToken, ts.SyntaxKind.GreaterThanGreaterThanGreaterThanEqualsToken,
  ts.SyntaxKind.AsteriskAsteriskEqualsToken, ts.SyntaxKind.QuestionQuestionEqualsToken, ts.SyntaxKind.BarBarEqualsToken, ts.SyntaxKind.AmpersandAmpersandEqualsToken,
])

/** True when `id` is a name being read (not a property name, a struct field or a declaration of a member). */
function isReference(id: ts.Identifier): boolean {
  const p = id.parent
  if (ts.isPropertyAccessExpression(p) && p.name === id) return false
  if ((ts.isPropertyAssignment(p) || ts.isPropertySignature(p) || ts.isEnumMember(p) || ts.isMethodSignature(p)) && p.name === id) return false
  return true
}

export function checkSubset(sf: ts.SourceFile, refuse: Refuse): void {
  const visit = (node: ts.Node): void => {
    const why = FORBIDDEN_KINDS.get(node.kind)
    if (why) refuse(node, why)
    if (ts.isIdentifier(node) && isReference(node)) {
      const reason = FORBIDDEN_NAMES[node.text]
      if (reason !== undefined && Object.hasOwn(FORBIDDEN_NAMES, node.text)) refuse(node, reason.startsWith(node.text) ? reason : `'${node.text}' is not allowed: ${reason}`)
    }
    if (ts.isPropertyAccessExpression(node)) {
      if (node.questionDotToken) refuse(node, "optional chaining ('?.') is not allowed: there is no null")
      if (PROTOTYPE_NAMES.has(node.name.text)) refuse(node.name, `prototype access ('.${node.name.text}') is not allowed in contracts`)
    }
    if (ts.isElementAccessExpression(node)) {
      if (node.questionDotToken) refuse(node, "optional chaining ('?.') is not allowed")
      const arg = node.argumentExpression
      if (ts.isStringLiteralLike(arg)) refuse(arg, `indexing with a string ('["${arg.text}"]') is not allowed: it reaches properties and prototypes; use struct fields`)
    }
    if (ts.isCallExpression(node)) {
      if (node.expression.kind === ts.SyntaxKind.ImportKeyword) refuse(node, 'dynamic import() is not allowed: contracts cannot load modules')
      if (node.questionDotToken) refuse(node, "optional calls ('?.()') are not allowed")
      const callee = node.expression
      if (ts.isIdentifier(callee) && callee.text === 'require') {
        const first = node.arguments[0]
        if (node.arguments.length !== 2 || (first && ts.isStringLiteralLike(first))) {
          refuse(node, `require(${first && ts.isStringLiteralLike(first) ? `'${first.text}'` : ''}) cannot load modules in a contract; require(condition, message) checks a condition`)
        }
      }
    }
    if (ts.isBinaryExpression(node)) {
      const op = node.operatorToken.kind
      const r = FORBIDDEN_OPERATORS.get(op)
      if (r) refuse(node.operatorToken, r)
      if (BITWISE.has(op)) refuse(node.operatorToken, `the operator '${node.operatorToken.getText()}' is not allowed in contracts`)
    }
    if (ts.isPrefixUnaryExpression(node) && (node.operator === ts.SyntaxKind.TildeToken || node.operator === ts.SyntaxKind.PlusToken)) {
      refuse(node, `unary '${ts.tokenToString(node.operator)}' is not allowed`)
    }
    if (ts.isNumericLiteral(node)) {
      const v = Number(node.text)
      if (!Number.isInteger(v)) refuse(node, `floating point is not allowed: '${node.getText()}' is not an integer`)
      if (!Number.isSafeInteger(v)) refuse(node, `'${node.getText()}' is outside the safe integer range (±2^53-1)`)
    }
    if (ts.isVariableDeclarationList(node) && !(node.flags & (ts.NodeFlags.Let | ts.NodeFlags.Const))) refuse(node, "'var' is not allowed: use let or const")
    if (ts.isFunctionDeclaration(node)) {
      if (node.asteriskToken) refuse(node, 'generators are not allowed in contracts')
      if (node.modifiers?.some((m) => m.kind === ts.SyntaxKind.AsyncKeyword)) refuse(node, 'async functions are not allowed in contracts')
      if (node.modifiers?.some((m) => m.kind === ts.SyntaxKind.DefaultKeyword)) refuse(node, 'default exports are not allowed: export named functions')
      if (node.modifiers?.some((m) => m.kind === ts.SyntaxKind.DeclareKeyword)) refuse(node, "'declare' is not allowed in contracts")
    }
    if (ts.isImportDeclaration(node)) {
      const spec = node.moduleSpecifier
      if (!ts.isStringLiteral(spec) || !API_SPECIFIERS.has(spec.text)) {
        refuse(node, `contracts may import only the contract API ('../api.ts' or '@medchain/contract'), not '${ts.isStringLiteral(spec) ? spec.text : '?'}'`)
      }
      const clause = node.importClause
      if (!clause || clause.name || (clause.namedBindings && !ts.isNamedImports(clause.namedBindings))) refuse(node, 'use named imports: import { … } from the contract API')
    }
    ts.forEachChild(node, visit)
  }
  visit(sf)
}
