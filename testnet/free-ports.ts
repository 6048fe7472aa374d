/**
 * Free loopback ports for local networks: the testnet's "is this port taken?" check and a picker
 * of a free port range, shared by `npm run testnet`, the multi-process tests and the benchmark
 * (which start throwaway testnets next to whatever else is running).
 */
import { createServer } from 'node:net'

/** True when 127.0.0.1:`port` can be bound right now. */
export function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => resolve(false))
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)))
  })
}

/** A base port with `count` free ports above it (random start, so parallel suites do not collide). */
export async function freePortRange(count: number, random: () => number = Math.random): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(random() * 30_000)
    let ok = true
    for (let i = 0; i < count && ok; i++) ok = await portFree(base + i)
    if (ok) return base
  }
  throw new Error(`no range of ${count} free ports found`)
}
