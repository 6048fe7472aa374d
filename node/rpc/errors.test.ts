import { test } from 'node:test'
import assert from 'node:assert/strict'
import { CoreError, CoreErrorCode } from '../../core/errors.ts'
import { NodeError } from '../errors.ts'
import { isInternal, notFound, toRpcErrorObject } from './errors.ts'

test('one mapping: CoreError by method, RpcMethodError as is, anything else internal without its text', () => {
  const sig = new CoreError(CoreErrorCode.BAD_SIGNATURE, 'nope')
  assert.deepEqual(toRpcErrorObject(sig, 'tx_send'), { code: -32000, message: sig.message, data: { code: 'BAD_SIGNATURE' } })
  const gap = new CoreError(CoreErrorCode.NONCE_GAP, 'ahead', { expected: 3 })
  assert.deepEqual(toRpcErrorObject(gap, 'tx_send').data, { code: 'NONCE_GAP', expected: 3 })
  assert.equal(toRpcErrorObject(new CoreError(CoreErrorCode.DECODE_MALFORMED, 'x'), 'tx_send').code, -32000)
  assert.equal(toRpcErrorObject(new CoreError(CoreErrorCode.BAD_ADDRESS, 'x'), 'contract_call').code, -32602)
  assert.equal(toRpcErrorObject(new CoreError(CoreErrorCode.BAD_PROOF, 'x'), 'contract_call').code, -32004)
  assert.equal(toRpcErrorObject(new CoreError(CoreErrorCode.BAD_HEX, 'x'), 'tx_get').code, -32602)
  assert.deepEqual(toRpcErrorObject(notFound('block')), { code: -32001, message: 'block not found', data: { code: 'NOT_FOUND' } })
  assert.deepEqual(toRpcErrorObject(new NodeError('STOPPED', 'node stopping')).data, { code: 'STOPPED' })
  const bug = toRpcErrorObject(new TypeError('secret path /home/x'))
  assert.deepEqual(bug, { code: -32603, message: 'internal error', data: { code: 'INTERNAL' } })
  assert.equal(isInternal(new TypeError('x')), true)
  assert.equal(isInternal(sig), false)
})
