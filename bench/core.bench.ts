/**
 * Core benchmark (`npm run bench:core`): the costs that bound medchain's throughput.
 *
 *   core.tx.validate.node    createTxFromBytes + validateTxStateless (verify: libsodium first)
 *   core.tx.validate.noble   createTxFromBytes + chain id + verifyNoble (@noble/curves)
 *   core.tx.sign             createSignedTx (node:crypto; the key imported per call)
 *   core.ed25519.sign        createEd25519Signer: libsodium when sodium-native loads (what TxBuilder
 *                            and the PrivValidator use), and .openssl: node:crypto, key imported once
 *   core.ed25519.sign.noble  @noble/curves sign of a 32-byte id, for comparison
 *   core.ed25519.verify      verify (libsodium first when sodium-native loads), and .openssl: OpenSSL alone
 *   node.signature-memo.*    the node's memo of verified signatures (node/verified-signatures.ts) on
 *                            vote-sized triples, Ed25519 stubbed out: remembering one, and a hit
 *   core.sha256d.200B        sha256d of a 200-byte message
 *   core.merkle.root.1000    merkleRoot over 1,000 tx ids
 *   core.store.commit.<n>tx  ChainStore.commitBlock (LevelDB) for blocks of n KV_PUT txs, each with a
 *                            one-validator commit certificate, 2 state writes and a receipt per tx
 *
 * Prints progress on stderr, a table and one JSON line on stdout, and writes the JSON to
 * bench/results/core-<timestamp>.json. Numbers are single-process, one core busy.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir, cpus } from 'node:os'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  blockHash, createBlock, createCommit, createTxFromBytes, encodeTrusted, merkleRoot, nextStateRoot, okReceipt, sha256, sha256d,
  createEd25519Signer, createOpenSslSigner, signNoble, signVote, voteSignBytes, sortWrites, stateKey, txRootOf, utf8, validateTxStateless, verify, verifyNoble, verifyOpenSsl, hasFastVerify, CoreError, CoreErrorCode, VoteType,
  type Block, type BlockHeader, type SignedTx, type StateWrite,
} from '../core/index.ts'
import { kvPutTx, testKeyPair, testValidators, TEST_CHAIN_ID } from '../core/test-fixtures.ts'
import { ChainStore } from '../node/store/chain-store.ts'
import { createMemoizedVerifier } from '../node/verified-signatures.ts'

interface Row { id: string; what: string; ops: number; unit: string; perSecond: number; extra?: Record<string, number> }
const rows: Row[] = []
const progress = (m: string): void => void process.stderr.write(`[bench:core] ${m}\n`)

function measure(id: string, what: string, unit: string, ops: number, fn: () => void, extra?: Record<string, number>): Row {
  const t0 = process.hrtime.bigint()
  fn()
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9
  const row = { id, what, ops, unit, perSecond: ops / seconds, ...(extra ? { extra } : {}) }
  rows.push(row)
  progress(`${id}: ${fmt(row.perSecond)} ${unit}/s`)
  return row
}
const fmt = (n: number): string => n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(2)

// ---- a pool of signed KV_PUT txs (also measures signing) -----------------------------------
const SENDERS = Array.from({ length: 64 }, (_, i) => testKeyPair(5000 + i))
const STORE_PLAN = [
  { txs: 0, blocks: 300 },
  { txs: 100, blocks: 30 },
  { txs: 1000, blocks: 6 },
]
const POOL_SIZE = STORE_PLAN.reduce((n, p) => n + p.txs * p.blocks, 0)
const nonces = new Map<number, number>()
const pool: SignedTx[] = []
progress(`signing ${POOL_SIZE} txs from ${SENDERS.length} senders…`)
measure('core.tx.sign', 'createSignedTx (node:crypto, key per call)', 'tx', POOL_SIZE, () => {
  for (let i = 0; i < POOL_SIZE; i++) {
    const s = i % SENDERS.length
    const nonce = nonces.get(s) ?? 0
    nonces.set(s, nonce + 1)
    pool.push(kvPutTx(SENDERS[s]!, nonce, `image/${i}`, sha256(utf8.encode(`image bytes ${i}`))))
    if (i > 0 && i % 2000 === 0) progress(`  signed ${i}/${POOL_SIZE}`)
  }
})
{
  const signer = createEd25519Signer(SENDERS[0]!.secretKey)
  const ids = pool.slice(0, 5000).map((t) => t.id)
  measure('core.ed25519.sign', `createEd25519Signer sign of a 32-byte id (${hasFastVerify ? 'libsodium' : 'OpenSSL: sodium-native not loaded'})`, 'sig', ids.length, () => { for (const id of ids) signer.sign(id) })
  const openssl = createOpenSslSigner(SENDERS[0]!.secretKey)
  measure('core.ed25519.sign.openssl', 'createOpenSslSigner sign of a 32-byte id (node:crypto, key imported once)', 'sig', ids.length, () => { for (const id of ids) openssl.sign(id) })
  const nobleIds = ids.slice(0, 500)
  measure('core.ed25519.sign.noble', '@noble/curves sign of a 32-byte id', 'sig', nobleIds.length, () => { for (const id of nobleIds) signNoble(id, SENDERS[0]!.secretKey) })
  const signed = ids.map((id) => ({ id, sig: signer.sign(id) }))
  const pk = SENDERS[0]!.publicKey
  measure('core.ed25519.verify', `verify of a 32-byte id (${hasFastVerify ? 'libsodium first' : 'OpenSSL: sodium-native not loaded'})`, 'sig', signed.length, () => {
    for (const s of signed) if (!verify(s.sig, s.id, pk)) throw new Error('bench signature refused')
  })
  measure('core.ed25519.verify.openssl', 'verifyOpenSsl of a 32-byte id (node:crypto alone)', 'sig', signed.length, () => {
    for (const s of signed) if (!verifyOpenSsl(s.sig, s.id, pk)) throw new Error('bench signature refused')
  })
  // The node's memo in front of verify, on vote-sized sign bytes, with the Ed25519 check
  // itself taken out (a stub that accepts), so the rows show the memo's own cost per call.
  const votes = Array.from({ length: 10_000 }, (_, i) => ({ bytes: voteSignBytes(TEST_CHAIN_ID, VoteType.PRECOMMIT, i + 1, 0, sha256(utf8.encode(`b${i}`))), sig: new Uint8Array([...sha256(utf8.encode(`r${i}`)), ...sha256(utf8.encode(`s${i}`))]) }))
  const memo = createMemoizedVerifier(() => true)
  measure('node.signature-memo.remember', 'MemoizedVerifier, a triple not yet known (Ed25519 stubbed out)', 'call', votes.length, () => {
    for (const v of votes) memo.verify(v.sig, v.bytes, pk)
  })
  measure('node.signature-memo.hit', 'MemoizedVerifier, a triple already verified', 'call', votes.length * 5, () => {
    for (let k = 0; k < 5; k++) for (const v of votes) if (!memo.verify(v.sig, v.bytes, pk)) throw new Error('memo refused')
  })
}

// ---- transaction validation ---------------------------------------------------------------
{
  const bytes = pool.slice(0, 5000).map((t) => t.bytes)
  // warm the public-key validity caches (a node sees the same senders again and again)
  for (const s of SENDERS) { verifyNoble(new Uint8Array(64), new Uint8Array(0), s.publicKey) }
  measure('core.tx.validate.node', 'createTxFromBytes + validateTxStateless (verify)', 'tx', bytes.length, () => {
    for (const b of bytes) validateTxStateless(createTxFromBytes(b), TEST_CHAIN_ID)
  })
  const nobleBytes = bytes.slice(0, 1500)
  measure('core.tx.validate.noble', 'createTxFromBytes + chain id + verifyNoble', 'tx', nobleBytes.length, () => {
    for (const b of nobleBytes) {
      const tx = createTxFromBytes(b)
      if (tx.chainId !== TEST_CHAIN_ID) throw new CoreError(CoreErrorCode.WRONG_CHAIN_ID, tx.chainId)
      if (!verifyNoble(tx.signature, tx.id, tx.senderPublicKey)) throw new CoreError(CoreErrorCode.BAD_SIGNATURE, 'bench tx')
    }
  })
}

// ---- hashing and Merkle -------------------------------------------------------------------
{
  const msgs = Array.from({ length: 1000 }, (_, i) => sha256(utf8.encode(`m${i}`))).map((h) => new Uint8Array(Buffer.concat(Array(7).fill(h)).subarray(0, 200)))
  const N = 200_000
  measure('core.sha256d.200B', 'sha256d of a 200-byte message', 'hash', N, () => { for (let i = 0; i < N; i++) sha256d(msgs[i % 1000]!) })
  const ids = pool.slice(0, 1000).map((t) => t.id)
  const R = 200
  measure('core.merkle.root.1000', 'merkleRoot over 1,000 tx ids', 'root', R, () => { for (let i = 0; i < R; i++) merkleRoot(ids) })
}

// ---- blocks committed to LevelDB ------------------------------------------------------------
const { keys, set } = testValidators(1)
const validator = keys[0]!

function buildBlock(prev: { height: number; hash: Uint8Array; stateRoot: Uint8Array }, txs: readonly SignedTx[]): { block: Block; stateWrites: StateWrite[] } {
  const stateWrites: StateWrite[] = []
  for (const tx of txs) {
    stateWrites.push([stateKey.kv(utf8.encode(tx.method)), tx.args[0] as Uint8Array])
    stateWrites.push([stateKey.nonce(tx.sender), encodeTrusted(tx.nonce + 1)])
  }
  const height = prev.height + 1
  const header: BlockHeader = {
    chainId: TEST_CHAIN_ID, height, time: 1_700_000_000_000 + height * 1000, prevHash: prev.hash, txRoot: txRootOf(txs),
    stateRoot: nextStateRoot(prev.stateRoot, sortWrites(stateWrites)), proposer: set.validators[0]!.address, validatorsHash: set.hash,
  }
  const hash = blockHash(header)
  const vote = signVote(TEST_CHAIN_ID, { type: VoteType.PRECOMMIT, height, round: 0, blockHash: hash, validatorIndex: 0 }, validator.secretKey)
  return { block: createBlock(header, txs, createCommit(height, 0, hash, [vote])), stateWrites }
}

const dir = mkdtempSync(join(tmpdir(), 'medchain-bench-core-'))
try {
  const store = await ChainStore.open(dir, sha256(utf8.encode('bench-genesis')))
  let cursor = 0
  for (const plan of STORE_PLAN) {
    progress(`building ${plan.blocks} blocks of ${plan.txs} txs…`)
    let prev = store.getHead()
    const prepared: { block: Block; stateWrites: StateWrite[] }[] = []
    for (let b = 0; b < plan.blocks; b++) {
      const built = buildBlock(prev, pool.slice(cursor, cursor + plan.txs))
      cursor += plan.txs
      prepared.push(built)
      prev = { height: built.block.header.height, hash: built.block.hash, stateRoot: built.block.header.stateRoot }
    }
    const receiptsOf = (n: number) => Array.from({ length: n }, () => okReceipt(21_000))
    progress(`committing ${plan.blocks} blocks of ${plan.txs} txs to LevelDB…`)
    const t0 = process.hrtime.bigint()
    for (let b = 0; b < prepared.length; b++) {
      const { block, stateWrites } = prepared[b]!
      await store.commitBlock({ block, receipts: receiptsOf(block.txs.length), stateWrites })
      if (plan.txs >= 1000) progress(`  block ${b + 1}/${prepared.length}`)
    }
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9
    const head = store.getHead()
    if (head.height !== prev.height) throw new Error(`head ${head.height}, expected ${prev.height}`)
    const row: Row = {
      id: `core.store.commit.${plan.txs}tx`, what: `ChainStore.commitBlock, blocks of ${plan.txs} KV_PUT txs`, ops: plan.blocks, unit: 'block',
      perSecond: plan.blocks / seconds, extra: { txsPerSecond: (plan.blocks * plan.txs) / seconds, msPerBlock: (seconds * 1000) / plan.blocks },
    }
    rows.push(row)
    progress(`${row.id}: ${fmt(row.perSecond)} blocks/s, ${fmt(row.extra!.txsPerSecond!)} txs/s`)
  }
  // the blocks read back as written
  const last = await store.getBlock(store.getHead().height)
  if (!last || last.txs.length !== STORE_PLAN[STORE_PLAN.length - 1]!.txs) throw new Error('last block did not read back')
  await store.close()
} finally {
  rmSync(dir, { recursive: true, force: true })
}

// ---- report -------------------------------------------------------------------------------------
const pad = (s: string, n: number): string => s.padEnd(n)
console.log('')
// Column widths from the rows, so a longer id or description cannot shift the numbers.
const idWidth = Math.max(2, ...rows.map((r) => r.id.length))
const whatWidth = Math.max(4, ...rows.map((r) => r.what.length))
console.log(`${pad('id', idWidth)} ${pad('what', whatWidth)} ${'per second'.padStart(14)}  extra`)
for (const r of rows) {
  const extra = r.extra ? Object.entries(r.extra).map(([k, v]) => `${k}=${fmt(v)}`).join(' ') : ''
  console.log(`${pad(r.id, idWidth)} ${pad(r.what, whatWidth)} ${`${fmt(r.perSecond)} ${r.unit}`.padStart(14)}  ${extra}`)
}
const result = {
  bench: 'core', at: new Date().toISOString(), node: process.version, cpus: cpus().length, cpu: cpus()[0]?.model ?? 'unknown',
  results: rows.map((r) => ({ ...r, perSecond: Number(r.perSecond.toFixed(2)) })),
}
const json = JSON.stringify(result)
console.log(json)
const resultsDir = join(dirname(fileURLToPath(import.meta.url)), 'results')
mkdirSync(resultsDir, { recursive: true })
const file = join(resultsDir, `core-${result.at.replace(/[:.]/g, '-')}.json`)
writeFileSync(file, JSON.stringify(result, null, 2) + '\n')
progress(`wrote ${file}`)
