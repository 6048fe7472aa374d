import { test } from 'node:test'
import assert from 'node:assert/strict'
import { LAYERS, THREAD_KINDS, formatPerfSplit, layerOf, parsePerfScript, splitPerfSamples, type PerfSample } from './perf-split.ts'

/** `perf script -F comm,pid,tid,ip,sym,dso` as it prints samples (shortened stacks). */
const SCRIPT = `swapper     0/0
\tffffffff8225f42b pv_native_safe_halt ([kernel.kallsyms])
\tffffffff813cfe96 do_idle ([kernel.kallsyms])

MainThread  7803/7803
\t         7f00aa fe25519_mul (/work/main/node_modules/sodium-native/prebuilds/linux-x64/sodium-native.node)
\t         7f00ab JS:+'exports.crypto_sign_verify_detached /work/main/node_modules/sodium-native/index.js:273:48 (/tmp/perf-7803.map)

MainThread  7803/7803
\t         1635b3f Builtins_LoadIC (/work/main/node_modules/node/bin/node)
\t         3f00aa JS:+'handleFrame file:///work/main/node_modules/@chainsafe/libp2p-yamux/dist/src/muxer.js:259:16 (/tmp/perf-7803.map)
\t         3f00ab JS:+'receiveGossip file:///work/main/node/network/validator-network.ts:1:13406 (/tmp/perf-7803.map)

MainThread  7809/7809
\t         3f00ac JS:+'onVote file:///work/main/consensus/engine.ts:1:6565 (/tmp/perf-7809.map)
\t         3f00ad JS:+'receiveGossip file:///work/main/node/network/validator-network.ts:1:13406 (/tmp/perf-7809.map)

MainThread  7809/7809
\t ffffffff81e00000 __x64_sys_write ([kernel.kallsyms])
\t         3f00ae JS:+'sendData file:///work/main/node_modules/@libp2p/tcp/dist/src/socket-to-conn.js:68:13 (/tmp/perf-7809.map)

MainThread  7809/7809
\t          2415c08 v8::internal::ScavengerCollector::CollectGarbage (/work/main/node_modules/node/bin/node)
\t          3f00af JS:+'encode file:///work/main/core/encoding.ts:1:1864 (/tmp/perf-7809.map)

MainThread  7809/7809
\t          2415c09 v8::internal::maglev::MaglevCompilationJob::New (/work/main/node_modules/node/bin/node)

MainThread  7809/7809
\t          3f00b0 JS:^runTx node/execution/block-executor.ts:1:641 (/tmp/perf-7809.map)

MainThread  7809/7809
\t          48cc36 uv__io_poll (/work/main/node_modules/node/bin/node)

V8Worker  7809/7812
\t          2415c0a v8::internal::ConcurrentMarking::Run (/work/main/node_modules/node/bin/node)

libuv-worker  7809/7815
\t          2415c0b leveldb::DBImpl::Write (/work/main/node_modules/classic-level/prebuilds/linux-x64/classic-level.node)

MainThread  9000/9000
\t          3f00b1 JS:+'sign file:///work/main/client/tx-builder.ts:1:10 (/tmp/perf-9000.map)
`

const samples = (): PerfSample[] => [...parsePerfScript(SCRIPT.split('\n'))]

test('perf split: perf script text parses into samples, innermost frame first', () => {
  const all = samples()
  assert.equal(all.length, 12)
  assert.deepEqual(all[0], {
    comm: 'swapper', pid: 0,
    frames: [{ sym: 'pv_native_safe_halt', dso: '[kernel.kallsyms]' }, { sym: 'do_idle', dso: '[kernel.kallsyms]' }],
  })
  assert.equal(all[1]!.frames[0]!.sym, 'fe25519_mul')
  assert.equal(all[2]!.frames[1]!.dso, '/tmp/perf-7803.map')
  assert.deepEqual(all[10], { comm: 'libuv-worker', pid: 7809, frames: [{ sym: 'leveldb::DBImpl::Write', dso: '/work/main/node_modules/classic-level/prebuilds/linux-x64/classic-level.node' }] })
})

test('perf split: a sample is charged to its native leaf or its innermost JavaScript frame', () => {
  const layers = samples().slice(1, 10).map(layerOf)
  assert.deepEqual(layers, [
    LAYERS.sodium, // libsodium leaf
    LAYERS.libp2p, // a builtin under yamux's frame: yamux's cost, not the network module's above it
    LAYERS.consensus,
    LAYERS.kernel, // the write system call, whoever made it
    LAYERS.gc, // a scavenge triggered while encoding
    LAYERS.compile,
    LAYERS.node, // a path relative to the project
    LAYERS.native, // no JavaScript frame at all
    LAYERS.gc, // the V8 worker's marking (splitPerfSamples counts it under threads, not layers)
  ])
})

test('perf split: threads of all samples, layers of the nodes\' main threads only', () => {
  const split = splitPerfSamples(samples(), new Set([7803, 7809]))
  assert.equal(split.samples, 12)
  assert.deepEqual(split.threads.map((t) => [t.name, t.samples]), [
    [THREAD_KINDS.nodeMain, 8],
    [THREAD_KINDS.idle, 1],
    [THREAD_KINDS.v8Background, 1],
    [THREAD_KINDS.libuvPool, 1],
    [THREAD_KINDS.other, 1], // the client's main thread (pid 9000) is not a node's
  ])
  assert.equal(split.threads[0]!.percent, (100 * 8) / 12)
  assert.equal(split.mainThreadLayers.reduce((n, l) => n + l.samples, 0), 8)
  assert.deepEqual(split.mainThreadLayers.find((l) => l.name === LAYERS.native), { name: LAYERS.native, samples: 1, percent: 12.5 })
  assert.equal(split.namedJsSamples, 6)
  const text = formatPerfSplit(split)
  assert.match(text, /^12 samples on all CPUs/)
  assert.match(text, /\| nodes, main threads \| 8 \| 66\.7 % \|/)
  assert.match(text, /\| libsodium \(Ed25519 verify, Noise cipher\) \| 1 \| 12\.5 % \|/)
  assert.doesNotMatch(text, /perf-basic-prof/)
})

test('perf split: without named JavaScript frames the table says how to get them', () => {
  const unnamed = parsePerfScript(['MainThread  7/7', '\t 48cc36 uv__io_poll (/node)', '', 'MainThread  7/7', '\t 1 [unknown] ([unknown])', ''])
  const split = splitPerfSamples(unnamed)
  assert.equal(split.namedJsSamples, 0)
  assert.deepEqual(split.mainThreadLayers, [{ name: LAYERS.native, samples: 2, percent: 100 }])
  assert.match(formatPerfSplit(split), /MEDCHAIN_NODE_ARGS=--perf-basic-prof/)
})

test('perf split: lines that are neither a sample header nor a frame are ignored', () => {
  const split = splitPerfSamples(parsePerfScript(['', 'garbage', '\tnot a frame', 'MainThread  7/7', '\tzz bad', '']))
  // "garbage" has no pid, so it starts no sample; its frame line has nothing to join.
  assert.equal(split.samples, 1)
  assert.deepEqual(split.mainThreadLayers, [{ name: LAYERS.native, samples: 1, percent: 100 }])
})
