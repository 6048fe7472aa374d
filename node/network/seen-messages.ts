/**
 * Bounded set of message ids already handled, for gossip deduplication. Expiry is by count, not
 * by time: once `capacity` ids are held, remembering a new one forgets the oldest (a Map keeps
 * insertion order, so this is O(1)). A message that comes back after being forgotten is
 * delivered again, so the node's own checks (mempool "already known", vote set) remain the last
 * line; the capacity only needs to cover the window in which copies of a message are in flight.
 */
export class SeenMessages {
  private readonly ids = new Map<string, true>()
  readonly capacity: number

  constructor(capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new RangeError('capacity must be a positive integer')
    this.capacity = capacity
  }

  get size(): number {
    return this.ids.size
  }

  has(id: Uint8Array): boolean {
    return this.ids.has(idKey(id))
  }

  /** Remembers `id`; true if it was not already remembered. */
  add(id: Uint8Array): boolean {
    const key = idKey(id)
    if (this.ids.has(key)) return false
    this.ids.set(key, true)
    if (this.ids.size > this.capacity) {
      const oldest = this.ids.keys().next()
      if (!oldest.done) this.ids.delete(oldest.value)
    }
    return true
  }

  clear(): void {
    this.ids.clear()
  }
}

function idKey(id: Uint8Array): string {
  return Buffer.from(id.buffer, id.byteOffset, id.byteLength).toString('base64')
}
