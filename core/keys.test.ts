import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { createPrivateKey, createPublicKey, sign as nodeSign, verify as nodeVerify } from 'node:crypto'
import { ed25519 } from '@noble/curves/ed25519.js'
import { sha512 } from '@noble/hashes/sha2.js'
import { isCoreError } from './errors.ts'
import { sha256 } from './hash.ts'
import { fromHex, toHex, utf8 } from './hex.ts'
import {
  addressFromPublicKey, assertValidPublicKey, assertValidPublicKeyNoble, createEd25519Signer, createOpenSslSigner, isValidPublicKeySodium, publicKeyFromSecretKey, formatAddress, generateKeyPair, hasFastVerify, keyPairFromSecretKey, parseAddress, sign, signNoble,
  verify, verifyNoble, verifyOpenSsl,
} from './keys.ts'
import { createRequire } from 'node:module'

const rfc = JSON.parse(readFileSync(new URL('./vectors/rfc8032.json', import.meta.url), 'utf8')) as {
  vectors: { name: string; secretKey: string; publicKey: string; message: string; signature: string }[]
}
const protocol = JSON.parse(readFileSync(new URL('./vectors/protocol.json', import.meta.url), 'utf8')) as {
  address: { publicKey: string; address: string }
}

const Point = ed25519.Point
const L = Point.Fn.ORDER
const P = Point.Fp.ORDER
const le = (b: Uint8Array): bigint => { let n = 0n; for (let i = b.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(b[i]!); return n }
const le32 = (n: bigint): Uint8Array => { const o = new Uint8Array(32); for (let i = 0; i < 32; i++) { o[i] = Number(n & 0xffn); n >>= 8n } return o }
const cat = (...p: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(p))
/** The RFC 8032 challenge k = SHA-512(R || A || M) mod L over the exact bytes. */
const challenge = (R: Uint8Array, A: Uint8Array, m: Uint8Array): bigint => le(sha512(cat(R, A, m))) % L

const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex')
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex')
const nodePrivateKey = (seed: Uint8Array) => createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' })
/** node:crypto / OpenSSL without our key rules: shows what the raw library would do. */
function opensslVerify(sig: Uint8Array, msg: Uint8Array, pk: Uint8Array): boolean {
  try {
    return nodeVerify(null, msg, createPublicKey({ key: Buffer.concat([SPKI_PREFIX, pk]), format: 'der', type: 'spki' }), sig)
  } catch {
    return false
  }
}
const zip215 = (sig: Uint8Array, msg: Uint8Array, pk: Uint8Array): boolean => {
  try { return ed25519.verify(sig, msg, pk, { zip215: true }) } catch { return false }
}
const nobleStrictRaw = (sig: Uint8Array, msg: Uint8Array, pk: Uint8Array): boolean => {
  try { return ed25519.verify(sig, msg, pk, { zip215: false }) } catch { return false }
}

/** Every verdict of our verifiers (libsodium-first, OpenSSL alone, noble) must agree; returns the common verdict. */
function bothVerify(sig: Uint8Array, msg: Uint8Array, pk: Uint8Array, label: string): boolean {
  const a = verify(sig, msg, pk)
  assert.equal(verifyNoble(sig, msg, pk), a, `verify and verifyNoble disagree on ${label}`)
  assert.equal(verifyOpenSsl(sig, msg, pk), a, `verify and verifyOpenSsl disagree on ${label}`)
  return a
}
/** libsodium alone (sodium-native), without our key rules, or undefined where it is not installed. */
const sodiumRaw = ((): ((sig: Uint8Array, msg: Uint8Array, pk: Uint8Array) => boolean) | undefined => {
  try {
    const sodium = createRequire(import.meta.url)('sodium-native') as { crypto_sign_verify_detached(s: Uint8Array, m: Uint8Array, k: Uint8Array): boolean }
    return (sig, msg, pk) => sodium.crypto_sign_verify_detached(sig, msg, pk)
  } catch {
    return undefined
  }
})()

const seeds = Array.from({ length: 12 }, (_, i) => sha256(utf8.encode(`keys-test-seed-${i}`)))
const messages = [new Uint8Array(0), utf8.encode('x'), sha256(utf8.encode('image')), new Uint8Array(1000).fill(0xab)]

/** The 8 points of small order, canonically encoded (ZIP-215 / "Taming the many EdDSAs" list). */
const SMALL_ORDER = [
  '0100000000000000000000000000000000000000000000000000000000000000', // identity, order 1
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', // (0, -1), order 2
  '0000000000000000000000000000000000000000000000000000000000000000', // order 4
  '0000000000000000000000000000000000000000000000000000000000000080', // order 4
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a', // order 8
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa', // order 8
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05', // order 8
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85', // order 8
].map((h) => fromHex(h))

test('RFC 8032 §7.1 vectors: public keys and signatures are exact, both verifiers accept', () => {
  assert.ok(rfc.vectors.length >= 3)
  for (const v of rfc.vectors) {
    const kp = keyPairFromSecretKey(fromHex(v.secretKey))
    assert.equal(toHex(kp.publicKey).slice(2), v.publicKey, v.name)
    const msg = fromHex(v.message)
    const sig = sign(msg, kp.secretKey)
    assert.equal(toHex(sig).slice(2), v.signature, v.name)
    assert.equal(bothVerify(sig, msg, kp.publicKey, v.name), true, v.name)
    // noble and a prepared signer give the same bytes from the same seed
    assert.equal(toHex(signNoble(msg, kp.secretKey)).slice(2), v.signature, v.name)
    assert.equal(toHex(createEd25519Signer(kp.secretKey).sign(msg)).slice(2), v.signature, v.name)
    assert.equal(toHex(createOpenSslSigner(kp.secretKey).sign(msg)).slice(2), v.signature, v.name)
  }
})

test('public keys derived by OpenSSL are noble\'s on 200 seeds', () => {
  for (let i = 0; i < 200; i++) {
    const seed = sha256(utf8.encode(`derivation seed ${i}`))
    assert.equal(toHex(publicKeyFromSecretKey(seed)), toHex(ed25519.getPublicKey(seed)), `seed ${i}`)
  }
  const fresh = generateKeyPair()
  assert.deepEqual(fresh.publicKey, ed25519.getPublicKey(fresh.secretKey))
  assert.throws(() => publicKeyFromSecretKey(new Uint8Array(33)), (e: unknown) => isCoreError(e, 'BAD_SHAPE'))
})

test('the prepared signer (libsodium where it loads) gives OpenSSL\'s and noble\'s bytes on 200 random keys and messages', () => {
  for (let i = 0; i < 200; i++) {
    const seed = sha256(utf8.encode(`signer seed ${i}`))
    const message = sha256(utf8.encode(`message ${i}`)).subarray(0, i % 33)
    const fast = createEd25519Signer(seed)
    const openssl = createOpenSslSigner(seed)
    assert.deepEqual(fast.publicKey, openssl.publicKey)
    const sig = fast.sign(message)
    assert.equal(toHex(sig), toHex(openssl.sign(message)), `key ${i}`)
    assert.equal(toHex(sig), toHex(signNoble(message, seed)), `key ${i}`)
    assert.equal(sig.length, 64)
  }
})

test('noble-signed verifies with node:crypto and vice versa, same bytes from the same seed', () => {
  for (const seed of seeds) {
    const kp = keyPairFromSecretKey(seed)
    const privateKey = nodePrivateKey(seed)
    // the public key node:crypto derives from the PKCS8 seed is noble's
    const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' })
    assert.equal(toHex(new Uint8Array(spki.subarray(12))), toHex(kp.publicKey))
    for (const msg of messages) {
      const nobleSig = signNoble(msg, kp.secretKey)
      const nodeSig = new Uint8Array(nodeSign(null, msg, privateKey))
      assert.equal(toHex(sign(msg, kp.secretKey)), toHex(nobleSig))
      assert.equal(toHex(nodeSig), toHex(nobleSig))
      assert.equal(opensslVerify(nobleSig, msg, kp.publicKey), true)
      assert.equal(bothVerify(nobleSig, msg, kp.publicKey, 'noble sig'), true)
      assert.equal(bothVerify(nodeSig, msg, kp.publicKey, 'node sig'), true)
    }
  }
})

test('a signature on a different message, by another key, or with any bit flipped is rejected by both', () => {
  const kp = keyPairFromSecretKey(seeds[0]!)
  const other = keyPairFromSecretKey(seeds[1]!)
  const msg = utf8.encode('scan 42')
  const sig = sign(msg, kp.secretKey)
  assert.equal(bothVerify(sig, utf8.encode('scan 43'), kp.publicKey, 'other message'), false)
  assert.equal(bothVerify(sig, msg, other.publicKey, 'other key'), false)
  for (let bit = 0; bit < 512; bit++) {
    const bad = new Uint8Array(sig)
    bad[bit >> 3]! ^= 1 << (bit & 7)
    assert.equal(bothVerify(bad, msg, kp.publicKey, `bit ${bit}`), false, `bit ${bit}`)
  }
})

test('S >= L (non-canonical S) is rejected by verify, verifyNoble, OpenSSL and even ZIP-215', () => {
  for (const seed of seeds.slice(0, 4)) {
    const kp = keyPairFromSecretKey(seed)
    const msg = utf8.encode('canonical S')
    const sig = sign(msg, kp.secretKey)
    const S = le(sig.subarray(32))
    for (const bigS of [S + L, S + 2n * L, S + 15n * L]) {
      if (bigS >= 2n ** 256n) continue
      const mall = cat(sig.subarray(0, 32), le32(bigS))
      assert.equal(bothVerify(mall, msg, kp.publicKey, 'S + kL'), false)
      assert.equal(opensslVerify(mall, msg, kp.publicKey), false)
      assert.equal(zip215(mall, msg, kp.publicKey), false)
    }
  }
})

test('the 8 small-order points are refused as public keys; ZIP-215 accepts forgeries on them, we do not', () => {
  const seen = new Set<string>()
  for (const enc of SMALL_ORDER) {
    const pt = Point.fromBytes(enc, false) // canonical encodings
    assert.ok(pt.isSmallOrder())
    assert.ok(pt.multiplyUnsafe(8n).is0())
    seen.add(toHex(enc))
    assert.throws(() => assertValidPublicKey(enc), (e: unknown) => isCoreError(e, 'BAD_PUBLIC_KEY'))
    // Forgery without a secret key: R = [s]B, S = s. The cofactored ZIP-215 check accepts it for
    // every message; our rule refuses the key before looking at the signature.
    const s = 123456789n
    const forged = cat(Point.BASE.multiply(s).toBytes(), le32(s))
    for (const msg of messages) {
      assert.equal(zip215(forged, msg, enc), true, `zip215 accepts forgery on ${toHex(enc)}`)
      assert.equal(bothVerify(forged, msg, enc, `small-order ${toHex(enc)}`), false)
    }
  }
  assert.equal(seen.size, 8)
  // With the identity key the forgery satisfies even the cofactorless equation SB = R + kA.
  // OpenSSL 3.5 refuses it by itself, but `verify` does not rely on that: the key check runs first.
  const identity = SMALL_ORDER[0]!
  const s = 987654321n
  const forged = cat(Point.BASE.multiply(s).toBytes(), le32(s))
  const R = Point.fromBytes(forged.subarray(0, 32), false)
  assert.ok(Point.BASE.multiply(s).equals(R.add(Point.fromBytes(identity, false).multiplyUnsafe(challenge(forged.subarray(0, 32), identity, utf8.encode('anything'))))))
  assert.equal(verify(forged, utf8.encode('anything'), identity), false)
})

test('non-canonical public key encodings (y >= p) are refused; ZIP-215 decodes some of them', () => {
  let decodableUnderZip215 = 0
  for (let y = P; y < 2n ** 255n; y++) {
    for (const signBit of [0n, 1n]) {
      const enc = le32(y | (signBit << 255n))
      assert.throws(() => assertValidPublicKey(enc), (e: unknown) => isCoreError(e, 'BAD_PUBLIC_KEY'), `y = p + ${y - P}`)
      let zipPoint
      try { zipPoint = Point.fromBytes(enc, true) } catch { zipPoint = undefined }
      if (zipPoint) decodableUnderZip215++
      assert.equal(bothVerify(new Uint8Array(64), utf8.encode('m'), enc, 'non-canonical key'), false)
    }
  }
  assert.ok(decodableUnderZip215 > 0, 'some y >= p encodings are points under ZIP-215')
  // the "negative zero" x with the sign bit set: non-canonical forms of (0, 1) and (0, -1)
  for (const h of ['0100000000000000000000000000000000000000000000000000000000000080', 'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff']) {
    assert.throws(() => assertValidPublicKey(fromHex(h)), (e: unknown) => isCoreError(e, 'BAD_PUBLIC_KEY'))
  }
})

test('ZIP-215 accepts, our strict rule refuses: the consensus rule is the strict one on both paths', () => {
  const msg = utf8.encode('vote for block 7')
  const honest = keyPairFromSecretKey(seeds[2]!)
  const { scalar: a, point: A } = ed25519.utils.getExtendedPublicKey(honest.secretKey)
  const T8 = Point.fromBytes(SMALL_ORDER[4]!, false)
  const cases: { name: string; sig: Uint8Array; pk: Uint8Array; nobleStrictAccepts: boolean }[] = []

  // 1. Non-canonical R (y = p + 1, the identity) and S = 0 on a small-order key: valid for any message.
  const nonCanonicalIdentity = le32(P + 1n)
  cases.push({ name: 'non-canonical R, S=0, small-order A', sig: cat(nonCanonicalIdentity, le32(0n)), pk: SMALL_ORDER[4]!, nobleStrictAccepts: false })
  // 2. Non-canonical encoding of a small-order key (y = p, the order-4 point (x, 0)).
  const s = 42n
  cases.push({ name: 'non-canonical small-order A', sig: cat(Point.BASE.multiply(s).toBytes(), le32(s)), pk: le32(P), nobleStrictAccepts: false })
  // 3. An honest key, but the signer adds a torsion point to R: OpenSSL's cofactorless equation
  //    fails, noble's cofactored one (even with zip215: false) holds.
  {
    const r = 7777n
    const R = Point.BASE.multiply(r).add(T8).toBytes()
    const S = (r + challenge(R, honest.publicKey, msg) * a) % L
    cases.push({ name: 'R with a torsion component, honest A', sig: cat(R, le32(S)), pk: honest.publicKey, nobleStrictAccepts: true })
  }
  // 4. A mixed-order key A' = A + T8 (not small order, canonical): signer knows a; k = H(R||A'||M)
  //    is rarely ≡ 0 mod 8, so cofactorless fails while cofactored holds.
  {
    const Amixed = A.add(T8).toBytes()
    let found = 0
    for (let r = 1000n; found < 3; r++) {
      const R = Point.BASE.multiply(r).toBytes()
      const k = challenge(R, Amixed, msg)
      if (k % 8n === 0n) continue
      cases.push({ name: `mixed-order A (k mod 8 = ${k % 8n})`, sig: cat(R, le32((r + k * a) % L)), pk: Amixed, nobleStrictAccepts: true })
      found++
    }
    assert.throws(() => assertValidPublicKey(Amixed), (e: unknown) => isCoreError(e, 'BAD_PUBLIC_KEY'))
  }
  for (const c of cases) {
    assert.equal(zip215(c.sig, msg, c.pk), true, `${c.name}: ZIP-215 accepts`)
    assert.equal(nobleStrictRaw(c.sig, msg, c.pk), c.nobleStrictAccepts, `${c.name}: raw noble zip215:false`)
    assert.equal(opensslVerify(c.sig, msg, c.pk), false, `${c.name}: OpenSSL refuses`)
    assert.equal(verify(c.sig, msg, c.pk), false, `${c.name}: verify refuses`)
    assert.equal(verifyNoble(c.sig, msg, c.pk), false, `${c.name}: verifyNoble refuses`)
  }
})

test('public keys: libsodium and noble give the same verdict on every kind of key', () => {
  const T = SMALL_ORDER.map((e) => Point.fromBytes(e, false))
  const keys: { name: string; pk: Uint8Array }[] = []
  for (const [i, e] of SMALL_ORDER.entries()) keys.push({ name: `small order #${i}`, pk: e })
  // Non-canonical y (y >= p) with both sign bits, and the "negative zero" forms.
  for (let y = P; y < 2n ** 255n; y++) for (const signBit of [0n, 1n]) keys.push({ name: `y = p + ${y - P}, sign ${signBit}`, pk: le32(y | (signBit << 255n)) })
  keys.push({ name: 'negative zero identity', pk: fromHex('0100000000000000000000000000000000000000000000000000000000000080') })
  keys.push({ name: 'negative zero (0, -1)', pk: fromHex('ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff') })
  // Honest keys, and each one plus every torsion point (mixed order).
  for (const seed of seeds.slice(0, 4)) {
    const A = Point.fromBytes(keyPairFromSecretKey(seed).publicKey, false)
    keys.push({ name: 'honest', pk: A.toBytes() })
    for (const [i, t] of T.entries()) if (!t.is0()) keys.push({ name: `honest + torsion #${i}`, pk: A.add(t).toBytes() })
  }
  // Pseudo-random 32-byte strings: about half are not points, most points have a torsion component.
  for (let i = 0; i < 400; i++) keys.push({ name: `random #${i}`, pk: sha256(utf8.encode(`random key ${i}`)) })
  let valid = 0
  for (const { name, pk } of keys) {
    let noble = true
    try {
      assertValidPublicKeyNoble(pk)
    } catch (e) {
      assert.ok(isCoreError(e, 'BAD_PUBLIC_KEY'), name)
      noble = false
    }
    if (noble) valid++
    const sodium = isValidPublicKeySodium(pk)
    if (hasFastVerify) assert.equal(sodium, noble, `${name}: libsodium says ${sodium}, noble ${noble}`)
    else assert.equal(sodium, undefined)
    assert.equal((() => { try { assertValidPublicKey(pk); return true } catch { return false } })(), noble, `${name}: assertValidPublicKey`)
  }
  // The sample has both verdicts in numbers (the mixed-order and random keys make it meaningful).
  assert.ok(valid >= 20 && keys.length - valid >= 300, `${valid} valid of ${keys.length}`)
})

test('wrong lengths and types are rejected without throwing', () => {
  const kp = keyPairFromSecretKey(seeds[3]!)
  const msg = utf8.encode('m')
  const sig = sign(msg, kp.secretKey)
  const badSigs: unknown[] = [sig.subarray(0, 63), cat(sig, new Uint8Array(1)), new Uint8Array(0), undefined, null, toHex(sig), Array.from(sig)]
  const badKeys: unknown[] = [kp.publicKey.subarray(0, 31), cat(kp.publicKey, new Uint8Array(1)), new Uint8Array(0), undefined, null, toHex(kp.publicKey), Array.from(kp.publicKey)]
  for (const f of [verify, verifyNoble]) {
    for (const s of badSigs) assert.equal(f(s as Uint8Array, msg, kp.publicKey), false)
    for (const k of badKeys) assert.equal(f(sig, msg, k as Uint8Array), false)
    assert.equal(f(sig, msg, kp.publicKey), true)
  }
  assert.throws(() => assertValidPublicKey(new Uint8Array(31)), (e: unknown) => isCoreError(e, 'BAD_PUBLIC_KEY'))
  assert.throws(() => keyPairFromSecretKey(new Uint8Array(31)), (e: unknown) => isCoreError(e, 'BAD_SHAPE'))
})

test('verify and verifyNoble agree on every vector of this file and on random tampering', () => {
  // the generated key pairs are valid and agree too
  for (let i = 0; i < 4; i++) {
    const kp = generateKeyPair()
    assertValidPublicKey(kp.publicKey)
    const m = utf8.encode(`random ${i}`)
    assert.equal(bothVerify(sign(m, kp.secretKey), m, kp.publicKey, 'generated'), true)
  }
  // a deterministic sweep: flip one byte of key, signature or message at every position
  let state = 0x9e3779b9
  const next = (): number => { state ^= state << 13; state ^= state >>> 17; state ^= state << 5; return state >>> 0 }
  for (let i = 0; i < 200; i++) {
    const kp = keyPairFromSecretKey(seeds[i % seeds.length]!)
    const msg = utf8.encode(`sweep ${i}`)
    const sig = sign(msg, kp.secretKey)
    const which = next() % 3
    const target = which === 0 ? new Uint8Array(sig) : which === 1 ? new Uint8Array(kp.publicKey) : new Uint8Array(msg)
    target[next() % target.length]! ^= 1 + (next() % 255)
    const [s2, m2, k2] = which === 0 ? [target, msg, kp.publicKey] : which === 1 ? [sig, msg, target] : [sig, target, kp.publicKey]
    assert.equal(bothVerify(s2, m2, k2, `sweep ${i}`), false)
  }
})

test('address vector, format/parse round trip, and bad addresses', () => {
  const pk = fromHex(protocol.address.publicKey)
  assert.equal(formatAddress(addressFromPublicKey(pk)), protocol.address.address)
  assert.match(protocol.address.address, /^mc[0-9a-f]{40}$/)
  // the rule written out: first 20 bytes of SHA-256('medchain/address\0' || publicKey)
  const byHand = sha256(cat(utf8.encode('medchain/address\0'), pk)).subarray(0, 20)
  assert.equal(toHex(addressFromPublicKey(pk)), toHex(byHand))
  for (const seed of seeds) {
    const addr = addressFromPublicKey(keyPairFromSecretKey(seed).publicKey)
    assert.equal(addr.length, 20)
    assert.equal(toHex(parseAddress(formatAddress(addr))), toHex(addr))
  }
  // upper-case hex is accepted on input; output is always lower-case
  const text = protocol.address.address
  assert.equal(toHex(parseAddress('mc' + text.slice(2).toUpperCase())), toHex(parseAddress(text)))
  const bad: unknown[] = [
    text.slice(0, -1), text + '0', text.slice(2), '0x' + text.slice(2), 'mx' + text.slice(2), text.slice(0, -1) + 'g',
    ' ' + text, text + ' ', '', 'mc', undefined, null, 42, { toString: () => text },
  ]
  for (const b of bad) assert.throws(() => parseAddress(b as string), (e: unknown) => isCoreError(e, 'BAD_ADDRESS'), String(b))
  assert.throws(() => formatAddress(new Uint8Array(19)), (e: unknown) => isCoreError(e, 'BAD_ADDRESS'))
  assert.throws(() => formatAddress(new Uint8Array(21)), (e: unknown) => isCoreError(e, 'BAD_ADDRESS'))
})

test('sign and createEd25519Signer refuse a secret key that is not 32 bytes with BAD_SHAPE', () => {
  for (const bad of [new Uint8Array(31), new Uint8Array(33), new Uint8Array(0)]) {
    assert.throws(() => sign(utf8.encode('m'), bad), (e: unknown) => isCoreError(e) && e.code === 'BAD_SHAPE')
    assert.throws(() => createEd25519Signer(bad), (e: unknown) => isCoreError(e) && e.code === 'BAD_SHAPE')
    assert.throws(() => createOpenSslSigner(bad), (e: unknown) => isCoreError(e) && e.code === 'BAD_SHAPE')
  }
  assert.deepEqual(createEd25519Signer(seeds[0]!).publicKey, keyPairFromSecretKey(seeds[0]!).publicKey)
})

test('addressFromPublicKey is memoised, and every caller gets its own copy', () => {
  const pk = fromHex(protocol.address.publicKey)
  const first = addressFromPublicKey(pk)
  assert.equal(formatAddress(first), protocol.address.address)
  first.fill(0) // a caller scribbling on its copy must not change the next answer
  assert.equal(formatAddress(addressFromPublicKey(pk)), protocol.address.address)
  assert.notEqual(addressFromPublicKey(pk), addressFromPublicKey(pk))
})

test('the libsodium fast path is present on linux-x64 (sodium-native ships a prebuilt addon there)', () => {
  if (process.platform === 'linux' && process.arch === 'x64') assert.equal(hasFastVerify, true, 'sodium-native did not load: verify runs on OpenSSL alone (slower, same verdicts)')
  assert.equal(hasFastVerify, sodiumRaw !== undefined)
})

test('R = the identity with the equation holding: OpenSSL, libsodium, verify and verifyNoble all refuse it', () => {
  // The key holder can sign with R = the identity (small order, yet torsion-free): S = k·a makes
  // SB = kA = R + kA hold exactly, so both equations pass. OpenSSL refuses it anyway, and
  // verifyNoble once accepted it (it only refused an R with a torsion component).
  const kp = keyPairFromSecretKey(seeds[5]!)
  const { scalar: a } = ed25519.utils.getExtendedPublicKey(kp.secretKey)
  const msg = utf8.encode('identity R')
  const R = Point.ZERO.toBytes()
  const sig = cat(R, le32((challenge(R, kp.publicKey, msg) * a) % L))
  assert.equal(nobleStrictRaw(sig, msg, kp.publicKey), true, 'raw noble accepts')
  assert.equal(opensslVerify(sig, msg, kp.publicKey), false, 'raw OpenSSL refuses')
  if (sodiumRaw) assert.equal(sodiumRaw(sig, msg, kp.publicKey), false, 'raw libsodium refuses')
  assert.equal(bothVerify(sig, msg, kp.publicKey, 'identity R'), false)
})

test('libsodium never accepts what OpenSSL refuses (its yes is final in verify)', () => {
  if (!sodiumRaw) return
  let state = 0x2545f491
  const next = (): number => { state ^= state << 13; state ^= state >>> 17; state ^= state << 5; return state >>> 0 }
  let accepted = 0
  for (let i = 0; i < 300; i++) {
    const kp = keyPairFromSecretKey(seeds[i % seeds.length]!)
    const msg = utf8.encode(`sodium ${i}`)
    const sig = new Uint8Array(sign(msg, kp.secretKey))
    if (i % 3 !== 0) sig[next() % 64]! ^= 1 << (next() % 8)
    const s = sodiumRaw(sig, msg, kp.publicKey)
    if (s) accepted++
    assert.ok(!s || opensslVerify(sig, msg, kp.publicKey), `case ${i}: libsodium accepts, OpenSSL refuses`)
    assert.equal(bothVerify(sig, msg, kp.publicKey, `sodium ${i}`), opensslVerify(sig, msg, kp.publicKey))
  }
  assert.ok(accepted >= 100, `the untampered signatures are accepted (${accepted})`)
})
