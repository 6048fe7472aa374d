/**
 * INTEGRATION POINT for the lead: the medchain side of the benchmark.
 *
 * Implement `ChainDriver` (bench/workload.ts) against a medchain testnet (testnet/ + client/):
 * start N validators on 127.0.0.1, deploy the paper's contract from contracts-dsl/ with
 * ('Ken', gov, 25, 0, 1), grant Dr. Lee, then the steps in the interface's order. Set
 * `role: 'subject'` so the report's headline compares it against the Ethereum baselines, and
 * return latency-under-load and throughput-against-offered-load curves from `extraSeries()`
 * (plot ids `throughput-vs-offered-load`, `latency-vs-offered-load`; kind 'line').
 *
 * Until then selecting `--chains medchain` fails fast with DRIVER_NOT_WIRED.
 */
import type { ChainDriverFactory } from './workload.ts'
import { BenchError, BenchErrorCode } from './errors.ts'

export interface MedchainBenchOptions {
  /** Validators in the testnet (the paper's Ganache had 10 nodes). */
  readonly validators: number
}

/** @throws BenchError DRIVER_NOT_WIRED until the medchain driver is written. */
export function createMedchainDriverFactory(_options: MedchainBenchOptions): ChainDriverFactory {
  throw new BenchError(
    BenchErrorCode.DRIVER_NOT_WIRED,
    'the medchain driver is not wired yet: implement ChainDriver in bench/medchain-driver.ts (see bench/README.md)',
  )
}
