/**
 * The README's CLI session, run as printed (bash, `npm run medchain`) against a live 4-validator
 * network with the testnet's demo accounts: docs that match.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { DEMO_PASSPHRASE } from './layout.ts'
import { startCluster } from './test-support/cluster.ts'

const root = fileURLToPath(new URL('..', import.meta.url))

async function readmeSession(): Promise<string> {
  const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8')
  const m = /<!-- cli-session[^>]*-->\s*```sh\n([\s\S]*?)```\s*<!-- \/cli-session -->/.exec(readme)
  if (!m) throw new Error('README.md has no cli-session block')
  return m[1]!
}

test("the README's CLI session works against a live network as printed", { timeout: 240_000 }, async () => {
  const script = await readmeSession()
  const cluster = await startCluster(4)
  try {
    const env = {
      ...process.env, MEDCHAIN_KEYSTORE: cluster.net.layout.keystoreDir, MEDCHAIN_PASSPHRASE: DEMO_PASSPHRASE,
      MEDCHAIN_RPC: cluster.net.layout.nodes[0]!.rpcUrl,
    }
    const { code, out } = await new Promise<{ code: number | null; out: string }>((resolve, reject) => {
      const child = spawn('bash', ['-c', script], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] })
      let out = ''
      child.stdout.on('data', (d) => (out += d))
      child.stderr.on('data', (d) => (out += d))
      child.on('error', reject)
      child.on('exit', (c) => resolve({ code: c, out }))
    })
    assert.match(out, /chain\s+medchain-itest/)
    assert.match(out, /recorded chest 16c8a694c91b80f1d97efb91455ab8b3facd6221ea401d740086722d4bad0134/)
    assert.match(out, /birthday\s+19970522/)
    assert.match(out, /contact\s+0912-321-456/)
    assert.match(out, /birthday\s+\(encrypted, not readable by this key\)/)
    assert.match(out, /#0\s+Dr\.Lee \(mc[0-9a-f]{40}\)\s+chest\s+16c8a694/)
    assert.match(out, /recorded #0\s+Dr\.Lee/)
    assert.match(out, /REQUIRE_FAILED.*only a permitted doctor may record an X-ray hash/)
    assert.notEqual(code, 0, 'the refused record exits non-zero')
    assert.doesNotMatch(out, /\n\s+at [^\n]+\(/, 'no stack traces')
  } finally {
    await cluster.cleanup()
  }
})
