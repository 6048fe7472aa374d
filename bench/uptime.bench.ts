/**
 * `npm run bench:uptime [-- --passes P] [--n N] [--chains medchain,ganache,hardhat] [--processes P] [--out DIR]`:
 * one-at-a-time records in P passes of N (default 5 × 100) on each chain, one chain after the
 * other, each on a fresh chain set up like `npm run bench` does. `npm run bench` measures the
 * first pass after setup only, while the processes are new; this shows where each chain's latency
 * goes as it stays up (medchain's nodes keep tiering up their JIT for hundreds of heights).
 * Table on stdout, progress on stderr, JSON in bench/results/uptime-<time>.json.
 * Exit 0 when every pass of every chain finished, 1 when one failed, 2 on bad options, 3 when a
 * chain cannot be set up (the Ethereum baselines' install failed).
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { BenchErrorCode, isBenchError } from './errors.ts'
import { parseCliOptions, resolveChains } from './run.ts'
import { formatUptimeTable, parseUptimeArgs, summarisePass, type PassSummary, type UptimeChainResult } from './uptime.ts'
import { PAPER_SCENARIO, freshFingerprints, type ChainDriver } from './workload.ts'

async function main(): Promise<number> {
  let args
  let options
  try {
    args = parseUptimeArgs(process.argv.slice(2))
    options = parseCliOptions(args.rest)
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`)
    return 2
  }
  const log = (m: string): void => void process.stderr.write(`${m}\n`)
  let chains
  try {
    chains = await resolveChains(options, (m) => log(`[bench] ${m}`))
  } catch (e) {
    // As in `npm run bench`: 3 when a chain cannot be set up (the Ethereum install failed).
    log((e as Error).message)
    return isBenchError(e, BenchErrorCode.DRIVER_NOT_WIRED) || isBenchError(e, BenchErrorCode.INSTALL_FAILED) ? 3 : 1
  }
  const results: UptimeChainResult[] = []
  let ok = true
  for (const { id, factory } of chains) {
    let driver: ChainDriver | undefined
    const passes: PassSummary[] = []
    try {
      log(`[${id}] starting (untimed)…`)
      driver = await factory()
      await driver.setup(PAPER_SCENARIO, (m) => log(`[${id}] ${m}`))
      for (let p = 1; p <= args.passes; p++) {
        const t0 = performance.now()
        const { latenciesMs } = await driver.recordSequential(freshFingerprints(`uptime-${id}-${p}`, options.n), (done, total) => {
          if (done % 25 === 0 || done === total) log(`[${id}] pass ${p}/${args.passes}: ${done}/${total}`)
        })
        passes.push(summarisePass(p, performance.now() - t0, latenciesMs))
      }
      results.push({ id, label: driver.label, passes })
    } catch (e) {
      ok = false
      log(`[${id}] failed: ${(e as Error).message}`)
      results.push({ id, label: driver?.label ?? id, passes })
    } finally {
      await driver?.teardown().catch((e: unknown) => log(`[${id}] teardown failed: ${(e as Error).message}`))
    }
  }
  process.stdout.write(`\none at a time, ${options.n} records per pass, wall (p50 / p99 of the records)\n\n${formatUptimeTable(results)}\n`)
  await mkdir(options.outDir, { recursive: true })
  const out = join(options.outDir, `uptime-${new Date().toISOString().replaceAll(':', '-').replace('.', '-')}.json`)
  await writeFile(out, JSON.stringify({ schema: 'medchain-uptime/1', n: options.n, passes: args.passes, ok, chains: results }, null, 2))
  process.stdout.write(`\nJSON: ${out}\n`)
  return ok ? 0 : 1
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`bench:uptime failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`)
    process.exit(1)
  },
)
