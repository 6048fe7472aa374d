import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { createHash } from 'node:crypto'
import {
  blockHash, checkBlockIntegrity, createBlock, decodeBlock, decodeBlockTx, decodeHeader, encodeBlock, encodeHeader, headerRaw, txRootChecked, txRootOf, withCommit, type BlockHeader,
} from './block.ts'
import {
  createCommit, decodeCommit, encodeCommit, signVote, verifyCommit, verifyVote, voteFromRaw, voteRaw, voteSignBytes, VoteType, type CommitCertificate,
} from './commit.ts'
import { decode, encode, type CanonicalValue } from './encoding.ts'
import { fromHex, toHex } from './hex.ts'
import { committedBlock, kvPutTx, signedCommit, testKeyPair, testValidators, TEST_CHAIN_ID, codeOf } from './test-fixtures.ts'
import { createValidatorSet, proposerIndex, quorumSize } from './validators.ts'

const protocol = JSON.parse(readFileSync(new URL('./vectors/protocol.json', import.meta.url), 'utf8')) as {
  blockHeader: Record<string, string | number> & { encoded: string; hash: string }
}


const { keys, set } = testValidators(4)
const sender = testKeyPair(7)
const txs = Array.from({ length: 5 }, (_, i) => kvPutTx(sender, i, `k${i}`, Uint8Array.of(i)))
const block = committedBlock({ height: 3, prevHash: new Uint8Array(32).fill(3), txs, keys, set })

test('block header vector: encoding and hash; blockHash = SHA-256(SHA-256(encodeHeader)) by hand', () => {
  const v = protocol.blockHeader
  const header: BlockHeader = {
    chainId: v.chainId as string, height: v.height as number, time: v.time as number, prevHash: fromHex(v.prevHash as string),
    txRoot: fromHex(v.txRoot as string), stateRoot: fromHex(v.stateRoot as string), proposer: fromHex(v.proposer as string),
    validatorsHash: fromHex(v.validatorsHash as string),
  }
  assert.equal(toHex(encodeHeader(header)), v.encoded)
  assert.equal(toHex(blockHash(header)), v.hash)
  for (const h of [header, block.header]) {
    const once = createHash('sha256').update(encodeHeader(h)).digest()
    const twice = createHash('sha256').update(once).digest()
    assert.equal(toHex(blockHash(h)), toHex(twice))
  }
  assert.equal(toHex(block.hash), toHex(blockHash(block.header)))
  assert.deepEqual(decodeHeader(encodeHeader(header)), header)
})

test('block encode/decode round trip, with and without commit, and with no txs', () => {
  const empty = committedBlock({ height: 4, prevHash: block.hash, txs: [], keys, set })
  const proposal = createBlock(block.header, block.txs, null)
  for (const b of [block, empty, proposal]) {
    const bytes = encodeBlock(b)
    const back = decodeBlock(bytes)
    assert.equal(toHex(back.hash), toHex(b.hash))
    assert.equal(toHex(encodeBlock(back)), toHex(bytes))
    assert.deepEqual(back.txs.map((t) => toHex(t.id)), b.txs.map((t) => toHex(t.id)))
    assert.equal(back.commit === null, b.commit === null)
    if (back.commit) verifyCommit(TEST_CHAIN_ID, set, back.commit, back.header.height, back.hash)
  }
  assert.equal(toHex(txRootOf([])), toHex(empty.header.txRoot))
  const later = withCommit(proposal, block.commit!)
  assert.equal(toHex(encodeBlock(later)), toHex(encodeBlock(block)))
})

test('decodeBlockTx gives one tx, the header and the hash of an encoded block; an index outside the block is BAD_BLOCK', () => {
  const bytes = encodeBlock(block)
  block.txs.forEach((tx, i) => {
    const one = decodeBlockTx(bytes, i)
    assert.equal(toHex(one.tx.bytes), toHex(tx.bytes))
    assert.equal(toHex(one.tx.id), toHex(tx.id))
    assert.equal(toHex(one.hash), toHex(block.hash))
    assert.deepEqual(one.header, block.header)
  })
  for (const bad of [-1, block.txs.length, 1.5, Number.NaN]) assert.equal(codeOf(() => decodeBlockTx(bytes, bad)), 'BAD_BLOCK')
  assert.equal(codeOf(() => decodeBlockTx(bytes.subarray(0, 10), 0)).startsWith('DECODE'), true)
})

test('decodeBlock reuses a known tx only when its bytes are exactly the listed ones', () => {
  const bytes = encodeBlock(block)
  const known = new Map(block.txs.map((t) => [toHex(t.bytes), t]))
  const asked: string[] = []
  const back = decodeBlock(bytes, { knownTx: (b) => { asked.push(toHex(b)); return known.get(toHex(b)) } })
  assert.deepEqual(asked, block.txs.map((t) => toHex(t.bytes)))
  back.txs.forEach((t, i) => assert.equal(t, block.txs[i], `tx ${i} is the known object`))
  // A lookup that answers with another tx (a wrong index, a bug) changes nothing: the tx is decoded.
  const other = kvPutTx(sender, 99, 'other', Uint8Array.of(9))
  const wrong = decodeBlock(bytes, { knownTx: () => other })
  assert.deepEqual(wrong.txs.map((t) => toHex(t.bytes)), block.txs.map((t) => toHex(t.bytes)))
  assert.ok(wrong.txs.every((t) => t !== other))
  assert.equal(toHex(wrong.hash), toHex(block.hash))
  // Known txs do not excuse a wrong root or a duplicate.
  const raw = decode(bytes) as CanonicalValue[]
  const dropped = encode([raw[0]!, (raw[1] as Uint8Array[]).slice(1), raw[2]!])
  assert.equal(codeOf(() => decodeBlock(dropped, { knownTx: (b) => known.get(toHex(b)) })), 'BAD_BLOCK')
})

test('txRootChecked: true for decoded blocks, false for blocks built in memory', () => {
  assert.equal(txRootChecked(decodeBlock(encodeBlock(block))), true)
  assert.equal(txRootChecked(block), false)
  assert.equal(txRootChecked(createBlock({ ...block.header, txRoot: new Uint8Array(32) }, block.txs, null)), false)
})

test('decodeBlock refuses a tx root mismatch, duplicate txs, a commit naming another block (BAD_BLOCK)', () => {
  const raw = decode(encodeBlock(block)) as CanonicalValue[]
  const header = [...(raw[0] as CanonicalValue[])]
  // drop one tx: the root no longer matches
  assert.equal(codeOf(() => decodeBlock(encode([header, (raw[1] as Uint8Array[]).slice(1), raw[2]!]))), 'BAD_BLOCK')
  // swap two txs: order is committed too
  const swapped = [...(raw[1] as Uint8Array[])]
  ;[swapped[0], swapped[1]] = [swapped[1]!, swapped[0]!]
  assert.equal(codeOf(() => decodeBlock(encode([header, swapped, raw[2]!]))), 'BAD_BLOCK')
  // a header whose txRoot was changed
  const badRoot = [...header]
  badRoot[4] = new Uint8Array(32)
  assert.equal(codeOf(() => decodeBlock(encode([badRoot, raw[1]!, null]))), 'BAD_BLOCK')
  // the same tx twice, with a header that commits to that list
  const dupTxs = [txs[0]!, txs[0]!]
  const dupHeader = { ...block.header, txRoot: txRootOf(dupTxs) }
  assert.equal(codeOf(() => decodeBlock(encodeBlock(createBlock(dupHeader, dupTxs, null)))), 'BAD_BLOCK')
  // a valid certificate, but for another block
  const other = committedBlock({ height: 3, prevHash: new Uint8Array(32).fill(4), txs, keys, set })
  assert.equal(codeOf(() => decodeBlock(encodeBlock(withCommit(block, other.commit!)))), 'BAD_BLOCK')
  assert.equal(codeOf(() => checkBlockIntegrity(withCommit(block, other.commit!))), 'BAD_BLOCK')
  // shape errors
  assert.equal(codeOf(() => decodeBlock(encode([header, raw[1]!]))), 'BAD_SHAPE')
  assert.equal(codeOf(() => decodeBlock(encode([header.slice(0, 7), raw[1]!, null]))), 'BAD_SHAPE')
  assert.equal(codeOf(() => decodeBlock(encode([header, ['not bytes'], null]))), 'BAD_SHAPE')
  assert.equal(codeOf(() => decodeBlock(encode([header, [new Uint8Array([1, 2])], null]))), 'DECODE_MALFORMED')
})

test('commit certificate from 4 validators (bft quorum 3) verifies; quorum of exactly 3 is enough', () => {
  assert.equal(set.quorum, 3)
  verifyCommit(TEST_CHAIN_ID, set, block.commit!, block.header.height, block.hash)
  const three = signedCommit(TEST_CHAIN_ID, keys, [0, 2, 3], block.header.height, 0, block.hash)
  verifyCommit(TEST_CHAIN_ID, set, three, block.header.height, block.hash)
  assert.deepEqual(three.signatures.map(([i]) => i), [0, 2, 3])
  const back = decodeCommit(encodeCommit(three))
  assert.equal(toHex(encodeCommit(back)), toHex(encodeCommit(three)))
  verifyCommit(TEST_CHAIN_ID, set, back, block.header.height, block.hash)
})

test('bad commits → BAD_COMMIT: below quorum, duplicate index, non-member, other block, other height, other round, other chain', () => {
  const h = block.header.height
  const good = block.commit!
  const bad = (name: string, c: CommitCertificate, height = h, hash = block.hash, chainId = TEST_CHAIN_ID): void => {
    assert.equal(codeOf(() => verifyCommit(chainId, set, c, height, hash)), 'BAD_COMMIT', name)
  }
  bad('two of four', signedCommit(TEST_CHAIN_ID, keys, [1, 3], h, 0, block.hash))
  bad('none', { ...good, signatures: [] })
  const sigs = good.signatures
  bad('duplicate index (padding to quorum)', { ...good, signatures: [sigs[0]!, sigs[0]!, sigs[1]!] })
  bad('descending order', { ...good, signatures: [sigs[1]!, sigs[0]!, sigs[2]!] })
  // a non-member: a fifth key signs and claims index 4, or claims a member's index
  const outsider = testKeyPair(99)
  const outsiderVote = signVote(TEST_CHAIN_ID, { type: VoteType.PRECOMMIT, height: h, round: 0, blockHash: block.hash, validatorIndex: 4 }, outsider.secretKey)
  bad('index beyond the set', { ...good, signatures: [sigs[0]!, sigs[1]!, [4, outsiderVote.signature]] })
  bad('outsider signature under a member index', { ...good, signatures: [sigs[0]!, sigs[1]!, [2, outsiderVote.signature]] })
  // signatures made for another block / height / round / chain / vote type
  const otherHash = new Uint8Array(32).fill(0xee)
  bad('signed another block', { ...signedCommit(TEST_CHAIN_ID, keys, [0, 1, 2], h, 0, otherHash), blockHash: block.hash })
  bad('signed another height', { ...signedCommit(TEST_CHAIN_ID, keys, [0, 1, 2], h + 1, 0, block.hash), height: h })
  bad('signed another round', { ...signedCommit(TEST_CHAIN_ID, keys, [0, 1, 2], h, 1, block.hash), round: 0 })
  bad('signed on another chain', signedCommit('other-chain', keys, [0, 1, 2], h, 0, block.hash))
  const prevotes = [0, 1, 2].map((i) => signVote(TEST_CHAIN_ID, { type: VoteType.PREVOTE, height: h, round: 0, blockHash: block.hash, validatorIndex: i }, keys[i]!.secretKey))
  bad('prevotes, not precommits', { ...good, signatures: prevotes.map((v) => [v.validatorIndex, v.signature] as const) })
  // the certificate is fine, the question is wrong
  bad('asked about another height', good, h + 1)
  bad('asked about another block', good, h, otherHash)
  // one bad signature among enough good ones still fails: certificates must be clean
  const flipped = new Uint8Array(sigs[3]![1])
  flipped[0]! ^= 1
  bad('one corrupt extra signature', { ...good, signatures: [sigs[0]!, sigs[1]!, sigs[2]!, [3, flipped]] })
  // createCommit ignores votes that are not precommits for this block, height and round
  const mixed = createCommit(h, 0, block.hash, [
    ...prevotes,
    signVote(TEST_CHAIN_ID, { type: VoteType.PRECOMMIT, height: h, round: 1, blockHash: block.hash, validatorIndex: 3 }, keys[3]!.secretKey),
    signVote(TEST_CHAIN_ID, { type: VoteType.PRECOMMIT, height: h, round: 0, blockHash: new Uint8Array(0), validatorIndex: 0 }, keys[0]!.secretKey),
  ])
  assert.equal(mixed.signatures.length, 0)
})

test('votes: sign, verify, raw round trip, and shape refusals', () => {
  const vote = signVote(TEST_CHAIN_ID, { type: VoteType.PREVOTE, height: 9, round: 2, blockHash: block.hash, validatorIndex: 1 }, keys[1]!.secretKey)
  assert.ok(verifyVote(TEST_CHAIN_ID, set, vote))
  assert.equal(verifyVote(TEST_CHAIN_ID, set, { ...vote, validatorIndex: 2 }), false)
  assert.equal(verifyVote(TEST_CHAIN_ID, set, { ...vote, validatorIndex: 9 }), false)
  assert.equal(verifyVote('other', set, vote), false)
  const nil = signVote(TEST_CHAIN_ID, { type: VoteType.PRECOMMIT, height: 9, round: 2, blockHash: new Uint8Array(0), validatorIndex: 0 }, keys[0]!.secretKey)
  assert.ok(verifyVote(TEST_CHAIN_ID, set, nil))
  for (const v of [vote, nil]) {
    const back = voteFromRaw(decode(encode(voteRaw(v))))
    assert.equal(toHex(encode(voteRaw(back))), toHex(encode(voteRaw(v))))
    assert.ok(verifyVote(TEST_CHAIN_ID, set, back))
  }
  assert.equal(toHex(voteSignBytes(TEST_CHAIN_ID, 1, 9, 2, block.hash)), toHex(encode(['vote', TEST_CHAIN_ID, 1, 9, 2, block.hash])))
  const raw = voteRaw(vote)
  const shapes: CanonicalValue[] = [
    [3, ...raw.slice(1)], [0, ...raw.slice(1)], [...raw.slice(0, 3), new Uint8Array(31), ...raw.slice(4)],
    [...raw.slice(0, 5), new Uint8Array(63)], raw.slice(0, 5), [...raw.slice(0, 1), -1, ...raw.slice(2)], 'vote',
  ]
  for (const s of shapes) assert.equal(codeOf(() => voteFromRaw(s)), 'BAD_SHAPE', JSON.stringify(s, (_, x) => typeof x === 'bigint' ? String(x) : x))
})

test('validator sets: quorum sizes, proposer rotation, refusals', () => {
  assert.equal(quorumSize(10, 'bft'), 7)
  assert.equal(quorumSize(10, 'majority'), 6)
  assert.equal(quorumSize(1, 'bft'), 1)
  assert.equal(quorumSize(1, 'majority'), 1)
  assert.equal(quorumSize(4, 'bft'), 3)
  assert.equal(quorumSize(4, 'majority'), 3)
  assert.equal(quorumSize(3, 'bft'), 3)
  assert.equal(quorumSize(7, 'bft'), 5)
  assert.equal(testValidators(10, 'bft').set.quorum, 7)
  assert.equal(testValidators(10, 'majority').set.quorum, 6)
  assert.equal(testValidators(1).set.quorum, 1)
  // the hash commits to the mode and to the keys in order
  const ten = testValidators(10)
  assert.notEqual(toHex(ten.set.hash), toHex(testValidators(10, 'majority').set.hash))
  assert.notEqual(toHex(ten.set.hash), toHex(createValidatorSet([...ten.keys].reverse().map((k) => k.publicKey)).hash))
  assert.equal(toHex(ten.set.hash), toHex(createValidatorSet(ten.keys.map((k) => k.publicKey)).hash))
  assert.deepEqual([0, 1, 2, 3, 4].map((h) => proposerIndex(set, h, 0)), [0, 1, 2, 3, 0])
  assert.equal(proposerIndex(set, 5, 2), 3)
  assert.equal(codeOf(() => createValidatorSet([])), 'BAD_SHAPE')
  assert.equal(codeOf(() => createValidatorSet([keys[0]!.publicKey, keys[0]!.publicKey])), 'BAD_SHAPE')
  assert.equal(codeOf(() => createValidatorSet([new Uint8Array(32)])), 'BAD_PUBLIC_KEY')
  assert.equal(codeOf(() => createValidatorSet([keys[0]!.publicKey], 'other' as never)), 'BAD_SHAPE')
})

test('header and commit decoders refuse shape errors with BAD_SHAPE', () => {
  const raw = headerRaw(block.header)
  for (const [i, v] of [[0, 5], [1, -1], [2, 1.5], [3, new Uint8Array(31)], [6, new Uint8Array(32)], [7, 'x']] as const) {
    const h = [...raw]
    h[i] = v as CanonicalValue
    const code = codeOf(() => decodeHeader(encode(h)))
    assert.ok(code === 'BAD_SHAPE' || code === 'DECODE_BAD_TYPE', `field ${i}: ${code}`)
  }
  const c = decode(encodeCommit(block.commit!)) as CanonicalValue[]
  assert.equal(codeOf(() => decodeCommit(encode([...c.slice(0, 2), new Uint8Array(31), c[3]!]))), 'BAD_SHAPE')
  assert.equal(codeOf(() => decodeCommit(encode([...c.slice(0, 3), [[0]]]))), 'BAD_SHAPE')
  assert.equal(codeOf(() => decodeCommit(encode([...c.slice(0, 3), [[0, new Uint8Array(64), 1]]]))), 'BAD_SHAPE')
})
