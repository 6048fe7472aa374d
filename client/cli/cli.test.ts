import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { promises as fs } from 'node:fs'
import { join, resolve } from 'node:path'
import { COMMANDS } from './commands/index.ts'
import type { CliEnvironment } from './context.ts'
import { runCli } from './run.ts'
import { FakeChain } from './test-support/fake-chain.ts'
import { scratchDir } from '../test-support/scratch-dir.ts'

interface Run { code: number; stdout: string; stderr: string }

async function setup() {
  const dir = await scratchDir('medchain-cli-')
  let chain: FakeChain | null = null
  const env: NodeJS.ProcessEnv = { MEDCHAIN_KEYSTORE: join(dir, 'keys'), MEDCHAIN_PASSPHRASE: 'pw' }
  const run = async (...argv: string[]): Promise<Run> => {
    let stdout = ''
    let stderr = ''
    const cli: CliEnvironment = {
      stdout: (t) => { stdout += t }, stderr: (t) => { stderr += t }, env, cwd: dir,
      createChainClient: () => chain!, scrypt: { N: 1024, r: 8, p: 1 },
    }
    const code = await runCli(argv, cli)
    return { code, stdout, stderr }
  }
  const json = async (...argv: string[]): Promise<any> => {
    const r = await run(...argv, '--json')
    assert.equal(r.code, 0, `${argv.join(' ')} failed: ${r.stderr}`)
    return JSON.parse(r.stdout)
  }
  const keys: Record<string, { address: string; publicKey: string }> = {}
  for (const name of ['gov', 'drlee', 'host', 'patient', 'stranger']) keys[name] = await json('keys', 'create', name)
  chain = new FakeChain(keys.gov!.address)
  env.MEDCHAIN_CONTRACT = chain.contract
  const genesis = join(dir, 'genesis.json')
  await fs.writeFile(genesis, JSON.stringify(chain.genesis()))
  return { dir, env, run, json, keys, chain, genesis }
}

test('the paper walk-through through the CLI, with sealed personal data and offline proofs', async () => {
  const { dir, run, json, keys, chain, genesis } = await setup()
  assert.deepEqual((await json('keys', 'list')).map((k: any) => k.name), ['drlee', 'gov', 'host', 'patient', 'stranger'])
  assert.equal((await run('grant', keys.drlee!.address, '--name', 'Dr.Lee', '--key', 'gov')).code, 0)
  assert.equal((await run('grant', keys.host!.address, '--name', 'Hospital', '--role', 'host', '--key', 'gov')).code, 0)
  assert.equal((await run('grant', keys.patient!.address, '--name', 'Ken', '--role', 'patient', '--key', 'gov')).code, 0)

  const image = join(dir, 'chest.jpg')
  await fs.writeFile(image, randomBytes(4096))
  const rec = await json('record', 'chest', image, '--key', 'drlee')
  assert.match(rec.sha256, /^[0-9a-f]{64}$/)
  assert.deepEqual(chain.records.map((r) => r.slice(2, 5)), [['Dr.Lee', 'chest', rec.sha256]])

  assert.equal((await run('set-birthday', '19970522', '--patient', 'patient', '--key', 'host')).code, 0)
  assert.equal((await run('set-contact', '0912-321-456', '--patient', keys.patient!.publicKey, '--key', 'host')).code, 0)
  assert.ok(!Buffer.from(chain.birthday).includes(Buffer.from('19970522')), 'the chain holds no clear birthday')
  const profile = await json('profile', '--key', 'patient')
  assert.deepEqual(profile, { name: 'Ken', age: 25, birthday: '19970522', contact: '0912-321-456' })
  const asDoctor = await json('profile', '--key', 'drlee')
  assert.equal(asDoctor.birthday, '(encrypted, not readable by this key)')
  assert.equal((await json('profile', '--key', 'host')).contact, '0912-321-456')

  const listed = await json('records', '--key', 'patient')
  assert.deepEqual(listed.map((r: any) => [r.index, r.doctor, r.doctorName, r.part, r.hash]), [[0, keys.drlee!.address, 'Dr.Lee', 'chest', rec.sha256]])
  const found = await run('lookup', image, '--key', 'patient')
  assert.equal(found.code, 0)
  assert.match(found.stdout, /recorded #0  Dr\.Lee \(mc[0-9a-f]{40}\)  chest/)
  const other = join(dir, 'other.png')
  await fs.writeFile(other, 'x')
  const missing = await run('lookup', other, '--key', 'patient')
  assert.equal(missing.code, 1)
  assert.match(missing.stderr, /^error NOT_ANCHORED: /)
  const count = await run('call', chain.contract, 'getXrayhashCount', '--key', 'patient')
  assert.equal(count.stdout.trim(), '1')

  const proof = await json('proof', rec.id, '--genesis', genesis)
  assert.equal(proof.ok, true)
  assert.deepEqual(proof.signers, [0, 1, 3])
  const verified = await json('verify', image, '--tx', rec.id, '--genesis', genesis)
  assert.equal(verified.sha256, rec.sha256)
  const notThis = await run('verify', other, '--tx', rec.id, '--genesis', genesis)
  assert.match(notThis.stderr, /^error NOT_ANCHORED: /)

  // gov revokes Dr. Lee; his next record is refused with the contract's code
  assert.equal((await run('revoke', keys.drlee!.address, '--key', 'gov')).code, 0)
  const refused = await run('record', 'chest', rec.sha256, '--key', 'drlee')
  assert.equal(refused.code, 1)
  assert.match(refused.stderr, /^error TX_FAILED: tx 0x[0-9a-f]{64} failed: NOT_PERMITTED/)
  assert.ok(!refused.stderr.includes('    at '), 'no stack trace')
  const status = await json('status')
  assert.equal(status.chainId, 'medchain-test')
})

test('anchor: interrupted midway, re-run completes without duplicates; verify finds the tx in the journal', async () => {
  const { dir, run, json, keys, chain, genesis } = await setup()
  await run('grant', keys.drlee!.address, '--name', 'Dr.Lee', '--key', 'gov')
  const images = join(dir, 'images')
  await fs.mkdir(join(images, 'day2'), { recursive: true })
  for (let i = 0; i < 25; i++) await fs.writeFile(join(images, i < 12 ? '' : 'day2', `xray-${i}.jpg`), randomBytes(3000 + i))
  await fs.writeFile(join(images, 'readme.txt'), 'not an image')
  const journal = join(dir, 'anchor.jsonl')
  chain.failSendAt = chain.sends + 10
  const first = await run('anchor', images, '--key', 'drlee', '--journal', journal, '--window', '4')
  assert.equal(first.code, 1)
  assert.match(first.stderr, /error TRANSPORT_ERROR: /)
  const recordedFirst = chain.records.length
  assert.ok(recordedFirst >= 9 && recordedFirst < 25)
  const second = await json('anchor', images, '--key', 'drlee', '--journal', journal, '--window', '4')
  assert.equal(second.total, 25)
  assert.equal(second.recorded, 25 - recordedFirst)
  assert.equal(second.alreadyFinal, recordedFirst)
  assert.equal(chain.records.length, 25)
  assert.equal(new Set(chain.records.map((r) => r[4])).size, 25, 'no fingerprint recorded twice')
  const v = await json('verify', join(images, 'day2', 'xray-20.jpg'), '--journal', journal, '--genesis', genesis)
  assert.equal(v.ok, true)
})

test('keys and passphrases: wrong passphrase, missing key and usage errors are one line with a code', async () => {
  const { env, run } = await setup()
  env.MEDCHAIN_PASSPHRASE = 'wrong'
  const r = await run('record', 'chest', 'ab'.repeat(32), '--key', 'drlee')
  assert.equal(r.code, 1)
  assert.equal(r.stderr, "error WRONG_PASSPHRASE: wrong passphrase for key 'drlee'\n")
  const noKey = await run('record', 'chest', 'ab'.repeat(32), '--key', 'nobody')
  assert.match(noKey.stderr, /^error KEY_NOT_FOUND: /)
  delete env.MEDCHAIN_PASSPHRASE
  const noPass = await run('keys', 'create', 'x')
  assert.match(noPass.stderr, /^error NO_PASSPHRASE: /)
  assert.equal((await run('keys', 'create', 'a', 'b')).code, 2)
  assert.equal((await run('hash', '--nope', 'x')).code, 2)
  const unknown = await run('launch-rockets')
  assert.equal(unknown.code, 2)
  assert.match(unknown.stderr, /^error UNKNOWN_COMMAND: /)
  const noFile = await run('hash', '/definitely/not/here.jpg')
  assert.equal(noFile.stderr, 'error FILE_NOT_FOUND: no such file or folder: /definitely/not/here.jpg\n')
  env.MEDCHAIN_SECRET_KEY = '11'.repeat(32)
  env.MEDCHAIN_PASSPHRASE = 'pw'
  const imported = await run('keys', 'import', 'imported', '--json')
  assert.equal(imported.code, 0)
  assert.equal(JSON.parse(imported.stdout).publicKey.length, 66)
})

test('--help works on the top level and on every command', async () => {
  const { run } = await setup()
  const top = await run('--help')
  assert.equal(top.code, 0)
  for (const c of COMMANDS) {
    assert.ok(top.stdout.includes(c.path.join(' ')), `top help lists ${c.path.join(' ')}`)
    const h = await run(...c.path, '--help')
    assert.equal(h.code, 0, c.path.join(' '))
    assert.ok(h.stdout.startsWith(`medchain ${c.path.join(' ')}`), h.stdout)
    assert.match(h.stdout, /Global options:/)
  }
  const group = await run('keys', '--help')
  assert.match(group.stdout, /keys create/)
})

test('hash prints fingerprints like sha256sum, and JSON with --json', async () => {
  const { dir, run, json } = await setup()
  await fs.writeFile(join(dir, 'a.png'), '')
  const r = await run('hash', join(dir, 'a.png'))
  assert.equal(r.stdout, `e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  ${join(dir, 'a.png')}\n`)
  const j = await json('hash', dir)
  assert.deepEqual(j.map((x: any) => x.path), [join(dir, 'a.png')])
})

test('bin.js launches the CLI on the project Node, even from another Node', () => {
  const bin = resolve(import.meta.dirname, 'bin.js')
  const r = spawnSync(process.execPath, [bin, 'hash', bin, '--all'], { encoding: 'utf8' })
  assert.equal(r.status, 0, r.stderr)
  assert.match(r.stdout, /^[0-9a-f]{64} {2}.*bin\.js\n$/)
  const bad = spawnSync(process.execPath, [bin, 'nope'], { encoding: 'utf8' })
  assert.equal(bad.status, 2)
})
