import { test } from 'node:test'
import assert from 'node:assert/strict'
import { CoreErrorCode, addressFromPublicKey, isCoreError, stateKey, utf8, decode, toHex } from '../core/index.ts'
import { MedchainNode } from './node.ts'
import { NodeErrorCode } from './errors.ts'
import { kvTx, tempDir, testGenesis, testKey, waitFor } from './test-support/fixtures.ts'

const validator = testKey('validator-0')
const alice = testKey('alice')
const aliceAddress = addressFromPublicKey(alice.publicKey)

function newNode(dataDir: string, extra: Partial<ConstructorParameters<typeof MedchainNode>[0]> = {}): MedchainNode {
  return new MedchainNode({ dataDir, genesis: testGenesis([validator]), validatorKey: validator, production: { blockIntervalMs: 50, produceOnTxs: true, batchDelayMs: 1 }, ...extra })
}

test('a single validator commits submitted txs and resumes exactly after a restart', async () => {
  const dir = await tempDir()
  try {
    const node = newNode(dir.path)
    await node.start()
    for (let i = 0; i < 20; i++) node.submitTx(kvTx(alice, i, `k${i}`, `v${i}`).bytes)
    await waitFor(() => node.chain.nonceOf(aliceAddress) === 20, 'txs committed', 10_000)
    const head = node.chain.store.getHead()
    assert.ok(head.height >= 1)
    const value = node.chain.store.state.get(stateKey.kv(utf8.encode('k19')))
    assert.equal(decode(value!), 'v19')
    // Every committed block carries a valid certificate and links to its parent.
    let prev = node.genesis.hash
    for (let h = 1; h <= head.height; h++) {
      const b = (await node.chain.store.getBlock(h))!
      assert.equal(toHex(b.header.prevHash), toHex(prev))
      assert.ok(b.commit && b.commit.signatures.length === 1)
      prev = b.hash
    }
    await node.stop()

    const again = newNode(dir.path, { production: { blockIntervalMs: 60_000, produceOnTxs: false, batchDelayMs: 1 } })
    await again.start()
    const resumed = again.chain.store.getHead()
    assert.equal(resumed.height, head.height)
    assert.equal(toHex(resumed.stateRoot), toHex(head.stateRoot))
    assert.equal(again.chain.nonceOf(aliceAddress), 20)
    // A replay of an already committed tx is refused by nonce.
    assert.throws(() => again.submitTx(kvTx(alice, 3, 'k3', 'v3').bytes), (e) => isCoreError(e, CoreErrorCode.NONCE_TOO_LOW))
    await again.stop()
  } finally {
    await dir.cleanup()
  }
})

test('a second node on the same data directory fails with a clear message', async () => {
  const dir = await tempDir()
  const first = newNode(dir.path)
  await first.start()
  try {
    await assert.rejects(newNode(dir.path).start(), (e: Error & { code?: string }) => e.code === NodeErrorCode.DATA_DIR_LOCKED && /in use by another medchain process/.test(e.message))
  } finally {
    await first.stop()
    await dir.cleanup()
  }
})

test('a data directory made for another genesis is refused', async () => {
  const dir = await tempDir()
  const first = newNode(dir.path)
  await first.start()
  await first.stop()
  const other = new MedchainNode({ dataDir: dir.path, genesis: testGenesis([validator], 'other-chain'), validatorKey: validator })
  await assert.rejects(other.start(), (e: Error & { code?: string }) => e.code === NodeErrorCode.GENESIS_MISMATCH)
  await dir.cleanup()
})

test('bad txs are refused with their code and the node keeps producing', async () => {
  const dir = await tempDir()
  const node = newNode(dir.path)
  await node.start()
  try {
    const good = kvTx(alice, 0, 'a', 'b')
    const tampered = new Uint8Array(good.bytes)
    tampered[tampered.length - 1]! ^= 1
    assert.throws(() => node.submitTx(tampered), (e) => isCoreError(e, CoreErrorCode.BAD_SIGNATURE))
    assert.throws(() => node.submitTx(kvTx(alice, 0, 'a', 'b', 'wrong-chain').bytes), (e) => isCoreError(e, CoreErrorCode.WRONG_CHAIN_ID))
    assert.throws(() => node.submitTx(kvTx(alice, 5_000, 'a', 'b').bytes), (e) => isCoreError(e, CoreErrorCode.NONCE_GAP))
    assert.throws(() => node.submitTx(new Uint8Array([0xc1, 0x00])), (e) => isCoreError(e))
    node.submitTx(good.bytes)
    assert.throws(() => node.submitTx(good.bytes), (e) => isCoreError(e, CoreErrorCode.DUPLICATE_TX))
    await waitFor(() => node.chain.nonceOf(good.sender) === 1, 'good tx committed', 10_000)
  } finally {
    await node.stop()
    await dir.cleanup()
  }
})
