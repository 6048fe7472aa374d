/**
 * `npm run bench:seq-cpu [-- N [P]]`: where a sequential record's time goes on the 10-validator
 * testnet (in P node processes; default one per core, as `npm run bench`). Runs setup, N records
 * one at a time twice (the first run warms the nodes' JIT), N pipelined and the read-back, and
 * prints each step's wall time next to the CPU the node processes used meanwhile (utime + stime
 * from /proc, all nodes summed) and their minor page faults: CPU per record is the cost of one
 * height. It first prints what the kernel charges here (bench/kernel-costs.ts). `PERF=<file>` also
 * records `perf record -a -g` over the warm run at `PERF_FREQ` Hz (default 499). To name JIT
 * frames, start the nodes with `MEDCHAIN_NODE_ARGS=--perf-basic-prof` (a map per process; addresses
 * V8 reuses may be misnamed) or, exactly, with `MEDCHAIN_NODE_ARGS="--perf-prof
 * --perf-prof-path=DIR"` and then `perf inject --jit -i <file> -o <file>.jit` in DIR (the recording
 * uses the monotonic clock, which jitdump needs). After the run it prints where the recorded CPU
 * went: by thread kind, and the nodes' main threads by layer (bench/medchain/perf-split.ts). Linux
 * only (/proc).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { spawn, spawnSync } from 'node:child_process'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createMedchainDriverFactory } from './medchain-driver.ts'
import { freshFingerprints, PAPER_SCENARIO } from './workload.ts'
import { formatPerfSplit, parsePerfScript, splitPerfSamples } from './medchain/perf-split.ts'
import { formatKernelCosts, measureKernelCosts } from './kernel-costs.ts'
import { readProcStat } from './medchain/process-usage.ts'

const n = Number(process.argv[2] ?? 100)
const processes = process.argv[3] === undefined ? undefined : Number(process.argv[3])
if (!Number.isSafeInteger(n) || n < 1 || (processes !== undefined && (!Number.isInteger(processes) || processes < 1 || processes > 10))) {
  console.error(`usage: npm run bench:seq-cpu [-- N [P]]   (N >= 1 records, P 1..10 node processes; got ${process.argv.slice(2).join(' ')})`)
  process.exit(2)
}

/** The benchmark's node processes: their command lines name the bench folder. */
function nodePids(): number[] {
  return readdirSync('/proc').filter((pid) => {
    try {
      return /^\d+$/.test(pid) && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('medchain-bench-')
    } catch {
      return false // the process ended meanwhile
    }
  }).map(Number)
}

/**
 * CPU ms used so far by the benchmark's node processes, and their minor page faults (each a page
 * the kernel had to map, and usually zero, on first touch: freshly allocated or returned memory).
 */
function nodesUsage(): { cpuMs: number; minorFaults: number } {
  let cpuMs = 0
  let minorFaults = 0
  for (const pid of nodePids()) {
    const stat = readProcStat(pid) // undefined: the process ended meanwhile
    cpuMs += stat?.cpuMs ?? 0
    minorFaults += stat?.minorFaults ?? 0
  }
  return { cpuMs, minorFaults }
}

/** Prints where the recorded CPU went (perf script must name the nodes' frames: see the top). */
function printPerfSplit(file: string, pids: ReadonlySet<number>): void {
  const script = spawnSync('perf', ['script', '-i', file, '-F', 'comm,pid,tid,ip,sym,dso'], { encoding: 'utf8', maxBuffer: 2 ** 30 })
  if (script.error || script.status !== 0) {
    console.error(`perf script failed: ${script.error?.message ?? `exit ${script.status ?? script.signal}: ${script.stderr.slice(0, 300)}`}`)
    return
  }
  console.log(`\nCPU during the warm run (${file}):\n`)
  console.log(formatPerfSplit(splitPerfSamples(parsePerfScript(script.stdout.split('\n')), pids)))
  // Kept, since `perf report -i <file>` needs them to name JIT frames; but they are large.
  const maps = [...pids].map((pid) => ({ path: `/tmp/perf-${pid}.map`, bytes: fileSize(`/tmp/perf-${pid}.map`) })).filter((m) => m.bytes > 0)
  if (maps.length > 0) {
    const mb = maps.reduce((sum, m) => sum + m.bytes, 0) / 2 ** 20
    console.error(`the nodes' JIT maps stay for perf report: ${maps.length} files, ${mb.toFixed(1)} MB in all; when done: rm ${maps.map((m) => m.path).join(' ')}`)
  }
}

function fileSize(path: string): number {
  try {
    return statSync(path).size
  } catch {
    return 0
  }
}

const fingerprints = (tag: string): string[] => freshFingerprints(tag, n)

async function step(label: string, records: number, run: () => Promise<unknown>, perfOut?: string): Promise<void> {
  const perf = perfOut ? spawn('perf', ['record', '-k', 'mono', '-F', process.env.PERF_FREQ ?? '499', '-a', '-g', '-o', perfOut], { stdio: 'ignore' }) : undefined
  if (perf) await new Promise((r) => setTimeout(r, 1500))
  const before = nodesUsage()
  const t0 = performance.now()
  await run()
  const ms = performance.now() - t0
  const after = nodesUsage()
  const cpu = after.cpuMs - before.cpuMs
  const faults = after.minorFaults - before.minorFaults
  if (perf) {
    perf.kill('SIGINT')
    await new Promise((r) => perf.on('exit', r))
  }
  const per = records > 0 ? `  ${(ms / records).toFixed(1).padStart(6)} ms, ${(cpu / records).toFixed(1).padStart(6)} ms node CPU and ${(faults / records).toFixed(0).padStart(5)} page faults per record` : ''
  console.log(`${label.padEnd(18)} ${ms.toFixed(1).padStart(9)} ms  node CPU ${String(cpu).padStart(6)} ms  page faults ${String(faults).padStart(7)}${per}`)
}

if (process.env.PERF) {
  // Before the testnet starts: a missing perf would otherwise surface as a crash mid-run.
  const probe = spawnSync('perf', ['--version'], { encoding: 'utf8' })
  if (probe.error || probe.status !== 0) {
    console.error(`PERF is set but perf does not run (${probe.error?.message ?? `exit ${probe.status}`}): install it (Debian: linux-perf) or unset PERF`)
    process.exit(2)
  }
}

// V8 flags that name JIT frames for perf (--perf-basic-prof, --perf-prof) also write an isolate
// log into the current folder, ten of them per run. perf does not read them: they go to a
// folder of their own, removed at the end (unless the caller chose a --logfile).
const v8LogDir = process.env.PERF && !/(^|\s)--logfile[=\s]/.test(process.env.MEDCHAIN_NODE_ARGS ?? '') ? mkdtempSync(join(tmpdir(), 'medchain-v8-log-')) : undefined
if (v8LogDir) {
  process.env.MEDCHAIN_NODE_ARGS = `${process.env.MEDCHAIN_NODE_ARGS ?? ''} --logfile=${join(v8LogDir, 'v8.log')}`.trim()
  process.on('exit', () => rmSync(v8LogDir, { recursive: true, force: true }))
}

// Before the nodes start, so nothing of ours competes with the probe.
console.log(`kernel: ${formatKernelCosts(measureKernelCosts())}`)
console.error(`starting a 10-validator testnet (untimed)…`)
const driver = await createMedchainDriverFactory({ validators: 10, ...(processes !== undefined ? { processes } : {}), loadRates: [] })()
console.error(driver.label)
try {
  await step('setup', 0, () => driver.setup(PAPER_SCENARIO, () => {}))
  await step('sequential (cold)', n, () => driver.recordSequential(fingerprints('cold'), (d, t) => d % 25 === 0 && console.error(`  cold ${d}/${t}`)))
  const warmPids = new Set(nodePids())
  await step('sequential (warm)', n, () => driver.recordSequential(fingerprints('warm'), (d, t) => d % 25 === 0 && console.error(`  warm ${d}/${t}`)), process.env.PERF)
  await step('pipelined', n, () => driver.recordPipelined(fingerprints('pipe'), () => {}))
  await step('read back all', 0, () => driver.readAll(() => {}))
  if (process.env.PERF) printPerfSplit(process.env.PERF, warmPids)
} finally {
  await driver.teardown()
}
