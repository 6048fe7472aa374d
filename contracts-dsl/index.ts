/**
 * contracts-dsl/: the TypeScript contract language. `compileContract` turns a contract source
 * into the VM's IR and ABI; the stock X-ray contract ships with its source and its build
 * (stock-build.ts, which nodes import instead of this module). Imports core/ and vm/ (the IR and
 * ABI formats) and `typescript`; nothing here runs contracts.
 */
import { compileContract, type CompiledContract } from './compiler.ts'
import { XRAY_CONTRACT_FILE, xrayContractSource } from './stock-build.ts'

export { compileContract } from './compiler.ts'
export type { CompiledContract } from './compiler.ts'
export { CompileError, CompileErrorCode, isCompileError } from './errors.ts'
export { decodeAbi, encodeAbi } from '../vm/abi.ts'
export type { ContractAbi, AbiMethod, AbiEvent, AbiField, AbiType, AbiEnumMember, AbiScalarKind } from '../vm/abi.ts'

export { XRAY_CONTRACT_FILE, XrayRole, deployTxArgs, xrayContractSource, xrayStockBuild, type StockBuild } from './stock-build.ts'

let xrayBuild: CompiledContract | null = null
/** The X-ray contract, compiled once per process. */
export function compileXrayContract(): CompiledContract {
  xrayBuild ??= compileContract(xrayContractSource, XRAY_CONTRACT_FILE)
  return xrayBuild
}

