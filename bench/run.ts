/**
 * `npm run bench -- [--quick] [--n N] [--chains ganache,hardhat,medchain,memory] [--out DIR]
 *                   [--images DIR] [--seed S] [--validators V] [--processes P]
 *                   [--eth-client lean|contract] [--rounds K]`
 *
 * The orchestrator: parses options, installs the Ethereum baselines on first use, runs the
 * paper's workload on each chosen chain in turn, prints the table and writes the JSON and HTML
 * reports; with `--rounds K` it does all that K times and then prints (and writes) what the
 * rounds say together (rounds.ts). Exit code 0 only when every chain passed every check in
 * every round; 2 on bad options.
 */
import { fileURLToPath, pathToFileURL } from 'node:url'
import { join } from 'node:path'
import { runBenchmark, type BenchRunResult, type ChainDriverFactory } from './workload.ts'
import { formatRounds, summarizeRounds, writeRoundsSummary } from './rounds.ts'
import { createTerminalProgress, formatTable, writeReports } from './report.ts'
import { createMemoryDriver } from './memory-driver.ts'
import { DEFAULT_LOAD_RATES, QUICK_LOAD_RATES, createMedchainDriverFactory } from './medchain-driver.ts'
import { ensureEthereumInstalled } from './ethereum/install.ts'
import { BenchError, BenchErrorCode, isBenchError } from './errors.ts'

const BENCH_DIR = fileURLToPath(new URL('.', import.meta.url))

export const KNOWN_CHAINS = ['medchain', 'ganache', 'hardhat', 'memory'] as const
type ChainId = (typeof KNOWN_CHAINS)[number]
/** medchain first: the headline compares it (the subject) with each Ethereum baseline. */
export const DEFAULT_CHAINS: readonly ChainId[] = ['medchain', 'ganache', 'hardhat']

export interface CliOptions {
  readonly n: number
  readonly quick: boolean
  readonly chains: ChainId[]
  readonly outDir: string
  readonly imagesDir: string
  readonly seed: string
  readonly validators: number
  /** OS processes medchain's validators run in; undefined: one per core (defaultBenchProcesses). */
  readonly processes: number | undefined
  /** How the Ethereum baselines write (see bench/ethereum/ethereum-driver.ts). */
  readonly ethClient: 'lean' | 'contract'
  /** Whole benchmark runs, one after another, summarised together (rounds.ts). */
  readonly rounds: number
}

/** @throws BenchError BAD_OPTION / UNKNOWN_CHAIN. */
export function parseCliOptions(argv: readonly string[]): CliOptions {
  let n: number | undefined
  let quick = false
  let chains: string[] = [...DEFAULT_CHAINS]
  let outDir = join(BENCH_DIR, 'results')
  let imagesDir = join(BENCH_DIR, '.cache', 'images')
  let seed = 'medchain-bench'
  let validators = 10
  let processes: number | undefined
  let ethClient: 'lean' | 'contract' = 'lean'
  let rounds = 1
  const value = (i: number, flag: string): string => {
    const v = argv[i + 1]
    if (v === undefined || v.startsWith('--')) throw new BenchError(BenchErrorCode.BAD_OPTION, `${flag} needs a value`)
    return v
  }
  const int = (s: string, flag: string, lo: number, hi: number): number => {
    const v = Number(s)
    if (!Number.isInteger(v) || v < lo || v > hi) throw new BenchError(BenchErrorCode.BAD_OPTION, `${flag} must be an integer ${lo}..${hi}, got ${s}`)
    return v
  }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined]
    const take = (): string => {
      if (inline !== undefined) return inline
      const v = value(i, flag!)
      i++
      return v
    }
    switch (flag) {
      case '--quick':
        quick = true
        break
      case '--n':
        n = int(take(), '--n', 1, 10_000)
        break
      case '--chains':
        chains = take().split(',').map((s) => s.trim()).filter((s) => s !== '')
        break
      case '--out':
        outDir = take()
        break
      case '--images':
        imagesDir = take()
        break
      case '--seed':
        seed = take()
        break
      case '--validators':
        validators = int(take(), '--validators', 1, 100)
        break
      case '--processes':
        processes = int(take(), '--processes', 1, 100)
        break
      case '--eth-client': {
        const v = take()
        if (v !== 'lean' && v !== 'contract') throw new BenchError(BenchErrorCode.BAD_OPTION, `--eth-client must be lean or contract, got ${v}`)
        ethClient = v
        break
      }
      case '--rounds':
        rounds = int(take(), '--rounds', 1, 50)
        break
      default:
        throw new BenchError(BenchErrorCode.BAD_OPTION, `unknown option ${a}`)
    }
  }
  for (const c of chains) {
    if (!(KNOWN_CHAINS as readonly string[]).includes(c)) {
      throw new BenchError(BenchErrorCode.UNKNOWN_CHAIN, `unknown chain ${c}; known: ${KNOWN_CHAINS.join(', ')}`)
    }
  }
  if (chains.length === 0) throw new BenchError(BenchErrorCode.BAD_OPTION, '--chains is empty')
  if (processes !== undefined && processes > validators) throw new BenchError(BenchErrorCode.BAD_OPTION, `--processes must be at most --validators (${validators}), got ${processes}`)
  return { n: n ?? (quick ? 20 : 100), quick, chains: chains as ChainId[], outDir, imagesDir, seed, validators, processes, ethClient, rounds }
}

/** The shape bench/ethereum/index.ts exports; imported dynamically so the root tsc never reads ethers. */
interface EthereumModule {
  createEthereumDriverFactory(options: { kind: 'ganache' | 'hardhat'; client: 'lean' | 'contract' }): ChainDriverFactory
}

async function loadEthereum(log: (m: string) => void): Promise<EthereumModule> {
  await ensureEthereumInstalled(log)
  const url = pathToFileURL(join(BENCH_DIR, 'ethereum', 'index.ts')).href
  return (await import(url)) as EthereumModule
}

/** Resolves every chosen chain before any work, so a chain that cannot run fails fast. */
export async function resolveChains(o: CliOptions, log: (m: string) => void): Promise<{ id: string; factory: ChainDriverFactory }[]> {
  const out: { id: string; factory: ChainDriverFactory }[] = []
  let eth: EthereumModule | undefined
  for (const id of o.chains) {
    switch (id) {
      case 'medchain':
        out.push({
          id,
          factory: createMedchainDriverFactory({
            validators: o.validators,
            ...(o.processes !== undefined ? { processes: o.processes } : {}),
            loadRates: o.quick ? QUICK_LOAD_RATES : DEFAULT_LOAD_RATES,
            loadSecondsPerRate: o.quick ? 1.5 : 4,
            log: (m) => log(m.trim()),
          }),
        })
        break
      case 'memory':
        out.push({ id, factory: async () => createMemoryDriver() })
        break
      case 'ganache':
      case 'hardhat':
        eth ??= await loadEthereum(log)
        out.push({ id, factory: eth.createEthereumDriverFactory({ kind: id, client: o.ethClient }) })
        break
    }
  }
  return out
}

async function main(): Promise<number> {
  let options: CliOptions
  try {
    options = parseCliOptions(process.argv.slice(2))
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`)
    return 2
  }
  const progress = createTerminalProgress()
  const log = (m: string): void => progress.note('bench', m)
  log(`N=${options.n}${options.quick ? ' (quick)' : ''}, chains: ${options.chains.join(', ')}, Ethereum client: ${options.ethClient}, images in ${options.imagesDir}`)
  let chains: { id: string; factory: ChainDriverFactory }[]
  try {
    chains = await resolveChains(options, log)
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`)
    return isBenchError(e, BenchErrorCode.DRIVER_NOT_WIRED) || isBenchError(e, BenchErrorCode.INSTALL_FAILED) ? 3 : 1
  }
  const results: BenchRunResult[] = []
  const files: string[] = []
  for (let round = 1; round <= options.rounds; round++) {
    if (options.rounds > 1) log(`round ${round} of ${options.rounds}`)
    const result = await runBenchmark({ n: options.n, quick: options.quick, imagesDir: options.imagesDir, image: { seed: options.seed }, chains, progress })
    const { jsonPath, htmlPath } = await writeReports(result, options.outDir)
    const heading = options.rounds > 1 ? `round ${round} of ${options.rounds}\n` : ''
    process.stdout.write(`\n${heading}${formatTable(result)}\n\nJSON: ${jsonPath}\nHTML: ${htmlPath}\n`)
    results.push(result)
    files.push(jsonPath)
  }
  const summary = summarizeRounds(results, files)
  process.stdout.write(`\n${formatRounds(summary)}\n`)
  if (options.rounds > 1) {
    const written = await writeRoundsSummary(summary, results[0]!.startedAt, options.outDir)
    process.stdout.write(`\nrounds JSON: ${written.jsonPath}\nrounds HTML: ${written.htmlPath}\n`)
  }
  return results.every((r) => r.ok) ? 0 : 1
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`)
      process.exit(1)
    },
  )
}
