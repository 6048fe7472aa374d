/**
 * Builds a TypeScript program for one contract source, entirely in memory: the contract, the
 * contract API (api.ts) and a minimal standard library that declares only what contracts may
 * use. With no DOM, no Node types and no ES library, host objects (Date, Math, Promise, …) do
 * not even exist for the type checker.
 */
import { readFileSync } from 'node:fs'
import ts from 'typescript'

export const CONTRACT_PATH = '/contract/contract.ts'
export const API_PATH = '/medchain/api.ts'
const LIB_PATH = '/medchain/lib.contract.d.ts'

/** Import specifiers that name the contract API. */
export const API_SPECIFIERS: ReadonlySet<string> = new Set(['../api.ts', '@medchain/contract'])

const API_SOURCE = readFileSync(new URL('./api.ts', import.meta.url), 'utf8')

// The global types the checker itself needs (it refers to these by name), and nothing else.
const LIB_SOURCE = `
interface Array<T> { length: number; push(item: T): number; [index: number]: T }
interface ReadonlyArray<T> { readonly length: number; readonly [index: number]: T }
interface Boolean {}
interface Function {}
interface CallableFunction extends Function {}
interface NewableFunction extends Function {}
interface IArguments {}
interface Number {}
interface Object {}
interface RegExp {}
interface String { readonly length: number }
interface Uint8Array { readonly length: number; readonly [index: number]: number }
interface TemplateStringsArray extends ReadonlyArray<string> { readonly raw: readonly string[] }
`

export const CONTRACT_COMPILER_OPTIONS: ts.CompilerOptions = {
  noLib: true,
  strict: true,
  noImplicitReturns: true,
  noUncheckedIndexedAccess: false,
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  allowImportingTsExtensions: true,
  noEmit: true,
  types: [],
}

let shared: { api: ts.SourceFile; lib: ts.SourceFile } | null = null
function sharedFiles(): { api: ts.SourceFile; lib: ts.SourceFile } {
  shared ??= {
    api: ts.createSourceFile(API_PATH, API_SOURCE, ts.ScriptTarget.ES2022, true),
    lib: ts.createSourceFile(LIB_PATH, LIB_SOURCE, ts.ScriptTarget.ES2022, true),
  }
  return shared
}

export interface ContractProgram {
  readonly program: ts.Program
  readonly checker: ts.TypeChecker
  readonly sourceFile: ts.SourceFile
  readonly apiFile: ts.SourceFile
}

export function createContractProgram(source: string): ContractProgram {
  const { api, lib } = sharedFiles()
  const sourceFile = ts.createSourceFile(CONTRACT_PATH, source, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS)
  const files = new Map<string, ts.SourceFile>([[CONTRACT_PATH, sourceFile], [API_PATH, api], [LIB_PATH, lib]])
  const host: ts.CompilerHost = {
    getSourceFile: (name) => files.get(name),
    getDefaultLibFileName: () => LIB_PATH,
    writeFile: () => undefined,
    getCurrentDirectory: () => '/',
    getCanonicalFileName: (f) => f,
    useCaseSensitiveFileNames: () => true,
    getNewLine: () => '\n',
    fileExists: (f) => files.has(f),
    readFile: () => undefined,
    resolveModuleNameLiterals: (literals) => literals.map((lit) => ({
      resolvedModule: API_SPECIFIERS.has(lit.text) ? { resolvedFileName: API_PATH, extension: ts.Extension.Ts, isExternalLibraryImport: false } : undefined,
    })),
  }
  const program = ts.createProgram({ rootNames: [LIB_PATH, API_PATH, CONTRACT_PATH], options: CONTRACT_COMPILER_OPTIONS, host })
  return { program, checker: program.getTypeChecker(), sourceFile, apiFile: api }
}
