/**
 * The simulator's clock and agenda: a binary min-heap of events ordered by (time, insertion
 * number). The insertion number breaks ties, so two events at the same millisecond always run
 * in the order they were scheduled: the run is a pure function of the seed.
 */
export class EventQueue<T> {
  private readonly heap: { time: number; seq: number; event: T }[] = []
  private seq = 0
  now = 0

  get size(): number {
    return this.heap.length
  }

  schedule(delayMs: number, event: T): void {
    this.push({ time: this.now + Math.max(0, delayMs), seq: this.seq++, event })
  }

  /** Removes and returns the next event, advancing `now` to its time; undefined when empty. */
  pop(): T | undefined {
    const h = this.heap
    if (h.length === 0) return undefined
    const top = h[0]!
    const last = h.pop()!
    if (h.length > 0) {
      h[0] = last
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        if (l < h.length && less(h[l]!, h[m]!)) m = l
        if (r < h.length && less(h[r]!, h[m]!)) m = r
        if (m === i) break
        ;[h[i], h[m]] = [h[m]!, h[i]!]
        i = m
      }
    }
    this.now = top.time
    return top.event
  }

  private push(item: { time: number; seq: number; event: T }): void {
    const h = this.heap
    h.push(item)
    let i = h.length - 1
    while (i > 0) {
      const p = (i - 1) >> 1
      if (!less(h[i]!, h[p]!)) break
      ;[h[i], h[p]] = [h[p]!, h[i]!]
      i = p
    }
  }
}

function less(a: { time: number; seq: number }, b: { time: number; seq: number }): boolean {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq)
}
