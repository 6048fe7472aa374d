/**
 * Seeded pseudo-random numbers for the simulator: sfc32 (Chris Doty-Humphrey's Small Fast
 * Counter, 128-bit state, passes PractRand) seeded through splitmix32 so that nearby seeds give
 * unrelated streams. Everything random in a simulation comes from one of these, created from
 * the seed: that is what makes a failing seed replay exactly.
 */
export interface Prng {
  /** Uniform in [0, 1). */
  next(): number
  /** Uniform integer in [lo, hi] (inclusive). */
  int(lo: number, hi: number): number
  chance(p: number): boolean
  pick<T>(items: readonly T[]): T
  /** A new generator whose stream depends on this one's next output (for independent sub-streams). */
  fork(): Prng
}

function splitmix32(seed: number): () => number {
  let s = seed >>> 0
  return () => {
    s = (s + 0x9e3779b9) >>> 0
    let z = s
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0
    return (z ^ (z >>> 16)) >>> 0
  }
}

export function createPrng(seed: number): Prng {
  const init = splitmix32(seed ^ Math.floor(seed / 2 ** 32))
  let a = init(), b = init(), c = init(), d = init()
  const next32 = (): number => {
    const t = (((a + b) >>> 0) + d) >>> 0
    d = (d + 1) >>> 0
    a = b ^ (b >>> 9)
    b = (c + (c << 3)) >>> 0
    c = ((c << 21) | (c >>> 11)) >>> 0
    c = (c + t) >>> 0
    return t
  }
  for (let i = 0; i < 12; i++) next32()
  const prng: Prng = {
    next: () => next32() / 2 ** 32,
    int: (lo, hi) => lo + Math.floor((next32() / 2 ** 32) * (hi - lo + 1)),
    chance: (p) => next32() / 2 ** 32 < p,
    pick: (items) => {
      if (items.length === 0) throw new RangeError('pick from an empty list')
      return items[Math.floor((next32() / 2 ** 32) * items.length)]!
    },
    fork: () => createPrng(next32()),
  }
  return prng
}
