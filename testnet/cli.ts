/**
 * `npm run testnet`: creates (or reuses) a local network of validators, starts one node process
 * each on loopback (or the nodes spread over `--processes N`), waits until blocks are final on
 * every node, prints the RPC URLs and demo accounts, and stays in the foreground. Ctrl-C stops
 * every node cleanly.
 */
import { parseArgs } from 'node:util'
import { DEFAULT_TESTNET_OPTIONS, type TestnetOptions } from './layout.ts'
import { runTestnet } from './testnet.ts'

const HELP = `medchain testnet: start a local network of validators on 127.0.0.1

Usage: npm run testnet -- [options]

Options:
  --nodes N          number of validators (default ${DEFAULT_TESTNET_OPTIONS.nodes})
  --base-port P      first libp2p port; node i listens on P+i (default ${DEFAULT_TESTNET_OPTIONS.basePort})
  --base-rpc-port P  first JSON-RPC port; node i serves on P+i (default ${DEFAULT_TESTNET_OPTIONS.baseRpcPort})
  --data-dir DIR     where keys, genesis, data and logs live (default ${DEFAULT_TESTNET_OPTIONS.dir})
  --quorum MODE      bft (2n/3+1, default) or majority (n/2+1, the paper's rule)
  --block-interval MS longest time between blocks (default ${DEFAULT_TESTNET_OPTIONS.blockIntervalMs})
  --processes N      OS processes to run the nodes in, node i in process i mod N (default: one
                     per node). Fewer use this machine's cores better when nodes outnumber them
                     (one V8 per process, not per node); a process stops its nodes together
  --fresh            delete the data directory and start a new chain
  -h, --help         this help
`

function parseOptions(argv: string[]): TestnetOptions | null {
  const { values } = parseArgs({
    args: argv,
    options: {
      nodes: { type: 'string' }, 'base-port': { type: 'string' }, 'base-rpc-port': { type: 'string' },
      'data-dir': { type: 'string' }, quorum: { type: 'string' }, 'block-interval': { type: 'string' },
      processes: { type: 'string' }, fresh: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  })
  if (values.help) {
    process.stdout.write(HELP)
    return null
  }
  const int = (v: string | undefined, def: number, what: string, min: number, max: number): number => {
    if (v === undefined) return def
    const n = Number(v)
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${what} must be an integer ${min}..${max}, got '${v}'`)
    return n
  }
  const quorum = values.quorum ?? 'bft'
  if (quorum !== 'bft' && quorum !== 'majority') throw new Error(`--quorum must be bft or majority, got '${quorum}'`)
  const nodes = int(values.nodes, DEFAULT_TESTNET_OPTIONS.nodes, '--nodes', 1, 100)
  return {
    ...DEFAULT_TESTNET_OPTIONS,
    nodes,
    basePort: int(values['base-port'], DEFAULT_TESTNET_OPTIONS.basePort, '--base-port', 1024, 65535 - nodes),
    baseRpcPort: int(values['base-rpc-port'], DEFAULT_TESTNET_OPTIONS.baseRpcPort, '--base-rpc-port', 1024, 65535 - nodes),
    dir: values['data-dir'] ?? DEFAULT_TESTNET_OPTIONS.dir,
    quorumMode: quorum,
    blockIntervalMs: int(values['block-interval'], DEFAULT_TESTNET_OPTIONS.blockIntervalMs, '--block-interval', 10, 60_000),
    fresh: values.fresh ?? false,
    processes: int(values.processes, nodes, '--processes', 1, nodes),
  }
}

async function main(): Promise<number> {
  let options
  try {
    options = parseOptions(process.argv.slice(2))
  } catch (e) {
    process.stderr.write(`medchain testnet: ${(e as Error).message}\n\n${HELP}`)
    return 2
  }
  if (!options) return 0
  try {
    await runTestnet(options, { out: (line) => process.stdout.write(line + '\n'), untilSignal: true })
    return 0
  } catch (e) {
    process.stderr.write(`medchain testnet: ${(e as Error).message}\n`)
    return 1
  }
}

main().then((code) => {
  process.exitCode = code
})
