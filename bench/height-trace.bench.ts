/**
 * `npm run bench:trace [-- N]`: the timeline of a one-at-a-time record on the 10-validator
 * testnet. Every node appends its consensus steps to one trace file (MEDCHAIN_TRACE_FILE, see
 * node/consensus-runner/step-trace.ts); the client notes when each record starts and when it
 * sees it final (bench/medchain/traced-records.ts). After setup and 100 records to warm the
 * nodes' JIT, N traced records (default 50) are split into phases (bench/medchain/height-trace.ts):
 * a table of medians and 90th percentiles on stdout, JSON in bench/results/height-trace-<time>.json.
 *
 * The trace costs one write per step per node (~15 per node per height), so traced heights run a
 * little slower than untraced ones: read the phases as where the time goes, not as the record time.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { quorumSize } from '../core/validators.ts'
import { join } from 'node:path'
import { precommitSaveTimes, quantile, recordPhases, summarisePhases } from './medchain/height-trace.ts'
import { runTracedRecords } from './medchain/traced-records.ts'

const n = Number(process.argv[2] ?? 50)
if (!Number.isSafeInteger(n) || n < 1) throw new Error(`usage: npm run bench:trace [-- N]   (N >= 1, got ${process.argv[2]})`)
const VALIDATORS = 10
const quorum = quorumSize(VALIDATORS, 'bft')

const { events, windows } = await runTracedRecords({ validators: VALIDATORS, warmUpRecords: 100, records: n, progress: (m) => console.error(`  ${m}`) })
const records = recordPhases(events, windows, quorum)
const summary = summarisePhases(records)
const saves = precommitSaveTimes(events, windows).sort((a, b) => a - b)

const ms = (x: number | undefined): string => (x === undefined ? '—' : x.toFixed(2))
console.log(`\n${records.length} of ${windows.length} traced records, ${VALIDATORS} validators (quorum ${quorum}); ms from the record's start\n`)
console.log(`| phase | p50 ms | p90 ms |\n| --- | --- | --- |`)
for (const s of summary) console.log(`| ${s.phase} | ${ms(s.p50Ms)} | ${ms(s.p90Ms)} |`)
console.log(`\nprecommit: engine request → signed and saved (fsync), per validator: p50 ${ms(quantile(saves, 0.5))} ms, p90 ${ms(quantile(saves, 0.9))} ms, max ${ms(saves.at(-1))} ms (${saves.length} saves)`)

const outDir = join(import.meta.dirname, 'results')
await mkdir(outDir, { recursive: true })
const out = join(outDir, `height-trace-${new Date().toISOString().replaceAll(':', '-').replace('.', '-')}.json`)
await writeFile(out, JSON.stringify({
  schema: 'medchain-height-trace/1', records: n, validators: VALIDATORS, quorum, summary,
  precommitSaveMs: { samples: saves.length, p50: quantile(saves, 0.5), p90: quantile(saves, 0.9), max: saves.at(-1) },
  perRecord: records,
}, null, 2))
console.log(`\nJSON: ${out}`)
