/**
 * One full garbage collection when a node process has finished starting.
 *
 * Why: starting a node leaves tens of MB of garbage in V8's old generation (TypeScript sources
 * transpiled by tsx, module graphs, libp2p handshakes). V8 collects it on its own 3–6 s after
 * start, whenever the old generation reaches its first limit: with `--trace-gc`, every node of a
 * fresh 10-node testnet did a mark-compact then (36–46 MB → 26–37 MB, 3–61 ms pause plus up to
 * 70 ms of incremental marking on the main thread), which is when the first blocks and clients
 * arrive. Collecting once at the end of startup, before any client is served, moves that work out
 * of the first blocks; steady-state collection is untouched.
 *
 * `gc` is taken from a fresh vm context while `--expose-gc` is set for that moment only, so no
 * later context (and no other code) sees a `gc` global.
 */
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

export interface StartupGcReport {
  readonly heapUsedBeforeBytes: number
  readonly heapUsedAfterBytes: number
  readonly ms: number
}

function fullGc(): (() => void) | undefined {
  const exposed = (globalThis as { gc?: () => void }).gc
  if (typeof exposed === 'function') return exposed
  try {
    setFlagsFromString('--expose-gc')
    const gc = runInNewContext('gc') as unknown
    return typeof gc === 'function' ? (gc as () => void) : undefined
  } catch {
    return undefined
  } finally {
    setFlagsFromString('--no-expose-gc')
  }
}

/** Runs one full collection; undefined when this runtime offers none (nothing else happens then). */
export function collectStartupGarbage(): StartupGcReport | undefined {
  const gc = fullGc()
  if (!gc) return undefined
  const heapUsedBeforeBytes = process.memoryUsage().heapUsed
  const t0 = performance.now()
  gc()
  return { heapUsedBeforeBytes, heapUsedAfterBytes: process.memoryUsage().heapUsed, ms: performance.now() - t0 }
}
