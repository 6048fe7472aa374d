import { test } from 'node:test'
import assert from 'node:assert/strict'
import { toHex } from '../core/hex.ts'
import { compileXrayContract, xrayContractSource } from './index.ts'
import { xrayStockBuild, xrayContractSource as shippedSource } from './stock-build.ts'

test('stock build: the shipped X-ray build is exactly what the compiler makes of the source (else: npm run contracts:build)', () => {
  const fresh = compileXrayContract()
  const shipped = xrayStockBuild()
  const hint = 'contracts/xray.build.json is stale: run `npm run contracts:build` and commit it'
  assert.equal(toHex(shipped.ir), toHex(fresh.ir), hint)
  assert.equal(toHex(shipped.abiBytes), toHex(fresh.abiBytes), hint)
  assert.equal(toHex(shipped.codeHash), toHex(fresh.codeHash), hint)
  assert.equal(shippedSource, xrayContractSource)
})
