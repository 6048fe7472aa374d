/**
 * A real node process under load, for crash tests: a one-validator node whose mempool is kept
 * full of KV txs (several senders, growing values) so blocks with state writes commit
 * back-to-back. Prints `height N` on each commit. Usage: tsx load-node.ts DATA_DIR
 */
import { addressFromPublicKey } from '../../core/index.ts'
import { MedchainNode } from '../node.ts'
import { kvTx, testGenesis, testKey } from './fixtures.ts'

const dataDir = process.argv[2]
if (!dataDir) throw new Error('usage: load-node.ts DATA_DIR')
const validator = testKey('validator-0')
const senders = [testKey('alice'), testKey('bob'), testKey('carol')]
const node = new MedchainNode({
  dataDir, genesis: testGenesis([validator]), validatorKey: validator,
  production: { blockIntervalMs: 5, produceOnTxs: true, batchDelayMs: 0 },
})
await node.start()
const next = senders.map((s) => node.chain.nonceOf(addressFromPublicKey(s.publicKey)))
node.chain.onFinalBlock((b) => process.stdout.write(`height ${b.header.height}\n`))
const feed = (): void => {
  while (node.chain.mempool.size < 200) {
    for (let i = 0; i < senders.length; i++) {
      const n = next[i]!
      node.submitTx(kvTx(senders[i]!, n, `key-${i}-${n % 50}`, `value-${n}-${'x'.repeat(n % 300)}`).bytes)
      next[i] = n + 1
    }
  }
}
setInterval(feed, 1)
process.stdout.write('ready\n')
