/**
 * Free loopback ports for local networks: the testnet's "is this port taken?" check and a picker
 * of a free port range, shared by `npm run testnet`, the multi-process tests and the benchmark
 * (which start throwaway testnets next to whatever else is running).
 */
import { readFileSync } from 'node:fs'
import { createServer } from 'node:net'

/** True when 127.0.0.1:`port` can be bound right now. */
export function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(false))
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)))
  })
}

/**
 * The kernel's range for ephemeral ports (the source ports of outgoing connections): Linux's
 * ip_local_port_range, or the usual 32768–60999 where it cannot be read.
 */
export function ephemeralPortRange(read: () => string = () => readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')): { low: number; high: number } {
  try {
    const [low, high] = read().trim().split(/\s+/).map(Number)
    if (Number.isInteger(low) && Number.isInteger(high) && low! > 0 && high! >= low!) return { low: low!, high: high! }
  } catch {
    // not Linux, or no procfs
  }
  return { low: 32_768, high: 60_999 }
}

const LOWEST_PORT = 10_000

/**
 * A base port with `count` free ports above it (random start, so parallel suites do not collide).
 * The range is chosen outside the ephemeral ports: a port there that is free when checked can be
 * taken a moment later as the source port of any outgoing connection (a dial, an HTTP request),
 * and the node that then binds it fails with EADDRINUSE.
 */
export async function freePortRange(count: number, random: () => number = Math.random, ephemeral = ephemeralPortRange()): Promise<number> {
  const below = ephemeral.low - LOWEST_PORT - count
  const above = 65_535 - ephemeral.high - count
  if (below <= 0 && above <= 0) throw new Error(`no room for ${count} ports outside the ephemeral range ${ephemeral.low}-${ephemeral.high}`)
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = below > 0 ? LOWEST_PORT + Math.floor(random() * below) : ephemeral.high + 1 + Math.floor(random() * above)
    let ok = true
    for (let i = 0; i < count && ok; i++) ok = await portFree(base + i)
    if (ok) return base
  }
  throw new Error(`no range of ${count} free ports found`)
}
