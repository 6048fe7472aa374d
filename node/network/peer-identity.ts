/**
 * One Ed25519 key per validator is both its consensus signing key and its libp2p identity, so
 * a validator public key (32 bytes) and a libp2p PeerId are two spellings of the same thing:
 * an Ed25519 PeerId embeds the raw public key (identity multihash of its protobuf encoding).
 */
import { generateKeyPairFromSeed, publicKeyFromRaw } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey, peerIdFromPublicKey } from '@libp2p/peer-id'
import type { Ed25519PrivateKey, PeerId } from '@libp2p/interface'
import { PUBLIC_KEY_LENGTH, SECRET_KEY_LENGTH } from '../../core/keys.ts'
import { NetworkError, NetworkErrorCode } from './errors.ts'

/** The libp2p private key of a validator's 32-byte Ed25519 secret key (seed). */
export async function libp2pKeyFromSecretKey(secretKey: Uint8Array): Promise<Ed25519PrivateKey> {
  if (!(secretKey instanceof Uint8Array) || secretKey.length !== SECRET_KEY_LENGTH) {
    throw new NetworkError(NetworkErrorCode.BAD_OPTIONS, `secretKey must be ${SECRET_KEY_LENGTH} bytes`)
  }
  return generateKeyPairFromSeed('Ed25519', secretKey)
}

/** The PeerId of a validator's secret key (same as peerIdFromValidatorPublicKey of its public key). */
export async function peerIdFromSecretKey(secretKey: Uint8Array): Promise<PeerId> {
  return peerIdFromPrivateKey(await libp2pKeyFromSecretKey(secretKey))
}

/**
 * The libp2p PeerId of a validator public key.
 * @throws NetworkError BAD_OPTIONS if the key is not 32 bytes or not an Ed25519 point.
 */
export function peerIdFromValidatorPublicKey(publicKey: Uint8Array): PeerId {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== PUBLIC_KEY_LENGTH) {
    throw new NetworkError(NetworkErrorCode.BAD_OPTIONS, `validator public key must be ${PUBLIC_KEY_LENGTH} bytes`)
  }
  try {
    return peerIdFromPublicKey(publicKeyFromRaw(publicKey))
  } catch (cause) {
    throw new NetworkError(NetworkErrorCode.BAD_OPTIONS, 'validator public key is not an Ed25519 key', { cause })
  }
}

/** The 32-byte validator public key of an Ed25519 PeerId, or null for other key types. */
export function validatorPublicKeyFromPeerId(peerId: PeerId): Uint8Array | null {
  if (peerId.type !== 'Ed25519') return null
  const raw = peerId.publicKey.raw
  return raw.length === PUBLIC_KEY_LENGTH ? new Uint8Array(raw) : null
}
