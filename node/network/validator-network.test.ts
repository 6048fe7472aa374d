import { test } from 'node:test'
import assert from 'node:assert/strict'
import { connect, Socket } from 'node:net'
import { randomBytes } from 'node:crypto'
import { multiaddr } from '@multiformats/multiaddr'
import { sha256 } from '../../core/hash.ts'
import { bytesEqual, toHex, utf8 } from '../../core/hex.ts'
import { keyPairFromSecretKey, type KeyPair } from '../../core/keys.ts'
import { isNetworkError, NetworkErrorCode } from './errors.ts'
import { encodeFrame, encodeGossipFrame } from './frames.ts'
import { createLibp2pHost } from './libp2p-host.ts'
import { peerIdFromSecretKey, peerIdFromValidatorPublicKey, validatorPublicKeyFromPeerId } from './peer-identity.ts'
import {
  createValidatorNetwork,
  GOSSIP_PROTOCOL,
  REQUEST_PROTOCOL,
  type NetworkLimits,
  type ValidatorNetwork,
} from './validator-network.ts'
import { waitFor } from '../test-support/fixtures.ts'

const HOST = '127.0.0.1'
/** Fast reconnects keep the restart test short; nothing else depends on these. */
const TEST_LIMITS: Partial<NetworkLimits> = { reconnectMinMs: 20, reconnectMaxMs: 200 }

function validatorKey(i: number): KeyPair {
  return keyPairFromSecretKey(sha256(utf8.encode(`network-test-validator-${i}`)))
}


interface Cluster {
  keys: KeyPair[]
  nets: ValidatorNetwork[]
  stopAll(): Promise<void>
}

/**
 * Starts `count` networks on port 0, then tells each the others' addresses according to `links`
 * (default: everyone knows everyone). Every network started here is stopped by stopAll().
 */
async function startCluster(
  count: number,
  options: { relayTopics?: string[]; links?: (i: number, j: number) => boolean; limits?: Partial<NetworkLimits> } = {},
): Promise<Cluster> {
  const keys = Array.from({ length: count }, (_, i) => validatorKey(i))
  const allowed = keys.map((k) => k.publicKey)
  const nets = keys.map((k) =>
    createValidatorNetwork({
      secretKey: k.secretKey,
      listen: { host: HOST, port: 0 },
      peers: [],
      allowedPublicKeys: allowed,
      relayTopics: options.relayTopics ?? [],
      limits: { ...TEST_LIMITS, ...options.limits },
    }),
  )
  const extra: ValidatorNetwork[] = []
  const cluster: Cluster = {
    keys,
    nets,
    stopAll: async () => {
      await Promise.all([...nets, ...extra].map((n) => n.stop()))
    },
  }
  try {
    await Promise.all(nets.map((n) => n.start()))
    const links = options.links ?? (() => true)
    nets.forEach((net, i) =>
      nets.forEach((other, j) => {
        if (i !== j && links(i, j)) net.addPeer({ publicKey: keys[j]!.publicKey, ...other.listenAddress() })
      }),
    )
  } catch (err) {
    await cluster.stopAll()
    throw err
  }
  return cluster
}

function meshReady(nets: ValidatorNetwork[], degree: (i: number) => number): boolean {
  return nets.every((n, i) => {
    const peers = n.stats().peers.filter((p) => p.connected && p.streamOpen)
    return peers.length === degree(i)
  })
}

/** Records deliveries per topic as "from:payload" strings. */
function recordMessages(net: ValidatorNetwork, topics: string[], keys: KeyPair[]): Map<string, string[]> {
  const log = new Map<string, string[]>()
  for (const topic of topics) {
    log.set(topic, [])
    net.onMessage(topic, (payload, from) => {
      const sender = keys.findIndex((k) => bytesEqual(k.publicKey, from))
      log.get(topic)!.push(`${sender}:${Buffer.from(payload).toString()}`)
    })
  }
  return log
}

test('peer ids and validator public keys map both ways', async () => {
  const key = validatorKey(0)
  const fromPublic = peerIdFromValidatorPublicKey(key.publicKey)
  assert.ok(fromPublic.equals(await peerIdFromSecretKey(key.secretKey)))
  assert.deepEqual(validatorPublicKeyFromPeerId(fromPublic), key.publicKey)
  assert.throws(() => peerIdFromValidatorPublicKey(new Uint8Array(31)), (e) => isNetworkError(e, NetworkErrorCode.BAD_OPTIONS))
})

test('bad options are typed errors', () => {
  const key = validatorKey(0)
  const base = { secretKey: key.secretKey, listen: { host: HOST, port: 0 }, peers: [], allowedPublicKeys: [key.publicKey] }
  const bad = (e: unknown): boolean => isNetworkError(e, NetworkErrorCode.BAD_OPTIONS)
  assert.throws(() => createValidatorNetwork({ ...base, secretKey: new Uint8Array(5) }), bad)
  assert.throws(() => createValidatorNetwork({ ...base, listen: { host: 'localhost', port: 0 } }), bad)
  assert.throws(() => createValidatorNetwork({ ...base, listen: { host: HOST, port: 70000 } }), bad)
  assert.throws(() => createValidatorNetwork({ ...base, relayTopics: ['bad topic'] }), bad)
  const net = createValidatorNetwork(base)
  assert.throws(
    () => net.addPeer({ publicKey: validatorKey(9).publicKey, host: HOST, port: 1 }),
    (e) => isNetworkError(e, NetworkErrorCode.UNKNOWN_PEER),
  )
  assert.throws(() => net.addPeer({ publicKey: 'not bytes' as unknown as Uint8Array, host: HOST, port: 1 }), bad)
  assert.throws(() => net.addPeer({ publicKey: new Uint8Array(5), host: HOST, port: 1 }), (e) => isNetworkError(e, NetworkErrorCode.UNKNOWN_PEER))
  assert.throws(() => net.onMessage('', () => {}), bad)
  net.broadcast('tx', new Uint8Array(1)) // not started: refused, never throws
  assert.equal(net.stats().broadcastsRefused, 1)
})

test('each message leaves in one socket write: no Noise length prefix on its own (single-write-sends.ts)', async () => {
  const cluster = await startCluster(2)
  const writes: number[] = []
  const write = Socket.prototype.write
  try {
    const { nets, keys } = cluster
    await waitFor(() => meshReady(nets, () => 1), 'a connected pair')
    const log = recordMessages(nets[1]!, ['vote'], keys)
    Socket.prototype.write = function countedWrite(this: Socket, chunk: unknown, ...rest: unknown[]) {
      writes.push((chunk as Uint8Array).byteLength)
      return (write as (...a: unknown[]) => boolean).call(this, chunk, ...rest)
    } as typeof write
    for (let m = 0; m < 10; m++) {
      nets[0]!.broadcast('vote', utf8.encode(`vote ${m}`))
      await waitFor(() => log.get('vote')!.length === m + 1, `vote ${m} delivered`)
    }
    Socket.prototype.write = write
    // Without the patch every message was two writes, the first of them 2 bytes long.
    assert.deepEqual(writes.filter((n) => n <= 2), [], `socket writes: ${writes.join(', ')}`)
    assert.ok(writes.length >= 10, `socket writes: ${writes.join(', ')}`)
  } finally {
    Socket.prototype.write = write
    await cluster.stopAll()
  }
})

test('4 networks form a mesh and deliver each broadcast exactly once per node', async () => {
  const cluster = await startCluster(4)
  try {
    const { nets, keys } = cluster
    await waitFor(() => meshReady(nets, () => 3), 'a full mesh')
    const logs = nets.map((n) => recordMessages(n, ['tx', 'vote', 'fence'], keys))
    nets.forEach((n, i) => {
      for (let m = 0; m < 5; m++) n.broadcast('tx', utf8.encode(`t${i}.${m}`))
      n.broadcast('vote', utf8.encode(`v${i}`))
      n.broadcast('vote', utf8.encode(`v${i}`)) // same content: a duplicate, dropped by receivers
    })
    // each sender's frames travel in order on one stream, so its fence arrives after them
    nets.forEach((n, i) => n.broadcast('fence', utf8.encode(`f${i}`)))
    await waitFor(() => logs.every((l) => l.get('fence')!.length === 3), 'fences')
    nets.forEach((_, i) => {
      const log = logs[i]!
      const others = [0, 1, 2, 3].filter((j) => j !== i)
      const expectedTx = others.flatMap((j) => [0, 1, 2, 3, 4].map((m) => `${j}:t${j}.${m}`))
      assert.deepEqual([...log.get('tx')!].sort(), expectedTx.sort(), `node ${i} tx`)
      assert.deepEqual([...log.get('vote')!].sort(), others.map((j) => `${j}:v${j}`).sort(), `node ${i} votes once`)
      assert.equal(log.get('tx')!.some((entry) => entry.startsWith(`${i}:`)), false, 'own messages are not delivered to self')
      const stats = nets[i]!.stats()
      assert.equal(stats.peers.reduce((sum, p) => sum + p.duplicates, 0), 3, `node ${i} saw one duplicate per sender`)
      assert.equal(stats.peers.reduce((sum, p) => sum + p.badMessages, 0), 0)
    })
    const connected = nets[0]!.connectedPeers().map(toHex).sort()
    assert.deepEqual(connected, keys.slice(1).map((k) => toHex(k.publicKey)).sort())
  } finally {
    await cluster.stopAll()
  }
})

test('sendTo reaches that validator only; false (nothing sent) when it cannot be reached', async () => {
  const cluster = await startCluster(4, { relayTopics: ['vote'] })
  try {
    const { nets, keys } = cluster
    await waitFor(() => meshReady(nets, () => 3), 'a full mesh')
    const logs = nets.map((n) => recordMessages(n, ['vote', 'fence'], keys))
    assert.equal(nets[0]!.sendTo(keys[2]!.publicKey, 'vote', utf8.encode('to-2')), true)
    assert.equal(nets[0]!.sendTo(validatorKey(9).publicKey, 'vote', utf8.encode('x')), false, 'not a validator')
    assert.equal(nets[0]!.sendTo(new Uint8Array(5), 'vote', utf8.encode('x')), false, 'not a public key')
    assert.equal(nets[0]!.sendTo(keys[0]!.publicKey, 'vote', utf8.encode('x')), false, 'not to itself')
    assert.equal(nets[0]!.sendTo(keys[1]!.publicKey, 'bad topic', utf8.encode('x')), false, 'refused locally')
    nets[0]!.broadcast('fence', utf8.encode('f'))
    await waitFor(() => logs.slice(1).every((l) => l.get('fence')!.length === 1), 'fences')
    assert.deepEqual(logs.map((l) => l.get('vote')), [[], [], ['0:to-2'], []])
    await nets[2]!.stop()
    await waitFor(() => !nets[0]!.connectedPeers().some((k) => bytesEqual(k, keys[2]!.publicKey)), 'node 2 gone')
    assert.equal(nets[0]!.sendTo(keys[2]!.publicKey, 'vote', utf8.encode('late')), false, 'a validator that is down')
  } finally {
    await cluster.stopAll()
  }
})

test('flush writes queued frames at once; without it they wait for the end of the event-loop turn', async () => {
  const cluster = await startCluster(3)
  try {
    const { nets, keys } = cluster
    await waitFor(() => meshReady(nets, () => 2), 'a full mesh')
    const logs = nets.map((n) => recordMessages(n, ['vote'], keys))
    const queued = (): number => nets[0]!.stats().peers.reduce((sum, p) => sum + p.queuedBytes, 0)
    nets[0]!.broadcast('vote', utf8.encode('later'))
    assert.ok(queued() > 0, 'coalesced: still queued in this turn')
    nets[0]!.flush()
    assert.equal(queued(), 0, 'written now')
    nets[0]!.flush() // nothing queued: a no-op
    await waitFor(() => logs.slice(1).every((l) => l.get('vote')!.length === 1), 'delivered once to each peer')
    assert.deepEqual(logs.slice(1).map((l) => l.get('vote')), [['0:later'], ['0:later']])
  } finally {
    await cluster.stopAll()
  }
})

test('relay topics reach a node whose direct link is missing, other topics do not', async () => {
  // links: 0-1 and 1-2 only (node 1 is dialled by both, knows no addresses itself)
  const cluster = await startCluster(3, { relayTopics: ['tx'], links: (i, j) => j === 1 && i !== 1 })
  try {
    const { nets, keys } = cluster
    await waitFor(() => meshReady(nets, (i) => (i === 1 ? 2 : 1)), 'a line 0-1-2')
    const logs = nets.map((n) => recordMessages(n, ['tx', 'vote'], keys))
    nets[0]!.broadcast('vote', utf8.encode('not relayed'))
    nets[0]!.broadcast('tx', utf8.encode('relayed'))
    await waitFor(() => logs[2]!.get('tx')!.length === 1, 'the relayed tx')
    assert.deepEqual(logs[2]!.get('tx'), ['1:relayed'], 'fromPublicKey is the relaying neighbour')
    assert.deepEqual(logs[1]!.get('tx'), ['0:relayed'])
    assert.deepEqual(logs[1]!.get('vote'), ['0:not relayed'])
    assert.deepEqual(logs[2]!.get('vote'), [], 'vote was sent before the tx on the same path and not relayed')
    const relayer = nets[1]!.stats().peers.find((p) => bytesEqual(p.publicKey, keys[0]!.publicKey))!
    assert.equal(relayer.relayed, 1)
  } finally {
    await cluster.stopAll()
  }
})

test('relaying costs nothing when the only missing validator is down', async () => {
  // validator 3 is in the set but offline: every broadcast lists it, but nobody can reach it
  const cluster = await startCluster(4, { relayTopics: ['tx'], links: (i, j) => i !== 3 && j !== 3 })
  try {
    const { nets, keys } = cluster
    await nets[3]!.stop()
    const live = nets.slice(0, 3)
    await waitFor(() => meshReady(live, () => 2), 'a mesh of the three live nodes')
    const logs = live.map((n) => recordMessages(n, ['tx'], keys))
    live[0]!.broadcast('tx', utf8.encode('direct'))
    live[0]!.broadcast('tx', utf8.encode('fence'))
    await waitFor(() => logs[1]!.get('tx')!.length === 2 && logs[2]!.get('tx')!.length === 2, 'delivery')
    for (const n of live) {
      for (const p of n.stats().peers) {
        assert.equal(p.relayed, 0)
        assert.equal(p.duplicates, 0)
      }
    }
  } finally {
    await cluster.stopAll()
  }
})

test('a broadcast over the gossip size cap is refused locally, smaller ones go through', async () => {
  const cluster = await startCluster(2, { limits: { maxGossipFrameBytes: 100 } })
  try {
    const { nets, keys } = cluster
    await waitFor(() => meshReady(nets, () => 1), 'a pair')
    const log = recordMessages(nets[1]!, ['tx'], keys)
    nets[0]!.broadcast('tx', new Uint8Array(99)) // 99 + 2 + 'tx' > 100
    nets[0]!.broadcast('tx', utf8.encode('small'))
    nets[0]!.broadcast('bad topic', utf8.encode('x'))
    await waitFor(() => log.get('tx')!.length === 1, 'the small message')
    assert.deepEqual(log.get('tx'), ['0:small'])
    assert.equal(nets[0]!.stats().broadcastsRefused, 2)
    assert.equal(nets[1]!.stats().peers[0]!.badMessages, 0)
  } finally {
    await cluster.stopAll()
  }
})

test('a validator outside the allow-list cannot connect or deliver', async () => {
  const cluster = await startCluster(2)
  const intruderKey = validatorKey(99)
  const intruder = createValidatorNetwork({
    secretKey: intruderKey.secretKey,
    listen: { host: HOST, port: 0 },
    // the intruder allows everyone and knows the addresses: only the others' gaters stop it
    peers: cluster.nets.map((n, i) => ({ publicKey: cluster.keys[i]!.publicKey, ...n.listenAddress() })),
    allowedPublicKeys: [...cluster.keys.map((k) => k.publicKey), intruderKey.publicKey],
    limits: TEST_LIMITS,
  })
  try {
    const { nets, keys } = cluster
    await intruder.start()
    await waitFor(() => meshReady(nets, () => 1), 'the legitimate pair')
    await waitFor(() => nets.every((n) => n.stats().deniedConnections >= 2), 'refused intruder dials')
    const logs = nets.map((n) => recordMessages(n, ['tx', 'fence'], keys))
    intruder.broadcast('tx', utf8.encode('intrusion'))
    nets[0]!.broadcast('fence', utf8.encode('f'))
    await waitFor(() => logs[1]!.get('fence')!.length === 1, 'fence')
    assert.deepEqual(logs[0]!.get('tx'), [])
    assert.deepEqual(logs[1]!.get('tx'), [])
    for (const n of nets) assert.equal(n.connectedPeers().length, 1)
    assert.ok(intruder.stats().peers.every((p) => !p.streamOpen))
    await assert.rejects(intruder.request(keys[0]!.publicKey, new Uint8Array(1), { timeoutMs: 500 }), (e) =>
      isNetworkError(e),
    )
  } finally {
    await intruder.stop()
    await cluster.stopAll()
  }
})

test('request/response: answers, remote errors, timeouts and size caps', async () => {
  const cluster = await startCluster(3, { limits: { maxRequestBytes: 1024, maxResponseBytes: 4096 } })
  let releaseSlowHandler: () => void = () => {}
  try {
    const { nets, keys } = cluster
    await waitFor(() => meshReady(nets, () => 2), 'a full mesh')
    nets[1]!.handleRequests(async (payload, from) => {
      const text = Buffer.from(payload).toString()
      if (text === 'fail') throw new Error('NOT_FOUND: no such block')
      if (text === 'big') return new Uint8Array(5000)
      if (text === 'slow') {
        await new Promise<void>((resolve) => {
          releaseSlowHandler = resolve
        })
      }
      return utf8.encode(`${keys.findIndex((k) => bytesEqual(k.publicKey, from))}:${text}`)
    })
    const answer = await nets[0]!.request(keys[1]!.publicKey, utf8.encode('block 7'))
    assert.equal(Buffer.from(answer).toString(), '0:block 7')
    // concurrent requests on one connection each get their own answer
    const many = await Promise.all([0, 1, 2, 3, 4].map((i) => nets[2]!.request(keys[1]!.publicKey, utf8.encode(`q${i}`))))
    assert.deepEqual(many.map((b) => Buffer.from(b).toString()), ['2:q0', '2:q1', '2:q2', '2:q3', '2:q4'])

    await assert.rejects(nets[0]!.request(keys[1]!.publicKey, utf8.encode('fail')), (e) =>
      isNetworkError(e, NetworkErrorCode.REMOTE_ERROR) && e.remoteCode === 'NOT_FOUND',
    )
    await assert.rejects(nets[0]!.request(keys[1]!.publicKey, utf8.encode('big')), (e) =>
      isNetworkError(e, NetworkErrorCode.REMOTE_ERROR) && e.remoteCode === 'MESSAGE_TOO_LARGE',
    )
    await assert.rejects(nets[0]!.request(keys[1]!.publicKey, utf8.encode('slow'), { timeoutMs: 200 }), (e) =>
      isNetworkError(e, NetworkErrorCode.REQUEST_TIMEOUT),
    )
    // no handler registered on node 2
    await assert.rejects(nets[0]!.request(keys[2]!.publicKey, utf8.encode('x')), (e) =>
      isNetworkError(e, NetworkErrorCode.REMOTE_ERROR) && e.remoteCode === 'NO_HANDLER',
    )
    // our own cap refuses before sending; a bigger cap here meets the peer's smaller one
    await assert.rejects(nets[0]!.request(keys[1]!.publicKey, new Uint8Array(2000)), (e) =>
      isNetworkError(e, NetworkErrorCode.MESSAGE_TOO_LARGE),
    )
    await assert.rejects(nets[0]!.request(validatorKey(50).publicKey, utf8.encode('x')), (e) =>
      isNetworkError(e, NetworkErrorCode.UNKNOWN_PEER),
    )
    // the link still works after all that
    const again = await nets[0]!.request(keys[1]!.publicKey, utf8.encode('again'))
    assert.equal(Buffer.from(again).toString(), '0:again')
    const stats0 = nets[0]!.stats().peers.find((p) => bytesEqual(p.publicKey, keys[1]!.publicKey))!
    assert.equal(stats0.requestsOut, 5) // block 7, fail, big, slow, again
    assert.equal(stats0.requestFailures, 3)
  } finally {
    releaseSlowHandler()
    await cluster.stopAll()
  }
})

test('a request to a peer that is not connected fails with PEER_NOT_CONNECTED', async () => {
  const cluster = await startCluster(2, { links: () => false })
  try {
    await assert.rejects(cluster.nets[0]!.request(cluster.keys[1]!.publicKey, new Uint8Array(1)), (e) =>
      isNetworkError(e, NetworkErrorCode.PEER_NOT_CONNECTED),
    )
  } finally {
    await cluster.stopAll()
  }
})

test('an oversized request from a peer aborts its stream, counted, without crashing the responder', async () => {
  // node 0 may send up to 1 MiB, node 1 accepts up to 1 KiB
  const keys = [validatorKey(0), validatorKey(1)]
  const allowed = keys.map((k) => k.publicKey)
  const nets = keys.map((k, i) =>
    createValidatorNetwork({
      secretKey: k.secretKey,
      listen: { host: HOST, port: 0 },
      peers: [],
      allowedPublicKeys: allowed,
      limits: { ...TEST_LIMITS, maxRequestBytes: i === 1 ? 1024 : 1024 * 1024 },
    }),
  )
  try {
    await Promise.all(nets.map((n) => n.start()))
    nets[0]!.addPeer({ publicKey: keys[1]!.publicKey, ...nets[1]!.listenAddress() })
    await waitFor(() => meshReady(nets, () => 1), 'a pair')
    nets[1]!.handleRequests(async (p) => p)
    await assert.rejects(nets[0]!.request(keys[1]!.publicKey, new Uint8Array(4096), { timeoutMs: 5_000 }), (e) =>
      isNetworkError(e, NetworkErrorCode.REQUEST_ABORTED),
    )
    await waitFor(() => nets[1]!.stats().peers[0]!.oversizedFrames === 1, 'the oversized frame to be counted')
    const echo = await nets[0]!.request(keys[1]!.publicKey, utf8.encode('ok'))
    assert.equal(Buffer.from(echo).toString(), 'ok')
  } finally {
    await Promise.all(nets.map((n) => n.stop()))
  }
})

test('garbage from a raw TCP client and malformed frames from a peer are dropped and counted', async () => {
  const cluster = await startCluster(3)
  // validator 2's key drives a bare libp2p host that speaks our protocols badly
  const rogueKey = cluster.keys[2]!
  await cluster.nets[2]!.stop()
  const rogue = await createLibp2pHost({
    secretKey: rogueKey.secretKey,
    listen: { host: HOST, port: 0 },
    isAllowed: () => true,
    peerCount: 3,
    dialTimeoutMs: 5_000,
  })
  try {
    const { nets, keys } = cluster
    await rogue.start()
    await waitFor(() => meshReady(nets.slice(0, 2), () => 1), 'the honest pair')
    const target = nets[0]!
    const address = target.listenAddress()

    // 1. raw TCP garbage: the libp2p upgrade fails, the socket is closed
    await new Promise<void>((resolve) => {
      const socket = connect(address.port, address.host, () => socket.end(randomBytes(4096)))
      socket.on('error', () => resolve())
      socket.on('close', () => resolve())
      socket.resume()
    })

    // 2. an allow-listed peer with bad gossip frames
    const logs = recordMessages(target, ['tx'], keys)
    const connection = await rogue.dial(multiaddr(`/ip4/${address.host}/tcp/${address.port}/p2p/${target.peerId}`))
    const gossip = await connection.newStream(GOSSIP_PROTOCOL)
    gossip.send(encodeFrame(new Uint8Array([0, 0]))) // empty topic
    gossip.send(encodeFrame(new Uint8Array([0, 9, 0x61]))) // truncated topic
    gossip.send(encodeFrame(new Uint8Array([0, 1, 0x20, 1]))) // bad topic character
    gossip.send(encodeGossipFrame('tx', utf8.encode('still framed'))) // framing intact: delivered
    const rogueStats = () => target.stats().peers.find((p) => bytesEqual(p.publicKey, rogueKey.publicKey))!
    await waitFor(() => logs.get('tx')!.length === 1, 'the valid frame after the malformed ones')
    assert.deepEqual(logs.get('tx'), ['2:still framed'])
    assert.equal(rogueStats().malformedFrames, 3)

    // 3. a declared length above the cap: the stream is aborted
    gossip.send(new Uint8Array([0xff, 0xff, 0xff, 0xff, 1, 2, 3]))
    await waitFor(() => rogueStats().oversizedFrames === 1, 'the oversized frame')
    await waitFor(() => gossip.status !== 'open', 'the rogue gossip stream to be closed')

    // 4. a request stream that sends half a frame and closes, and one with trailing bytes
    const half = await connection.newStream(REQUEST_PROTOCOL)
    half.send(new Uint8Array([0, 0, 0, 10, 1, 2]))
    await half.close()
    const trailing = await connection.newStream(REQUEST_PROTOCOL)
    trailing.send(Buffer.concat([encodeFrame(new Uint8Array([1])), new Uint8Array([9, 9])]))
    await waitFor(() => rogueStats().unexpectedData === 1, 'the trailing bytes to be counted')
    assert.ok(rogueStats().badMessages >= 5)

    // 5. the honest link still works
    const honestLog = recordMessages(nets[1]!, ['tx'], keys)
    target.broadcast('tx', utf8.encode('after the garbage'))
    await waitFor(() => honestLog.get('tx')!.length === 1, 'delivery after garbage')
    assert.deepEqual(honestLog.get('tx'), ['0:after the garbage'])
  } finally {
    await rogue.stop()
    await cluster.stopAll()
  }
})

test('a stopped node restarted with the same key and port is reconnected and receives again', async () => {
  const cluster = await startCluster(3)
  let restarted: ValidatorNetwork | null = null
  try {
    const { nets, keys } = cluster
    await waitFor(() => meshReady(nets, () => 2), 'a full mesh')
    const port = nets[2]!.listenAddress().port
    await nets[2]!.stop()
    await waitFor(() => nets.slice(0, 2).every((n) => n.connectedPeers().length === 1), 'the others to notice')
    // a fresh instance, as after a process restart; it knows no addresses, so only the
    // survivors' reconnect loops can bring it back
    restarted = createValidatorNetwork({
      secretKey: keys[2]!.secretKey,
      listen: { host: HOST, port },
      peers: [],
      allowedPublicKeys: keys.map((k) => k.publicKey),
      limits: TEST_LIMITS,
    })
    const log = recordMessages(restarted, ['tx'], keys)
    await restarted.start()
    assert.equal(restarted.listenAddress().port, port)
    await waitFor(() => meshReady([nets[0]!, nets[1]!, restarted!], () => 2), 'the mesh to heal')
    nets[0]!.broadcast('tx', utf8.encode('welcome back'))
    nets[1]!.broadcast('tx', utf8.encode('hello again'))
    await waitFor(() => log.get('tx')!.length === 2, 'delivery to the restarted node')
    assert.deepEqual([...log.get('tx')!].sort(), ['0:welcome back', '1:hello again'])
    // and the same instance can be stopped and started again
    await nets[0]!.stop()
    await nets[0]!.start()
    await waitFor(() => meshReady([nets[0]!, nets[1]!, restarted!], () => 2), 'the mesh to heal again')
    const log0 = recordMessages(nets[0]!, ['tx'], keys)
    restarted.broadcast('tx', utf8.encode('round trip'))
    await waitFor(() => log0.get('tx')!.length === 1, 'delivery to the restarted instance')
    assert.deepEqual(log0.get('tx'), ['2:round trip'])
  } finally {
    await restarted?.stop()
    await cluster.stopAll()
  }
})

test('messages far larger than the yamux window arrive whole (window updates at half the window)', async () => {
  const cluster = await startCluster(2)
  try {
    const { nets } = cluster
    await waitFor(() => meshReady(nets, () => 1), 'a link')
    const got: Uint8Array[] = []
    nets[1]!.onMessage('block', (payload) => void got.push(payload))
    // 12 × 700 KB: each message is ~2.7 windows, the sum ~32 windows of 256 KiB.
    const sent = Array.from({ length: 12 }, () => new Uint8Array(randomBytes(700_000)))
    for (const m of sent) nets[0]!.broadcast('block', m)
    await waitFor(() => got.length === sent.length, 'every large message')
    sent.forEach((m, i) => assert.ok(bytesEqual(got[i]!, m), `message ${i} arrived intact`))
  } finally {
    await cluster.stopAll()
  }
})
