/**
 * Installs the Ethereum baselines' own dependencies on first use. They are not part of the root
 * project: Hardhat's lockfile cannot list EDR's native packages for other platforms, so `npm ci`
 * fails where hardhat is a dependency, while `npm install` works. This module uses only Node
 * builtins, so bench/run.ts can import it before anything is installed.
 *
 * npm runs under this process's Node (24): npm skips optional packages whose `engines` do not
 * match the running Node, and EDR's native package wants Node >= 22; under the system Node 20
 * the install "succeeds" without the engine and `hardhat node` then fails.
 */
import { spawn } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { delimiter, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { BenchError, BenchErrorCode } from '../errors.ts'

const DIR = fileURLToPath(new URL('.', import.meta.url))
const REQUIRED = ['ethers', 'solc', 'ganache', 'hardhat', '@nomicfoundation/edr']

/** EDR's native engine comes as an optional per-platform package, e.g. `edr-linux-x64-gnu`. */
function hasEdrEngine(): boolean {
  const scope = join(DIR, 'node_modules', '@nomicfoundation')
  if (!existsSync(scope)) return false
  const prefix = `edr-${process.platform}-${process.arch}`
  return readdirSync(scope).some((name) => name.startsWith(prefix))
}

export function missingEthereumPackages(): string[] {
  const missing = REQUIRED.filter((p) => !existsSync(join(DIR, 'node_modules', ...p.split('/'), 'package.json')))
  if (!hasEdrEngine()) missing.push(`@nomicfoundation/edr-${process.platform}-${process.arch}-*`)
  return missing
}

/** Runs `npm install --no-audit --no-fund` in bench/ethereum when a package is missing. */
export async function ensureEthereumInstalled(log: (message: string) => void): Promise<void> {
  const missing = missingEthereumPackages()
  if (missing.length === 0) return
  log(`installing the Ethereum baselines into bench/ethereum/node_modules (missing: ${missing.join(', ')}); first run only, ~30 s`)
  const env = { ...process.env, PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}` }
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn('npm', ['install', '--no-audit', '--no-fund'], { cwd: DIR, env, stdio: ['ignore', 'inherit', 'inherit'] })
    child.once('error', reject)
    child.once('exit', resolve)
  }).catch((e: Error) => {
    throw new BenchError(BenchErrorCode.INSTALL_FAILED, `cannot run npm: ${e.message}`)
  })
  const still = missingEthereumPackages()
  if (code !== 0 || still.length > 0) {
    throw new BenchError(BenchErrorCode.INSTALL_FAILED, `npm install in bench/ethereum exited with ${code}; still missing: ${still.join(', ') || 'none'}`)
  }
  log('Ethereum baselines installed')
}
