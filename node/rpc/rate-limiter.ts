/**
 * Per-client token buckets: each client key (the remote IP) holds up to `burst` tokens, refilled
 * at `requestsPerSecond`; every JSON-RPC call (each element of a batch) takes one. The clock is
 * injected so tests are exact. Memory is bounded: when more than `maxClients` keys are tracked,
 * buckets that have refilled completely (indistinguishable from new ones) are forgotten, and if
 * that is not enough the oldest keys go.
 */
export interface RateLimitOptions {
  readonly requestsPerSecond: number
  readonly burst: number
}

export interface RateLimiter {
  /** Takes one token for `key`; false when the bucket is empty. */
  take(key: string): boolean
  readonly trackedClients: number
}

interface Bucket {
  tokens: number
  updatedMs: number
}

export function createRateLimiter(options: RateLimitOptions, now: () => number = () => performance.now(), maxClients = 10_000): RateLimiter {
  const { requestsPerSecond, burst } = options
  if (!(requestsPerSecond > 0) || !Number.isFinite(requestsPerSecond)) throw new RangeError('rateLimit.requestsPerSecond must be a positive number')
  if (!Number.isInteger(burst) || burst < 1) throw new RangeError('rateLimit.burst must be a positive integer')
  const buckets = new Map<string, Bucket>()

  const refill = (b: Bucket, t: number): void => {
    b.tokens = Math.min(burst, b.tokens + ((t - b.updatedMs) / 1000) * requestsPerSecond)
    b.updatedMs = t
  }

  const evict = (t: number): void => {
    for (const [key, b] of buckets) {
      refill(b, t)
      if (b.tokens >= burst) buckets.delete(key)
    }
    // Map iteration order is insertion order: drop the oldest keys if still too many.
    for (const key of buckets.keys()) {
      if (buckets.size <= maxClients) break
      buckets.delete(key)
    }
  }

  return {
    take(key) {
      const t = now()
      let b = buckets.get(key)
      if (!b) {
        if (buckets.size >= maxClients) evict(t)
        b = { tokens: burst, updatedMs: t }
        buckets.set(key, b)
      } else {
        refill(b, t)
      }
      if (b.tokens < 1) return false
      b.tokens -= 1
      return true
    },
    get trackedClients() {
      return buckets.size
    },
  }
}
