import { test } from 'node:test'
import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { loadNodeConfig } from './config.ts'
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
