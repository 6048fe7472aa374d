/**
 * The Ethereum baselines of the medchain benchmark (Ganache 7 and Hardhat 3), loaded by
 * bench/run.ts with a dynamic import once bench/ethereum/node_modules is installed.
 * Public surface: `createEthereumDriverFactory`, `ETHEREUM_CHAINS`.
 */
export { createEthereumDriverFactory, revertReason, type EthereumDriverOptions, type EthereumClientMode } from './ethereum-driver.ts'
export { type EthereumChainKind } from './chain-process.ts'
export const ETHEREUM_CHAINS = ['ganache', 'hardhat'] as const
