/**
 * A full collection of the benchmark process's own heap, run (untimed) before each round's first
 * timed step, so that a round does not pay for garbage the rounds before it left: with
 * `--rounds`, the third round's hashing took 70.8 ms (all chains) and 53.1 ms (`--chains memory`)
 * against 29.5–33.2 ms in the other rounds; in the latter `node --trace-gc` showed a
 * Mark-Compact of the bench's heap (53.2 → 41.1 MB, left by two rounds of drivers and reports)
 * inside the step. Once per round, not before every step: each
 * forced collection ages the code not run since, and V8 drops the bytecode of old functions, so
 * collecting before every step would make later steps compile again.
 *
 * Measured (`npm run bench -- --chains memory --rounds 8`, six interleaved pairs, without → with):
 * the hashing of round 7, where the collection fell without it, 34.5–42.0 → 27.6–33.2 ms; the
 * other rounds 25.7–32.8 → 26.9–36.7 ms, the machine's noise.
 *
 * `gc` is exposed at run time when the process was not started with `--expose-gc`.
 */
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

let gc: (() => void) | undefined

export function collectGarbage(): void {
  if (!gc) {
    if (typeof globalThis.gc === 'function') gc = globalThis.gc as () => void
    else {
      setFlagsFromString('--expose-gc')
      gc = runInNewContext('gc') as () => void
    }
  }
  gc()
}
