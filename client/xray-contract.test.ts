/**
 * The client's view of the X-ray contract must match the contract itself: struct field orders,
 * role values and method names are checked against the compiled contract's ABI.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { compileXrayContract, XrayRole } from '../contracts-dsl/index.ts'
import { PROFILE_FIELDS, XRAY_RECORD_FIELDS, XrayMethod, XrayUserType } from './xray-contract.ts'

test('client layouts match the compiled X-ray contract ABI', () => {
  const abi = compileXrayContract().abi
  const method = (name: string) => abi.methods.find((m) => m.name === name)
  for (const name of Object.values(XrayMethod)) assert.ok(method(name), `the contract has ${name}`)
  const record = method('getXrayhash')!.output
  assert.equal(record.kind, 'struct')
  assert.deepEqual(record.kind === 'struct' && record.fields.map((f) => f.name), [...XRAY_RECORD_FIELDS])
  const profile = method('profile')!.output
  assert.deepEqual(profile.kind === 'struct' && profile.fields.map((f) => f.name), [...PROFILE_FIELDS])
  assert.deepEqual(XrayUserType, { doctor: XrayRole.Doctor, host: XrayRole.Host, patient: XrayRole.Patient })
})
