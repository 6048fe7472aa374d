/**
 * Plot and series names of the load sweep as the medchain driver reports them; the rounds
 * summary (bench/rounds.ts) reads the load targets back out of these series.
 */
export const LOAD_PLOTS = {
  throughput: 'throughput-vs-offered-load',
  latency: 'latency-vs-offered-load',
  nodeCpu: 'node-cpu-vs-offered-load',
} as const

export const LOAD_SERIES = {
  everyNodeTps: 'medchain, final on every node',
  clientNodeTps: 'medchain, final at the client\'s node',
  offered: 'offered',
  everyNodeP50: 'medchain p50, every node',
  everyNodeP99: 'medchain p99, every node',
  clientNodeP50: 'medchain p50, client\'s node',
  clientNodeP95: 'medchain p95, client\'s node',
  clientNodeP99: 'medchain p99, client\'s node',
  nodes: 'medchain nodes',
} as const
