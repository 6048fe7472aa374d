import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createBlock, decodeBlock, encodeBlock, type Block } from '../core/index.ts'
import { MedchainNode } from './node.ts'
import { NodeErrorCode } from './errors.ts'
import { kvTx, tempDir, testGenesis, testKey } from './test-support/fixtures.ts'

const validator = testKey('validator-0')
const alice = testKey('alice')

/** A one-validator node that makes no blocks by itself: the test drives its chain. */
async function idleNode(): Promise<{ node: MedchainNode; cleanup: () => Promise<void> }> {
  const dir = await tempDir()
  const node = new MedchainNode({
    dataDir: dir.path, genesis: testGenesis([validator]), validatorKey: validator,
    production: { blockIntervalMs: 3_600_000, produceOnTxs: false, batchDelayMs: 1 },
  })
  await node.start()
  return { node, cleanup: async () => { await node.stop(); await dir.cleanup() } }
}

const invalidBlock = (message: RegExp) => (e: Error & { code?: string }) => e.code === NodeErrorCode.INVALID_BLOCK && message.test(e.message)

test('validateBlock: a decoded proposal of pending txs passes; a wrong tx root or a bad tx signature does not', async () => {
  const builder = await idleNode()
  const voter = await idleNode()
  try {
    const txs = [0, 1, 2].map((n) => kvTx(alice, n, `k${n}`, `v${n}`))
    for (const tx of txs) builder.node.submitTx(tx.bytes)
    const proposal = await builder.node.chain.buildProposal(validator.publicKey)
    assert.equal(proposal.txs.length, 3)

    // The voter has the txs pending (gossip), so decoding reuses them and validation does not re-verify.
    for (const tx of txs) voter.node.submitTx(tx.bytes, { local: false })
    const mempool = voter.node.chain.mempool
    const decoded = decodeBlock(encodeBlock(proposal), { knownTx: (b) => mempool.findByBytes(b) })
    decoded.txs.forEach((tx) => assert.ok(mempool.holds(tx)))
    await voter.node.chain.validateBlock(decoded)

    // Built in memory (not decoded), a block with a wrong tx root is refused.
    const wrongRoot: Block = createBlock({ ...proposal.header, txRoot: new Uint8Array(32) }, proposal.txs, null)
    await assert.rejects(voter.node.chain.validateBlock(wrongRoot), invalidBlock(/txRoot does not match/))

    // A tx this node never admitted has its signature checked while validating.
    const forged = { ...txs[0]!, signature: new Uint8Array(64).fill(7) }
    const stranger = await idleNode()
    try {
      const withForged = createBlock({ ...proposal.header }, [forged, ...proposal.txs.slice(1)], null)
      await assert.rejects(stranger.node.chain.validateBlock(withForged), invalidBlock(/signature/))
    } finally {
      await stranger.cleanup()
    }
  } finally {
    await builder.cleanup()
    await voter.cleanup()
  }
})
