// Minimal Hardhat 3 config for `hardhat node` (bench/ethereum/chain-process.ts): the built-in
// simulated network with its defaults (EDR, automine, 20 funded dev accounts). The benchmark
// compiles Xray.sol itself with solc-js, so no Solidity settings are needed here.
import { defineConfig } from 'hardhat/config'

export default defineConfig({})
