/**
 * npm run sim -- --seeds 10000            run seeds 0..9999 (or --from S), with progress
 * npm run sim -- --seed N --verbose       replay one seed and print its trace
 */
import { runSeed, runSeeds } from './run-seeds.ts'
import { scenarioFromSeed } from './scenario.ts'

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? process.argv[i + 1] : undefined
}
function intFlag(name: string, fallback: number): number {
  const v = flag(name)
  if (v === undefined) return fallback
  const n = Number(v)
  if (!Number.isSafeInteger(n) || n < 0) {
    console.error(`--${name} must be a non-negative integer, got ${v}`)
    process.exit(2)
  }
  return n
}

const verbose = process.argv.includes('--verbose')
const single = flag('seed')

if (single !== undefined) {
  const seed = intFlag('seed', 0)
  const scenario = scenarioFromSeed(seed)
  console.log(`seed ${seed}: ${JSON.stringify(scenario)}`)
  const r = runSeed(seed, verbose ? (line) => console.log(line) : undefined)
  console.log(`seed ${seed}: ${r.ok ? 'ok' : 'FAILED'}; final height ${r.finalHeight}, ${r.events} events, ${r.simTimeMs} ms simulated, ` +
    `${r.evidence} evidence, ${r.syncs} syncs, ${r.signRefusals} sign refusals, trace ${r.traceHash}`)
  for (const v of r.violations) console.log(`  ${v.kind} at t=${v.atMs}: ${v.message}`)
  process.exit(r.ok ? 0 : 1)
}

const count = intFlag('seeds', 1000)
const from = intFlag('from', 0)
const started = performance.now()
let lastPrint = started
const summary = runSeeds(from, count, (r, done) => {
  if (!r.ok) {
    console.log(`FAIL seed ${r.seed}: ${r.violations.map((v) => `${v.kind}: ${v.message}`).join(' | ')}`)
    console.log(`  replay: npm run sim -- --seed ${r.seed} --verbose`)
  }
  const now = performance.now()
  if (now - lastPrint > 2000 || done === count) {
    lastPrint = now
    process.stdout.write(`${done}/${count} seeds, ${((now - started) / 1000).toFixed(1)} s\n`)
  }
})
const seconds = (performance.now() - started) / 1000
const kinds = new Map<string, number>()
for (const f of summary.failures) for (const v of f.violations) kinds.set(v.kind, (kinds.get(v.kind) ?? 0) + 1)
console.log(`seeds ${from}..${from + count - 1}: ${count - summary.failures.length} passed, ${summary.failures.length} failed ` +
  `(${[...kinds].map(([k, n]) => `${k} ${n}`).join(', ') || 'no violations'}); ${summary.heights} heights final, ` +
  `${summary.evidence} evidence outputs, ${summary.syncs} syncs, ${summary.events} events, ` +
  `${(summary.simTimeMs / 1000).toFixed(0)} s simulated in ${seconds.toFixed(1)} s`)
if (summary.failures.length > 0) {
  console.log(`failing seeds: ${summary.failures.map((f) => f.seed).join(' ')}`)
  process.exit(1)
}
