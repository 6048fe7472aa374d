import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { Ajv } from 'ajv'
import { blockHash, decodeHeader } from '../core/block.ts'
import { verifyCommit } from '../core/commit.ts'
import { encode, type CanonicalValue } from '../core/encoding.ts'
import { okReceipt } from '../core/execution.ts'
import { bytesEqual, fromHex, toHex } from '../core/hex.ts'
import { formatAddress, keyPairFromSecretKey } from '../core/keys.ts'
import { verifyMerkleProof } from '../core/merkle.ts'
import { RpcErrorCode } from '../core/rpc-wire.ts'
import { createSignedTx, TxKind, unsignedTxRaw, type SignedTx } from '../core/tx.ts'
import { createRpcServer, methodSpecs, type RpcServer } from '../node/rpc/index.ts'
import { FakeRpcBackend } from '../node/rpc/fake-backend.ts'
import { componentSchemas } from '../node/rpc/schemas.ts'
import { RpcClient, RpcError, type SubscriptionResult } from './rpc-client.ts'
import { waitFor } from '../node/test-support/fixtures.ts'
import Fastify from 'fastify'
import fastifyWebsocket from '@fastify/websocket'

const sender = keyPairFromSecretKey(new Uint8Array(32).fill(7))
const contract = new Uint8Array(20).fill(0xc1)
const otherContract = new Uint8Array(20).fill(0xc2)
let nonce = 0

function makeTx(fields: { method?: string; args?: CanonicalValue[]; chainId?: string; target?: Uint8Array; kind?: TxKind } = {}): SignedTx {
  return createSignedTx({
    chainId: fields.chainId ?? 'medchain-test',
    kind: fields.kind ?? TxKind.CALL,
    nonce: nonce++,
    target: fields.target ?? contract,
    method: fields.method ?? 'setXrayHash',
    args: fields.args ?? [new Uint8Array(32).fill(1), 'scan-1', 42n],
    gasLimit: 100_000,
  }, sender.secretKey, sender.publicKey)
}

/** Result schemas of the OpenRPC document, compiled: every result must match its documented shape. */
const resultValidator = (() => {
  const ajv = new Ajv({ strict: true, allErrors: true })
  ajv.addKeyword('components')
  const compiled = new Map(methodSpecs.map((m) => [m.name, ajv.compile({ ...m.result.schema, components: { schemas: componentSchemas } })]))
  return (method: string, result: unknown): void => {
    const validate = compiled.get(method)!
    assert.ok(validate(result), `${method} result does not match its schema: ${JSON.stringify(validate.errors)}`)
  }
})()


let backend: FakeRpcBackend
let server: RpcServer
let client: RpcClient

before(async () => {
  backend = new FakeRpcBackend()
  server = createRpcServer({ backend, port: 0, rateLimit: false })
  await server.start()
  client = new RpcClient(server.url(), { timeoutMs: 5_000 })
})

after(async () => {
  await client.close()
  await server.stop()
})

test('chain_status round-trips', async () => {
  const status = await client.status()
  resultValidator('chain_status', status)
  assert.equal(status.chainId, 'medchain-test')
  assert.equal(status.validators.length, 4)
  assert.equal(status.validators[2]!.address, formatAddress(backend.validatorSet.validators[2]!.address))
  assert.equal(status.quorum, 3)
  assert.equal(status.syncing, false)
})

test('tx_send → tx_get pending → final (immediately after the block) → tx_proof verifies offline', async () => {
  const tx = makeTx()
  const id = await client.sendTx(tx.bytes)
  assert.equal(id, toHex(tx.id))

  const pending = await client.getTx(id)
  resultValidator('tx_get', pending)
  assert.equal(pending.status, 'pending')
  assert.equal(pending.tx.raw, toHex(tx.bytes))
  assert.deepEqual(pending.tx.args, [{ $bytes: toHex(new Uint8Array(32).fill(1)) }, 'scan-1', { $bigint: '42' }])
  assert.equal(pending.receipt, undefined)

  const other = makeTx({ target: otherContract })
  await client.sendTx(other.bytes)
  const block = backend.finalizeBlock()
  const final = await client.getTx(id)
  resultValidator('tx_get', final)
  assert.equal(final.status, 'final')
  assert.equal(final.height, block.header.height)
  assert.equal(final.index, 0)
  assert.equal(final.blockHash, toHex(block.hash))
  assert.equal(final.receipt?.status, 'ok')
  assert.deepEqual(final.receipt?.events, [{ contract: formatAddress(contract), name: 'setXrayHash', data: pending.tx.args }])
  assert.deepEqual(final.receipt?.returnValue, { $bytes: toHex(new Uint8Array(32).fill(1)) })

  const proof = await client.getProof(toHex(other.id))
  resultValidator('tx_proof', proof)
  // What a client does offline: leaf → txRoot, header bytes → block hash, commit → validator set.
  const header = decodeHeader(fromHex(proof.headerRaw))
  assert.ok(bytesEqual(blockHash(header), fromHex(proof.blockHash)))
  assert.ok(verifyMerkleProof(fromHex(proof.txId), { index: proof.index, leafCount: proof.leafCount, siblings: proof.siblings.map((s) => fromHex(s)) }, header.txRoot))
  assert.equal(proof.index, 1)
  assert.equal(proof.leafCount, 2)
  assert.ok(proof.commit)
  verifyCommit(header.chainId, backend.validatorSet, {
    height: proof.commit.height, round: proof.commit.round, blockHash: fromHex(proof.commit.blockHash),
    signatures: proof.commit.signatures.map((s) => [s.index, fromHex(s.signature)] as const),
  }, header.height, fromHex(proof.blockHash))
  // A tampered sibling no longer reaches the root.
  const bad = proof.siblings.map((s) => fromHex(s))
  bad[0]![0]! ^= 1
  assert.equal(verifyMerkleProof(fromHex(proof.txId), { index: proof.index, leafCount: proof.leafCount, siblings: bad }, header.txRoot), false)
})

test('chain_getBlock by height, by hash, latest, with full txs; unknown → NOT_FOUND', async () => {
  const tx = makeTx({ method: 'fail' })
  await client.sendTx(tx.bytes)
  const block = backend.finalizeBlock()
  const byHeight = await client.getBlock({ height: block.header.height })
  resultValidator('chain_getBlock', byHeight)
  assert.equal(byHeight.hash, toHex(block.hash))
  assert.deepEqual(byHeight.txs, [toHex(tx.id)])
  assert.equal(byHeight.header.txRoot, toHex(block.header.txRoot))
  assert.equal(byHeight.commit?.signatures.length, 3)
  const byHash = await client.getBlock({ hash: byHeight.hash, fullTxs: true })
  resultValidator('chain_getBlock', byHash)
  assert.equal(byHash.header.height, block.header.height)
  const full = byHash.txs[0]
  assert.ok(typeof full === 'object')
  assert.equal(full.id, toHex(tx.id))
  assert.equal(full.sender, formatAddress(tx.sender))
  assert.equal(full.target, formatAddress(contract))
  assert.equal((await client.getBlock()).header.height, block.header.height)
  const failed = await client.getTx(toHex(tx.id))
  assert.equal(failed.status, 'failed')
  assert.equal(failed.receipt?.errorCode, 'REQUIRE_FAILED')
  await assert.rejects(client.getBlock({ height: 999 }), (e: unknown) => e instanceof RpcError && e.code === RpcErrorCode.NOT_FOUND && e.dataCode === 'NOT_FOUND')
  await assert.rejects(client.getTx(toHex(new Uint8Array(32))), (e: unknown) => e instanceof RpcError && e.code === RpcErrorCode.NOT_FOUND)
  await assert.rejects(client.getProof(toHex(new Uint8Array(32))), (e: unknown) => e instanceof RpcError && e.code === RpcErrorCode.NOT_FOUND)
  await assert.rejects(client.getBlock({ height: 1, hash: byHeight.hash }), (e: unknown) => e instanceof RpcError && e.code === RpcErrorCode.INVALID_PARAMS)
})

test('a deploy has target null and a contractAddress', async () => {
  const tx = makeTx({ kind: TxKind.DEPLOY, target: new Uint8Array(0), method: '', args: [new Uint8Array([1, 2]), '{}', 'src', []] })
  await client.sendTx(tx.bytes)
  backend.finalizeBlock()
  const got = await client.getTx(toHex(tx.id))
  resultValidator('tx_get', got)
  assert.equal(got.tx.target, null)
  assert.equal(got.receipt?.contractAddress, formatAddress(tx.id.slice(0, 20)))
})

test('tx_send: CoreErrors from the backend arrive as -32000 with data.code', async () => {
  const good = makeTx()
  const badSignature = encode([unsignedTxRaw(good), new Uint8Array(64).fill(9)])
  const wrongChain = makeTx({ chainId: 'another-chain' })
  const cases: [Uint8Array, string][] = [
    [badSignature, 'BAD_SIGNATURE'],
    [wrongChain.bytes, 'WRONG_CHAIN_ID'],
    [new Uint8Array([0x12, 0x34]), 'DECODE_MALFORMED'],
  ]
  for (const [bytes, code] of cases) {
    await assert.rejects(client.sendTx(bytes), (e: unknown) => {
      assert.ok(e instanceof RpcError)
      assert.equal(e.code, RpcErrorCode.TX_REJECTED)
      assert.equal(e.dataCode, code)
      return true
    })
  }
  await client.sendTx(good.bytes)
  await assert.rejects(client.sendTx(good.bytes), (e: unknown) => e instanceof RpcError && e.code === -32000 && e.dataCode === 'DUPLICATE_TX')
  backend.finalizeBlock()
})

test('contract_call converts canonical values both ways; failures are values; CoreErrors are CALL_FAILED', async () => {
  const args: CanonicalValue[] = [1, -2n, 'x', new Uint8Array([0, 255]), [null, true, [9007199254740991]]]
  const echo = await client.call(formatAddress(contract), 'echo', args, formatAddress(otherContract))
  assert.equal(echo.status, 'ok')
  assert.deepEqual(encode(echo.returnValue), encode(args))
  const raw = await client.request('contract_call', { address: formatAddress(contract), method: 'echo', args: [] })
  resultValidator('contract_call', raw)
  const failed = await client.call(formatAddress(contract), 'fail', [])
  assert.equal(failed.status, 'failed')
  assert.equal(failed.errorCode, 'REQUIRE_FAILED')
  await assert.rejects(client.call(formatAddress(contract), 'throw', []), (e: unknown) => e instanceof RpcError && e.code === RpcErrorCode.CALL_FAILED && e.dataCode === 'BAD_PROOF')
  await assert.rejects(client.call('mcnothex', 'echo', []), (e: unknown) => e instanceof RpcError && e.code === RpcErrorCode.INVALID_PARAMS && /params\.address/.test(e.message))
})

test('batch: one round trip, answers in call order, per-call errors as values; callBatch decodes canonical values', async () => {
  assert.deepEqual(await client.batch([]), [])
  const out = await client.batch([
    { method: 'chain_status' },
    { method: 'no_such_method' },
    { method: 'contract_call', params: { address: formatAddress(contract), method: 'echo', args: ['a'] } },
  ])
  assert.equal((out[0] as { chainId: string }).chainId, (await client.status()).chainId)
  assert.ok(out[1] instanceof RpcError && out[1].code === RpcErrorCode.METHOD_NOT_FOUND)
  assert.deepEqual((out[2] as { returnValue: unknown }).returnValue, ['a'])
  const calls = await client.callBatch(formatAddress(contract), [
    { method: 'echo', args: [1, new Uint8Array([7])] },
    { method: 'fail', args: [] },
    { method: 'throw', args: [] },
  ])
  const first = calls[0]
  assert.ok(first !== undefined && !(first instanceof RpcError))
  assert.deepEqual(encode(first.returnValue), encode([1, new Uint8Array([7])]))
  assert.ok(!(calls[1] instanceof RpcError) && calls[1]!.status === 'failed' && calls[1]!.errorCode === 'REQUIRE_FAILED')
  assert.ok(calls[2] instanceof RpcError && calls[2].dataCode === 'BAD_PROOF')
  const tooMany = Array.from({ length: 101 }, () => ({ method: 'chain_status' }))
  await assert.rejects(client.batch(tooMany), (e: unknown) => e instanceof RpcError && e.dataCode === 'BATCH_TOO_LARGE')
})

test('transport websocket: calls and batches share the WebSocket, with the answers and errors of HTTP', async () => {
  const ws = new RpcClient(server.url(), { timeoutMs: 5_000, transport: 'websocket' })
  const sessionsBefore = server.stats().sessions
  assert.deepEqual(await ws.status(), await client.status())
  assert.equal(server.stats().sessions, sessionsBefore + 1, 'the first call opened the WebSocket')
  const tx = makeTx()
  assert.equal(await ws.sendTx(tx.bytes), toHex(tx.id))
  await assert.rejects(ws.sendTx(tx.bytes), (e: unknown) => e instanceof RpcError && e.dataCode === 'DUPLICATE_TX')
  assert.deepEqual(await ws.batch([]), [])
  const out = await ws.batch([
    { method: 'chain_status' },
    { method: 'no_such_method' },
    { method: 'contract_call', params: { address: formatAddress(contract), method: 'echo', args: ['a'] } },
  ])
  assert.equal((out[0] as { chainId: string }).chainId, 'medchain-test')
  assert.ok(out[1] instanceof RpcError && out[1].code === RpcErrorCode.METHOD_NOT_FOUND)
  assert.deepEqual((out[2] as { returnValue: unknown }).returnValue, ['a'])
  // Many batches in flight at once on one socket: each gets its own answers.
  const many = await Promise.all(Array.from({ length: 20 }, (_, k) => ws.batch(Array.from({ length: 5 }, () => ({ method: 'contract_call', params: { address: formatAddress(contract), method: 'echo', args: [k] } })))))
  many.forEach((answers, k) => answers.forEach((a) => assert.deepEqual((a as { returnValue: unknown }).returnValue, [k])))
  // A batch over the node's limit is refused as a whole, as over HTTP; the socket stays usable.
  const tooMany = Array.from({ length: 101 }, () => ({ method: 'chain_status' }))
  await assert.rejects(ws.batch(tooMany), (e: unknown) => e instanceof RpcError && e.dataCode === 'BATCH_TOO_LARGE')
  assert.equal((await ws.status()).chainId, 'medchain-test')
  assert.equal(server.stats().sessions, sessionsBefore + 1, 'all of it over one connection')
  await ws.close()
})

test('transport websocket: a socket closed with calls outstanding fails each call and each batch', async () => {
  // A node that reads requests and never answers, then drops the connection: no race with answers.
  const silent = Fastify()
  await silent.register(fastifyWebsocket)
  let received = 0
  let drop: (() => void) | undefined
  silent.get('/ws', { websocket: true }, (socket) => {
    socket.on('message', () => { received++ })
    drop = () => socket.close(1011, 'going away')
  })
  await silent.listen({ host: '127.0.0.1', port: 0 })
  const address = silent.server.address() as { port: number }
  const ws = new RpcClient(`http://127.0.0.1:${address.port}`, { timeoutMs: 5_000, transport: 'websocket' })
  const closed = (e: unknown): boolean => e instanceof RpcError && e.dataCode === 'CONNECTION_CLOSED'
  const batch = ws.batch([{ method: 'chain_status' }, { method: 'chain_status' }])
  const single = ws.status()
  await waitFor(() => received === 2, 'both requests at the node')
  const dropFirst = drop!
  // Unanswered, a batch times out as a whole (one timer for the batch).
  const impatient = new RpcClient(`http://127.0.0.1:${address.port}`, { timeoutMs: 100, transport: 'websocket' })
  await assert.rejects(impatient.batch([{ method: 'chain_status' }, { method: 'chain_status' }]), (e: unknown) => e instanceof RpcError && e.dataCode === 'TIMEOUT')
  await impatient.close()
  dropFirst()
  await Promise.all([assert.rejects(batch, closed), assert.rejects(single, closed)])
  await ws.close()
  await silent.close()
})

test('waitForFinal polls without a WebSocket, and uses block notifications with one', async () => {
  const polling = new RpcClient(server.url(), { timeoutMs: 5_000 })
  const tx = makeTx()
  await polling.sendTx(tx.bytes)
  const waiting = polling.waitForFinal(toHex(tx.id), { pollMs: 10, timeoutMs: 5_000 })
  setTimeout(() => backend.finalizeBlock(), 30)
  const final = await waiting
  assert.equal(final.status, 'final')
  await assert.rejects(polling.waitForFinal(toHex(new Uint8Array(32).fill(3)), { pollMs: 10, timeoutMs: 50 }), (e: unknown) => e instanceof RpcError && e.dataCode === 'TIMEOUT')
  await polling.close()

  const live = new RpcClient(server.url(), { timeoutMs: 5_000 })
  const blocks: SubscriptionResult[] = []
  await live.subscribe({ kind: 'blocks' }, (r) => blocks.push(r)) // opens the socket
  const tx2 = makeTx()
  await live.sendTx(tx2.bytes)
  // pollMs is huge: only a block notification can wake the waiter in time.
  const waiting2 = live.waitForFinal(toHex(tx2.id), { pollMs: 60_000, timeoutMs: 5_000 })
  await waitFor(() => server.stats().subscriptions === 2, 'waitForFinal to subscribe')
  backend.finalizeBlock()
  assert.equal((await waiting2).status, 'final')
  assert.equal(server.stats().subscriptions, 1, 'waitForFinal unsubscribed')
  await live.close()
})

test('subscriptions: blocks, and events filtered by contract and name; unsubscribe stops them', async () => {
  const sub = new RpcClient(server.url(), { timeoutMs: 5_000 })
  const blocks: SubscriptionResult[] = []
  const all: SubscriptionResult[] = []
  const filtered: SubscriptionResult[] = []
  const byName: SubscriptionResult[] = []
  const b = await sub.subscribe({ kind: 'blocks' }, (r) => blocks.push(r))
  await sub.subscribe({ kind: 'events' }, (r) => all.push(r))
  await sub.subscribe({ kind: 'events', contract: formatAddress(contract).toUpperCase().replace('MC', 'mc'), name: 'Anchored' }, (r) => filtered.push(r))
  await sub.subscribe({ kind: 'events', name: 'Other' }, (r) => byName.push(r))

  const t1 = makeTx({ method: 'Anchored', args: [1n] })
  const t2 = makeTx({ method: 'Other', args: [2] })
  const t3 = makeTx({ method: 'Anchored', target: otherContract, args: [3] })
  for (const t of [t1, t2, t3]) await sub.sendTx(t.bytes)
  const block = backend.finalizeBlock()
  await waitFor(() => blocks.length === 1 && all.length === 3 && filtered.length === 1 && byName.length === 1, 'notifications')
  assert.deepEqual(blocks[0], { height: block.header.height, hash: toHex(block.hash), time: block.header.time, txCount: 3 })
  assert.deepEqual(filtered[0], { height: block.header.height, txId: toHex(t1.id), contract: formatAddress(contract), name: 'Anchored', data: [{ $bigint: '1' }] })
  assert.deepEqual(byName[0], { height: block.header.height, txId: toHex(t2.id), contract: formatAddress(contract), name: 'Other', data: [2] })
  assert.deepEqual(all.map((e) => (e as { txId: string }).txId), [t1, t2, t3].map((t) => toHex(t.id)))

  await b.unsubscribe()
  backend.finalizeBlock({ extraTxs: [makeTx({ method: 'Anchored' })], receiptFor: (tx) => okReceipt(1, { events: [{ contract, name: 'Anchored', data: [tx.nonce] }] }) })
  await waitFor(() => filtered.length === 2, 'second event')
  assert.equal(blocks.length, 1, 'no block notification after unsubscribe')
  await assert.rejects(sub.request('subscribe', { kind: 'blocks' }), (e: unknown) => e instanceof RpcError && e.dataCode === 'WEBSOCKET_ONLY')
  await sub.close()
  await waitFor(() => server.stats().sessions === 0, 'session cleanup')
})

test('rpc_discover returns the OpenRPC document, the same as GET /openrpc.json', async () => {
  const doc = await client.request<{ openrpc: string; methods: { name: string }[] }>('rpc_discover')
  assert.equal(doc.openrpc, '1.3.2')
  assert.deepEqual(doc.methods.map((m) => m.name).sort(), methodSpecs.map((m) => m.name).sort())
  const served = await (await fetch(`${server.url()}/openrpc.json`)).json()
  assert.deepEqual(served, doc)
})

test('client-side failures are RpcErrors: unreachable node, closed socket', async () => {
  const probe = createRpcServer({ backend: new FakeRpcBackend(), port: 0 })
  await probe.start()
  const url = probe.url()
  const watcher = new RpcClient(url, { timeoutMs: 2_000 })
  const errors: RpcError[] = []
  await watcher.subscribe({ kind: 'blocks' }, () => {}, (e) => errors.push(e))
  await probe.stop()
  await waitFor(() => errors.length === 1, 'CONNECTION_CLOSED')
  assert.equal(errors[0]!.dataCode, 'CONNECTION_CLOSED')
  await watcher.close()
  const offline = new RpcClient(url, { timeoutMs: 2_000 })
  await assert.rejects(offline.status(), (e: unknown) => e instanceof RpcError && e.dataCode === 'TRANSPORT_ERROR')
  await assert.rejects(offline.subscribe({ kind: 'blocks' }, () => {}), (e: unknown) => e instanceof RpcError && e.dataCode === 'TRANSPORT_ERROR')
  assert.throws(() => new RpcClient('ftp://x'), TypeError)
})
