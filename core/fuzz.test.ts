/**
 * Decoder fuzz: 10,000 seeded inputs — mutations of valid encodings (truncation, bit flips,
 * length-prefix and type-byte changes, insertions, deletions, splices) and pure random bytes —
 * into every decoder. Each call must either succeed or throw a CoreError with a known code;
 * anything else (TypeError, RangeError, a hang) fails. Replay a failure from the printed seed.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { decodeBlock, decodeHeader, encodeBlock, encodeHeader } from './block.ts'
import { decodeCommit, encodeCommit, signVote, voteFromRaw, voteRaw, VoteType } from './commit.ts'
import { decode, encode } from './encoding.ts'
import { CoreError, CoreErrorCode } from './errors.ts'
import { decodeReceipt, encodeReceipt, failedReceipt, okReceipt } from './execution.ts'
import { toHex } from './hex.ts'
import { committedBlock, kvPutTx, testKeyPair, testValidators, TEST_CHAIN_ID } from './test-fixtures.ts'
import { createSignedTx, createTxFromBytes, TxKind } from './tx.ts'

const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed1234)
const ITERATIONS = 10_000
const KNOWN_CODES = new Set<string>(Object.values(CoreErrorCode))

/** xorshift32: small, seeded, replayable. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1
  return () => {
    s ^= s << 13
    s >>>= 0
    s ^= s >>> 17
    s ^= s << 5
    s >>>= 0
    return s
  }
}

const { keys, set } = testValidators(4)
const sender = testKeyPair(3)
const txs = [
  kvPutTx(sender, 0, 'k0', Uint8Array.of(1, 2, 3)),
  createSignedTx({ chainId: TEST_CHAIN_ID, kind: TxKind.CALL, nonce: 1, target: new Uint8Array(20).fill(7), method: 'setXrayhash', args: ['p', 5n, [true, null, new Uint8Array(4)]], gasLimit: 50_000 }, sender.secretKey, sender.publicKey),
  createSignedTx({ chainId: TEST_CHAIN_ID, kind: TxKind.DEPLOY, nonce: 2, target: new Uint8Array(0), method: '', args: [new Uint8Array(300).fill(1), 'abi', 'src', []], gasLimit: 1_000_000 }, sender.secretKey, sender.publicKey),
]
const block = committedBlock({ height: 2, prevHash: new Uint8Array(32).fill(1), txs, keys, set })
const vote = signVote(TEST_CHAIN_ID, { type: VoteType.PRECOMMIT, height: 2, round: 1, blockHash: block.hash, validatorIndex: 2 }, keys[2]!.secretKey)
const receipt = okReceipt(1234, { events: [{ contract: new Uint8Array(20).fill(2), name: 'XrayAdded', data: ['p', new Uint8Array(32), 7n] }], returnValue: [1, 'ok'] })

const VALID: Uint8Array[] = [
  ...txs.map((t) => t.bytes), encodeBlock(block), encodeBlock({ ...block, commit: null }), encodeHeader(block.header),
  encodeCommit(block.commit!), encode(voteRaw(vote)), encodeReceipt(receipt), encodeReceipt(failedReceipt(10, 'OUT_OF_GAS', 'out of gas')),
  encode([1, -1, 300, -300, 70000, 2 ** 40, 5n, 'str', new Uint8Array(3), [], [[null]], true, false]),
]

const DECODERS: [string, (b: Uint8Array) => unknown][] = [
  ['decode', (b) => decode(b)],
  ['createTxFromBytes', (b) => createTxFromBytes(b)],
  ['decodeBlock', (b) => decodeBlock(b)],
  ['decodeHeader', (b) => decodeHeader(b)],
  ['decodeCommit', (b) => decodeCommit(b)],
  ['voteFromRaw(decode)', (b) => voteFromRaw(decode(b))],
  ['decodeReceipt', (b) => decodeReceipt(b)],
]

/** Bytes that change how MessagePack reads what follows: lengths, widths, types. */
const TYPE_BYTES = [0x90, 0x91, 0x9f, 0xdc, 0xdd, 0xc4, 0xc5, 0xc6, 0xd9, 0xda, 0xdb, 0xa0, 0xbf, 0xcc, 0xcd, 0xce, 0xcf, 0xd0, 0xd3, 0xca, 0xcb, 0xc0, 0xc1, 0xc2, 0xc3, 0x80, 0x8f, 0xde, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xc7, 0xc8, 0xc9, 0x7f, 0xff, 0x00]

function mutate(next: () => number, src: Uint8Array): Uint8Array {
  const b = Array.from(src)
  const rounds = 1 + (next() % 3)
  for (let r = 0; r < rounds && b.length > 0; r++) {
    const at = next() % b.length
    switch (next() % 9) {
      case 0: b.length = at; break // truncate
      case 1: b[at]! ^= 1 << (next() % 8); break // bit flip
      case 2: b[at] = TYPE_BYTES[next() % TYPE_BYTES.length]!; break // type / length-prefix byte
      case 3: b[at] = (b[at]! + (next() % 2 === 0 ? 1 : 255)) & 0xff; break // length ± 1
      case 4: b.splice(at, 0, next() & 0xff); break // insert
      case 5: b.splice(at, 1 + (next() % 4)); break // delete
      case 6: b.push(...Array.from({ length: 1 + (next() % 8) }, () => next() & 0xff)); break // trailing junk
      case 7: { const from = next() % b.length; b.splice(at, 0, ...b.slice(from, from + 1 + (next() % 16))); break } // splice a copy
      default: b[at] = next() & 0xff // random byte
    }
  }
  return Uint8Array.from(b)
}

test(`fuzz: ${ITERATIONS} inputs into every decoder give a value or a CoreError (seed ${SEED})`, () => {
  // the seeds themselves decode with the decoders they belong to
  assert.equal(toHex(createTxFromBytes(txs[1]!.bytes).id), toHex(txs[1]!.id))
  assert.equal(toHex(decodeBlock(encodeBlock(block)).hash), toHex(block.hash))
  const next = rng(SEED)
  const outcomes = new Map<string, number>()
  for (let i = 0; i < ITERATIONS; i++) {
    const kind = next() % 10
    const input = kind < 8
      ? mutate(next, VALID[next() % VALID.length]!)
      : Uint8Array.from({ length: next() % 64 }, () => next() & 0xff)
    for (const [name, fn] of DECODERS) {
      let outcome = 'ok'
      try {
        fn(input)
      } catch (e) {
        if (!(e instanceof CoreError) || !KNOWN_CODES.has(e.code)) {
          assert.fail(`${name} threw a non-CoreError on iteration ${i} (seed ${SEED}), input ${toHex(input)}: ${String(e)}`)
        }
        outcome = e.code
      }
      if (outcome === 'ok' && name === 'decode') {
        // whatever decodes must be the canonical encoding of what it decoded to
        assert.equal(toHex(encode(decode(input))), toHex(input))
      }
      outcomes.set(`${name} ${outcome}`, (outcomes.get(`${name} ${outcome}`) ?? 0) + 1)
    }
    if (i % 1000 === 0) {
      // a failed decode leaves no state behind in msgpackr
      assert.equal(toHex(decodeBlock(encodeBlock(block)).hash), toHex(block.hash))
      assert.equal(decode(Uint8Array.of(0x40)), 64)
    }
  }
  const summary = [...outcomes.entries()].sort().map(([k, n]) => `${k}: ${n}`).join(', ')
  // the mutations must reach deep code paths, not only the first byte check
  for (const code of ['DECODE_MALFORMED', 'DECODE_NOT_CANONICAL', 'DECODE_BAD_TYPE', 'BAD_SHAPE']) {
    assert.ok([...outcomes.keys()].some((key) => key.endsWith(code)), `no ${code} outcome: ${summary}`)
  }
  console.log(`fuzz outcomes (seed ${SEED}): ${summary}`)
})
