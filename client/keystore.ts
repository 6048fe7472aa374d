/**
 * Keystore: one JSON file per named key, the Ed25519 secret key encrypted with a passphrase.
 *
 *   key  = scrypt(passphrase, salt, N, r, p) → 64 bytes: [0,32) encrypts, [32,64) checks
 *   check = SHA-256(domainTag('keystore/check') ‖ key[32,64))   — tells a wrong passphrase
 *           apart from a tampered file (as the MAC of Ethereum's v3 keystore)
 *   ciphertext, tag = AES-256-GCM(key[0,32), iv, secretKey, aad = encode(['medchain/keystore', version, publicKey]))
 *
 * The public key and address stay in clear so `list` and read-only calls need no passphrase;
 * the AAD binds the public key to the ciphertext, and `load` re-derives the public key from the
 * decrypted secret, so an edited public key or address is detected.
 *
 * Files are written atomically with mode 0600: written to a temporary file in the same
 * directory, synced, then hard-linked to the final name. link(2) fails if the name exists, which
 * makes "names are unique" hold even for two concurrent `create`s.
 */
import { createCipheriv, createDecipheriv, randomBytes, scrypt as scryptCallback, timingSafeEqual } from 'node:crypto'
import { promises as fs } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { encode } from '../core/encoding.ts'
import { domainTag, sha256 } from '../core/hash.ts'
import { fromHex, toHex, bytesEqual } from '../core/hex.ts'
import {
  SECRET_KEY_LENGTH, addressFromPublicKey, formatAddress, generateKeyPair, keyPairFromSecretKey, type KeyPair,
} from '../core/keys.ts'
import { ClientError, ClientErrorCode } from './errors.ts'

export const KEYSTORE_VERSION = 1

export interface ScryptParams {
  readonly N: number
  readonly r: number
  readonly p: number
}

/** N = 2^15, r = 8, p = 1: ~100 ms and 32 MiB per derivation on these machines. */
export const DEFAULT_SCRYPT: ScryptParams = { N: 2 ** 15, r: 8, p: 1 }
/** Bounds accepted when reading a file: low enough for tests, high enough to stop a file from DoS-ing the client. */
const SCRYPT_BOUNDS = { minLogN: 10, maxLogN: 20, maxR: 16, maxP: 4 }
const DERIVED_LENGTH = 64
const SALT_LENGTH = 32
const IV_LENGTH = 12
const TAG_LENGTH = 16

export interface KeystoreFile {
  version: number
  name: string
  address: string
  publicKey: string
  kdf: { name: 'scrypt'; N: number; r: number; p: number; dkLen: number; salt: string }
  check: string
  cipher: { name: 'aes-256-gcm'; iv: string; ciphertext: string; tag: string }
  createdAt: string
}

/** What anyone can read from a keystore without the passphrase. */
export interface KeyInfo {
  readonly name: string
  readonly address: string
  readonly publicKey: string
  readonly createdAt: string
  readonly path: string
}

export interface LoadedKey extends KeyInfo {
  readonly keyPair: KeyPair
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/

/** `--keystore` flag, else env MEDCHAIN_KEYSTORE, else ~/.medchain/keys. */
export function resolveKeystoreDir(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (flag) return flag
  if (env.MEDCHAIN_KEYSTORE) return env.MEDCHAIN_KEYSTORE
  return join(homedir(), '.medchain', 'keys')
}

export function assertKeyName(name: string): void {
  if (typeof name !== 'string' || !NAME_RE.test(name)) {
    throw new ClientError(ClientErrorCode.BAD_KEY_NAME, `key name '${String(name).slice(0, 80)}' must be 1-64 characters of letters, digits, '.', '_' or '-', starting with a letter or digit`)
  }
}

function deriveKey(passphrase: string, salt: Uint8Array, params: ScryptParams): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scryptCallback(passphrase.normalize('NFKC'), salt, DERIVED_LENGTH, { ...params, maxmem: 256 * params.N * params.r + 1024 * 1024 }, (err, key) => {
      if (err) reject(err)
      else resolve(key)
    })
  })
}

function checkValue(derived: Buffer): Uint8Array {
  return sha256(domainTag('keystore/check'), derived.subarray(32, 64))
}

function additionalData(version: number, publicKey: Uint8Array): Uint8Array {
  return encode(['medchain/keystore', version, publicKey])
}

/** Encrypts a key pair into a keystore record (pure apart from randomness and scrypt). */
export async function encryptKey(name: string, keyPair: KeyPair, passphrase: string, params: ScryptParams = DEFAULT_SCRYPT, now = new Date()): Promise<KeystoreFile> {
  assertKeyName(name)
  checkScryptParams(params)
  if (typeof passphrase !== 'string' || passphrase.length === 0) throw new ClientError(ClientErrorCode.NO_PASSPHRASE, 'the passphrase must not be empty')
  const salt = randomBytes(SALT_LENGTH)
  const iv = randomBytes(IV_LENGTH)
  const derived = await deriveKey(passphrase, salt, params)
  const cipher = createCipheriv('aes-256-gcm', derived.subarray(0, 32), iv, { authTagLength: TAG_LENGTH })
  cipher.setAAD(additionalData(KEYSTORE_VERSION, keyPair.publicKey))
  const ciphertext = Buffer.concat([cipher.update(keyPair.secretKey), cipher.final()])
  return {
    version: KEYSTORE_VERSION,
    name,
    address: formatAddress(addressFromPublicKey(keyPair.publicKey)),
    publicKey: toHex(keyPair.publicKey),
    kdf: { name: 'scrypt', N: params.N, r: params.r, p: params.p, dkLen: DERIVED_LENGTH, salt: toHex(salt) },
    check: toHex(checkValue(derived)),
    cipher: { name: 'aes-256-gcm', iv: toHex(iv), ciphertext: toHex(ciphertext), tag: toHex(cipher.getAuthTag()) },
    createdAt: now.toISOString(),
  }
}

function checkScryptParams(p: ScryptParams): void {
  const logN = Math.log2(p.N)
  if (!Number.isInteger(logN) || logN < SCRYPT_BOUNDS.minLogN || logN > SCRYPT_BOUNDS.maxLogN
    || !Number.isInteger(p.r) || p.r < 1 || p.r > SCRYPT_BOUNDS.maxR
    || !Number.isInteger(p.p) || p.p < 1 || p.p > SCRYPT_BOUNDS.maxP) {
    throw new ClientError(ClientErrorCode.KEYSTORE_CORRUPT, `scrypt parameters N=${p.N} r=${p.r} p=${p.p} are out of bounds`)
  }
}

/** Shape-checks a parsed keystore file. @throws ClientError KEYSTORE_CORRUPT */
export function parseKeystoreFile(json: unknown, where: string): KeystoreFile {
  const bad = (m: string): never => { throw new ClientError(ClientErrorCode.KEYSTORE_CORRUPT, `${where}: ${m}`) }
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
  if (!isObj(json)) return bad('not a JSON object')
  if (json.version !== KEYSTORE_VERSION) bad(`unsupported version ${String(json.version)}`)
  const str = (v: unknown, field: string): string => (typeof v === 'string' ? v : bad(`${field} must be a string`))
  const num = (v: unknown, field: string): number => (typeof v === 'number' && Number.isSafeInteger(v) ? v : bad(`${field} must be an integer`))
  const kdf = isObj(json.kdf) ? json.kdf : bad('kdf missing')
  const cipher = isObj(json.cipher) ? json.cipher : bad('cipher missing')
  if (kdf.name !== 'scrypt') bad(`unknown kdf ${String(kdf.name)}`)
  if (cipher.name !== 'aes-256-gcm') bad(`unknown cipher ${String(cipher.name)}`)
  const file: KeystoreFile = {
    version: KEYSTORE_VERSION,
    name: str(json.name, 'name'),
    address: str(json.address, 'address'),
    publicKey: str(json.publicKey, 'publicKey'),
    kdf: { name: 'scrypt', N: num(kdf.N, 'kdf.N'), r: num(kdf.r, 'kdf.r'), p: num(kdf.p, 'kdf.p'), dkLen: num(kdf.dkLen, 'kdf.dkLen'), salt: str(kdf.salt, 'kdf.salt') },
    check: str(json.check, 'check'),
    cipher: { name: 'aes-256-gcm', iv: str(cipher.iv, 'cipher.iv'), ciphertext: str(cipher.ciphertext, 'cipher.ciphertext'), tag: str(cipher.tag, 'cipher.tag') },
    createdAt: typeof json.createdAt === 'string' ? json.createdAt : '',
  }
  if (file.kdf.dkLen !== DERIVED_LENGTH) bad(`kdf.dkLen must be ${DERIVED_LENGTH}`)
  checkScryptParams(file.kdf)
  return file
}

function hexField(hex: string, length: number | undefined, what: string, where: string): Uint8Array {
  try {
    return fromHex(hex, length, what)
  } catch {
    throw new ClientError(ClientErrorCode.KEYSTORE_CORRUPT, `${where}: ${what} is not ${length ?? 'valid'}${length ? '-byte' : ''} hex`)
  }
}

/**
 * Decrypts a keystore record.
 * @throws ClientError WRONG_PASSPHRASE, KEYSTORE_TAMPERED, KEYSTORE_CORRUPT
 */
export async function decryptKey(file: KeystoreFile, passphrase: string, where = file.name): Promise<KeyPair> {
  const salt = hexField(file.kdf.salt, undefined, 'kdf.salt', where)
  if (salt.length < 16 || salt.length > 64) throw new ClientError(ClientErrorCode.KEYSTORE_CORRUPT, `${where}: salt must be 16-64 bytes`)
  const check = hexField(file.check, 32, 'check', where)
  const iv = hexField(file.cipher.iv, IV_LENGTH, 'cipher.iv', where)
  const tag = hexField(file.cipher.tag, TAG_LENGTH, 'cipher.tag', where)
  const ciphertext = hexField(file.cipher.ciphertext, SECRET_KEY_LENGTH, 'cipher.ciphertext', where)
  const publicKey = hexField(file.publicKey, 32, 'publicKey', where)
  const derived = await deriveKey(passphrase, salt, file.kdf)
  if (!timingSafeEqual(checkValue(derived), check)) {
    throw new ClientError(ClientErrorCode.WRONG_PASSPHRASE, `wrong passphrase for key '${where}'`)
  }
  let secretKey: Uint8Array
  try {
    const decipher = createDecipheriv('aes-256-gcm', derived.subarray(0, 32), iv, { authTagLength: TAG_LENGTH })
    decipher.setAAD(additionalData(file.version, publicKey))
    decipher.setAuthTag(tag)
    secretKey = new Uint8Array(Buffer.concat([decipher.update(ciphertext), decipher.final()]))
  } catch {
    throw new ClientError(ClientErrorCode.KEYSTORE_TAMPERED, `key '${where}' failed its integrity check: the file was modified`)
  }
  const keyPair = keyPairFromSecretKey(secretKey)
  if (!bytesEqual(keyPair.publicKey, publicKey) || formatAddress(addressFromPublicKey(publicKey)) !== file.address) {
    throw new ClientError(ClientErrorCode.KEYSTORE_TAMPERED, `key '${where}': public key or address does not match the secret key`)
  }
  return keyPair
}

export interface KeystoreOptions {
  /** scrypt cost for new files; tests lower it. Loading always uses the file's own parameters. */
  readonly scrypt?: ScryptParams
}

/** A directory of keystore files. */
export class Keystore {
  readonly dir: string
  private readonly scrypt: ScryptParams

  constructor(dir: string, options: KeystoreOptions = {}) {
    this.dir = dir
    this.scrypt = options.scrypt ?? DEFAULT_SCRYPT
  }

  pathOf(name: string): string {
    assertKeyName(name)
    return join(this.dir, `${name}.json`)
  }

  /** A new random key. @throws ClientError BAD_KEY_NAME, KEY_EXISTS, NO_PASSPHRASE, IO_ERROR */
  async create(name: string, passphrase: string): Promise<KeyInfo> {
    return this.store(name, generateKeyPair(), passphrase)
  }

  /** Imports a 32-byte Ed25519 secret key (hex, with or without 0x). @throws as create, plus BAD_ARGUMENT */
  async import(name: string, secretKeyHex: string, passphrase: string): Promise<KeyInfo> {
    let secret: Uint8Array
    try {
      secret = fromHex(secretKeyHex.trim(), SECRET_KEY_LENGTH, 'secret key')
    } catch {
      throw new ClientError(ClientErrorCode.BAD_ARGUMENT, `the secret key must be ${SECRET_KEY_LENGTH} bytes of hex`)
    }
    return this.store(name, keyPairFromSecretKey(secret), passphrase)
  }

  private async store(name: string, keyPair: KeyPair, passphrase: string): Promise<KeyInfo> {
    const path = this.pathOf(name)
    const file = await encryptKey(name, keyPair, passphrase, this.scrypt)
    await fs.mkdir(this.dir, { recursive: true, mode: 0o700 })
    await writeFileExclusiveAtomic(path, JSON.stringify(file, null, 2) + '\n', name)
    return infoOf(file, path)
  }

  /** Every readable key, sorted by name; files that do not parse are skipped (see `check`). */
  async list(): Promise<KeyInfo[]> {
    let names: string[]
    try {
      names = await fs.readdir(this.dir)
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return []
      throw ioError(e, this.dir)
    }
    const out: KeyInfo[] = []
    for (const entry of names.sort()) {
      if (!entry.endsWith('.json')) continue
      const name = entry.slice(0, -5)
      if (!NAME_RE.test(name)) continue
      try {
        out.push(await this.info(name))
      } catch {
        // A foreign or damaged file in the directory must not hide the other keys.
      }
    }
    return out
  }

  /** Public information of a key, without the passphrase. @throws KEY_NOT_FOUND, KEYSTORE_CORRUPT */
  async info(name: string): Promise<KeyInfo> {
    const path = this.pathOf(name)
    return infoOf(await this.readFile(name, path), path)
  }

  /** Decrypts a key. @throws KEY_NOT_FOUND, WRONG_PASSPHRASE, KEYSTORE_TAMPERED, KEYSTORE_CORRUPT */
  async load(name: string, passphrase: string): Promise<LoadedKey> {
    const path = this.pathOf(name)
    const file = await this.readFile(name, path)
    const keyPair = await decryptKey(file, passphrase, name)
    return { ...infoOf(file, path), keyPair }
  }

  private async readFile(name: string, path: string): Promise<KeystoreFile> {
    let text: string
    try {
      text = await fs.readFile(path, 'utf8')
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new ClientError(ClientErrorCode.KEY_NOT_FOUND, `no key named '${name}' in ${this.dir}`)
      throw ioError(e, path)
    }
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch {
      throw new ClientError(ClientErrorCode.KEYSTORE_CORRUPT, `${path} is not valid JSON`)
    }
    const file = parseKeystoreFile(json, path)
    if (file.name !== name) throw new ClientError(ClientErrorCode.KEYSTORE_TAMPERED, `${path} names key '${file.name}', expected '${name}'`)
    return file
  }
}

function infoOf(file: KeystoreFile, path: string): KeyInfo {
  return { name: file.name, address: file.address, publicKey: file.publicKey, createdAt: file.createdAt, path }
}

function ioError(e: unknown, path: string): ClientError {
  const err = e as NodeJS.ErrnoException
  return new ClientError(ClientErrorCode.IO_ERROR, `${path}: ${err.code ?? ''} ${err.message ?? String(e)}`.trim())
}

/** Writes `text` to `path` with mode 0600, atomically, refusing to replace an existing file. */
async function writeFileExclusiveAtomic(path: string, text: string, name: string): Promise<void> {
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`
  const handle = await fs.open(tmp, 'wx', 0o600).catch((e: unknown) => { throw ioError(e, tmp) })
  try {
    await handle.writeFile(text, 'utf8')
    await handle.sync()
  } finally {
    await handle.close()
  }
  try {
    await fs.link(tmp, path)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new ClientError(ClientErrorCode.KEY_EXISTS, `a key named '${name}' already exists`)
    throw ioError(e, path)
  } finally {
    await fs.unlink(tmp).catch(() => undefined)
  }
}
