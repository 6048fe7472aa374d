/**
 * Writes core's generated test vectors (encoding.json, protocol.json) from the current code.
 * Vectors pin the canonical bytes and hashes: regenerate ONLY on a deliberate protocol change,
 * and review the diff byte by byte. Refuses to overwrite unless `--force`.
 *
 *   node_modules/.bin/node --import tsx core/vectors/generate.ts [--force]
 *
 * rfc8032.json is not generated: it is copied from RFC 8032 section 7.1.
 */
import { existsSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { dirname, join } from 'node:path'
import { blockHash, encodeHeader, type BlockHeader } from '../block.ts'
import { encode, type CanonicalValue } from '../encoding.ts'
import { sha256 } from '../hash.ts'
import { toHex, utf8 } from '../hex.ts'
import { toJsonValue } from '../json-value.ts'
import { addressFromPublicKey, formatAddress, keyPairFromSecretKey } from '../keys.ts'
import { EMPTY_ROOT, merkleRoot } from '../merkle.ts'
import { GENESIS_STATE_ROOT_SEED, nextStateRoot, sortWrites, type StateWrite } from '../state-root.ts'
import { createSignedTx, TxKind } from '../tx.ts'

const here = dirname(fileURLToPath(import.meta.url))
const bytes = (n: number, f: (i: number) => number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => f(i) & 0xff)

/** [name, value]: every msgpack width boundary the value model can reach. */
export const ENCODING_VALUES: [string, CanonicalValue][] = [
  ['null', null], ['true', true], ['false', false],
  ['int 0', 0], ['int 1', 1], ['int 127 (max positive fixint)', 127], ['int 128 (min uint8)', 128],
  ['int 255 (max uint8)', 255], ['int 256 (min uint16)', 256], ['int 65535 (max uint16)', 65535],
  ['int 65536 (min uint32)', 65536], ['int 2^32-1 (max uint32)', 2 ** 32 - 1],
  ['int 2^32 (beyond uint32: float64)', 2 ** 32], ['int 2^53-1 (max safe integer: float64)', Number.MAX_SAFE_INTEGER],
  ['int -1', -1], ['int -32 (min negative fixint)', -32], ['int -33 (int8)', -33], ['int -128 (min int8)', -128],
  ['int -129 (int16)', -129], ['int -32768 (min int16)', -32768], ['int -32769 (int32)', -32769],
  ['int -2^31 (min int32)', -(2 ** 31)], ['int -2^31-1 (beyond int32: float64)', -(2 ** 31) - 1],
  ['int -(2^53-1) (min safe integer: float64)', Number.MIN_SAFE_INTEGER],
  ['bigint 0', 0n], ['bigint 1', 1n], ['bigint -1', -1n], ['bigint 5', 5n], ['bigint 2^32', 2n ** 32n],
  ['bigint 2^53 (beyond safe integers)', 2n ** 53n], ['bigint int64 max', 2n ** 63n - 1n], ['bigint int64 min', -(2n ** 63n)],
  ['string empty', ''], ['string a', 'a'], ['string 31 chars (max fixstr)', 'x'.repeat(31)],
  ['string 32 chars (str8)', 'y'.repeat(32)], ['string 255 bytes (max str8)', 'z'.repeat(255)],
  ['string 256 bytes (str16)', 'w'.repeat(256)], ['string latin-1 accents', 'héllo wörld'],
  ['string CJK', '医学画像'], ['string astral (surrogate pair)', '🩻 x-ray ✓'], ['string NUL', 'a\u0000b'],
  ['bytes empty', new Uint8Array(0)], ['bytes 1', bytes(1, () => 0)], ['bytes 32', bytes(32, (i) => i)],
  ['bytes 255 (max bin8)', bytes(255, (i) => 255 - i)], ['bytes 256 (bin16)', bytes(256, (i) => i * 7)],
  ['array empty', []], ['array nested empty', [[]]], ['array 15 (max fixarray)', Array.from({ length: 15 }, (_, i) => i)],
  ['array 16 (array16)', Array.from({ length: 16 }, (_, i) => i)],
  ['array nested mixed', [1, [2n, ['three', [new Uint8Array([4]), [null, true, false]]]]]],
  ['array record-like', ['medchain-test', 2, bytes(32, (i) => i + 1), 7, new Uint8Array(0), 'k', [bytes(3, (i) => i)], 10_000]],
]

function encodingVectors(): unknown {
  return {
    comment: 'Canonical encoding vectors: encode(value) must give exactly hex; decode(hex) must give back value. Values use the JSON form of core/json-value.ts. Integers beyond 32-bit are encoded by msgpackr as float64 (0xcb): that is the canonical form of such numbers in this model.',
    vectors: ENCODING_VALUES.map(([name, value]) => ({ name, value: toJsonValue(value), hex: toHex(encode(value)) })),
  }
}

function protocolVectors(): unknown {
  // RFC 8032 test 1 key, so the address vector is reproducible from a public standard key.
  const rfcKey = keyPairFromSecretKey(Buffer.from('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60', 'hex'))
  const tx = createSignedTx({
    chainId: 'medchain-test', kind: TxKind.KV_PUT, nonce: 7, target: new Uint8Array(0), method: 'image/0001',
    args: [sha256(utf8.encode('an x-ray')), 'note'], gasLimit: 100_000,
  }, rfcKey.secretKey, rfcKey.publicKey)
  const leafSets = [0, 1, 2, 3, 4, 5, 7, 8, 33].map((n) => {
    const leaves = Array.from({ length: n }, (_, i) => sha256(utf8.encode(`leaf-${i}`)))
    return { leafCount: n, leaves: `sha256(utf8('leaf-' + i)) for i < ${n}`, root: toHex(merkleRoot(leaves)) }
  })
  const writes1: StateWrite[] = [[Uint8Array.of(4, 2), utf8.encode('b')], [Uint8Array.of(4, 1), utf8.encode('a')], [Uint8Array.of(1, 9), null]]
  const writes2: StateWrite[] = [[Uint8Array.of(4, 1), null]]
  const root1 = nextStateRoot(GENESIS_STATE_ROOT_SEED, sortWrites(writes1))
  const root2 = nextStateRoot(root1, sortWrites(writes2))
  const header: BlockHeader = {
    chainId: 'medchain-test', height: 1, time: 1_700_000_000_000, prevHash: new Uint8Array(32).fill(0xaa),
    txRoot: merkleRoot([tx.id]), stateRoot: root1, proposer: addressFromPublicKey(rfcKey.publicKey), validatorsHash: new Uint8Array(32).fill(0xbb),
  }
  return {
    comment: 'Generated by core/vectors/generate.ts; pins ids and hashes of the protocol.',
    address: { publicKey: toHex(rfcKey.publicKey), address: formatAddress(addressFromPublicKey(rfcKey.publicKey)) },
    tx: {
      secretKey: toHex(rfcKey.secretKey), chainId: tx.chainId, kind: tx.kind, nonce: tx.nonce, target: toHex(tx.target), method: tx.method,
      args: tx.args.map((a) => toJsonValue(a)), gasLimit: tx.gasLimit,
      id: toHex(tx.id), signature: toHex(tx.signature), bytes: toHex(tx.bytes), sender: formatAddress(tx.sender),
    },
    merkle: { emptyRoot: toHex(EMPTY_ROOT), trees: leafSets },
    stateRoot: {
      seed: toHex(GENESIS_STATE_ROOT_SEED),
      blocks: [
        { writes: writes1.map(([k, v]) => [toHex(k), v === null ? null : toHex(v)]), root: toHex(root1) },
        { writes: writes2.map(([k, v]) => [toHex(k), v === null ? null : toHex(v)]), root: toHex(root2) },
      ],
    },
    blockHeader: {
      chainId: header.chainId, height: header.height, time: header.time, prevHash: toHex(header.prevHash), txRoot: toHex(header.txRoot),
      stateRoot: toHex(header.stateRoot), proposer: toHex(header.proposer), validatorsHash: toHex(header.validatorsHash),
      encoded: toHex(encodeHeader(header)), hash: toHex(blockHash(header)),
    },
  }
}

function write(name: string, content: unknown, force: boolean): void {
  const path = join(here, name)
  if (existsSync(path) && !force) {
    console.log(`${name} exists, not overwritten (use --force after a deliberate protocol change)`)
    return
  }
  writeFileSync(path, JSON.stringify(content, null, 2) + '\n')
  console.log(`wrote ${path}`)
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const force = process.argv.includes('--force')
  write('encoding.json', encodingVectors(), force)
  write('protocol.json', protocolVectors(), force)
}
