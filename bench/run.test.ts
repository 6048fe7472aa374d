import { test } from 'node:test'
import assert from 'node:assert/strict'
import { DEFAULT_CHAINS, parseCliOptions, resolveChains } from './run.ts'
import { isBenchError } from './errors.ts'

test('command-line options: defaults, --quick, --n, --chains, --eth-client, --rounds, --processes', () => {
  const d = parseCliOptions([])
  assert.equal(d.n, 100)
  assert.deepEqual(d.chains, [...DEFAULT_CHAINS])
  assert.equal(d.ethClient, 'lean')
  assert.equal(parseCliOptions(['--quick']).n, 20)
  assert.equal(parseCliOptions(['--quick', '--n', '7']).n, 7)
  const o = parseCliOptions(['--n=3', '--chains', 'memory,ganache', '--out', '/tmp/x', '--eth-client', 'contract'])
  assert.equal(o.n, 3)
  assert.deepEqual(o.chains, ['memory', 'ganache'])
  assert.equal(o.outDir, '/tmp/x')
  assert.equal(o.ethClient, 'contract')
  assert.equal(d.rounds, 1)
  assert.equal(parseCliOptions(['--rounds', '5']).rounds, 5)
  assert.equal(d.processes, undefined, "one node process per core unless asked (the driver's default)")
  assert.equal(parseCliOptions(['--processes', '10']).processes, 10)
  assert.equal(parseCliOptions(['--validators', '4', '--processes=4']).processes, 4)
  for (const bad of [['--processes', '0'], ['--processes', '11'], ['--validators', '4', '--processes', '5'], ['--rounds', '0'], ['--rounds', '1.5'], ['--n', '0'], ['--n'], ['--chains', 'nope'], ['--frob'], ['--eth-client', 'x'], ['--chains', ',']]) {
    assert.throws(() => parseCliOptions(bad), (e: unknown) => isBenchError(e), bad.join(' '))
  }
})

test('medchain is wired and first by default; resolving it starts nothing (the factory does)', async () => {
  assert.equal(DEFAULT_CHAINS[0], 'medchain')
  const medchain = await resolveChains(parseCliOptions(['--chains', 'medchain', '--validators', '4']), () => {})
  assert.deepEqual(medchain.map((c) => c.id), ['medchain'])
  assert.equal(typeof medchain[0]!.factory, 'function')
  const memory = await resolveChains(parseCliOptions(['--chains', 'memory']), () => {})
  assert.deepEqual(memory.map((c) => c.id), ['memory'])
})
