/**
 * Compiles contracts/Xray.sol with the `solc` npm package (solc-js, the compiler as WebAssembly:
 * no download at run time). The EVM target is Shanghai: Ganache 7 knows no later hardfork, and
 * solc's default target emits newer opcodes (MCOPY, TSTORE) that Ganache would reject; Hardhat's
 * EDR runs Shanghai code unchanged, so both baselines execute the same bytecode.
 */
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import solc from 'solc'
import { BenchError, BenchErrorCode } from '../errors.ts'

export const XRAY_SOURCE_PATH = fileURLToPath(new URL('./contracts/Xray.sol', import.meta.url))
export const EVM_VERSION = 'shanghai'

export interface CompiledContract {
  readonly abi: readonly unknown[]
  /** Creation bytecode, 0x-prefixed. */
  readonly bytecode: string
  readonly compilerVersion: string
}

interface SolcOutput {
  errors?: { severity: string; formattedMessage: string }[]
  contracts?: Record<string, Record<string, { abi: unknown[]; evm: { bytecode: { object: string } } }>>
}

/** @throws BenchError CHAIN_START_FAILED when the source does not compile. */
export async function compileXray(): Promise<CompiledContract> {
  const source = await readFile(XRAY_SOURCE_PATH, 'utf8')
  const input = {
    language: 'Solidity',
    sources: { 'Xray.sol': { content: source } },
    settings: {
      evmVersion: EVM_VERSION,
      optimizer: { enabled: true, runs: 200 },
      outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } },
    },
  }
  const output = JSON.parse(solc.compile(JSON.stringify(input)) as string) as SolcOutput
  const errors = (output.errors ?? []).filter((e) => e.severity === 'error')
  if (errors.length > 0) {
    throw new BenchError(BenchErrorCode.CHAIN_START_FAILED, `Xray.sol does not compile:\n${errors.map((e) => e.formattedMessage).join('\n')}`)
  }
  const c = output.contracts?.['Xray.sol']?.['Xray']
  if (!c || !c.evm.bytecode.object) throw new BenchError(BenchErrorCode.CHAIN_START_FAILED, 'solc produced no bytecode for Xray')
  return { abi: c.abi, bytecode: '0x' + c.evm.bytecode.object, compilerVersion: solc.version() as string }
}
