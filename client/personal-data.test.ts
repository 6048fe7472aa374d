import { test } from 'node:test'
import assert from 'node:assert/strict'
import { decode, encode, type CanonicalValue } from '../core/encoding.ts'
import { bytesEqual, fromHex, utf8 } from '../core/hex.ts'
import { generateKeyPair, keyPairFromSecretKey } from '../core/keys.ts'
import { sha256 } from '../core/hash.ts'
import { isClientError } from './errors.ts'
import {
  decodePersonalEnvelope, openPersonalField, openPersonalFieldText, PersonalFieldKey, personalFieldRecipients, sealPersonalField,
} from './personal-data.ts'

const patient = generateKeyPair()
const hospital = generateKeyPair()
const doctor = generateKeyPair()
const contract = 'mc' + 'ab'.repeat(20)
const birthday = { contract, field: 'birthday' }

test('the patient and the writing hospital can read; a doctor cannot', () => {
  const env = sealPersonalField('19970522', { recipients: [patient.publicKey, hospital.publicKey], context: birthday })
  assert.equal(openPersonalFieldText(env, patient.secretKey, birthday), '19970522')
  assert.equal(openPersonalFieldText(env, hospital.secretKey, birthday), '19970522')
  assert.throws(() => openPersonalField(env, doctor.secretKey, birthday), (e) => isClientError(e, 'NOT_A_RECIPIENT'))
  const listed = personalFieldRecipients(env)
  assert.ok(listed.length === 2 && bytesEqual(listed[0]!, patient.publicKey) && bytesEqual(listed[1]!, hospital.publicKey))
  // canonical: decode re-encodes to the same bytes
  assert.ok(bytesEqual(encode(decode(env)), env))
  // the plaintext does not appear in the envelope
  assert.ok(!Buffer.from(env).includes(Buffer.from('19970522')))
})

test('a key prepared once opens what the seed opens, and is refused where the seed is', () => {
  const contact = { contract, field: 'contact' }
  const envB = sealPersonalField('19970522', { recipients: [patient.publicKey, hospital.publicKey], context: birthday })
  const envC = sealPersonalField('0912-321-456', { recipients: [patient.publicKey], context: contact })
  const prepared = PersonalFieldKey.fromSecretKey(patient.secretKey)
  assert.ok(bytesEqual(prepared.publicKey, patient.publicKey))
  // One prepared key, several envelopes and fields, each also opened from the seed.
  for (const [env, ctx, text] of [[envB, birthday, '19970522'], [envC, contact, '0912-321-456'], [envB, birthday, '19970522']] as const) {
    assert.equal(openPersonalFieldText(env, prepared, ctx), text)
    assert.equal(openPersonalFieldText(env, patient.secretKey, ctx), text)
  }
  assert.throws(() => openPersonalField(envB, prepared, contact), (e) => isClientError(e, 'BAD_ENVELOPE'))
  assert.throws(() => openPersonalField(envC, PersonalFieldKey.fromSecretKey(hospital.secretKey), contact), (e) => isClientError(e, 'NOT_A_RECIPIENT'))
  assert.throws(() => PersonalFieldKey.fromSecretKey(new Uint8Array(31)), (e) => isClientError(e, 'BAD_ARGUMENT'))
  // Not a key at all (a look-alike object): refused as a bad argument, not trusted.
  const lookAlike = { publicKey: patient.publicKey, x25519PrivateKey: prepared.x25519PrivateKey, x25519PublicKey: prepared.x25519PublicKey }
  assert.throws(() => openPersonalField(envB, lookAlike as unknown as Uint8Array, birthday), (e) => isClientError(e, 'BAD_ARGUMENT'))
})

test('an envelope sealed by the earlier noble X25519 implementation still opens', () => {
  // Sealed with @noble/curves' x25519 before X25519 moved to node:crypto (same function, same bytes).
  const vector = fromHex('96ab6d6564636861696e2f706401c42063190986e1775952ef6acad2be08585aa6405c9673f0d0ca110ef09c40758d18c40c6b23a7326af485436e877c0dc41a2bf708fefb2a35d57caae018869669c312a02b8bec893116b0659293c420c179c4888bbdaa221f5618664ab50e4ffc688737f4dd6a5e805fc50002f46fbcc40cee2cab5d376ebbbd33107b8ec430d7a72bc52aa818fa79c90f6b4db676e2dbd4335c9796d033778da7875882ae1d8ee775f45110c936b6e6bcc1ed517dde93c420029a1d428751b26061cf4a92a7ab1ff635201b954249c30d37e16fb94a7868fbc40c68670f0d8915916028d72ff4c430411603a5f4600e7ffc8656d26a932398e49ce6b6bbd9cb3dfff1a9ec5842448cc53414cceb8607043f5576a4ef19c2ae')
  const context = { contract: 'mc' + '11'.repeat(20), field: 'birthday' }
  for (const who of ['patient', 'host']) {
    const key = keyPairFromSecretKey(sha256(utf8.encode(`pd-vector-${who}`)))
    assert.equal(openPersonalFieldText(vector, key.secretKey, context), '1990-02-03')
  }
  assert.throws(() => openPersonalField(vector, doctor.secretKey, context), (e) => isClientError(e, 'NOT_A_RECIPIENT'))
})

test('two seals of the same value differ (fresh ephemeral key, content key and IVs)', () => {
  const a = sealPersonalField('0912-321-456', { recipients: [patient.publicKey], context: birthday })
  const b = sealPersonalField('0912-321-456', { recipients: [patient.publicKey], context: birthday })
  assert.ok(!bytesEqual(a, b))
})

test('a field opens only in its own contract and field', () => {
  const env = sealPersonalField('19970522', { recipients: [patient.publicKey], context: birthday })
  assert.throws(() => openPersonalField(env, patient.secretKey, { contract, field: 'contact' }), (e) => isClientError(e, 'BAD_ENVELOPE'))
  assert.throws(() => openPersonalField(env, patient.secretKey, { contract: 'mc' + 'cd'.repeat(20), field: 'birthday' }), (e) => isClientError(e, 'BAD_ENVELOPE'))
  // address case does not matter
  assert.equal(openPersonalFieldText(env, patient.secretKey, { contract: contract.toUpperCase().replace('MC', 'mc'), field: 'birthday' }), '19970522')
})

test('tampering with any part of the envelope fails', () => {
  const env = sealPersonalField('19970522', { recipients: [patient.publicKey, hospital.publicKey], context: birthday })
  const raw = decode(env) as CanonicalValue[]
  const flipped = (b: Uint8Array, i = 0): Uint8Array => { const c = new Uint8Array(b); c[i] = c[i]! ^ 1; return c }
  const recips = raw[5] as Uint8Array[][]
  const variants: [string, CanonicalValue[]][] = [
    ['ephemeral key', [raw[0]!, raw[1]!, flipped(raw[2] as Uint8Array), raw[3]!, raw[4]!, raw[5]!]],
    ['iv', [raw[0]!, raw[1]!, raw[2]!, flipped(raw[3] as Uint8Array), raw[4]!, raw[5]!]],
    ['ciphertext', [raw[0]!, raw[1]!, raw[2]!, raw[3]!, flipped(raw[4] as Uint8Array), raw[5]!]],
    ['tag', [raw[0]!, raw[1]!, raw[2]!, raw[3]!, flipped(raw[4] as Uint8Array, (raw[4] as Uint8Array).length - 1), raw[5]!]],
    ['wrapped key', [raw[0]!, raw[1]!, raw[2]!, raw[3]!, raw[4]!, [[recips[0]![0]!, recips[0]![1]!, flipped(recips[0]![2]!)], recips[1]!]]],
    ['wrap iv', [raw[0]!, raw[1]!, raw[2]!, raw[3]!, raw[4]!, [[recips[0]![0]!, flipped(recips[0]![1]!), recips[0]![2]!], recips[1]!]]],
    ['recipient removed', [raw[0]!, raw[1]!, raw[2]!, raw[3]!, raw[4]!, [recips[0]!]]],
    ['recipient swapped for a doctor', [raw[0]!, raw[1]!, raw[2]!, raw[3]!, raw[4]!, [recips[0]!, [doctor.publicKey, recips[1]![1]!, recips[1]![2]!]]]],
  ]
  for (const [what, v] of variants) {
    assert.throws(() => openPersonalField(encode(v), patient.secretKey, birthday), (e) => isClientError(e, 'BAD_ENVELOPE'), what)
  }
  // the doctor swapped in as a recipient still cannot read
  assert.throws(() => openPersonalField(encode(variants[7]![1]), doctor.secretKey, birthday), (e) => isClientError(e, 'BAD_ENVELOPE'))
  for (const junk of [new Uint8Array(0), utf8.encode('hello'), encode(['medchain/pd', 2, raw[2]!, raw[3]!, raw[4]!, raw[5]!]), env.subarray(0, env.length - 3)]) {
    assert.throws(() => decodePersonalEnvelope(junk), (e) => isClientError(e, 'BAD_ENVELOPE'))
  }
})

test('bad inputs are typed errors', () => {
  assert.throws(() => sealPersonalField('x', { recipients: [], context: birthday }), (e) => isClientError(e, 'BAD_ARGUMENT'))
  assert.throws(() => sealPersonalField('x', { recipients: [patient.publicKey, patient.publicKey], context: birthday }), (e) => isClientError(e, 'BAD_ARGUMENT'))
  assert.throws(() => sealPersonalField('x'.repeat(5000), { recipients: [patient.publicKey], context: birthday }), (e) => isClientError(e, 'BAD_ARGUMENT'))
  assert.throws(() => sealPersonalField('x', { recipients: [patient.publicKey], context: { contract, field: '' } }), (e) => isClientError(e, 'BAD_ARGUMENT'))
  assert.throws(() => sealPersonalField('x', { recipients: [new Uint8Array(32)], context: birthday }), /BAD_PUBLIC_KEY/)
  const bytes = sealPersonalField(new Uint8Array([0xff, 0xfe]), { recipients: [patient.publicKey], context: birthday })
  assert.ok(bytesEqual(openPersonalField(bytes, patient.secretKey, birthday), new Uint8Array([0xff, 0xfe])))
  assert.throws(() => openPersonalFieldText(bytes, patient.secretKey, birthday), (e) => isClientError(e, 'BAD_ENVELOPE'))
})
