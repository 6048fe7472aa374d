import { test } from 'node:test'
import assert from 'node:assert/strict'
import { CoreErrorCode, addressFromPublicKey, createTxFromBytes, isCoreError, validateTxStateless, verify } from '../core/index.ts'
import { createMemoizedVerifier } from './verified-signatures.ts'
import { Mempool } from './mempool.ts'
import { kvTx, testKey } from './test-support/fixtures.ts'

const [a, b, c] = [testKey('a'), testKey('b'), testKey('c')]
const chainNonces = new Map<string, number>()
const nonceOf = (addr: Uint8Array) => chainNonces.get(Buffer.from(addr).toString('hex')) ?? 0
const setNonce = (k: typeof a, n: number) => chainNonces.set(Buffer.from(addressFromPublicKey(k.publicKey)).toString('hex'), n)

function pool(maxTxs = 100, maxBytes = 1_000_000, maxNonceGap = 10): Mempool {
  chainNonces.clear()
  return new Mempool({ chainId: 'medchain-test', maxTxs, maxBytes, maxNonceGap }, nonceOf)
}

test('candidates come round-robin across senders, each in nonce order', () => {
  const p = pool()
  for (const n of [2, 0, 1]) p.add(kvTx(a, n, 'k', 'v'))
  for (const n of [1, 0]) p.add(kvTx(b, n, 'k', 'v'))
  const aAddr = Buffer.from(addressFromPublicKey(a.publicKey))
  const order = [...p.candidates()].map((t) => `${Buffer.from(t.sender).equals(aAddr) ? 'a' : 'b'}${t.nonce}`)
  assert.deepEqual(order, ['a0', 'b0', 'a1', 'b1', 'a2'])
})

test('duplicates, replays and nonce gaps are refused with their codes', () => {
  const p = pool()
  const t = kvTx(a, 0, 'k', 'v')
  p.add(t)
  assert.throws(() => p.add(t), (e) => isCoreError(e, CoreErrorCode.DUPLICATE_TX))
  assert.throws(() => p.add(kvTx(a, 0, 'k', 'other')), (e) => isCoreError(e, CoreErrorCode.DUPLICATE_TX))
  setNonce(b, 5)
  assert.throws(() => p.add(kvTx(b, 4, 'k', 'v')), (e) => isCoreError(e, CoreErrorCode.NONCE_TOO_LOW))
  assert.throws(() => p.add(kvTx(b, 16, 'k', 'v')), (e) => isCoreError(e, CoreErrorCode.NONCE_GAP))
  p.add(kvTx(b, 15, 'k', 'v'))
  assert.throws(() => p.add(kvTx(a, 1, 'k', 'v', 'other-chain')), (e) => isCoreError(e, CoreErrorCode.WRONG_CHAIN_ID))
})

test('a full pool evicts from the largest sender, never from a smaller one, else refuses', () => {
  const p = pool(4)
  for (let n = 0; n < 3; n++) p.add(kvTx(a, n, 'k', 'v'))
  p.add(kvTx(b, 0, 'k', 'v'))
  assert.equal(p.size, 4)
  // c has nothing pending: a (3 txs) loses its highest nonce.
  p.add(kvTx(c, 0, 'k', 'v'))
  assert.equal(p.size, 4)
  assert.deepEqual(p.pendingNonces(addressFromPublicKey(a.publicKey)), [0, 1])
  // a is now tied for largest with nobody larger than a's would-be 3: refused.
  assert.throws(() => p.add(kvTx(a, 2, 'k', 'v')), (e) => isCoreError(e, CoreErrorCode.MEMPOOL_FULL))
  // Byte bound too.
  const small = pool(100, 300)
  small.add(kvTx(a, 0, 'k', 'v'))
  assert.throws(() => small.add(kvTx(a, 1, 'k', 'x'.repeat(200))), (e) => isCoreError(e, CoreErrorCode.MEMPOOL_FULL))
})

test('removeCommitted drops txs the chain has used', () => {
  const p = pool()
  const txs = [0, 1, 2].map((n) => kvTx(a, n, 'k', 'v'))
  for (const t of txs) p.add(t)
  setNonce(a, 2)
  p.removeCommitted(txs.slice(0, 2))
  assert.equal(p.size, 1)
  assert.equal([...p.candidates()][0]!.nonce, 2)
  assert.equal(p.bytes, txs[2]!.bytes.length)
})

test('findByBytes and holds recognise a pending tx by its exact bytes, and forget it once committed', () => {
  const p = pool()
  const t0 = kvTx(a, 0, 'k', 'v')
  const t1 = kvTx(a, 1, 'k', 'v')
  p.add(t0)
  p.add(t1)
  assert.equal(p.findByBytes(new Uint8Array(t0.bytes)), t0)
  assert.equal(p.findByBytes(t1.bytes), t1)
  assert.equal(p.holds(t0), true)
  // The same tx decoded again (another object, same bytes) is held too.
  assert.equal(p.holds({ ...t0, bytes: new Uint8Array(t0.bytes) }), true)
  // Bytes that end with a pending tx's signature but differ elsewhere are not that tx.
  const tampered = new Uint8Array(t0.bytes)
  tampered[3] = tampered[3]! ^ 1
  assert.equal(p.findByBytes(tampered), undefined)
  assert.equal(p.holds({ ...t0, bytes: tampered }), false)
  assert.equal(p.findByBytes(new Uint8Array(10)), undefined)
  const notPending = kvTx(b, 0, 'k', 'v')
  assert.equal(p.findByBytes(notPending.bytes), undefined)
  assert.equal(p.holds(notPending), false)
  setNonce(a, 1)
  p.removeCommitted([t0])
  assert.equal(p.findByBytes(t0.bytes), undefined)
  assert.equal(p.holds(t0), false)
  assert.equal(p.findByBytes(t1.bytes), t1)
})

test('cheap checks come before the signature: a replay with a bad signature is NONCE_TOO_LOW, a fresh one BAD_SIGNATURE', () => {
  const p = pool()
  setNonce(a, 5)
  const replay = kvTx(a, 3, 'k', 'v')
  const forgedReplay = { ...replay, signature: new Uint8Array(64).fill(1) }
  assert.throws(() => p.add(forgedReplay), (e) => isCoreError(e, CoreErrorCode.NONCE_TOO_LOW))
  const forgedFresh = { ...kvTx(a, 5, 'k', 'v'), signature: new Uint8Array(64).fill(1) }
  assert.throws(() => p.add(forgedFresh), (e) => isCoreError(e, CoreErrorCode.BAD_SIGNATURE))
  // Another chain's tx says so first, whatever its nonce.
  assert.throws(() => p.add(kvTx(a, 0, 'k', 'v', 'other-chain')), (e) => isCoreError(e, CoreErrorCode.WRONG_CHAIN_ID))
  assert.equal(p.size, 0)
})

test('committedRecently knows the txs of committed blocks from their bytes, pending or not, and forgets the oldest', () => {
  const p = pool()
  const pending = kvTx(a, 0, 'k', 'v')
  const neverPending = kvTx(b, 0, 'k', 'v') // committed in a block before its gossip arrived
  const later = kvTx(c, 0, 'k', 'v')
  p.add(pending)
  assert.equal(p.committedRecently(pending.bytes), false, 'pending is not committed')
  setNonce(a, 1)
  setNonce(b, 1)
  p.removeCommitted([pending, neverPending])
  assert.equal(p.committedRecently(new Uint8Array(pending.bytes)), true)
  assert.equal(p.committedRecently(neverPending.bytes), true)
  assert.equal(p.committedRecently(later.bytes), false)
  assert.equal(p.committedRecently(new Uint8Array(64)), false, 'too short to hold a tx')
  // Bounded: after 32,768 more committed signatures the first ones are forgotten.
  const filler = Array.from({ length: 32_768 }, (_, i) => {
    const signature = new Uint8Array(64)
    new DataView(signature.buffer).setUint32(0, i + 1)
    return { ...later, signature }
  })
  p.removeCommitted(filler)
  assert.equal(p.committedRecently(pending.bytes), false)
  assert.equal(p.committedRecently(neverPending.bytes), false)
})

test('with the node\'s memo, a tx checked in a proposed block is admitted without a second check, and only that very tx', () => {
  let checks = 0
  const memo = createMemoizedVerifier((sig, msg, pk) => {
    checks++
    return verify(sig, msg, pk)
  })
  chainNonces.clear()
  const p = new Mempool({ chainId: 'medchain-test', maxTxs: 100, maxBytes: 1_000_000, maxNonceGap: 10 }, nonceOf, memo.verify)
  const inBlock = kvTx(a, 0, 'k', 'v')
  // Chain.validateBlock checks a block's txs through the same memo.
  validateTxStateless(inBlock, 'medchain-test', memo.verify)
  assert.equal(checks, 1)
  // Its gossiped copy, decoded again from the same bytes: no second check.
  p.add(createTxFromBytes(new Uint8Array(inBlock.bytes)))
  assert.equal(checks, 1)
  assert.equal(p.size, 1)
  // Other bytes carrying that signature are another tx: checked, and refused.
  const other = kvTx(b, 0, 'k', 'v')
  const forged = new Uint8Array(other.bytes)
  forged.set(inBlock.signature, forged.length - 64)
  assert.throws(() => p.add(createTxFromBytes(forged)), (e) => isCoreError(e, CoreErrorCode.BAD_SIGNATURE), 'other bytes are checked')
  assert.equal(checks, 2)
  // Once committed, a later copy is a replay.
  setNonce(a, 1)
  p.removeCommitted([inBlock])
  assert.throws(() => p.add(createTxFromBytes(new Uint8Array(inBlock.bytes))), (e) => isCoreError(e, CoreErrorCode.NONCE_TOO_LOW))
})
