/**
 * Node configuration: one typed object with defaults and validation, loaded in one place from a
 * JSON file, then environment (MEDCHAIN_*), then command-line flags (highest precedence).
 *
 * File (all keys optional except genesisFile and dataDir):
 *   { "dataDir": ".data/node0", "genesisFile": "genesis.json", "keyFile": "node0.key.json",
 *     "rpc": { "host": "127.0.0.1", "port": 8545 }, "p2p": { "host": "127.0.0.1", "port": 26000 },
 *     "peers": [{ "publicKey": "0x…", "host": "10.0.0.2", "port": 26000 }],
 *     "blockIntervalMs": 1000, "produceOnTxs": true, "warmUp": true, "logLevel": "info", "logFile": "node0.log" }
 * Relative paths in a config file are resolved against the file's folder.
 */
import { readFileSync } from 'node:fs'
import { basename, dirname, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { NodeError, NodeErrorCode } from './errors.ts'

export interface PeerAddress {
  readonly publicKey: string
  readonly host: string
  readonly port: number
}

export interface NodeConfig {
  /** Shown in logs; defaults to the data directory's name. */
  readonly name: string
  readonly dataDir: string
  readonly genesisFile: string
  readonly keyFile: string | null
  readonly rpc: { readonly host: string; readonly port: number; readonly rateLimitPerSecond: number } | null
  readonly p2p: { readonly host: string; readonly port: number }
  /** Overrides the p2p addresses in genesis, per validator public key. */
  readonly peers: readonly PeerAddress[]
  readonly blockIntervalMs: number
  readonly produceOnTxs: boolean
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'
  readonly logFile: string | null
  /** Appends this node's consensus timeline here (diagnostics, `npm run bench:trace`); null: off. */
  readonly traceFile: string | null
  /** Run the start-up self-test and warm-up (node/warm-up.ts) before starting. */
  readonly warmUp: boolean
}

export const NODE_CONFIG_HELP = `medchain node: run one validator (or observer) node

Usage: npm run node -- [--config FILE] [flags]
       npm run node -- --config FILE --config FILE …   (several nodes in this process)

Flags (override the config file; env MEDCHAIN_<NAME> with NAME in upper snake case too):
  --config FILE          JSON config file (see node/README.md)
  --name NAME            this node's name in logs (default: the data directory's name)
  --data-dir DIR         where the node keeps its LevelDB (one process per directory)
  --genesis FILE         the chain's genesis.json, shared by all nodes
  --key FILE             this validator's key file (omit to run an observer)
  --rpc-host HOST        JSON-RPC listen address (default 127.0.0.1)
  --rpc-port PORT        JSON-RPC port (default 8545; 'off' disables RPC)
  --rpc-rate-limit N     requests per second per client IP (default 200; burst is twice that)
  --p2p-host HOST        libp2p listen address (default 127.0.0.1)
  --p2p-port PORT        libp2p port (default 26000)
  --peer KEY@HOST:PORT   a validator's address, overriding genesis (repeatable)
  --block-interval MS    longest time between blocks (default 1000)
  --produce-on-txs BOOL  make blocks as soon as txs wait (default true)
  --warm-up BOOL         run the start-up self-test on a private chain first (default true)
  --log-level LEVEL      fatal|error|warn|info|debug|trace|silent (default info)
  --log-file FILE        write logs to FILE instead of stdout
  --trace-file FILE      append a timeline of consensus steps to FILE (diagnostics; multi-validator
                         chains; see npm run bench:trace)
  -h, --help             this help

Several --config files and no other flag run several nodes in one process (a local testnet on
a machine with fewer cores than nodes; see testnet/README.md). Each node keeps its own key, data
directory, ports and log; the process stops them all together.
`

const bad = (m: string): never => {
  throw new NodeError(NodeErrorCode.BAD_CONFIG, m)
}

function parsePort(v: unknown, what: string): number {
  const n = typeof v === 'number' ? v : Number(v)
  if (!Number.isInteger(n) || n < 0 || n > 65535) bad(`${what} must be a port number 0..65535, got '${String(v)}'`)
  return n
}

function parsePeer(text: string): PeerAddress {
  const m = /^(0x[0-9a-fA-F]{64})@([^:]+):(\d+)$/.exec(text)
  if (!m) return bad(`--peer must be PUBLICKEY@HOST:PORT (public key 0x + 64 hex), got '${text}'`)
  return { publicKey: m[1]!.toLowerCase(), host: m[2]!, port: parsePort(m[3], '--peer port') }
}

const LOG_LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])

/** Loads the config; returns null when --help was asked for (after printing it). */
export function loadNodeConfig(argv: string[], env: NodeJS.ProcessEnv = process.env): NodeConfig | null {
  let parsed
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        config: { type: 'string' }, name: { type: 'string' }, 'data-dir': { type: 'string' }, genesis: { type: 'string' }, key: { type: 'string' },
        'rpc-host': { type: 'string' }, 'rpc-port': { type: 'string' }, 'rpc-rate-limit': { type: 'string' }, 'p2p-host': { type: 'string' }, 'p2p-port': { type: 'string' },
        peer: { type: 'string', multiple: true }, 'block-interval': { type: 'string' }, 'produce-on-txs': { type: 'string' }, 'warm-up': { type: 'string' },
        'log-level': { type: 'string' }, 'log-file': { type: 'string' }, 'trace-file': { type: 'string' }, help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    })
  } catch (e) {
    return bad(`${(e as Error).message}\n\n${NODE_CONFIG_HELP}`)
  }
  const f = parsed.values
  if (f.help) {
    process.stdout.write(NODE_CONFIG_HELP)
    return null
  }
  let file: Record<string, unknown> = {}
  let base = process.cwd()
  const configPath = f.config ?? env.MEDCHAIN_CONFIG
  if (configPath) {
    try {
      file = JSON.parse(readFileSync(configPath, 'utf8'))
    } catch (e) {
      bad(`cannot read config file ${configPath}: ${(e as Error).message}`)
    }
    if (typeof file !== 'object' || file === null || Array.isArray(file)) bad(`config file ${configPath} must hold a JSON object`)
    base = dirname(resolve(configPath))
  }
  const fromFile = (k: string): unknown => file[k]
  const path = (v: unknown, relTo: string): string => resolve(relTo, String(v))
  const pick = (flag: string | undefined, envName: string, fileKey: string): { v: unknown; rel: string } | undefined => {
    if (flag !== undefined) return { v: flag, rel: process.cwd() }
    if (env[envName] !== undefined) return { v: env[envName], rel: process.cwd() }
    if (fromFile(fileKey) !== undefined) return { v: fromFile(fileKey), rel: base }
    return undefined
  }
  const dataDir = pick(f['data-dir'], 'MEDCHAIN_DATA_DIR', 'dataDir') ?? bad('--data-dir (or dataDir in the config file) is required')
  const genesis = pick(f.genesis, 'MEDCHAIN_GENESIS', 'genesisFile') ?? bad('--genesis (or genesisFile in the config file) is required')
  const key = pick(f.key, 'MEDCHAIN_KEY', 'keyFile')
  const fileRpc = (fromFile('rpc') ?? {}) as { host?: string; port?: number; rateLimitPerSecond?: number }
  const fileP2p = (fromFile('p2p') ?? {}) as { host?: string; port?: number }
  const rpcPortRaw = f['rpc-port'] ?? env.MEDCHAIN_RPC_PORT ?? (fromFile('rpc') === null ? 'off' : fileRpc.port) ?? 8545
  const rateLimit = Number(f['rpc-rate-limit'] ?? env.MEDCHAIN_RPC_RATE_LIMIT ?? fileRpc.rateLimitPerSecond ?? 200)
  if (!Number.isInteger(rateLimit) || rateLimit < 1) bad('rpc rate limit must be a positive integer')
  const rpc = rpcPortRaw === 'off' ? null : { host: f['rpc-host'] ?? env.MEDCHAIN_RPC_HOST ?? fileRpc.host ?? '127.0.0.1', port: parsePort(rpcPortRaw, 'rpc port'), rateLimitPerSecond: rateLimit }
  const p2p = { host: f['p2p-host'] ?? env.MEDCHAIN_P2P_HOST ?? fileP2p.host ?? '127.0.0.1', port: parsePort(f['p2p-port'] ?? env.MEDCHAIN_P2P_PORT ?? fileP2p.port ?? 26000, 'p2p port') }
  const filePeers = fromFile('peers')
  if (filePeers !== undefined && !Array.isArray(filePeers)) bad('peers in the config file must be a list')
  const peers: PeerAddress[] = [
    ...((filePeers as PeerAddress[] | undefined) ?? []).map((p) => parsePeer(`${p.publicKey}@${p.host}:${p.port}`)),
    ...(f.peer ?? []).map(parsePeer),
  ]
  const interval = Number(f['block-interval'] ?? env.MEDCHAIN_BLOCK_INTERVAL ?? fromFile('blockIntervalMs') ?? 1000)
  if (!Number.isInteger(interval) || interval < 1 || interval > 3_600_000) bad('block interval must be 1..3600000 ms')
  const bool = (raw: unknown, name: string): boolean => (raw === true || raw === 'true' ? true : raw === false || raw === 'false' ? false : bad(`${name} must be true or false`))
  const produceOnTxs = bool(f['produce-on-txs'] ?? env.MEDCHAIN_PRODUCE_ON_TXS ?? fromFile('produceOnTxs') ?? true, 'produce-on-txs')
  const warmUp = bool(f['warm-up'] ?? env.MEDCHAIN_WARM_UP ?? fromFile('warmUp') ?? true, 'warm-up')
  const logLevel = String(f['log-level'] ?? env.MEDCHAIN_LOG_LEVEL ?? fromFile('logLevel') ?? 'info')
  if (!LOG_LEVELS.has(logLevel)) bad(`log level must be one of ${[...LOG_LEVELS].join(', ')}`)
  const logFile = pick(f['log-file'], 'MEDCHAIN_LOG_FILE', 'logFile')
  const traceFile = pick(f['trace-file'], 'MEDCHAIN_TRACE_FILE', 'traceFile')
  const resolvedDataDir = path(dataDir.v, dataDir.rel)
  const name = String(f.name ?? env.MEDCHAIN_NAME ?? fromFile('name') ?? basename(resolvedDataDir))
  return {
    name,
    dataDir: resolvedDataDir,
    genesisFile: path(genesis.v, genesis.rel),
    keyFile: key ? path(key.v, key.rel) : null,
    rpc,
    p2p,
    peers,
    blockIntervalMs: interval,
    produceOnTxs,
    logLevel: logLevel as NodeConfig['logLevel'],
    logFile: logFile ? path(logFile.v, logFile.rel) : null,
    traceFile: traceFile ? path(traceFile.v, traceFile.rel) : null,
    warmUp,
  }
}

/**
 * The configs of the nodes this process runs: one from `loadNodeConfig`, or several from
 * `--config A --config B …` with no other flag (flags would be ambiguous across nodes; the files
 * hold every setting, and the environment applies to all). Null when --help was asked for.
 */
export function loadNodeConfigs(argv: string[], env: NodeJS.ProcessEnv = process.env): NodeConfig[] | null {
  const files: string[] = []
  let others = false
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    if (a === '--config' && i + 1 < argv.length) files.push(argv[++i]!)
    else if (a.startsWith('--config=')) files.push(a.slice('--config='.length))
    else others = true
  }
  if (files.length < 2) {
    const config = loadNodeConfig(argv, env)
    return config ? [config] : null
  }
  if (others) bad(`several --config files run several nodes in this process and take no other flag (put the settings in the files): ${argv.join(' ')}`)
  const configs = files.map((f) => loadNodeConfig(['--config', f], env)!)
  const twice = (what: string, key: (c: NodeConfig) => string | null): void => {
    const seen = new Map<string, string>()
    for (const c of configs) {
      const k = key(c)
      if (k === null) continue
      const other = seen.get(k)
      if (other !== undefined) bad(`nodes ${other} and ${c.name} in one process share ${what} ${k}`)
      seen.set(k, c.name)
    }
  }
  twice('the name', (c) => c.name)
  twice('the data directory', (c) => c.dataDir)
  twice('the p2p address', (c) => `${c.p2p.host}:${c.p2p.port}`)
  twice('the RPC address', (c) => (c.rpc ? `${c.rpc.host}:${c.rpc.port}` : null))
  return configs
}
