import { test } from 'node:test'
import assert from 'node:assert/strict'
import { toHex } from '../core/hex.ts'
import { generateKeyPair } from '../core/keys.ts'
import { createTxFromBytes } from '../core/tx.ts'
import { TxBuilder } from './tx-builder.ts'
import { TxSender, type TxSubmitter } from './tx-sender.ts'

/** Answers like node/mempool.ts through the RPC edge: {dataCode, data: {code, expected}}. */
class FakeNode implements TxSubmitter {
  chainNonce: number
  readonly pending = new Map<number, string>()
  refusals = 0
  constructor(chainNonce: number, pendingNonces: number[] = []) {
    this.chainNonce = chainNonce
    for (const n of pendingNonces) this.pending.set(n, `other-${n}`)
  }
  async sendTx(bytes: Uint8Array): Promise<string> {
    await new Promise((r) => setTimeout(r, 1))
    const tx = createTxFromBytes(bytes)
    const refuse = (code: string): never => {
      this.refusals++
      throw Object.assign(new Error(code), { code: -32000, dataCode: code, data: { code, expected: this.chainNonce } })
    }
    if (tx.nonce < this.chainNonce) refuse('NONCE_TOO_LOW')
    if (tx.nonce > this.chainNonce + 1000) refuse('NONCE_GAP')
    if (this.pending.has(tx.nonce)) refuse('DUPLICATE_TX')
    this.pending.set(tx.nonce, toHex(tx.id))
    return toHex(tx.id)
  }
}

const keyPair = generateKeyPair()

test('the first send learns the nonce from NONCE_TOO_LOW, then sends run concurrently with consecutive nonces', async () => {
  const node = new FakeNode(17)
  const builder = new TxBuilder({ chainId: 'c', keyPair, fetchNonce: async () => 0 })
  const sender = new TxSender(builder, node)
  const txs = await Promise.all(Array.from({ length: 30 }, (_, i) => sender.send((b) => b.kvPut(`k${i}`, 'v'))))
  assert.deepEqual(txs.map((t) => t.nonce).sort((a, b) => a - b), Array.from({ length: 30 }, (_, i) => 17 + i))
  assert.equal(node.refusals, 1)
})

test('nonces held by our own pending txs are skipped; a non-nonce refusal is rethrown', async () => {
  const node = new FakeNode(5, [5, 6, 7])
  const builder = new TxBuilder({ chainId: 'c', keyPair, fetchNonce: async () => 0 })
  const sender = new TxSender(builder, node)
  assert.equal((await sender.send((b) => b.kvPut('a', 'v'))).nonce, 8)
  const failing = new TxSender(new TxBuilder({ chainId: 'c', keyPair, fetchNonce: async () => 0 }), {
    sendTx: async () => { throw Object.assign(new Error('bad sig'), { dataCode: 'BAD_SIGNATURE', data: { code: 'BAD_SIGNATURE' } }) },
  })
  await assert.rejects(failing.send((b) => b.kvPut('a', 'v')), /bad sig/)
})

test('after a later nonce refusal the sender relearns the nonce', async () => {
  const node = new FakeNode(0)
  const builder = new TxBuilder({ chainId: 'c', keyPair, fetchNonce: async () => 0 })
  const sender = new TxSender(builder, node)
  await sender.send((b) => b.kvPut('a', 'v'))
  node.chainNonce = 10 // another client used the same key
  await assert.rejects(sender.send((b) => b.kvPut('b', 'v')), /NONCE_TOO_LOW/)
  assert.equal((await sender.send((b) => b.kvPut('c', 'v'))).nonce, 10)
})
