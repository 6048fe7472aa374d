/**
 * The JSON-RPC server over a real single-validator node: submit, pending → final with no
 * indexing lag, nonces, proofs verified offline, and typed errors for bad input.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { addressFromPublicKey, formatAddress } from '../core/index.ts'
import { RpcClient, RpcError } from '../client/rpc-client.ts'
import { trustFromKeys, verifyTxProof } from '../client/proof.ts'
import { MedchainNode } from './node.ts'
import { createRpcServer } from './rpc/index.ts'
import { createNodeRpcBackend } from './node-rpc-backend.ts'
import { kvTx, tempDir, testGenesis, testKey } from './test-support/fixtures.ts'

const validator = testKey('validator-0')
const alice = testKey('alice')
const aliceAddress = formatAddress(addressFromPublicKey(alice.publicKey))

test('RPC over a live node: nonces, finality, offline proofs, typed refusals', async () => {
  const dir = await tempDir()
  const genesis = testGenesis([validator])
  const node = new MedchainNode({ dataDir: dir.path, genesis, validatorKey: validator, production: { blockIntervalMs: 200, produceOnTxs: true, batchDelayMs: 1 } })
  await node.start()
  const server = createRpcServer({ backend: createNodeRpcBackend(node), port: 0, rateLimit: false })
  await server.start()
  const client = new RpcClient(server.url())
  try {
    assert.deepEqual(await client.getNonce(aliceAddress), { address: aliceAddress, nonce: 0, pendingNonce: 0 })
    const ids = []
    for (let n = 0; n < 5; n++) ids.push(await client.sendTx(kvTx(alice, n, `k${n}`, `v${n}`).bytes))
    const last = await client.waitForFinal(ids[4]!, { timeoutMs: 10_000, pollMs: 20 })
    assert.equal(last.status, 'final')
    assert.equal((await client.getNonce(aliceAddress)).nonce, 5)
    for (const id of ids) {
      // tx_get reads one tx of the stored block; it must agree with the whole block
      const found = await client.getTx(id)
      assert.equal(found.status, 'final')
      const block = await client.getBlock({ height: found.height! })
      assert.equal(found.blockHash, block.hash)
      assert.equal(block.txs[found.index!], id)
      assert.equal(found.tx.id, id)
    }

    const proof = await client.getProof(ids[2]!)
    const verified = verifyTxProof(proof, trustFromKeys(genesis.chainId, [validator.publicKey]), ids[2])
    assert.equal(verified.ok, true)
    const tampered = JSON.parse(JSON.stringify(proof))
    tampered.txId = ids[3]
    assert.throws(() => verifyTxProof(tampered, trustFromKeys(genesis.chainId, [validator.publicKey])))

    const refused = async (bytes: Uint8Array, code: string) => {
      await assert.rejects(client.sendTx(bytes), (e: unknown) => e instanceof RpcError && e.code === -32000 && e.dataCode === code)
    }
    await refused(kvTx(alice, 1, 'k', 'v').bytes, 'NONCE_TOO_LOW')
    await refused(kvTx(alice, 5, 'k', 'v', 'other-chain').bytes, 'WRONG_CHAIN_ID')
    const bad = new Uint8Array(kvTx(alice, 5, 'k', 'v').bytes)
    bad[bad.length - 3]! ^= 0x40
    await refused(bad, 'BAD_SIGNATURE')
    await assert.rejects(client.getTx('0x' + '00'.repeat(32)), (e: unknown) => e instanceof RpcError && e.code === -32001)
    // Pending txs count toward the next nonce to sign with.
    await client.sendTx(kvTx(alice, 5, 'k5', 'v5').bytes)
    const nonce = await client.getNonce(aliceAddress)
    assert.ok(nonce.pendingNonce === 6)
    assert.equal((await client.status()).chainId, genesis.chainId)
  } finally {
    await client.close()
    await server.stop()
    await node.stop()
    await dir.cleanup()
  }
})
