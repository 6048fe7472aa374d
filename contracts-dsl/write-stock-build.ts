/**
 * `npm run contracts:build`: compiles the stock X-ray contract and writes its build to
 * contracts/xray.build.json (see stock-build.ts), printing the code hash.
 */
import { writeFileSync } from 'node:fs'
import { toHex } from '../core/hex.ts'
import { compileXrayContract } from './index.ts'
import { XRAY_BUILD_FILE, type StockBuildJson } from './stock-build.ts'

const c = compileXrayContract()
const json: StockBuildJson = { ir: toHex(c.ir), abi: toHex(c.abiBytes), codeHash: toHex(c.codeHash) }
writeFileSync(XRAY_BUILD_FILE, `${JSON.stringify(json, null, 2)}\n`)
process.stdout.write(`wrote ${XRAY_BUILD_FILE.pathname}: ${c.ir.length} bytes of IR, ${c.abiBytes.length} of ABI, code hash ${json.codeHash}\n`)
