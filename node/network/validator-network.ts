/**
 * The validator network: a full mesh of long-lived libp2p streams between allow-listed
 * validators, carrying topic-tagged gossip with content-addressed deduplication, plus a
 * request/response protocol for block sync.
 *
 * Why not gossipsub: its default per-message signing delivered ~50 msgs/s among 10 nodes here
 * (platform.md), and our payloads (transactions, votes, proposals) are already signed. With
 * n ≤ ~100 validators a full mesh is affordable, and a node sends its own messages straight to
 * every peer: one hop, no re-signing, no mesh maintenance.
 *
 * Gossip: each node opens one outbound stream per peer on GOSSIP_PROTOCOL and only writes to it;
 * it only reads the streams its peers open. Frames queued for a peer within one event-loop turn
 * are coalesced into one write (see frames.ts for the format).
 *
 * Relay (targeted, one hop): when the origin of a message on a relay topic has no open gossip
 * stream to some validators, it lists them in the frame (a bitmap over the validator set sorted
 * by public key); each receiver forwards the first-seen message, without the list, to those of
 * them it is connected to. With a full mesh the list is empty and relaying costs nothing; with a
 * missing link it costs at most n - 2 extra copies per message, sent only to the validator that
 * missed it; a validator that is down is connected to nobody, so it costs nothing either.
 *
 * Untrusted input: peers are authenticated (Noise + allow-list) but may still misbehave. Frames
 * are size-capped before buffering; an oversized frame aborts the stream (framing is lost), a
 * malformed body is dropped; both are counted per peer (stats().peers[i].badMessages).
 * Handler exceptions are caught and counted; nothing a peer sends can throw out of an event
 * listener or leave a rejected promise unhandled.
 */
import { multiaddr } from '@multiformats/multiaddr'
import type { Libp2p } from 'libp2p'
import type { Connection, PeerId, Stream, StreamMessageEvent } from '@libp2p/interface'
import { bytesEqual, compareBytes, toHex, utf8 } from '../../core/hex.ts'
import { keyPairFromSecretKey } from '../../core/keys.ts'
import { NetworkError, NetworkErrorCode, isNetworkError } from './errors.ts'
import {
  FrameDecoder,
  MAX_RELAY_BITMAP_BYTES,
  ResponseStatus,
  bitmapHas,
  decodeGossipBody,
  decodeResponseBody,
  encodeFrame,
  encodeGossipFrame,
  encodeRelayBitmap,
  encodeResponseFrame,
  gossipFrameId,
  isValidTopic,
  type GossipMessage,
} from './frames.ts'
import { createLibp2pHost, tcpMultiaddrString } from './libp2p-host.ts'
import { peerIdFromValidatorPublicKey } from './peer-identity.ts'
import { SeenMessages } from './seen-messages.ts'

export const GOSSIP_PROTOCOL = '/medchain/gossip/1.0.0'
export const REQUEST_PROTOCOL = '/medchain/request/1.0.0'

/** Pino-compatible logger subset (the same shape as node/logger.ts's Logger). */
export interface NetworkLogger {
  info(obj: object | string, msg?: string): void
  warn(obj: object | string, msg?: string): void
  error(obj: object | string, msg?: string): void
  debug(obj: object | string, msg?: string): void
}

export interface PeerAddress {
  publicKey: Uint8Array
  host: string
  port: number
}

export interface NetworkLimits {
  /** Largest gossip frame body accepted or sent (payload + topic + relay list + 2). Default 16 MiB. */
  maxGossipFrameBytes: number
  /** Largest request payload. Default 16 MiB. */
  maxRequestBytes: number
  /** Largest response payload. Default 16 MiB. */
  maxResponseBytes: number
  /** Timeout of request() when opts.timeoutMs is not given. Default 10 s. */
  defaultRequestTimeoutMs: number
  /** How long a peer may take to send its whole request once it opened a stream. Default 10 s. */
  inboundRequestTimeoutMs: number
  /** Concurrent inbound requests per connection. Default 16. */
  maxInboundRequestStreams: number
  /** Bytes queued for one peer beyond which new frames to it are dropped. Default 64 MiB. */
  maxQueuedBytesPerPeer: number
  /** Message ids remembered for deduplication. Default 200,000. */
  seenCacheSize: number
  /** Reconnect backoff: first retry delay and cap. Defaults 100 ms and 2 s. */
  reconnectMinMs: number
  reconnectMaxMs: number
  /** Timeout of one dial attempt. Default 5 s. */
  dialTimeoutMs: number
}

export const DEFAULT_NETWORK_LIMITS: Readonly<NetworkLimits> = Object.freeze({
  maxGossipFrameBytes: 16 * 1024 * 1024,
  maxRequestBytes: 16 * 1024 * 1024,
  maxResponseBytes: 16 * 1024 * 1024,
  defaultRequestTimeoutMs: 10_000,
  inboundRequestTimeoutMs: 10_000,
  maxInboundRequestStreams: 16,
  maxQueuedBytesPerPeer: 64 * 1024 * 1024,
  seenCacheSize: 200_000,
  reconnectMinMs: 100,
  reconnectMaxMs: 2_000,
  dialTimeoutMs: 5_000,
})

export interface ValidatorNetworkOptions {
  /** The validator's 32-byte Ed25519 secret key (seed): libp2p identity and signing key. */
  secretKey: Uint8Array
  /** Where to listen; port 0 picks a free port (see listenAddress()). */
  listen: { host: string; port: number }
  /** Addresses of validators to dial (may include self, which is skipped). More via addPeer(). */
  peers: PeerAddress[]
  /** Public keys of every validator allowed to connect (the genesis validator set). */
  allowedPublicKeys: Uint8Array[]
  logger?: NetworkLogger
  /**
   * Topics whose messages are forwarded to validators their origin cannot reach directly
   * (e.g. ['tx', 'vote']). Every validator should use the same list.
   */
  relayTopics?: string[]
  limits?: Partial<NetworkLimits>
}

export type MessageHandler = (payload: Uint8Array, fromPublicKey: Uint8Array) => void | Promise<void>
export type RequestHandler = (payload: Uint8Array, fromPublicKey: Uint8Array) => Promise<Uint8Array>

export interface RequestOptions {
  timeoutMs?: number
}

/** Per-peer counters. `badMessages` = malformedFrames + oversizedFrames + unexpectedData. */
export interface PeerCounters {
  /** Gossip frames received / bytes of their bodies. */
  framesIn: number
  bytesIn: number
  /** Gossip frames queued for sending / their bytes. */
  framesOut: number
  bytesOut: number
  /** First-seen messages handed to a topic handler. */
  delivered: number
  duplicates: number
  /** First-seen messages this node forwarded on behalf of this peer. */
  relayed: number
  /** Frames for topics with no local handler (not misbehaviour: topics may be newer than us). */
  unhandledTopic: number
  malformedFrames: number
  oversizedFrames: number
  /** Bytes written on a stream direction where the peer must not write. */
  unexpectedData: number
  /** Frames not sent because the peer's queue was full. */
  droppedFrames: number
  /** Topic handler threw or rejected on a message from this peer. */
  handlerErrors: number
  requestsIn: number
  requestsOut: number
  requestFailures: number
  dialFailures: number
}

export interface PeerStats extends PeerCounters {
  publicKey: Uint8Array
  peerId: string
  connected: boolean
  /** Our outbound gossip stream to the peer is open. */
  streamOpen: boolean
  queuedBytes: number
  badMessages: number
}

export interface NetworkStats {
  peers: PeerStats[]
  /** Messages broadcast by this node. */
  broadcasts: number
  /** broadcast() calls refused (not started, bad topic, payload too large). */
  broadcastsRefused: number
  /** Connections refused by the allow-list gater (inbound after Noise, or outbound). */
  deniedConnections: number
  seenIds: number
}

export interface ValidatorNetwork {
  /** This validator's public key (from secretKey). */
  readonly publicKey: Uint8Array
  /** This validator's libp2p PeerId as a string. */
  readonly peerId: string
  start(): Promise<void>
  stop(): Promise<void>
  /** Add or update the address of an allow-listed validator and keep dialing it. */
  addPeer(peer: PeerAddress): void
  broadcast(topic: string, payload: Uint8Array): void
  /**
   * Sends to one validator only (no relay). False, with nothing sent, when that validator has no
   * open gossip stream now or the message is refused: the caller then broadcasts instead.
   */
  sendTo(peerPublicKey: Uint8Array, topic: string, payload: Uint8Array): boolean
  /**
   * Writes every queued frame now, instead of at the end of this event-loop turn (where frames
   * queued in one turn are coalesced into one write per peer). Call it before blocking work,
   * such as a durable disk sync, so that messages already decided do not wait behind it.
   */
  flush(): void
  onMessage(topic: string, handler: MessageHandler): void
  handleRequests(handler: RequestHandler): void
  request(peerPublicKey: Uint8Array, payload: Uint8Array, opts?: RequestOptions): Promise<Uint8Array>
  connectedPeers(): Uint8Array[]
  listenAddress(): { host: string; port: number }
  stats(): NetworkStats
}

interface PeerState {
  /** Position in the validator set sorted by public key (relay bitmaps). */
  readonly index: number
  readonly publicKey: Uint8Array
  readonly peerId: PeerId
  readonly peerIdString: string
  address: { host: string; port: number } | null
  connected: boolean
  dialTimer: NodeJS.Timeout | null
  dialing: boolean
  backoffMs: number
  outStream: Stream | null
  openingStream: boolean
  reopenTimer: NodeJS.Timeout | null
  queue: Uint8Array[]
  queuedBytes: number
  readonly counters: PeerCounters
}

const silentLogger: NetworkLogger = { info() {}, warn() {}, error() {}, debug() {} }

function newCounters(): PeerCounters {
  return {
    framesIn: 0, bytesIn: 0, framesOut: 0, bytesOut: 0, delivered: 0, duplicates: 0, relayed: 0,
    unhandledTopic: 0, malformedFrames: 0, oversizedFrames: 0, unexpectedData: 0, droppedFrames: 0,
    handlerErrors: 0, requestsIn: 0, requestsOut: 0, requestFailures: 0, dialFailures: 0,
  }
}

/**
 * Builds a validator network (not started).
 * @throws NetworkError BAD_OPTIONS on a bad key, address, topic or limit.
 */
export function createValidatorNetwork(options: ValidatorNetworkOptions): ValidatorNetwork {
  return new Libp2pValidatorNetwork(options)
}

class Libp2pValidatorNetwork implements ValidatorNetwork {
  readonly publicKey: Uint8Array
  readonly peerId: string
  private readonly secretKey: Uint8Array
  private readonly listenOption: { host: string; port: number }
  private readonly log: NetworkLogger
  private readonly limits: NetworkLimits
  private readonly relayTopics: ReadonlySet<string>
  private readonly peers = new Map<string, PeerState>() // by PeerId string
  /** The same peers by hex public key: deriving a PeerId per send cost ~2 % of a node's CPU. */
  private readonly peersByKey = new Map<string, PeerState>()
  /** Size of the validator set (allow-list plus self), the length of relay bitmaps in bits. */
  private readonly validatorCount: number
  private readonly handlers = new Map<string, MessageHandler>()
  private requestHandler: RequestHandler | null = null
  private readonly seen: SeenMessages
  private libp2p: Libp2p | null = null
  private running = false
  private starting: Promise<void> | null = null
  private readonly dirtyPeers = new Set<PeerState>()
  private flushHandle: NodeJS.Immediate | null = null
  private readonly pendingRequests = new Set<(err: NetworkError) => void>()
  private broadcasts = 0
  private broadcastsRefused = 0
  private deniedConnections = 0

  constructor(options: ValidatorNetworkOptions) {
    if (options === null || typeof options !== 'object') throw badOptions('options must be an object')
    let keyPair
    try {
      keyPair = keyPairFromSecretKey(options.secretKey)
    } catch (cause) {
      throw new NetworkError(NetworkErrorCode.BAD_OPTIONS, 'secretKey must be a 32-byte Ed25519 seed', { cause })
    }
    this.secretKey = keyPair.secretKey
    this.publicKey = keyPair.publicKey
    this.peerId = peerIdFromValidatorPublicKey(this.publicKey).toString()
    this.listenOption = checkAddress(options.listen, 'listen', true)
    this.log = options.logger ?? silentLogger
    this.limits = checkLimits({ ...DEFAULT_NETWORK_LIMITS, ...(options.limits ?? {}) })
    this.seen = new SeenMessages(this.limits.seenCacheSize)
    const relayTopics = options.relayTopics ?? []
    for (const t of relayTopics) if (!isValidTopic(t)) throw badOptions(`bad relay topic ${JSON.stringify(t)}`)
    this.relayTopics = new Set(relayTopics)

    if (!Array.isArray(options.allowedPublicKeys)) throw badOptions('allowedPublicKeys must be an array')
    // the validator set in public-key order (self included) gives every node the same indices
    const validatorSet = new Map<string, Uint8Array>([[toHex(this.publicKey), this.publicKey]])
    for (const key of options.allowedPublicKeys) {
      peerIdFromValidatorPublicKey(key) // checks the key
      validatorSet.set(toHex(key), new Uint8Array(key))
    }
    const ordered = [...validatorSet.values()].sort(compareBytes)
    this.validatorCount = ordered.length
    if (this.relayTopics.size > 0 && ordered.length > MAX_RELAY_BITMAP_BYTES * 8) {
      throw badOptions(`relayTopics supports at most ${MAX_RELAY_BITMAP_BYTES * 8} validators`)
    }
    ordered.forEach((key, index) => {
      if (bytesEqual(key, this.publicKey)) return
      const peerId = peerIdFromValidatorPublicKey(key)
      const state: PeerState = {
        index,
        publicKey: key,
        peerId,
        peerIdString: peerId.toString(),
        address: null,
        connected: false,
        dialTimer: null,
        dialing: false,
        backoffMs: this.limits.reconnectMinMs,
        outStream: null,
        openingStream: false,
        reopenTimer: null,
        queue: [],
        queuedBytes: 0,
        counters: newCounters(),
      }
      this.peers.set(state.peerIdString, state)
      this.peersByKey.set(toHex(key), state)
    })
    if (!Array.isArray(options.peers)) throw badOptions('peers must be an array')
    for (const peer of options.peers) this.addPeer(peer)
  }

  // ---------------------------------------------------------------- lifecycle

  async start(): Promise<void> {
    if (this.running) return
    if (this.starting) return this.starting
    this.starting = this.doStart().finally(() => {
      this.starting = null
    })
    return this.starting
  }

  private async doStart(): Promise<void> {
    const node = await createLibp2pHost({
      secretKey: this.secretKey,
      listen: this.listenOption,
      isAllowed: (peerId) => this.peers.has(peerId.toString()),
      onDenied: (peerId, direction) => {
        this.deniedConnections++
        this.log.warn({ peer: peerId.toString(), direction }, 'connection refused: peer not allow-listed')
      },
      peerCount: this.peers.size,
      dialTimeoutMs: this.limits.dialTimeoutMs,
    })
    await node.handle(GOSSIP_PROTOCOL, (stream, connection) => this.acceptGossipStream(stream, connection), {
      // one stream per peer is the norm; a few more cover a reopen racing the old stream's close
      maxInboundStreams: 4,
      maxOutboundStreams: 4,
    })
    await node.handle(REQUEST_PROTOCOL, (stream, connection) => this.acceptRequestStream(stream, connection), {
      maxInboundStreams: this.limits.maxInboundRequestStreams,
      maxOutboundStreams: 64,
    })
    node.addEventListener('peer:connect', (evt) => this.onPeerConnect(evt.detail))
    node.addEventListener('peer:disconnect', (evt) => this.onPeerDisconnect(evt.detail))
    // running before node.start(): a peer may connect inbound while start() is still awaiting
    this.libp2p = node
    this.running = true
    try {
      await node.start()
    } catch (err) {
      this.running = false
      this.libp2p = null
      await Promise.resolve(node.stop()).catch(() => {})
      throw err
    }
    this.log.info({ peerId: this.peerId, listen: this.listenAddress() }, 'validator network started')
    for (const peer of this.peers.values()) this.scheduleDial(peer, true)
  }

  async stop(): Promise<void> {
    if (this.starting) await this.starting.catch(() => {})
    if (!this.running) return
    this.running = false
    const node = this.libp2p
    if (this.flushHandle) clearImmediate(this.flushHandle)
    this.flushHandle = null
    this.dirtyPeers.clear()
    for (const peer of this.peers.values()) {
      if (peer.dialTimer) clearTimeout(peer.dialTimer)
      if (peer.reopenTimer) clearTimeout(peer.reopenTimer)
      peer.dialTimer = null
      peer.reopenTimer = null
      peer.connected = false
      peer.outStream = null
      peer.queue = []
      peer.queuedBytes = 0
      peer.backoffMs = this.limits.reconnectMinMs
    }
    for (const reject of [...this.pendingRequests]) reject(new NetworkError(NetworkErrorCode.NOT_STARTED, 'network stopped'))
    this.pendingRequests.clear()
    try {
      await node?.stop()
    } finally {
      this.libp2p = null
      this.seen.clear()
      this.log.info({ peerId: this.peerId }, 'validator network stopped')
    }
  }

  /** The allow-listed peer with this public key, or undefined (also for anything that is not a key). */
  private peerByKey(publicKey: Uint8Array): PeerState | undefined {
    return publicKey instanceof Uint8Array ? this.peersByKey.get(toHex(publicKey)) : undefined
  }

  addPeer(peer: PeerAddress): void {
    if (peer === null || typeof peer !== 'object') throw badOptions('peer must be an object')
    if (peer.publicKey instanceof Uint8Array && bytesEqual(peer.publicKey, this.publicKey)) return
    if (!(peer.publicKey instanceof Uint8Array)) throw badOptions('peer.publicKey must be a Uint8Array')
    const state = this.peerByKey(peer.publicKey)
    if (!state) {
      throw new NetworkError(NetworkErrorCode.UNKNOWN_PEER, `peer ${toHex(peer.publicKey)} is not in allowedPublicKeys`)
    }
    state.address = checkAddress(peer, 'peer', false)
    state.backoffMs = this.limits.reconnectMinMs
    if (this.running && !state.connected) {
      if (state.dialTimer) clearTimeout(state.dialTimer)
      state.dialTimer = null
      this.scheduleDial(state, true)
    }
  }

  // ---------------------------------------------------------------- connections

  /**
   * Dials `peer` after its backoff (or now), then doubles the backoff up to reconnectMaxMs. The
   * backoff resets only once a gossip stream to the peer opens: a peer that accepts the TCP
   * connection and then drops it (e.g. its allow-list lacks us) is retried slowly, not in a loop.
   */
  private scheduleDial(peer: PeerState, immediately = false): void {
    if (!this.running || peer.address === null || peer.connected || peer.dialing || peer.dialTimer) return
    const delayMs = immediately ? 0 : peer.backoffMs
    if (!immediately) peer.backoffMs = Math.min(peer.backoffMs * 2, this.limits.reconnectMaxMs)
    peer.dialTimer = setTimeout(() => {
      peer.dialTimer = null
      void this.dial(peer)
    }, delayMs)
  }

  private async dial(peer: PeerState): Promise<void> {
    const node = this.libp2p
    const address = peer.address
    if (!this.running || !node || !address || peer.connected) return
    peer.dialing = true
    try {
      const target = multiaddr(`${tcpMultiaddrString(address.host, address.port)}/p2p/${peer.peerIdString}`)
      await node.dial(target, { signal: AbortSignal.timeout(this.limits.dialTimeoutMs) })
      // dial() returns an existing connection without a new 'peer:connect': sync our view
      if (!peer.connected && this.openConnection(peer)) this.onPeerConnect(peer.peerId)
    } catch (err) {
      peer.counters.dialFailures++
      this.log.debug({ peer: peer.peerIdString, err: errorText(err), retryInMs: peer.backoffMs }, 'dial failed')
      peer.dialing = false
      this.scheduleDial(peer)
      return
    }
    peer.dialing = false
  }

  private onPeerConnect(peerId: PeerId): void {
    const peer = this.peers.get(peerId.toString())
    if (!peer || !this.running) return
    peer.connected = true
    if (peer.dialTimer) clearTimeout(peer.dialTimer)
    peer.dialTimer = null
    this.log.debug({ peer: peer.peerIdString }, 'peer connected')
    void this.openGossipStream(peer)
  }

  private onPeerDisconnect(peerId: PeerId): void {
    const peer = this.peers.get(peerId.toString())
    if (!peer) return
    peer.connected = false
    peer.outStream = null
    peer.queue = []
    peer.queuedBytes = 0
    if (!this.running) return
    this.log.debug({ peer: peer.peerIdString }, 'peer disconnected')
    this.scheduleDial(peer)
  }

  private openConnection(peer: PeerState): Connection | undefined {
    return this.libp2p?.getConnections(peer.peerId).find((c) => c.status === 'open')
  }

  /** Opens our write-only gossip stream to `peer`, then flushes what was queued meanwhile. */
  private async openGossipStream(peer: PeerState): Promise<void> {
    if (!this.running || peer.openingStream || isWritable(peer.outStream)) return
    const connection = this.openConnection(peer)
    if (!connection) return
    peer.openingStream = true
    let stream: Stream
    try {
      stream = await connection.newStream(GOSSIP_PROTOCOL, { signal: AbortSignal.timeout(this.limits.dialTimeoutMs) })
    } catch (err) {
      peer.openingStream = false
      this.log.debug({ peer: peer.peerIdString, err: errorText(err) }, 'opening gossip stream failed')
      this.scheduleStreamReopen(peer)
      return
    }
    peer.openingStream = false
    if (!this.running || !peer.connected) {
      stream.abort(new Error('network stopped or peer disconnected'))
      return
    }
    peer.outStream = stream
    peer.backoffMs = this.limits.reconnectMinMs
    stream.addEventListener('message', (evt: StreamMessageEvent) => {
      // the peer must never write on our outbound gossip stream
      peer.counters.unexpectedData++
      stream.abort(new Error(`peer wrote ${evt.data.byteLength} bytes on a write-only stream`))
    })
    stream.addEventListener('drain', () => this.markDirty(peer))
    stream.addEventListener('close', () => {
      if (peer.outStream !== stream) return
      peer.outStream = null
      this.scheduleStreamReopen(peer)
    })
    this.markDirty(peer)
  }

  private scheduleStreamReopen(peer: PeerState): void {
    if (!this.running || peer.reopenTimer || !peer.connected) return
    const delayMs = peer.backoffMs
    peer.backoffMs = Math.min(peer.backoffMs * 2, this.limits.reconnectMaxMs)
    peer.reopenTimer = setTimeout(() => {
      peer.reopenTimer = null
      if (peer.connected) void this.openGossipStream(peer)
    }, delayMs)
  }

  // ---------------------------------------------------------------- gossip: sending

  broadcast(topic: string, payload: Uint8Array): void {
    const frame = this.gossipFrame(topic, payload, true)
    if (!frame) return
    this.broadcasts++
    for (const peer of this.peers.values()) this.enqueue(peer, frame)
  }

  sendTo(peerPublicKey: Uint8Array, topic: string, payload: Uint8Array): boolean {
    const peer = this.peerByKey(peerPublicKey)
    if (!peer || !peer.connected || !isWritable(peer.outStream)) return false
    const frame = this.gossipFrame(topic, payload, false)
    if (!frame) return false
    this.enqueue(peer, frame)
    return true
  }

  /**
   * The checked, encoded gossip frame for an outgoing message (marked seen, so its echo is
   * dropped), or undefined when it is refused. Sending is fire-and-forget: a refusal is logged
   * and counted, never thrown into the caller's consensus step.
   */
  private gossipFrame(topic: string, payload: Uint8Array, relay: boolean): Uint8Array | undefined {
    try {
      if (!this.running) return this.refuse('not started', topic)
      if (!isValidTopic(topic)) return this.refuse('bad topic', topic)
      if (!(payload instanceof Uint8Array)) return this.refuse('payload is not a Uint8Array', topic)
      if (payload.length > this.limits.maxGossipFrameBytes) return this.refuse('payload too large', topic)
      const relayTo = relay && this.relayTopics.has(topic) ? this.unreachablePeers() : undefined
      const frame = encodeGossipFrame(topic, payload, relayTo)
      // receivers refuse bodies over their cap (and drop the stream): never send one
      if (frame.length - 4 > this.limits.maxGossipFrameBytes) return this.refuse('payload too large', topic)
      this.seen.add(gossipFrameId(frame))
      return frame
    } catch (err) {
      this.log.error({ topic, err: errorText(err) }, 'send failed')
      return undefined
    }
  }

  private refuse(reason: string, topic: unknown): undefined {
    this.broadcastsRefused++
    this.log.warn({ topic, reason }, 'send refused')
    return undefined
  }

  /** Bitmap of validators we have no open gossip stream to, or undefined if there are none. */
  private unreachablePeers(): Uint8Array | undefined {
    const missing: number[] = []
    for (const peer of this.peers.values()) if (!isWritable(peer.outStream)) missing.push(peer.index)
    return missing.length === 0 ? undefined : encodeRelayBitmap(missing, this.validatorCount)
  }

  private enqueue(peer: PeerState, frame: Uint8Array): void {
    if (!peer.connected) return
    if (peer.queuedBytes + frame.length > this.limits.maxQueuedBytesPerPeer) {
      peer.counters.droppedFrames++
      return
    }
    peer.queue.push(frame)
    peer.queuedBytes += frame.length
    peer.counters.framesOut++
    peer.counters.bytesOut += frame.length - 4
    if (!isWritable(peer.outStream) && !peer.openingStream) void this.openGossipStream(peer)
    this.markDirty(peer)
  }

  private markDirty(peer: PeerState): void {
    if (!this.running) return
    this.dirtyPeers.add(peer)
    // setImmediate, not a microtask: frames queued during this whole event-loop turn (e.g. a
    // burst of broadcasts or of relays from one incoming chunk) go out in one write
    this.flushHandle ??= setImmediate(() => this.flushAll())
  }

  flush(): void {
    if (this.flushHandle === null) return
    clearImmediate(this.flushHandle)
    this.flushAll()
  }

  private flushAll(): void {
    this.flushHandle = null
    const peers = [...this.dirtyPeers]
    this.dirtyPeers.clear()
    for (const peer of peers) this.flushPeer(peer)
  }

  private flushPeer(peer: PeerState): void {
    const stream = peer.outStream
    if (peer.queue.length === 0 || !isWritable(stream) || stream.writableNeedsDrain) return // 'drain' re-marks
    const data = peer.queue.length === 1 ? peer.queue[0]! : Buffer.concat(peer.queue, peer.queuedBytes)
    peer.queue = []
    peer.queuedBytes = 0
    try {
      stream.send(data)
    } catch (err) {
      this.log.debug({ peer: peer.peerIdString, err: errorText(err) }, 'gossip write failed')
      stream.abort(err instanceof Error ? err : new Error(String(err)))
    }
  }

  // ---------------------------------------------------------------- gossip: receiving

  onMessage(topic: string, handler: MessageHandler): void {
    if (!isValidTopic(topic)) throw badOptions(`bad topic ${JSON.stringify(topic)}`)
    if (typeof handler !== 'function') throw badOptions('handler must be a function')
    this.handlers.set(topic, handler)
  }

  /** The validator behind an incoming stream; a stream from anyone else is aborted. */
  private allowListedPeer(stream: Stream, connection: Connection): PeerState | undefined {
    const peer = this.peers.get(connection.remotePeer.toString())
    if (!peer) stream.abort(new Error('peer not allow-listed'))
    return peer
  }

  private acceptGossipStream(stream: Stream, connection: Connection): void {
    const peer = this.allowListedPeer(stream, connection)
    if (!peer) return
    const decoder = new FrameDecoder(this.limits.maxGossipFrameBytes)
    stream.addEventListener('message', (evt: StreamMessageEvent) => {
      let bodies: Uint8Array[]
      try {
        bodies = decoder.push(evt.data)
      } catch (err) {
        peer.counters.oversizedFrames++
        this.log.warn({ peer: peer.peerIdString, err: errorText(err) }, 'gossip stream dropped')
        stream.abort(err instanceof Error ? err : new Error(String(err)))
        return
      }
      for (const body of bodies) this.receiveGossip(peer, body)
    })
  }

  private receiveGossip(from: PeerState, body: Uint8Array): void {
    from.counters.framesIn++
    from.counters.bytesIn += body.length
    let message: GossipMessage
    try {
      message = decodeGossipBody(body)
    } catch (err) {
      from.counters.malformedFrames++
      this.log.debug({ peer: from.peerIdString, err: errorText(err) }, 'malformed gossip frame')
      return
    }
    if (!this.seen.add(message.id)) {
      from.counters.duplicates++
      return
    }
    if (message.relayTo.length > 0 && this.relayTopics.has(message.topic)) this.relay(from, message)
    const handler = this.handlers.get(message.topic)
    if (!handler) {
      from.counters.unhandledTopic++
      return
    }
    from.counters.delivered++
    try {
      const result = handler(message.payload, from.publicKey)
      if (result && typeof (result as Promise<void>).then === 'function') {
        ;(result as Promise<void>).then(undefined, (err: unknown) => this.onHandlerError(from, message.topic, err))
      }
    } catch (err) {
      this.onHandlerError(from, message.topic, err)
    }
  }

  private onHandlerError(from: PeerState, topic: string, err: unknown): void {
    from.counters.handlerErrors++
    this.log.warn({ peer: from.peerIdString, topic, err: errorText(err) }, 'message handler failed')
  }

  /** Forwards, one hop and without the list, to the listed validators we can reach. */
  private relay(from: PeerState, message: GossipMessage): void {
    let frame: Uint8Array | null = null
    for (const peer of this.peers.values()) {
      if (peer === from || !bitmapHas(message.relayTo, peer.index) || !isWritable(peer.outStream)) continue
      frame ??= encodeGossipFrame(message.topic, message.payload)
      this.enqueue(peer, frame)
    }
    if (frame) from.counters.relayed++
  }

  // ---------------------------------------------------------------- request / response

  handleRequests(handler: RequestHandler): void {
    if (typeof handler !== 'function') throw badOptions('handler must be a function')
    this.requestHandler = handler
  }

  async request(peerPublicKey: Uint8Array, payload: Uint8Array, opts: RequestOptions = {}): Promise<Uint8Array> {
    if (!this.running) throw new NetworkError(NetworkErrorCode.NOT_STARTED, 'network not started')
    if (!(payload instanceof Uint8Array)) throw badOptions('payload must be a Uint8Array')
    if (payload.length > this.limits.maxRequestBytes) {
      throw new NetworkError(NetworkErrorCode.MESSAGE_TOO_LARGE, `request of ${payload.length} bytes exceeds ${this.limits.maxRequestBytes}`)
    }
    const timeoutMs = opts.timeoutMs ?? this.limits.defaultRequestTimeoutMs
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw badOptions('timeoutMs must be a positive number')
    if (!(peerPublicKey instanceof Uint8Array)) throw badOptions('peerPublicKey must be a Uint8Array')
    const peer = this.peerByKey(peerPublicKey)
    if (!peer) throw new NetworkError(NetworkErrorCode.UNKNOWN_PEER, `peer ${toHex(peerPublicKey)} is not allow-listed`)
    const connection = this.openConnection(peer)
    if (!connection) throw new NetworkError(NetworkErrorCode.PEER_NOT_CONNECTED, `not connected to ${peer.peerIdString}`)
    peer.counters.requestsOut++
    try {
      return await this.exchange(connection, payload, timeoutMs)
    } catch (err) {
      peer.counters.requestFailures++
      if (isNetworkError(err) && err.penalisePeer) peer.counters.malformedFrames++
      throw err
    }
  }

  /** One request stream: write the request frame, read one response frame. */
  private exchange(connection: Connection, payload: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    return new Promise<Uint8Array>((resolve, reject) => {
      const abort = new AbortController()
      let stream: Stream | null = null
      let settled = false
      const settle = (err: NetworkError | null, value?: Uint8Array): void => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        this.pendingRequests.delete(fail)
        if (err) {
          abort.abort(err)
          stream?.abort(err)
          reject(err)
        } else {
          if (stream) stream.close().catch(() => {}) // both sides closed: the stream is released
          resolve(value!)
        }
      }
      const fail = (err: NetworkError): void => settle(err)
      this.pendingRequests.add(fail)
      const timer = setTimeout(
        () => fail(new NetworkError(NetworkErrorCode.REQUEST_TIMEOUT, `no response within ${timeoutMs} ms`)),
        timeoutMs,
      )
      connection.newStream(REQUEST_PROTOCOL, { signal: abort.signal }).then(
        (s) => {
          if (settled) {
            s.abort(new Error('request already settled'))
            return
          }
          stream = s
          const decoder = new FrameDecoder(this.limits.maxResponseBytes + 1)
          s.addEventListener('message', (evt: StreamMessageEvent) => {
            if (settled) return
            let bodies: Uint8Array[]
            try {
              bodies = decoder.push(evt.data)
            } catch (err) {
              return fail(asNetworkError(err))
            }
            const body = bodies[0]
            if (body === undefined) return
            try {
              const response = decodeResponseBody(body)
              if (response.status === ResponseStatus.OK) settle(null, response.data)
              else fail(remoteError(utf8Lossy(response.data)))
            } catch (err) {
              fail(asNetworkError(err))
            }
          })
          s.addEventListener('close', (evt) => {
            const reason = evt.error ? `: ${errorText(evt.error)}` : ''
            fail(new NetworkError(NetworkErrorCode.REQUEST_ABORTED, `stream closed before a response${reason}`))
          })
          s.addEventListener('end', () => {
            // 'end' fires once everything the peer wrote has been dispatched: no response, none to come
            fail(new NetworkError(NetworkErrorCode.REQUEST_ABORTED, 'peer closed the stream without a response'))
          })
          try {
            s.send(encodeFrame(payload))
          } catch (err) {
            fail(new NetworkError(NetworkErrorCode.REQUEST_ABORTED, `write failed: ${errorText(err)}`))
          }
        },
        (err: unknown) => {
          fail(
            settled || isNetworkError(err)
              ? asNetworkError(err)
              : new NetworkError(NetworkErrorCode.REQUEST_ABORTED, `cannot open a request stream: ${errorText(err)}`),
          )
        },
      )
    })
  }

  private acceptRequestStream(stream: Stream, connection: Connection): void {
    const peer = this.allowListedPeer(stream, connection)
    if (!peer) return
    const decoder = new FrameDecoder(this.limits.maxRequestBytes)
    let received = false
    const timer = setTimeout(() => {
      peer.counters.malformedFrames++
      stream.abort(new Error('request not received in time'))
    }, this.limits.inboundRequestTimeoutMs)
    stream.addEventListener('close', () => clearTimeout(timer))
    const onMessage = (evt: StreamMessageEvent): void => {
      if (received) {
        // one request per stream: anything after it is a protocol violation
        peer.counters.unexpectedData++
        stream.abort(new Error('data after the request'))
        return
      }
      let bodies: Uint8Array[]
      try {
        bodies = decoder.push(evt.data)
      } catch (err) {
        clearTimeout(timer)
        peer.counters.oversizedFrames++
        stream.abort(err instanceof Error ? err : new Error(String(err)))
        return
      }
      const body = bodies[0]
      if (body === undefined) return
      received = true
      clearTimeout(timer)
      if (bodies.length > 1 || decoder.bufferedBytes > 0) {
        peer.counters.unexpectedData++
        stream.abort(new Error('data after the request'))
        return
      }
      peer.counters.requestsIn++
      void this.answer(peer, stream, body)
    }
    stream.addEventListener('message', onMessage)
  }

  private async answer(peer: PeerState, stream: Stream, body: Uint8Array): Promise<void> {
    let frame: Uint8Array
    const handler = this.requestHandler
    try {
      if (!handler) throw new Error('NO_HANDLER: no request handler registered')
      const response = await handler(body, peer.publicKey)
      if (!(response instanceof Uint8Array)) throw new Error('BAD_RESPONSE: request handler returned a non-Uint8Array')
      if (response.length > this.limits.maxResponseBytes) {
        throw new NetworkError(NetworkErrorCode.MESSAGE_TOO_LARGE, `response of ${response.length} bytes exceeds ${this.limits.maxResponseBytes}`)
      }
      frame = encodeResponseFrame(ResponseStatus.OK, response)
    } catch (err) {
      this.log.debug({ peer: peer.peerIdString, err: errorText(err) }, 'request handler failed')
      const text = errorText(err).slice(0, 1024)
      frame = encodeResponseFrame(ResponseStatus.ERROR, utf8.encode(text))
    }
    try {
      if (stream.writeStatus !== 'writable') return
      stream.send(frame)
      await stream.close()
    } catch (err) {
      this.log.debug({ peer: peer.peerIdString, err: errorText(err) }, 'sending response failed')
      stream.abort(err instanceof Error ? err : new Error(String(err)))
    }
  }

  // ---------------------------------------------------------------- introspection

  connectedPeers(): Uint8Array[] {
    const out: Uint8Array[] = []
    for (const peer of this.peers.values()) if (peer.connected) out.push(new Uint8Array(peer.publicKey))
    return out
  }

  listenAddress(): { host: string; port: number } {
    const node = this.libp2p
    if (!node) return { ...this.listenOption }
    for (const address of node.getMultiaddrs()) {
      const parts = address.getComponents()
      const ip = parts.find((c) => c.name === 'ip4' || c.name === 'ip6')
      const tcpPart = parts.find((c) => c.name === 'tcp')
      if (ip?.value !== undefined && tcpPart?.value !== undefined) return { host: ip.value, port: Number(tcpPart.value) }
    }
    return { ...this.listenOption }
  }

  stats(): NetworkStats {
    const peers: PeerStats[] = []
    for (const peer of this.peers.values()) {
      const c = peer.counters
      peers.push({
        ...c,
        publicKey: new Uint8Array(peer.publicKey),
        peerId: peer.peerIdString,
        connected: peer.connected,
        streamOpen: isWritable(peer.outStream),
        queuedBytes: peer.queuedBytes,
        badMessages: c.malformedFrames + c.oversizedFrames + c.unexpectedData,
      })
    }
    return {
      peers,
      broadcasts: this.broadcasts,
      broadcastsRefused: this.broadcastsRefused,
      deniedConnections: this.deniedConnections,
      seenIds: this.seen.size,
    }
  }
}

function isWritable(stream: Stream | null): stream is Stream {
  return stream !== null && stream.status === 'open' && stream.writeStatus === 'writable'
}

function checkAddress(address: unknown, what: string, allowPortZero: boolean): { host: string; port: number } {
  if (address === null || typeof address !== 'object') throw badOptions(`${what} must be { host, port }`)
  const { host, port } = address as { host: unknown; port: unknown }
  if (typeof host !== 'string' || !/^(\d{1,3}(\.\d{1,3}){3}|[0-9a-fA-F:]+)$/.test(host)) {
    throw badOptions(`${what}.host must be an IP address literal`)
  }
  if (typeof port !== 'number' || !Number.isInteger(port) || port < (allowPortZero ? 0 : 1) || port > 65535) {
    throw badOptions(`${what}.port must be an integer in [${allowPortZero ? 0 : 1}, 65535]`)
  }
  return { host, port }
}

function checkLimits(limits: NetworkLimits): NetworkLimits {
  for (const [name, value] of Object.entries(limits)) {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw badOptions(`limits.${name} must be a non-negative integer`)
  }
  if (limits.maxGossipFrameBytes > 0xffffffff || limits.maxRequestBytes > 0xffffffff || limits.maxResponseBytes >= 0xffffffff) {
    throw badOptions('frame limits must be below 4 GiB')
  }
  if (limits.seenCacheSize < 1 || limits.reconnectMinMs < 1 || limits.reconnectMaxMs < limits.reconnectMinMs) {
    throw badOptions('seenCacheSize, reconnectMinMs must be positive and reconnectMaxMs >= reconnectMinMs')
  }
  return limits
}

function badOptions(message: string): NetworkError {
  return new NetworkError(NetworkErrorCode.BAD_OPTIONS, message)
}

/** The responder sends its error's message; a leading `CODE:` becomes `remoteCode`. */
function remoteError(text: string): NetworkError {
  const code = /^([A-Z][A-Z0-9_]*):/.exec(text)?.[1]
  return new NetworkError(NetworkErrorCode.REMOTE_ERROR, text, code === undefined ? {} : { remoteCode: code })
}

function asNetworkError(err: unknown): NetworkError {
  if (isNetworkError(err)) return err
  return new NetworkError(NetworkErrorCode.REQUEST_ABORTED, errorText(err), { cause: err })
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

function utf8Lossy(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')
}
