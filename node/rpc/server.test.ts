import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { connect, type Socket } from 'node:net'
import { randomBytes } from 'node:crypto'
import { okReceipt } from '../../core/execution.ts'
import { keyPairFromSecretKey } from '../../core/keys.ts'
import { createSignedTx, TxKind } from '../../core/tx.ts'
import { RpcClient, type SubscriptionResult } from '../../client/rpc-client.ts'
import { createRpcServer, type RpcServer } from './index.ts'
import { FakeRpcBackend } from './fake-backend.ts'
import { waitFor } from '../test-support/fixtures.ts'

interface Reply { status: number; body: any }

async function post(url: string, body: string): Promise<Reply> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
  const text = await res.text()
  return { status: res.status, body: text === '' ? undefined : JSON.parse(text) }
}
const rpc = (method: string, params?: unknown, id: unknown = 1): string => JSON.stringify({ jsonrpc: '2.0', id, method, ...(params === undefined ? {} : { params }) })


let backend: FakeRpcBackend
let server: RpcServer
let url: string

before(async () => {
  backend = new FakeRpcBackend()
  server = createRpcServer({ backend, port: 0, rateLimit: false, bodyLimitBytes: 256 * 1024, requestTimeoutMs: 200, maxBatchSize: 10 })
  await server.start()
  url = server.url()
})

after(async () => {
  // After every bad input in this file the server still answers.
  const status = await post(url, rpc('chain_status'))
  assert.equal(status.body.result.chainId, 'medchain-test')
  assert.equal(server.stats().internalErrors, 0)
  await server.stop()
})

test('malformed JSON is -32700; bad envelopes are -32600', async () => {
  for (const body of ['{bad', '[', '', 'null x']) {
    const r = await post(url, body)
    assert.equal(r.body.error.code, -32700, body)
    assert.equal(r.body.error.data.code, 'PARSE_ERROR')
    assert.equal(r.body.id, null)
  }
  const invalid: [string, RegExp][] = [
    ['42', /must be an object/],
    ['[]', /empty batch/],
    [JSON.stringify({ jsonrpc: '1.0', id: 1, method: 'chain_status' }), /jsonrpc/],
    [JSON.stringify({ jsonrpc: '2.0', id: 1, method: 5 }), /method/],
    [JSON.stringify({ jsonrpc: '2.0', id: { x: 1 }, method: 'chain_status' }), /id/],
    [JSON.stringify(Array.from({ length: 11 }, (_, i) => JSON.parse(rpc('chain_status', undefined, i)))), /exceeds the limit of 10/],
  ]
  for (const [body, message] of invalid) {
    const r = await post(url, body)
    assert.equal(r.body.error.code, -32600, body)
    assert.match(r.body.error.message, message)
  }
})

test('batch: responses by id, notifications unanswered, an all-notification batch gets 204', async () => {
  const r = await post(url, JSON.stringify([
    { jsonrpc: '2.0', id: 'a', method: 'chain_status' },
    { jsonrpc: '2.0', id: 2, method: 'no_such_method' },
    { jsonrpc: '2.0', method: 'chain_status' },
    7,
    { jsonrpc: '2.0', id: 3, method: 'tx_get', params: {} },
  ]))
  assert.equal(r.status, 200)
  assert.equal(r.body.length, 4)
  assert.equal(r.body[0].id, 'a')
  assert.equal(r.body[0].result.chainId, 'medchain-test')
  assert.deepEqual([r.body[1].id, r.body[1].error.code], [2, -32601])
  assert.deepEqual([r.body[2].id, r.body[2].error.code], [null, -32600])
  assert.deepEqual([r.body[3].id, r.body[3].error.code], [3, -32602])
  const silent = await post(url, JSON.stringify([{ jsonrpc: '2.0', method: 'chain_status' }]))
  assert.equal(silent.status, 204)
  assert.equal(silent.body, undefined)
})

test('unknown method is -32601; subscribe over HTTP is -32601 WEBSOCKET_ONLY', async () => {
  const r = await post(url, rpc('eth_blockNumber'))
  assert.deepEqual([r.body.id, r.body.error.code, r.body.error.data.code], [1, -32601, 'METHOD_NOT_FOUND'])
  const s = await post(url, rpc('subscribe', { kind: 'blocks' }))
  assert.deepEqual([s.body.error.code, s.body.error.data.code], [-32601, 'WEBSOCKET_ONLY'])
  const notFound = await fetch(`${url}/nope`)
  assert.equal(notFound.status, 404)
  assert.equal(((await notFound.json()) as Reply["body"]).error.code, -32601)
})

test('wrong params are -32602 with a message naming the bad field', async () => {
  let deep = '1'
  for (let i = 0; i < 50_000; i++) deep = `[${deep}]`
  const cases: [string, unknown, RegExp][] = [
    ['chain_getBlock', { height: -1 }, /params\.height must be >= 0/],
    ['chain_getBlock', { height: 'x' }, /params\.height must be integer/],
    ['chain_getBlock', { hash: '0x12' }, /params\.hash: expected a 32-byte hash/],
    ['chain_getBlock', { fullTxs: 1 }, /params\.fullTxs must be boolean/],
    ['chain_status', { foo: 1 }, /params\.foo is not a parameter/],
    ['chain_status', [1], /params must be an object/],
    ['chain_status', 'x', /params must be an object/],
    ['tx_get', {}, /params\.id is required/],
    ['tx_send', { tx: '0xabc' }, /params\.tx: expected bytes/],
    ['tx_proof', { id: 5 }, /params\.id must be string/],
    ['contract_call', { address: 'mc00', method: 'm' }, /params\.address: expected an address/],
    ['contract_call', { address: `mc${'0'.repeat(40)}`, method: 'm', args: [1, [{ $bigint: '01' }]] }, /params\.args\[1\]\[0\]: expected a canonical value/],
    ['contract_call', { address: `mc${'0'.repeat(40)}`, method: 'm', args: [1.5] }, /params\.args\[0\]/],
    ['contract_call', { address: `mc${'0'.repeat(40)}`, method: 'm', args: [2 ** 60] }, /params\.args\[0\]: number .* is not a safe integer/],
    ['subscribe', { kind: 'everything' }, /params\.kind must be equal to one of the allowed values/],
  ]
  for (const [method, params, message] of cases) {
    const r = await post(url, rpc(method, params))
    assert.equal(r.body.error?.code, method === 'subscribe' ? -32601 : -32602, `${method} ${JSON.stringify(params).slice(0, 80)}: ${JSON.stringify(r.body)}`)
    if (method !== 'subscribe') {
      assert.match(r.body.error.message, message)
      // data.code is INVALID_PARAMS, or the core code when core's value checks refused it.
      assert.ok(['INVALID_PARAMS', 'BAD_SHAPE'].includes(r.body.error.data.code), r.body.error.data.code)
    }
  }
  // Nesting far deeper than any canonical value (JSON.stringify cannot even build it).
  const body = `{"jsonrpc":"2.0","id":1,"method":"contract_call","params":{"address":"mc${'0'.repeat(40)}","method":"m","args":[${deep}]}}`
  const nested = await post(url, body)
  assert.equal(nested.body.error.code, -32602)
  assert.match(nested.body.error.message, /nest/)
  // Over WebSocket the subscribe params are validated too.
  const ws = new WebSocket(`${url.replace('http', 'ws')}/ws`)
  await once(ws, 'open')
  ws.send(rpc('subscribe', { kind: 'everything' }))
  const [event] = await once(ws, 'message') as [MessageEvent]
  const reply = JSON.parse(event.data as string)
  assert.equal(reply.error.code, -32602)
  assert.match(reply.error.message, /params\.kind/)
  ws.send(rpc('subscribe', { kind: 'blocks', name: 'x' }))
  const [event2] = await once(ws, 'message') as [MessageEvent]
  assert.match(JSON.parse(event2.data as string).error.message, /params\.name applies to kind "events" only/)
  ws.send(rpc('subscribe', { kind: 'blocks', txs: 'yes' }))
  const [event3] = await once(ws, 'message') as [MessageEvent]
  assert.equal(JSON.parse(event3.data as string).error.code, -32602)
  assert.match(JSON.parse(event3.data as string).error.message, /params\.txs/)
  ws.close()
  await once(ws, 'close')
})

test('a huge body is refused: HTTP 413 with -32005; an oversized WebSocket message closes the socket (1009)', async () => {
  const big = rpc('tx_send', { tx: '0x' + 'ab'.repeat(200 * 1024) })
  const r = await post(url, big)
  assert.equal(r.status, 413)
  assert.deepEqual([r.body.error.code, r.body.error.data.code], [-32005, 'REQUEST_TOO_LARGE'])
  const ws = new WebSocket(`${url.replace('http', 'ws')}/ws`)
  await once(ws, 'open')
  ws.send(big)
  const [closeEvent] = await once(ws, 'close') as [CloseEvent]
  assert.equal(closeEvent.code, 1009)
})

test('a backend call that never answers times out with -32006 and the server keeps serving', async () => {
  backend.hang.add('getTx')
  try {
    const r = await post(url, rpc('tx_get', { id: '0x' + '11'.repeat(32) }))
    assert.deepEqual([r.body.error.code, r.body.error.data.code], [-32006, 'TIMEOUT'])
  } finally {
    backend.hang.delete('getTx')
  }
  const ok = await post(url, rpc('tx_get', { id: '0x' + '11'.repeat(32) }))
  assert.equal(ok.body.error.code, -32001)
})

test('rate limit: a per-IP token bucket, -32002 (HTTP 429 for a lone call), refilled by time', async () => {
  let nowMs = 0
  const limited = createRpcServer({ backend, port: 0, rateLimit: { requestsPerSecond: 2, burst: 3 }, now: () => nowMs })
  await limited.start()
  try {
    const codes: number[] = []
    for (let i = 0; i < 4; i++) {
      const r = await post(limited.url(), rpc('chain_status'))
      codes.push(r.status)
      if (r.status === 429) assert.deepEqual([r.body.error.code, r.body.error.data.code], [-32002, 'RATE_LIMITED'])
    }
    assert.deepEqual(codes, [200, 200, 200, 429])
    nowMs += 1000 // two tokens back
    const batch = await post(limited.url(), JSON.stringify([1, 2, 3].map((id) => JSON.parse(rpc('chain_status', undefined, id)))))
    assert.deepEqual(batch.body.map((x: any) => x.error?.code ?? 'ok'), ['ok', 'ok', -32002])
    assert.equal(limited.stats().rateLimitedCalls, 2)
  } finally {
    await limited.stop()
  }
})

test('subscriptions per socket are capped', async () => {
  const capped = createRpcServer({ backend, port: 0, rateLimit: false, maxSubscriptionsPerSocket: 2 })
  await capped.start()
  const client = new RpcClient(capped.url())
  try {
    await client.subscribe({ kind: 'blocks' }, () => {})
    await client.subscribe({ kind: 'events' }, () => {})
    await assert.rejects(client.subscribe({ kind: 'blocks' }, () => {}), (e: any) => e.code === -32002 && e.dataCode === 'TOO_MANY_SUBSCRIPTIONS')
  } finally {
    await client.close()
    await capped.stop()
  }
})

// ---- slow subscriber ------------------------------------------------------------------------

/** A WebSocket client on a raw TCP socket, so the test can stop reading (pause) at will. */
async function rawWebSocket(port: number): Promise<{ socket: Socket; received: () => Buffer; send: (text: string) => void }> {
  const socket = connect(port, '127.0.0.1')
  await once(socket, 'connect')
  socket.write(`GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`)
  let buffer = Buffer.alloc(0)
  socket.on('data', (chunk: Buffer) => { buffer = Buffer.concat([buffer, chunk]) })
  await waitFor(() => buffer.includes('\r\n\r\n'), 'handshake')
  assert.match(buffer.toString('latin1'), /^HTTP\/1.1 101/)
  buffer = buffer.subarray(buffer.indexOf('\r\n\r\n') + 4)
  const send = (text: string): void => {
    // Client frames are masked (RFC 6455 §5.3); the zero mask keeps the payload as is.
    const payload = Buffer.from(text)
    assert.ok(payload.length < 126)
    socket.write(Buffer.concat([Buffer.from([0x81, 0x80 | payload.length, 0, 0, 0, 0]), payload]))
  }
  return { socket, received: () => buffer, send }
}

/** Splits unmasked server frames: [opcode, payload][]. */
function parseFrames(data: Buffer): [number, Buffer][] {
  const frames: [number, Buffer][] = []
  let at = 0
  while (at + 2 <= data.length) {
    const opcode = data[at]! & 0x0f
    let length = data[at + 1]! & 0x7f
    let header = 2
    if (length === 126) { length = data.readUInt16BE(at + 2); header = 4 }
    else if (length === 127) { length = Number(data.readBigUInt64BE(at + 2)); header = 10 }
    if (at + header + length > data.length) break
    frames.push([opcode, data.subarray(at + header, at + header + length)])
    at += header + length
  }
  return frames
}

test('a slow subscriber is dropped with SUBSCRIPTION_DROPPED then closed, while others keep receiving', async () => {
  const fanout = createRpcServer({
    backend, port: 0, rateLimit: false, subscriberQueueLimit: 8, subscriberBufferLimitBytes: 512 * 1024, dropGraceMs: 300,
  })
  const { port } = await fanout.start()
  const slow = await rawWebSocket(port)
  slow.send(rpc('subscribe', { kind: 'events' }))
  await waitFor(() => parseFrames(slow.received()).length === 1, 'subscribe reply')
  const subscription = JSON.parse(parseFrames(slow.received())[0]![1].toString()).result.subscription as string
  slow.socket.pause() // stops reading: the kernel buffers fill, then the server's

  const fast = new RpcClient(fanout.url())
  const events: SubscriptionResult[] = []
  const blocks: SubscriptionResult[] = []
  await fast.subscribe({ kind: 'events' }, (r) => events.push(r))
  await fast.subscribe({ kind: 'blocks' }, (r) => blocks.push(r))

  const key = keyPairFromSecretKey(new Uint8Array(32).fill(5))
  const blob = new Uint8Array(128 * 1024).fill(0xee)
  const contract = new Uint8Array(20).fill(0xaa)
  let sent = 0
  for (; sent < 400 && fanout.stats().droppedSubscribers === 0; sent++) {
    const tx = createSignedTx({ chainId: backend.chainId, kind: TxKind.CALL, nonce: 1_000 + sent, target: contract, method: 'Big', args: [], gasLimit: 10_000 }, key.secretKey, key.publicKey)
    backend.finalizeBlock({ extraTxs: [tx], receiptFor: () => okReceipt(1, { events: [{ contract, name: 'Big', data: [blob] }] }) })
    // The fast subscriber reads everything before the next block: it never falls behind.
    await waitFor(() => events.length === sent + 1, `event ${sent}`)
  }
  assert.equal(fanout.stats().droppedSubscribers, 1, `slow subscriber dropped after ${sent} blocks`)
  console.log(`# slow subscriber dropped after ${sent} blocks of 256 KiB notifications`)
  assert.equal(fanout.stats().sessions, 1, 'only the fast socket remains')

  // The node goes on; the fast subscriber still gets blocks.
  const before = blocks.length
  backend.finalizeBlock()
  await waitFor(() => blocks.length === before + 1, 'block after the drop')

  // The slow socket, once it reads again, finds the notice and then a close frame (1008).
  slow.socket.resume()
  await once(slow.socket, 'close')
  const frames = parseFrames(slow.received())
  const notices = frames.filter(([op, p]) => op === 1 && p.includes('SUBSCRIPTION_DROPPED')).map(([, p]) => JSON.parse(p.toString()))
  assert.equal(notices.length, 1)
  assert.equal(notices[0].params.subscription, subscription)
  assert.equal(notices[0].params.error.code, -32003)
  const close = frames.find(([op]) => op === 8)
  assert.ok(close, 'close frame')
  assert.equal(close[1].readUInt16BE(0), 1008)
  assert.ok(frames.findIndex(([op]) => op === 8) > frames.findIndex(([, p]) => p.includes('SUBSCRIPTION_DROPPED')))

  await fast.close()
  await fanout.stop()
})

test('seeded garbage never gets an internal error or a crash', async () => {
  let seed = 0x9e3779b9
  const rand = (n: number): number => {
    seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5
    return (seed >>> 0) % n
  }
  const valid = [
    rpc('chain_status'), rpc('chain_getBlock', { height: 1, fullTxs: true }), rpc('tx_get', { id: '0x' + '00'.repeat(32) }),
    rpc('contract_call', { address: `mc${'1'.repeat(40)}`, method: 'echo', args: [{ $bytes: '0x00' }, { $bigint: '-5' }] }),
    rpc('tx_send', { tx: '0x' + '92'.repeat(40) }), JSON.stringify([JSON.parse(rpc('tx_proof', { id: '0x' + 'ab'.repeat(32) }))]),
  ]
  const alphabet = '{}[]":,0123456789-.eE tnufalsr\\x$abcdef'
  for (let i = 0; i < 300; i++) {
    const base = valid[rand(valid.length)]!
    const chars = [...base]
    for (let m = 0; m < 1 + rand(4); m++) {
      const at = rand(chars.length)
      const op = rand(3)
      if (op === 0) chars.splice(at, 1)
      else if (op === 1) chars.splice(at, 0, alphabet[rand(alphabet.length)]!)
      else chars[at] = alphabet[rand(alphabet.length)]!
    }
    const r = await post(url, chars.join(''))
    assert.ok(r.status === 200 || r.status === 204, `status ${r.status}`)
    for (const response of [r.body ?? []].flat()) {
      if (response.error) assert.notEqual(response.error.code, -32603, `${chars.join('')} → ${JSON.stringify(response.error)}`)
    }
  }
})

test('start fails cleanly on a port in use, leaving no backend listener', async () => {
  const other = new FakeRpcBackend()
  const second = createRpcServer({ backend: other, port: Number(new URL(url).port) })
  await assert.rejects(second.start(), /EADDRINUSE/)
  assert.equal(other.listenerCount, 0)
  await second.stop()
})

test('every method works over WebSocket too, single and batch; garbage gets -32700 and the socket stays open', async () => {
  const ws = new WebSocket(`${url.replace('http', 'ws')}/ws`)
  await once(ws, 'open')
  const next = async (): Promise<any> => JSON.parse(((await once(ws, 'message')) as [MessageEvent])[0].data as string)
  ws.send(rpc('chain_status', undefined, 'x'))
  const status = await next()
  assert.deepEqual([status.id, status.result.chainId], ['x', 'medchain-test'])
  ws.send('{nope')
  assert.equal((await next()).error.code, -32700)
  ws.send(JSON.stringify([JSON.parse(rpc('rpc_discover', undefined, 1)), JSON.parse(rpc('tx_get', { id: '0x' + '22'.repeat(32) }, 2))]))
  const batch = await next()
  assert.equal(batch[0].result.openrpc, '1.3.2')
  assert.equal(batch[1].error.code, -32001)
  ws.close()
  await once(ws, 'close')
})

test('chain_evidence lists equivocations with the validator and the re-checkable encoding', async () => {
  assert.deepEqual((await post(url, rpc('chain_evidence'))).body.result, [])
  backend.evidence = [{ kind: 'duplicate-vote', validatorIndex: 1, height: 7, round: 2, encoded: new Uint8Array([1, 2, 3]) }]
  const r = (await post(url, rpc('chain_evidence'))).body.result
  assert.equal(r.length, 1)
  assert.deepEqual([r[0].kind, r[0].validatorIndex, r[0].height, r[0].round, r[0].evidence], ['duplicate-vote', 1, 7, 2, '0x010203'])
  assert.match(r[0].validator, /^mc[0-9a-f]{40}$/)
  backend.evidence = []
})
