import { test } from 'node:test'
import assert from 'node:assert/strict'
import { promises as fs } from 'node:fs'
import { join } from 'node:path'
import { toHex } from '../core/hex.ts'
import { generateKeyPair, sign, verify } from '../core/keys.ts'
import { isClientError } from './errors.ts'
import { DEFAULT_SCRYPT, Keystore, resolveKeystoreDir } from './keystore.ts'
import { scratchDir } from './test-support/scratch-dir.ts'

// Tests use a low scrypt cost; the files record their own parameters.
const FAST = { N: 2 ** 10, r: 8, p: 1 }

async function tempStore(): Promise<Keystore> {
  const dir = await scratchDir('medchain-keys-')
  return new Keystore(join(dir, 'keys'), { scrypt: FAST })
}

test('create, list and load a key; the file is mode 0600 and keeps the secret encrypted', async () => {
  const ks = await tempStore()
  const info = await ks.create('dr-lee', 'correct horse')
  assert.match(info.address, /^mc[0-9a-f]{40}$/)
  const stat = await fs.stat(info.path)
  assert.equal(stat.mode & 0o777, 0o600)
  const loaded = await ks.load('dr-lee', 'correct horse')
  assert.equal(toHex(loaded.keyPair.publicKey), info.publicKey)
  const text = await fs.readFile(info.path, 'utf8')
  assert.ok(!text.includes(toHex(loaded.keyPair.secretKey).slice(2)), 'secret key must not appear in clear')
  const sig = sign(new Uint8Array([1, 2, 3]), loaded.keyPair.secretKey)
  assert.ok(verify(sig, new Uint8Array([1, 2, 3]), loaded.keyPair.publicKey))
  await ks.create('gov', 'pw')
  assert.deepEqual((await ks.list()).map((k) => k.name), ['dr-lee', 'gov'])
  // no temporary files left behind
  assert.deepEqual((await fs.readdir(ks.dir)).sort(), ['dr-lee.json', 'gov.json'])
})

test('import keeps the given secret key; names are unique, even for concurrent creates', async () => {
  const ks = await tempStore()
  const kp = generateKeyPair()
  const info = await ks.import('hospital', toHex(kp.secretKey), 'pw')
  assert.equal(info.publicKey, toHex(kp.publicKey))
  await assert.rejects(ks.import('hospital', toHex(kp.secretKey), 'pw'), (e) => isClientError(e, 'KEY_EXISTS'))
  const results = await Promise.allSettled([ks.create('race', 'a'), ks.create('race', 'b'), ks.create('race', 'c')])
  assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1)
  assert.ok(results.every((r) => r.status === 'fulfilled' || isClientError(r.reason, 'KEY_EXISTS')))
  await assert.rejects(ks.import('x', '0x1234', 'pw'), (e) => isClientError(e, 'BAD_ARGUMENT'))
})

test('wrong passphrase, unknown key, bad names and empty passphrase are typed errors', async () => {
  const ks = await tempStore()
  await ks.create('k', 'right')
  await assert.rejects(ks.load('k', 'wrong'), (e) => isClientError(e, 'WRONG_PASSPHRASE'))
  await assert.rejects(ks.load('nope', 'right'), (e) => isClientError(e, 'KEY_NOT_FOUND'))
  await assert.rejects(ks.create('../evil', 'pw'), (e) => isClientError(e, 'BAD_KEY_NAME'))
  await assert.rejects(ks.create('', 'pw'), (e) => isClientError(e, 'BAD_KEY_NAME'))
  await assert.rejects(ks.create('ok', ''), (e) => isClientError(e, 'NO_PASSPHRASE'))
})

test('every tampered field is detected', async () => {
  const ks = await tempStore()
  const info = await ks.create('t', 'pw')
  const original = JSON.parse(await fs.readFile(info.path, 'utf8'))
  const other = generateKeyPair()
  const flip = (hex: string): string => hex.slice(0, -1) + (hex.endsWith('0') ? '1' : '0')
  const cases: [string, (f: any) => void, string[]][] = [
    ['ciphertext', (f) => { f.cipher.ciphertext = flip(f.cipher.ciphertext) }, ['KEYSTORE_TAMPERED']],
    ['tag', (f) => { f.cipher.tag = flip(f.cipher.tag) }, ['KEYSTORE_TAMPERED']],
    ['iv', (f) => { f.cipher.iv = flip(f.cipher.iv) }, ['KEYSTORE_TAMPERED']],
    ['publicKey', (f) => { f.publicKey = toHex(other.publicKey) }, ['KEYSTORE_TAMPERED']],
    ['address', (f) => { f.address = 'mc' + '00'.repeat(20) }, ['KEYSTORE_TAMPERED']],
    ['name', (f) => { f.name = 'other' }, ['KEYSTORE_TAMPERED']],
    // salt and check feed the passphrase check: indistinguishable from a wrong passphrase
    ['salt', (f) => { f.kdf.salt = flip(f.kdf.salt) }, ['WRONG_PASSPHRASE']],
    ['check', (f) => { f.check = flip(f.check) }, ['WRONG_PASSPHRASE']],
    ['kdf.N', (f) => { f.kdf.N = 2 ** 30 }, ['KEYSTORE_CORRUPT']],
    ['version', (f) => { f.version = 9 }, ['KEYSTORE_CORRUPT']],
    ['ciphertext length', (f) => { f.cipher.ciphertext = '0x00' }, ['KEYSTORE_CORRUPT']],
  ]
  for (const [what, edit, codes] of cases) {
    const f = structuredClone(original)
    edit(f)
    await fs.writeFile(info.path, JSON.stringify(f))
    await assert.rejects(ks.load('t', 'pw'), (e) => isClientError(e) && codes.includes(e.code), what)
  }
  await fs.writeFile(info.path, '{not json')
  await assert.rejects(ks.load('t', 'pw'), (e) => isClientError(e, 'KEYSTORE_CORRUPT'))
  assert.deepEqual(await ks.list(), [], 'a damaged file is skipped by list')
  await fs.writeFile(info.path, JSON.stringify(original))
  assert.ok(await ks.load('t', 'pw'))
})

test('keystore directory: flag, then MEDCHAIN_KEYSTORE, then ~/.medchain/keys', () => {
  assert.equal(resolveKeystoreDir('/a', { MEDCHAIN_KEYSTORE: '/b' }), '/a')
  assert.equal(resolveKeystoreDir(undefined, { MEDCHAIN_KEYSTORE: '/b' }), '/b')
  assert.match(resolveKeystoreDir(undefined, {}), /\.medchain[/\\]keys$/)
})

test('default scrypt parameters are the documented ones and round-trip', async () => {
  assert.deepEqual(DEFAULT_SCRYPT, { N: 32768, r: 8, p: 1 })
  const dir = await scratchDir('medchain-keys-')
  const ks = new Keystore(dir)
  await ks.create('real', 'pw')
  const file = JSON.parse(await fs.readFile(join(dir, 'real.json'), 'utf8'))
  assert.equal(file.kdf.N, 32768)
  assert.ok(await ks.load('real', 'pw'))
})
