/**
 * Where the machine's CPU went during a `perf record -a -g` of the testnet: the samples of
 * `perf script -F comm,pid,tid,ip,sym,dso` split by thread kind (idle, the nodes' main threads,
 * V8's background threads, libuv's pool, everything else) and the nodes' main-thread samples
 * split by layer (libp2p's stream stack, Node's sockets and streams, consensus, the VM, storage,
 * JSON-RPC, libsodium, the kernel, V8's collector and compilers, …).
 *
 * Why layers, not symbols: the nodes' profile is flat (no symbol above 3 % of the samples), since
 * each function runs a few times per height in each of ten processes. A sample is charged to the
 * code that asked for the work: its innermost JavaScript frame, so V8's inline-cache handlers and
 * builtins count for the library that called them. Native leaves that stand for themselves come
 * first: libsodium (Ed25519 and the Noise cipher), the kernel (system calls), V8's garbage
 * collector and compilers. JavaScript frames have names only when the nodes ran with
 * `--perf-basic-prof` (or `--perf-prof`); without it they land in "native, no JS frame".
 *
 * Pure: parsing and splitting take text lines; bench/sequential-cpu.bench.ts runs `perf script`.
 */

export interface PerfFrame {
  readonly sym: string
  readonly dso: string
}

/** One sample: its thread's name, process id and call chain, innermost frame first. */
export interface PerfSample {
  readonly comm: string
  readonly pid: number
  readonly frames: readonly PerfFrame[]
}

/** Samples from `perf script -F comm,pid,tid,ip,sym,dso` output, line by line. */
export function* parsePerfScript(lines: Iterable<string>): Generator<PerfSample> {
  let current: { comm: string; pid: number; frames: PerfFrame[] } | undefined
  for (const line of lines) {
    if (line.trim() === '') {
      if (current) yield current
      current = undefined
    } else if (/^\s/.test(line)) {
      // "\t  7f12ab34 symbol name with spaces (dso path)"
      const m = /^\s*[0-9a-f]+\s+(.*?)\s+\(([^()]*)\)\s*$/.exec(line)
      if (current && m) current.frames.push({ sym: m[1]!, dso: m[2]! })
    } else {
      // "comm may have spaces  pid/tid" or "comm  pid" (threads named like "V8 DefaultWorke")
      if (current) yield current
      const m = /^(.*?)\s+(\d+)(?:\/\d+)?\s*$/.exec(line)
      current = m ? { comm: m[1]!, pid: Number(m[2]), frames: [] } : undefined
    }
  }
  if (current) yield current
}

export const THREAD_KINDS = {
  idle: 'idle (no thread on the CPU)',
  nodeMain: 'nodes, main threads',
  v8Background: 'nodes, V8 background threads (GC, compilers)',
  libuvPool: 'nodes, libuv thread pool (LevelDB, fs)',
  other: 'other (benchmark client, other processes, kernel threads)',
} as const

/** Layers of a node's main thread, in the order a sample is tested against them. */
export const LAYERS = {
  sodium: 'libsodium (Ed25519 verify, Noise cipher)',
  kernel: 'kernel (system calls: sockets, epoll, fsync)',
  gc: 'V8 garbage collection',
  compile: 'V8 compilers',
  libp2p: 'libp2p stack (Noise, yamux, streams, events)',
  nodeStreams: 'Node sockets, streams and events',
  network: 'medchain network (frames, relay, dedup)',
  consensus: 'consensus (engine, runner, signing guard)',
  vm: 'contract VM',
  storage: 'storage (LevelDB, files)',
  rpc: 'JSON-RPC and subscriptions (fastify, ws)',
  encoding: 'canonical encoding (msgpackr)',
  core: 'core (hashes, keys, blocks, state)',
  node: 'node (chain, mempool, execution)',
  loop: 'timers and microtask queue',
  builtins: 'other Node built-ins (buffer, crypto, …)',
  otherJs: 'other JavaScript',
  native: 'native, no JS frame (V8 runtime, libuv, libc)',
} as const
export type Layer = (typeof LAYERS)[keyof typeof LAYERS]

/** First match wins; tested against the innermost JavaScript frame's name (which holds its file). */
const JS_LAYERS: readonly (readonly [RegExp, Layer])[] = [
  [/node_modules\/sodium-native\//, LAYERS.sodium],
  [/node_modules\/(@chainsafe\/libp2p-|@libp2p\/|libp2p\/|uint8arraylist|uint8arrays|main-event|it-|race-|p-queue|p-defer|any-signal|@multiformats\/|multiformats\/|progress-events|weald\/|abort-error)/, LAYERS.libp2p],
  [/(^|[\s/])node\/network\//, LAYERS.network],
  [/node_modules\/msgpackr\/|(^|[\s/])core\/encoding\.ts/, LAYERS.encoding],
  [/(^|[\s/])(consensus|node\/consensus-runner)\//, LAYERS.consensus],
  [/(^|[\s/])(vm|contracts-dsl)\//, LAYERS.vm],
  [/(^|[\s/])node\/store\/|node_modules\/(classic-level|abstract-level|level-transcoder|level-supports|module-error|maybe-combine-errors)\/|node:(internal\/)?fs\b/, LAYERS.storage],
  [/(^|[\s/])node\/rpc\/|node_modules\/(fastify|@fastify\/|find-my-way|avvio|light-my-request|ajv|fast-json-stringify|pino|ws)\//, LAYERS.rpc],
  [/node:(net|events|stream|internal\/streams\/|internal\/stream_base_commons|internal\/event_target|internal\/linkedlist)/, LAYERS.nodeStreams],
  // as-sha256's WebAssembly frames carry no file name; it is the only WebAssembly a node runs.
  [/(^|[\s/])core\/|node_modules\/(@chainsafe\/as-sha256|@noble\/)|wasm-function/, LAYERS.core],
  [/(^|[\s/])node\/[\w./-]+\.ts/, LAYERS.node],
  [/node:internal\/(timers|process\/task_queues)/, LAYERS.loop],
  [/node:/, LAYERS.builtins],
]

const isJsFrame = (f: PerfFrame): boolean => f.sym.startsWith('JS:') || /^\/tmp\/perf-\d+\.map$/.test(f.dso)
const GC = /Heap::CollectGarbage|Scavenger|MarkCompact|MinorMarkSweep|IncrementalMarking|ConcurrentMarking/
const COMPILE = /Compiler::|maglev::|baseline::|turboshaft::|compiler::Pipeline|Runtime_CompileLazy|Parser::|interpreter::BytecodeGenerator/

/** The layer a main-thread sample is charged to (see the module comment for the rules). */
export function layerOf(sample: PerfSample): Layer {
  const leaf = sample.frames[0]
  if (leaf && /sodium/.test(leaf.dso)) return LAYERS.sodium
  if (leaf && leaf.dso === '[kernel.kallsyms]') return LAYERS.kernel
  if (sample.frames.some((f) => GC.test(f.sym))) return LAYERS.gc
  if (sample.frames.some((f) => COMPILE.test(f.sym))) return LAYERS.compile
  const js = sample.frames.find(isJsFrame)
  if (!js) return LAYERS.native
  return JS_LAYERS.find(([pattern]) => pattern.test(js.sym))?.[1] ?? LAYERS.otherJs
}

type ThreadKind = (typeof THREAD_KINDS)[keyof typeof THREAD_KINDS]

function threadKindOf(sample: PerfSample, isNode: (pid: number) => boolean): ThreadKind {
  if (sample.pid === 0 || sample.comm === 'swapper') return THREAD_KINDS.idle
  if (!isNode(sample.pid)) return THREAD_KINDS.other
  if (/^V8 ?(Worker|DefaultWorke|Default)/.test(sample.comm)) return THREAD_KINDS.v8Background
  if (/^libuv-worker/.test(sample.comm)) return THREAD_KINDS.libuvPool
  if (sample.comm === 'MainThread' || sample.comm === 'node') return THREAD_KINDS.nodeMain
  return THREAD_KINDS.other
}

export interface Share {
  readonly name: string
  readonly samples: number
  /** Of all samples (threads) or of the nodes' main-thread samples (layers), in %. */
  readonly percent: number
}

export interface PerfSplit {
  readonly samples: number
  /** Main-thread samples with at least one named JavaScript frame (0: nodes ran without --perf-basic-prof). */
  readonly namedJsSamples: number
  readonly threads: readonly Share[]
  readonly mainThreadLayers: readonly Share[]
}

/** Splits samples; `nodePids` says which processes are nodes (all processes when omitted). */
export function splitPerfSamples(samples: Iterable<PerfSample>, nodePids?: ReadonlySet<number>): PerfSplit {
  const isNode = (pid: number): boolean => nodePids === undefined || nodePids.has(pid)
  const threads = new Map<string, number>()
  const layers = new Map<string, number>()
  let total = 0
  let main = 0
  let named = 0
  for (const s of samples) {
    total++
    const kind = threadKindOf(s, isNode)
    threads.set(kind, (threads.get(kind) ?? 0) + 1)
    if (kind !== THREAD_KINDS.nodeMain) continue
    main++
    if (s.frames.some(isJsFrame)) named++
    const layer = layerOf(s)
    layers.set(layer, (layers.get(layer) ?? 0) + 1)
  }
  const shares = (m: Map<string, number>, of: number): Share[] =>
    [...m].map(([name, n]) => ({ name, samples: n, percent: of === 0 ? 0 : (100 * n) / of })).sort((a, b) => b.samples - a.samples)
  return { samples: total, namedJsSamples: named, threads: shares(threads, total), mainThreadLayers: shares(layers, main) }
}

/** Two markdown tables: threads (of all samples), then the main threads' layers (of theirs). */
export function formatPerfSplit(split: PerfSplit): string {
  const pct = (x: number): string => `${x.toFixed(1)} %`
  const main = split.threads.find((t) => t.name === THREAD_KINDS.nodeMain)?.samples ?? 0
  const out = [
    `${split.samples} samples on all CPUs`,
    '',
    '| where | samples | share of all |',
    '| --- | --- | --- |',
    ...split.threads.map((t) => `| ${t.name} | ${t.samples} | ${pct(t.percent)} |`),
    '',
    `the nodes' main threads (${main} samples), by layer:`,
    '',
    '| layer | samples | share of main threads |',
    '| --- | --- | --- |',
    ...split.mainThreadLayers.map((l) => `| ${l.name} | ${l.samples} | ${pct(l.percent)} |`),
  ]
  if (main > 0 && split.namedJsSamples === 0) {
    out.push('', 'no JavaScript frame has a name: start the nodes with MEDCHAIN_NODE_ARGS=--perf-basic-prof to split JavaScript by layer')
  }
  return out.join('\n')
}
