import { test } from 'node:test'
import assert from 'node:assert/strict'
import { encodeHeader, ZERO_HASH, type Block } from '../core/block.ts'
import { toHex } from '../core/hex.ts'
import { generateKeyPair, type KeyPair } from '../core/keys.ts'
import { createSignedTx, TxKind } from '../core/tx.ts'
import { createValidatorSet } from '../core/validators.ts'
import { isClientError } from './errors.ts'
import { trustFromGenesis, trustFromKeys, verifyTxProof } from './proof.ts'
import { committedBlock, FAKE_CHAIN_ID, txProofJson } from './test-support/chain-fixtures.ts'

const CHAIN = FAKE_CHAIN_ID
const validators: KeyPair[] = Array.from({ length: 4 }, () => generateKeyPair())
const set = createValidatorSet(validators.map((v) => v.publicKey), 'bft')
const sender = generateKeyPair()

function buildBlock(txCount: number, signerIndexes: number[]): Block {
  const txs = Array.from({ length: txCount }, (_, i) => createSignedTx(
    { chainId: CHAIN, kind: TxKind.KV_PUT, nonce: i, target: new Uint8Array(0), method: `image-${i}`, args: ['ab'.repeat(32)], gasLimit: 50_000 },
    sender.secretKey, sender.publicKey))
  return committedBlock(validators, set, 42, ZERO_HASH, txs, signerIndexes)
}

const proofJson = (block: Block, index: number): any => txProofJson(block, index)

const trust = trustFromKeys(CHAIN, validators.map((v) => v.publicKey), 'bft')

test('a real block with a 3-of-4 commit verifies for every tx position', () => {
  const block = buildBlock(7, [0, 1, 3])
  for (let i = 0; i < 7; i++) {
    const r = verifyTxProof(proofJson(block, i), trust, toHex(block.txs[i]!.id))
    assert.equal(r.ok, true)
    assert.equal(r.height, 42)
    assert.equal(r.blockHash, toHex(block.hash))
    assert.deepEqual(r.signers, [0, 1, 3])
  }
  const single = buildBlock(1, [0, 1, 2, 3])
  assert.equal(verifyTxProof(proofJson(single, 0), trust).ok, true)
})

test('the validator set comes from a genesis file', () => {
  const genesis = { chainId: CHAIN, genesisTime: 0, quorumMode: 'bft', validators: validators.map((v, i) => ({ name: `h${i}`, publicKey: toHex(v.publicKey) })) }
  const t = trustFromGenesis(genesis)
  assert.deepEqual(t.validatorSet.hash, set.hash)
  assert.equal(verifyTxProof(proofJson(buildBlock(3, [1, 2, 3]), 1), t).ok, true)
  assert.throws(() => trustFromGenesis({ chainId: CHAIN, validators: [] }), (e) => isClientError(e, 'BAD_GENESIS'))
  assert.throws(() => trustFromGenesis({ chainId: CHAIN, validators: ['0x12'] }), (e) => isClientError(e, 'BAD_GENESIS'))
})

test('tampering with any field fails with BAD_PROOF and a reason', () => {
  const block = buildBlock(5, [0, 1, 3])
  const good = proofJson(block, 2)
  const other = buildBlock(4, [0, 1, 2])
  const flip = (hex: string): string => hex.slice(0, -1) + (hex.endsWith('0') ? '1' : '0')
  const cases: [string, (p: any) => void, RegExp][] = [
    ['txId', (p) => { p.txId = toHex(block.txs[3]!.id) }, /Merkle path/],
    ['index', (p) => { p.index = 3 }, /Merkle path/],
    ['leafCount', (p) => { p.leafCount = 3 }, /Merkle path/],
    ['sibling', (p) => { p.siblings[0] = flip(p.siblings[0]) }, /Merkle path/],
    ['sibling dropped', (p) => { p.siblings.pop() }, /Merkle path/],
    ['header.time', (p) => { p.header.time += 1 }, /headerRaw/],
    ['header.txRoot', (p) => { p.header.txRoot = flip(p.header.txRoot) }, /headerRaw/],
    ['header.height', (p) => { p.header.height = 43 }, /headerRaw/],
    ['header.proposer', (p) => { p.header.proposer = 'mc' + '00'.repeat(20) }, /headerRaw/],
    ['headerRaw', (p) => { p.headerRaw = flip(p.headerRaw) }, /headerRaw/],
    ['header and headerRaw together', (p) => { p.header.time += 1; p.headerRaw = toHex(encodeHeader({ ...block.header, time: block.header.time + 1 })) }, /claimed block hash/],
    ['blockHash', (p) => { p.blockHash = flip(p.blockHash) }, /claimed block hash/],
    ['commit.blockHash', (p) => { p.commit.blockHash = flip(p.commit.blockHash) }, /commit/],
    ['commit.height', (p) => { p.commit.height = 41 }, /commit/],
    ['commit.round', (p) => { p.commit.round = 1 }, /does not verify/],
    ['commit signature', (p) => { p.commit.signatures[1].signature = flip(p.commit.signatures[1].signature) }, /does not verify/],
    ['commit signer index', (p) => { p.commit.signatures[2].index = 2 }, /does not verify/],
    ['commit below quorum', (p) => { p.commit.signatures.pop() }, /quorum/],
    ['commit duplicate signer', (p) => { p.commit.signatures[1] = p.commit.signatures[0] }, /ascending/],
    ['commit of another block', (p) => { p.commit = proofJson(other, 2).commit }, /commit/],
    ['commit missing', (p) => { p.commit = null }, /not final/],
    ['malformed hex', (p) => { p.txRoot = 'zz'; p.header.prevHash = '0x12' }, /prevHash/],
    ['missing field', (p) => { delete p.siblings }, /siblings is missing/],
  ]
  for (const [what, edit, reason] of cases) {
    const p = structuredClone(good)
    edit(p)
    assert.throws(() => verifyTxProof(p, trust), (e) => isClientError(e, 'BAD_PROOF') && reason.test(e.message), what)
  }
  assert.throws(() => verifyTxProof(good, trust, toHex(block.txs[0]!.id)), (e) => isClientError(e, 'BAD_PROOF'))
  assert.throws(() => verifyTxProof('nope', trust), (e) => isClientError(e, 'BAD_PROOF'))
})

test('a proof is refused against another chain or validator set', () => {
  const good = proofJson(buildBlock(2, [0, 1, 2]), 0)
  assert.throws(() => verifyTxProof(good, { ...trust, chainId: 'other' }), (e) => isClientError(e, 'BAD_PROOF') && /chain/.test(e.message))
  const strangers = trustFromKeys(CHAIN, Array.from({ length: 4 }, () => generateKeyPair().publicKey))
  assert.throws(() => verifyTxProof(good, strangers), (e) => isClientError(e, 'BAD_PROOF') && /validator set/.test(e.message))
  // same keys, majority mode: a different set hash, so refused too
  const majority = trustFromKeys(CHAIN, validators.map((v) => v.publicKey), 'majority')
  assert.throws(() => verifyTxProof(good, majority), (e) => isClientError(e, 'BAD_PROOF'))
})
