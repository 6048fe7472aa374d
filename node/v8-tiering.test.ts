import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { sparkplugChosenOnCommandLine } from './v8-tiering.ts'

const MODULE = fileURLToPath(new URL('./v8-tiering.ts', import.meta.url))

/** Imports v8-tiering.ts in a fresh Node with `flags`, calls a new function once, and says whether V8 gave it baseline code. */
function baselineAfterOneCall(flags: readonly string[]): boolean {
  // %GetOptimizationStatus through Function, so the script stays plain JavaScript; bit 15 is
  // V8's "is baseline" (Sparkplug) bit.
  const script = `await import(${JSON.stringify(MODULE)})
const f = new Function('x', 'let s = 0; for (let i = 0; i < 3; i++) s += x * i; return s')
f(1)
console.log((new Function('f', 'return %GetOptimizationStatus(f)')(f) & (1 << 15)) !== 0)`
  const out = execFileSync(process.execPath, ['--allow-natives-syntax', ...flags, '--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' })
  return out.trim() === 'true'
}

test('a node process compiles each function to baseline code on its first call', () => {
  assert.equal(baselineAfterOneCall([]), true)
})

test('an operator\'s own choice on the command line is kept', () => {
  assert.equal(baselineAfterOneCall(['--no-always-sparkplug']), false)
  assert.equal(sparkplugChosenOnCommandLine(['--no-always-sparkplug']), true)
  assert.equal(sparkplugChosenOnCommandLine(['--always_sparkplug']), true)
  assert.equal(sparkplugChosenOnCommandLine(['--v8-pool-size=1', '--cpu-prof']), false)
})
