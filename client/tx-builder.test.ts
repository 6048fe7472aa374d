import { test } from 'node:test'
import assert from 'node:assert/strict'
import { bytesEqual } from '../core/hex.ts'
import { addressFromPublicKey, formatAddress, generateKeyPair } from '../core/keys.ts'
import { createTxFromBytes, TxKind, validateTxStateless } from '../core/tx.ts'
import { isClientError } from './errors.ts'
import { DEFAULT_GAS_LIMITS, TxBuilder, toAddressBytes } from './tx-builder.ts'

const keyPair = generateKeyPair()
const contract = formatAddress(addressFromPublicKey(generateKeyPair().publicKey))

test('builds signed deploy, call and kv_put txs that decode and verify', async () => {
  const b = new TxBuilder({ chainId: 'medchain-test', keyPair, fetchNonce: async () => 7 })
  assert.equal(b.address, formatAddress(addressFromPublicKey(keyPair.publicKey)))
  const deploy = await b.deploy(new Uint8Array([1, 2]), new Uint8Array([3]), 'contract X {}', ['Ken', 25])
  const call = await b.call(contract, 'setXrayhash', ['chest', 'ab'.repeat(32)])
  const put = await b.kvPut('k', 'v', { gasLimit: 2000 })
  for (const tx of [deploy, call, put]) {
    const back = createTxFromBytes(tx.bytes)
    validateTxStateless(back, 'medchain-test')
    assert.ok(bytesEqual(back.id, tx.id))
  }
  assert.deepEqual([deploy.nonce, call.nonce, put.nonce], [7, 8, 9])
  assert.equal(deploy.kind, TxKind.DEPLOY)
  assert.equal(deploy.target.length, 0)
  assert.equal(deploy.gasLimit, DEFAULT_GAS_LIMITS.deploy)
  assert.deepEqual(deploy.args[3], ['Ken', 25])
  assert.equal(call.kind, TxKind.CALL)
  assert.equal(formatAddress(call.target), contract)
  assert.equal(call.gasLimit, DEFAULT_GAS_LIMITS.call)
  assert.equal(put.kind, TxKind.KV_PUT)
  assert.equal(put.method, 'k')
  assert.equal(put.gasLimit, 2000)
})

test('concurrent builds share one nonce fetch and get consecutive nonces; resync refetches', async () => {
  let fetches = 0
  let chainNonce = 3
  const b = new TxBuilder({ chainId: 'c', keyPair, fetchNonce: async () => { fetches++; await new Promise((r) => setTimeout(r, 5)); return chainNonce } })
  const txs = await Promise.all(Array.from({ length: 20 }, (_, i) => b.kvPut(`k${i}`, 'v')))
  assert.equal(fetches, 1)
  assert.deepEqual(txs.map((t) => t.nonce).sort((x, y) => x - y), Array.from({ length: 20 }, (_, i) => 3 + i))
  assert.equal(b.trackedNonce, 23)
  chainNonce = 10
  b.resync()
  assert.equal((await b.kvPut('x', 'v')).nonce, 10)
  assert.equal(fetches, 2)
  b.resync(50)
  assert.equal((await b.kvPut('x', 'v')).nonce, 50)
  // an explicit nonce leaves the counter alone
  assert.equal((await b.kvPut('y', 'v', { nonce: 2 })).nonce, 2)
  assert.equal(b.trackedNonce, 51)
})

test('a tx that fails to build does not consume its nonce; bad nonce sources and targets are typed', async () => {
  const b = new TxBuilder({ chainId: 'c', keyPair, fetchNonce: async () => 0 })
  await assert.rejects(b.kvPut('k', 'v', { gasLimit: 1 }), /GAS_LIMIT_OUT_OF_BOUNDS/)
  assert.equal((await b.kvPut('k', 'v')).nonce, 0)
  await assert.rejects(b.call('not-an-address', 'm', []), /BAD_ADDRESS/)
  assert.equal((await b.kvPut('k', 'v')).nonce, 1)
  const bad = new TxBuilder({ chainId: 'c', keyPair, fetchNonce: async () => -1 })
  await assert.rejects(bad.kvPut('k', 'v'), (e) => isClientError(e, 'BAD_NONCE_SOURCE'))
  const failing = new TxBuilder({ chainId: 'c', keyPair, fetchNonce: async () => { throw new Error('offline') } })
  await assert.rejects(failing.kvPut('k', 'v'), /offline/)
  assert.ok(bytesEqual(toAddressBytes('0x' + contract.slice(2)), toAddressBytes(contract)))
})
