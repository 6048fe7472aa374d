/**
 * The stock X-ray contract as shipped: its source, its role values and its build (IR, ABI, code hash), read from
 * `contracts/xray.build.json` without loading the compiler. Why: the compiler pulls in the
 * TypeScript compiler (~0.6 s to load, ~0.1 s more to compile the contract, tens of MB), which a
 * node has no other use for and which a production install (`npm ci --omit=dev`) does not have.
 * The node's start-up self-test deploys this build. `stock-build.test.ts` checks that it equals a
 * fresh compile of the source; `npm run contracts:build` rewrites it after a change of the
 * contract or the compiler.
 *
 * Imports: node builtins, core/hex and core/encoding's types, vm/ir (the code hash). Not the compiler.
 */
import { readFileSync } from 'node:fs'
import type { CanonicalValue } from '../core/encoding.ts'
import { bytesEqual, fromHex } from '../core/hex.ts'
import { codeHashOf } from '../vm/ir.ts'

export const XRAY_CONTRACT_FILE = 'xray.ts'
export const XRAY_BUILD_FILE = new URL('./contracts/xray.build.json', import.meta.url)

/** The X-ray roles as the contract's enum values (see contracts/xray.ts `Role`). */
export const XrayRole = { None: 0, Doctor: 1, Host: 2, Patient: 3, Gov: 4 } as const

/** The stock X-ray contract's source (contracts/xray.ts), as deployed and shown to auditors. */
export const xrayContractSource: string = readFileSync(new URL(`./contracts/${XRAY_CONTRACT_FILE}`, import.meta.url), 'utf8')

export interface StockBuild {
  readonly ir: Uint8Array
  readonly abiBytes: Uint8Array
  readonly codeHash: Uint8Array
}

/** What `contracts/xray.build.json` holds (hex with 0x). */
export interface StockBuildJson {
  readonly ir: string
  readonly abi: string
  readonly codeHash: string
}

let shipped: StockBuild | null = null
/**
 * The shipped build of the X-ray contract, read once per process.
 * @throws Error when the file is missing or malformed, or its code hash is not its IR's
 */
export function xrayStockBuild(): StockBuild {
  if (shipped) return shipped
  const json = JSON.parse(readFileSync(XRAY_BUILD_FILE, 'utf8')) as StockBuildJson
  const build = { ir: fromHex(json.ir, undefined, 'ir'), abiBytes: fromHex(json.abi, undefined, 'abi'), codeHash: fromHex(json.codeHash, 32, 'codeHash') }
  if (!bytesEqual(codeHashOf(build.ir), build.codeHash)) throw new Error(`${XRAY_BUILD_FILE.pathname}: the code hash is not the IR's`)
  shipped = build
  return build
}

/**
 * The args of a DEPLOY transaction: [ir, abi, source, constructorArgs], for a fresh compile or
 * the shipped build alike. For the X-ray contract: constructorArgs = [name, gov address
 * (20 bytes), age, gender, bloodType].
 */
export function deployTxArgs(build: { readonly ir: Uint8Array; readonly abiBytes: Uint8Array }, source: string, constructorArgs: readonly CanonicalValue[]): CanonicalValue[] {
  return [build.ir, build.abiBytes, source, [...constructorArgs]]
}
