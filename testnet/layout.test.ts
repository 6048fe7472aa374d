import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Keystore } from '../client/keystore.ts'
import { tempDir } from '../node/test-support/fixtures.ts'
import { DEFAULT_TESTNET_OPTIONS, DEMO_ACCOUNTS, DEMO_PASSPHRASE, createOrLoadTestnet } from './layout.ts'

test('a testnet layout is created once, reused when options match, refused when they differ', async () => {
  const tmp = await tempDir()
  const options = { ...DEFAULT_TESTNET_OPTIONS, nodes: 4, dir: join(tmp.path, 'net') }
  try {
    const made = await createOrLoadTestnet(options)
    assert.equal(made.reused, false)
    assert.equal(made.nodes.length, 4)
    assert.equal(made.genesis.validatorSet.quorum, 3)
    assert.deepEqual(made.accounts.map((a) => a.name).sort(), [...DEMO_ACCOUNTS].sort())
    const doctor = await new Keystore(made.keystoreDir).load('doctor', DEMO_PASSPHRASE)
    assert.equal(doctor.address, made.accounts.find((a) => a.name === 'doctor')!.address)
    for (const n of made.nodes) assert.ok(existsSync(n.configFile) && existsSync(join(n.dir, 'key.json')))

    const again = await createOrLoadTestnet(options)
    assert.equal(again.reused, true)
    assert.equal(again.genesis.chainId, made.genesis.chainId)
    assert.deepEqual(again.nodes.map((n) => n.publicKey), made.nodes.map((n) => n.publicKey))

    await assert.rejects(createOrLoadTestnet({ ...options, nodes: 5 }), /other options/)
    const fresh = await createOrLoadTestnet({ ...options, nodes: 5, fresh: true })
    assert.equal(fresh.reused, false)
    assert.notDeepEqual(fresh.nodes.map((n) => n.publicKey).slice(0, 4), made.nodes.map((n) => n.publicKey))
  } finally {
    await tmp.cleanup()
  }
})

test('an unrelated non-empty folder is never deleted, even with --fresh', async () => {
  const tmp = await tempDir()
  try {
    const dir = join(tmp.path, 'precious')
    await mkdir(dir)
    await writeFile(join(dir, 'thesis.txt'), 'do not delete')
    await assert.rejects(createOrLoadTestnet({ ...DEFAULT_TESTNET_OPTIONS, nodes: 1, dir, fresh: true }), /not a medchain testnet folder/)
    assert.ok(existsSync(join(dir, 'thesis.txt')))
  } finally {
    await tmp.cleanup()
  }
})
