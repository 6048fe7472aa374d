/**
 * Validator network throughput: n in-process validators on 127.0.0.1 (libp2p 3, TCP + Noise +
 * Yamux), every node broadcasting 200-byte payloads at once; we count deliveries to topic
 * handlers until every node has every other node's messages. Also: a missing link with relay on,
 * and sequential request/response round trips.
 *
 * Run: node_modules/.bin/node --import tsx bench/network.bench.ts [--quick]
 * Prints a table and one JSON line. All nodes share this process's event loop (and this
 * machine's 2 cores), so the numbers are a floor for one node per process.
 */
import { performance } from 'node:perf_hooks'
import { sha256 } from '../core/hash.ts'
import { keyPairFromSecretKey } from '../core/keys.ts'
import { utf8 } from '../core/hex.ts'
import { createValidatorNetwork, type ValidatorNetwork } from '../node/network/index.ts'

const PAYLOAD_BYTES = 200
const quick = process.argv.includes('--quick')

interface Result {
  id: string
  nodes: number
  topology: string
  broadcasts: number
  deliveries: number
  seconds: number
  deliveriesPerSecond: number
  broadcastsPerSecond: number
  /** Messages forwarded by relays, and copies dropped as duplicates (all nodes). */
  relayed: number
  duplicates: number
}

async function withNetworks<T>(
  count: number,
  options: { relay: boolean; missingLink: boolean },
  body: (nets: ValidatorNetwork[]) => Promise<T>,
): Promise<T> {
  const keys = Array.from({ length: count }, (_, i) => keyPairFromSecretKey(sha256(utf8.encode(`bench-${i}`))))
  const nets = keys.map((k) =>
    createValidatorNetwork({
      secretKey: k.secretKey,
      listen: { host: '127.0.0.1', port: 0 },
      peers: [],
      allowedPublicKeys: keys.map((x) => x.publicKey),
      relayTopics: options.relay ? ['tx'] : [],
    }),
  )
  try {
    await Promise.all(nets.map((n) => n.start()))
    // the missing link is 0-1: neither knows the other's address (and i < j dials j only)
    const linked = (i: number, j: number): boolean => !(options.missingLink && ((i === 0 && j === 1) || (i === 1 && j === 0)))
    nets.forEach((n, i) =>
      nets.forEach((m, j) => {
        if (i < j && linked(i, j)) n.addPeer({ publicKey: keys[j]!.publicKey, ...m.listenAddress() })
      }),
    )
    const degree = (i: number): number => count - 1 - (options.missingLink && i < 2 ? 1 : 0)
    const deadline = Date.now() + 30_000
    while (!nets.every((n, i) => n.stats().peers.filter((p) => p.streamOpen).length === degree(i))) {
      if (Date.now() > deadline) throw new Error('mesh did not form')
      await new Promise((r) => setTimeout(r, 20))
    }
    return await body(nets)
  } finally {
    await Promise.all(nets.map((n) => n.stop()))
  }
}

async function broadcastRun(count: number, perNode: number, options: { relay: boolean; missingLink: boolean }): Promise<Result> {
  return withNetworks(count, options, async (nets) => {
    const expected = count * (count - 1) * perNode
    let delivered = 0
    let resolveDone: () => void = () => {}
    const done = new Promise<void>((r) => (resolveDone = r))
    for (const n of nets) {
      n.onMessage('tx', () => {
        if (++delivered === expected) resolveDone()
      })
    }
    const start = performance.now()
    // each node sends in slices of 200 per event-loop turn, as a mempool flushing would
    const slice = 200
    await Promise.all(
      nets.map(async (n, i) => {
        for (let sent = 0; sent < perNode; ) {
          for (let k = 0; k < slice && sent < perNode; k++, sent++) {
            const payload = new Uint8Array(PAYLOAD_BYTES)
            const view = new DataView(payload.buffer)
            view.setUint32(0, i)
            view.setUint32(4, sent)
            n.broadcast('tx', payload)
          }
          await new Promise((r) => setImmediate(r))
        }
      }),
    )
    const timeout = setTimeout(() => resolveDone(), 120_000)
    await done
    clearTimeout(timeout)
    const seconds = (performance.now() - start) / 1000
    if (delivered < expected) throw new Error(`only ${delivered}/${expected} delivered`)
    let relayed = 0
    let duplicates = 0
    for (const n of nets) for (const p of n.stats().peers) (relayed += p.relayed), (duplicates += p.duplicates)
    const topology = options.missingLink ? 'mesh minus link 0-1, relay on' : options.relay ? 'full mesh, relay on' : 'full mesh'
    return {
      id: `network.broadcast.n${count}${options.missingLink ? '.missing-link' : ''}`,
      nodes: count,
      topology,
      broadcasts: count * perNode,
      deliveries: delivered,
      seconds: round(seconds, 3),
      deliveriesPerSecond: Math.round(delivered / seconds),
      broadcastsPerSecond: Math.round((count * perNode) / seconds),
      relayed,
      duplicates,
    }
  })
}

async function requestRun(requests: number): Promise<{ id: string; requests: number; seconds: number; roundTripsPerSecond: number }> {
  return withNetworks(2, { relay: false, missingLink: false }, async (nets) => {
    nets[1]!.handleRequests(async (p) => p)
    const peer = nets[1]!.publicKey
    const payload = new Uint8Array(PAYLOAD_BYTES)
    const start = performance.now()
    for (let i = 0; i < requests; i++) await nets[0]!.request(peer, payload)
    const seconds = (performance.now() - start) / 1000
    return { id: 'network.request.sequential', requests, seconds: round(seconds, 3), roundTripsPerSecond: Math.round(requests / seconds) }
  })
}

function round(x: number, digits: number): number {
  const f = 10 ** digits
  return Math.round(x * f) / f
}

async function main(): Promise<void> {
  const scale = quick ? 0.2 : 1
  const runs: Array<[number, number, { relay: boolean; missingLink: boolean }]> = [
    [4, Math.round(5_000 * scale), { relay: false, missingLink: false }],
    [10, Math.round(2_000 * scale), { relay: false, missingLink: false }],
    [4, Math.round(5_000 * scale), { relay: true, missingLink: true }],
    [10, Math.round(2_000 * scale), { relay: true, missingLink: true }],
  ]
  const results: Result[] = []
  for (const [count, perNode, options] of runs) results.push(await broadcastRun(count, perNode, options))
  const requests = await requestRun(Math.round(2_000 * scale))

  console.log(`\nValidator network, ${PAYLOAD_BYTES}-byte payloads, all nodes in one process (${process.version})\n`)
  console.log('| id | nodes | topology | broadcasts | deliveries | s | deliveries/s | broadcasts/s | relayed | duplicates |')
  console.log('| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |')
  for (const r of results) {
    console.log(
      `| ${r.id} | ${r.nodes} | ${r.topology} | ${r.broadcasts} | ${r.deliveries} | ${r.seconds} | ${r.deliveriesPerSecond.toLocaleString('en')} | ${r.broadcastsPerSecond.toLocaleString('en')} | ${r.relayed} | ${r.duplicates} |`,
    )
  }
  console.log(`\n${requests.id}: ${requests.requests} sequential round trips in ${requests.seconds} s = ${requests.roundTripsPerSecond.toLocaleString('en')}/s\n`)
  console.log(JSON.stringify({ bench: 'network', payloadBytes: PAYLOAD_BYTES, node: process.version, results, requests }))
}

await main()
