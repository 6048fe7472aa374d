import { test } from 'node:test'
import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { loadNodeConfig, loadNodeConfigs } from './config.ts'
import { NodeErrorCode } from './errors.ts'
import { tempDir } from './test-support/fixtures.ts'

test('config: file < environment < flags; paths relative to the config file', async () => {
  const dir = await tempDir()
  try {
    const file = join(dir.path, 'node.json')
    await writeFile(file, JSON.stringify({ dataDir: 'data', genesisFile: 'genesis.json', rpc: { port: 9000 }, p2p: { port: 27000 }, blockIntervalMs: 500, name: 'a' }))
    const fromFile = loadNodeConfig(['--config', file], {})!
    assert.equal(fromFile.dataDir, join(dir.path, 'data'))
    assert.equal(fromFile.genesisFile, join(dir.path, 'genesis.json'))
    assert.deepEqual([fromFile.rpc?.port, fromFile.rpc?.host, fromFile.p2p.port, fromFile.blockIntervalMs, fromFile.name], [9000, '127.0.0.1', 27000, 500, 'a'])
    const fromEnv = loadNodeConfig(['--config', file], { MEDCHAIN_RPC_PORT: '9100', MEDCHAIN_BLOCK_INTERVAL: '700' })!
    assert.deepEqual([fromEnv.rpc?.port, fromEnv.blockIntervalMs], [9100, 700])
    const fromFlags = loadNodeConfig(['--config', file, '--rpc-port', 'off', '--block-interval', '900', '--peer', `0x${'ab'.repeat(32)}@10.0.0.2:26000`], { MEDCHAIN_BLOCK_INTERVAL: '700' })!
    assert.equal(fromFlags.rpc, null)
    assert.equal(fromFlags.blockIntervalMs, 900)
    assert.equal(fromFile.traceFile, null, 'tracing is off by default')
    assert.equal(loadNodeConfig(['--config', file], { MEDCHAIN_TRACE_FILE: 'steps.trace' })!.traceFile, join(process.cwd(), 'steps.trace'))
    assert.equal(loadNodeConfig(['--config', file, '--trace-file', '/tmp/x.trace'], {})!.traceFile, '/tmp/x.trace')
    assert.equal(fromFile.warmUp, true, 'the start-up self-test runs by default')
    assert.equal(loadNodeConfig(['--config', file], { MEDCHAIN_WARM_UP: 'false' })!.warmUp, false)
    assert.equal(loadNodeConfig(['--config', file, '--warm-up', 'true'], { MEDCHAIN_WARM_UP: 'false' })!.warmUp, true)
    assert.deepEqual(fromFlags.peers, [{ publicKey: `0x${'ab'.repeat(32)}`, host: '10.0.0.2', port: 26000 }])
  } finally {
    await dir.cleanup()
  }
})

test('config: bad values are refused with BAD_CONFIG and a clear message', () => {
  const bad = (argv: string[], message: RegExp) =>
    assert.throws(() => loadNodeConfig(argv, {}), (e: Error & { code?: string }) => e.code === NodeErrorCode.BAD_CONFIG && message.test(e.message))
  bad(['--genesis', 'g.json'], /--data-dir/)
  bad(['--data-dir', 'd'], /--genesis/)
  bad(['--data-dir', 'd', '--genesis', 'g', '--rpc-port', '70000'], /port number/)
  bad(['--data-dir', 'd', '--genesis', 'g', '--peer', 'nonsense'], /PUBLICKEY@HOST:PORT/)
  bad(['--data-dir', 'd', '--genesis', 'g', '--log-level', 'loud'], /log level/)
  bad(['--data-dir', 'd', '--genesis', 'g', '--warm-up', 'maybe'], /warm-up must be true or false/)
  bad(['--data-dir', 'd', '--genesis', 'g', '--produce-on-txs', '1'], /produce-on-txs must be true or false/)
  bad(['--data-dir', 'd', '--genesis', 'g', '--bogus'], /Unknown option/)
  bad(['--config', '/nonexistent/node.json'], /cannot read config file/)
})

test('config: several --config files give several nodes; other flags and shared names, dirs or ports refused', async () => {
  const dir = await tempDir()
  try {
    const file = async (name: string, body: Record<string, unknown>): Promise<string> => {
      const path = join(dir.path, `${name}.json`)
      await writeFile(path, JSON.stringify({ name, genesisFile: 'genesis.json', dataDir: name, ...body }))
      return path
    }
    const a = await file('a', { rpc: { port: 9000 }, p2p: { port: 27000 } })
    const b = await file('b', { rpc: { port: 9001 }, p2p: { port: 27001 } })
    assert.deepEqual(loadNodeConfigs(['--config', a], {})!.map((c) => c.name), ['a'], 'one file: one node, as loadNodeConfig')
    assert.deepEqual(loadNodeConfigs(['--config', a, '--rpc-port', '9100'], {})!.map((c) => c.rpc?.port), [9100], 'one file: flags still apply')
    const both = loadNodeConfigs(['--config', a, `--config=${b}`], { MEDCHAIN_LOG_LEVEL: 'warn' })!
    assert.deepEqual(both.map((c) => [c.name, c.dataDir, c.rpc?.port, c.p2p.port, c.logLevel]), [
      ['a', join(dir.path, 'a'), 9000, 27000, 'warn'],
      ['b', join(dir.path, 'b'), 9001, 27001, 'warn'],
    ], 'each from its own file; the environment applies to all')
    const refused = (argv: string[], message: RegExp) =>
      assert.throws(() => loadNodeConfigs(argv, {}), (e: Error & { code?: string }) => e.code === NodeErrorCode.BAD_CONFIG && message.test(e.message))
    refused(['--config', a, '--config', b, '--rpc-port', '9100'], /take no other flag/)
    refused(['--config', a, '--config', a], /nodes a and a in one process share the name a/)
    refused(['--config', a, '--config', await file('c', { dataDir: 'a', rpc: { port: 9002 }, p2p: { port: 27002 } })], /share the data directory/)
    refused(['--config', a, '--config', await file('d', { rpc: { port: 9003 }, p2p: { port: 27000 } })], /share the p2p address 127\.0\.0\.1:27000/)
    refused(['--config', a, '--config', await file('e', { rpc: { port: 9000 }, p2p: { port: 27004 } })], /share the RPC address/)
  } finally {
    await dir.cleanup()
  }
})
