/**
 * A validator's key file: one Ed25519 key that is both its consensus signing key and its libp2p
 * identity. JSON { "publicKey": "0x…", "secretKey": "0x…" }, mode 0600, like CometBFT's
 * priv_validator_key.json. (Client keys use the passphrase keystore in client/ instead; a
 * validator must restart unattended.)
 */
import { readFile, writeFile, rename, mkdir } from 'node:fs/promises'
import { dirname } from 'node:path'
import { bytesEqual, fromHex, keyPairFromSecretKey, toHex, type KeyPair } from '../core/index.ts'
import { NodeError, NodeErrorCode } from './errors.ts'

export async function loadValidatorKey(path: string): Promise<KeyPair> {
  let json: { publicKey?: string; secretKey?: string }
  try {
    json = JSON.parse(await readFile(path, 'utf8'))
  } catch (e) {
    throw new NodeError(NodeErrorCode.BAD_CONFIG, `cannot read validator key file ${path}: ${(e as Error).message}`)
  }
  try {
    const kp = keyPairFromSecretKey(fromHex(json.secretKey ?? '', 32, 'secretKey'))
    if (json.publicKey && !bytesEqual(fromHex(json.publicKey, 32, 'publicKey'), kp.publicKey)) {
      throw new Error('publicKey does not match secretKey')
    }
    return kp
  } catch (e) {
    throw new NodeError(NodeErrorCode.BAD_CONFIG, `validator key file ${path} is invalid: ${(e as Error).message}`)
  }
}

export async function saveValidatorKey(path: string, kp: KeyPair): Promise<void> {
  await mkdir(dirname(path), { recursive: true })
  const tmp = `${path}.tmp-${process.pid}`
  await writeFile(tmp, JSON.stringify({ publicKey: toHex(kp.publicKey), secretKey: toHex(kp.secretKey) }, null, 2) + '\n', { mode: 0o600 })
  await rename(tmp, path)
}
