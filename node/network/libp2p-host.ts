/**
 * The libp2p host of a validator: TCP + Noise + Yamux + identify, with an allow-list gater.
 * Only the configuration lives here; the protocols run on top (validator-network.ts).
 *
 * - Identity: the validator's Ed25519 seed is the libp2p private key (peer-identity.ts).
 * - Allow-list: inbound connections are refused after the Noise handshake (the first point
 *   at which the remote identity is proven) unless the peer is in the set, and we never dial or
 *   upgrade an outbound connection to a peer outside it.
 * - Yamux sends window updates at half the window, not after every frame (yamux-window-updates.ts).
 * - Each Noise message leaves in one socket write, its length and ciphertext together
 *   (single-write-sends.ts).
 * - Noise seals with libsodium's ChaCha20-Poly1305 where sodium-native loads (noise-crypto.ts).
 * - Loopback testnets open many connections from one host at once: libp2p's default of 5
 *   inbound connections per second per host then resets dials (platform.md), so it is raised.
 */
import { createLibp2p, type Libp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import type { PeerId } from '@libp2p/interface'
import { libp2pKeyFromSecretKey } from './peer-identity.ts'
import { installLengthPrefixNoThrow } from './length-prefix-no-throw.ts'
import { installYamuxHalfWindowUpdates } from './yamux-window-updates.ts'
import { installSingleWriteSends } from './single-write-sends.ts'
import { createNoiseCrypto } from './noise-crypto.ts'

/** Noise's cipher on libsodium where sodium-native loads (noise-crypto.ts), else Noise's default. */
const noiseCrypto = createNoiseCrypto()

export interface Libp2pHostOptions {
  secretKey: Uint8Array
  listen: { host: string; port: number }
  /** PeerId strings allowed to connect and be dialled. */
  isAllowed(peerId: PeerId): boolean
  /** Called when the gater refuses a peer (for counters and logs). */
  onDenied?(peerId: PeerId, direction: 'inbound' | 'outbound'): void
  /** Expected number of peers, to size connection limits. */
  peerCount: number
  dialTimeoutMs: number
}

export async function createLibp2pHost(options: Libp2pHostOptions): Promise<Libp2p> {
  installYamuxHalfWindowUpdates()
  installLengthPrefixNoThrow()
  installSingleWriteSends()
  const privateKey = await libp2pKeyFromSecretKey(options.secretKey)
  const denyIn = (peerId: PeerId): boolean => {
    const denied = !options.isAllowed(peerId)
    if (denied) options.onDenied?.(peerId, 'inbound')
    return denied
  }
  const denyOut = (peerId: PeerId): boolean => {
    const denied = !options.isAllowed(peerId)
    if (denied) options.onDenied?.(peerId, 'outbound')
    return denied
  }
  return createLibp2p({
    privateKey,
    start: false,
    addresses: { listen: [tcpMultiaddrString(options.listen.host, options.listen.port)] },
    transports: [tcp()],
    connectionEncrypters: [noise(noiseCrypto ? { crypto: noiseCrypto } : {})],
    streamMuxers: [yamux()],
    services: { identify: identify() },
    connectionGater: {
      denyDialPeer: denyOut,
      denyInboundEncryptedConnection: denyIn,
      denyOutboundEncryptedConnection: denyOut,
    },
    connectionManager: {
      maxConnections: Math.max(300, 4 * options.peerCount),
      inboundConnectionThreshold: Math.max(1_000, 10 * options.peerCount),
      maxIncomingPendingConnections: Math.max(64, 2 * options.peerCount),
      dialTimeout: options.dialTimeoutMs,
      // reconnection is ours (validator-network.ts keeps dialing allow-listed peers)
      reconnectRetries: 0,
    },
  })
}

/** `/ip4/<host>/tcp/<port>` (or ip6); hosts are IP literals. */
export function tcpMultiaddrString(host: string, port: number): string {
  const family = host.includes(':') ? 'ip6' : 'ip4'
  return `/${family}/${host}/tcp/${port}`
}
