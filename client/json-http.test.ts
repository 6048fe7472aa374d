import { test } from 'node:test'
import assert from 'node:assert/strict'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { HttpPostError, JsonHttpPoster } from './json-http.ts'

/** A server on a free loopback port; `handle` answers each POST body. Counts connections. */
async function serve(handle: (body: string, res: http.ServerResponse) => void): Promise<{ url: URL; connections: () => number; closed: () => number; stop: () => Promise<void> }> {
  let connections = 0
  let closed = 0
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => handle(Buffer.concat(chunks).toString('utf8'), res))
  })
  server.on('connection', (socket) => {
    connections++
    socket.on('close', () => closed++)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: new URL(`http://127.0.0.1:${port}/`),
    connections: () => connections,
    closed: () => closed,
    stop: () => new Promise((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    }),
  }
}

test('posts JSON, reads the whole answer with its status, and reuses one connection', async () => {
  const server = await serve((body, res) => {
    res.writeHead(body.includes('"bad"') ? 400 : 200, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ echo: JSON.parse(body), big: 'é'.repeat(100_000) }))
  })
  const poster = new JsonHttpPoster(server.url)
  try {
    const first = await poster.post(JSON.stringify({ n: 1 }), 5_000)
    assert.equal(first.status, 200)
    const parsed = JSON.parse(first.text) as { echo: unknown; big: string }
    assert.deepEqual(parsed.echo, { n: 1 })
    assert.equal(parsed.big.length, 100_000, 'a multi-chunk UTF-8 answer arrives whole')
    const second = await poster.post(JSON.stringify({ n: 'bad' }), 5_000)
    assert.equal(second.status, 400, 'an error status is an answer, not a failure')
    assert.equal(server.connections(), 1, 'sequential posts share one keep-alive connection')
    poster.close()
    for (let i = 0; i < 50 && server.closed() < 1; i++) await new Promise((r) => setTimeout(r, 10))
    assert.equal(server.closed(), 1, 'close() ends the idle connection')
  } finally {
    poster.close()
    await server.stop()
  }
})

test('no (whole) answer in time is a timeout; nothing listening, a hang-up or a cut-off body is a transport failure', async () => {
  const silent = await serve(() => { /* never answers */ })
  const stalls = await serve((_body, res) => {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.write('{"jsonrpc":"2.0",') // and never the rest
  })
  const hangUp = await serve((_body, res) => res.socket?.destroy())
  const cutOff = await serve((_body, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' })
    res.write('{"jsonrpc":"2.0",', () => res.socket?.destroy())
  })
  try {
    await assert.rejects(new JsonHttpPoster(silent.url).post('{}', 100), (e: unknown) => e instanceof HttpPostError && e.kind === 'timeout')
    await assert.rejects(new JsonHttpPoster(stalls.url).post('{}', 100), (e: unknown) => e instanceof HttpPostError && e.kind === 'timeout', 'a body that stops midway times out')
    await assert.rejects(new JsonHttpPoster(hangUp.url).post('{}', 5_000), (e: unknown) => e instanceof HttpPostError && e.kind === 'transport')
    await assert.rejects(new JsonHttpPoster(cutOff.url).post('{}', 5_000), (e: unknown) => e instanceof HttpPostError && e.kind === 'transport', 'a body cut off midway is a transport failure')
  } finally {
    for (const server of [silent, stalls, hangUp, cutOff]) await server.stop()
  }
  // The port is free again: nothing listens there now.
  await assert.rejects(new JsonHttpPoster(silent.url).post('{}', 5_000), (e: unknown) => e instanceof HttpPostError && e.kind === 'transport' && /ECONNREFUSED/.test(e.message))
})
