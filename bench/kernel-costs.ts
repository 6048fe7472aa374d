/**
 * What the kernel charges on this machine for a system call and for the first touch of fresh
 * memory, measured in a few milliseconds when a benchmark starts and written next to its results.
 *
 * Why: the machines here are virtual, and what differs between them is mostly the kernel's
 * price, not the CPU's. On 2026-12-02 one of them checked Ed25519 signatures as fast as the
 * machine of the day before (8,605–11,735 per second on node:crypto; 10,142 there, with
 * `npm run bench:core`), while this probe read
 * 1.96–2.84 µs per getrusage and 11.4–11.8 µs per fresh page (a C loop: getppid 1.04–1.21 µs,
 * a fault 11.0–14.0 µs), and the same code took 2.9–4.3 s for 100 records one at a time instead
 * of 1.7–2.0 s; Hardhat slowed down with it (1,116 ms against 537.6–789.2 ms). A validator pays
 * the kernel for every socket write, every thread-pool wake-up and every page its heap grows
 * into, so a reader comparing two runs needs these numbers to tell a slower build from a slower
 * machine.
 */
export interface KernelCosts {
  /** One `getrusage` round trip (`process.cpuUsage()`), µs: the median of several batches. */
  readonly syscallUs: number
  /** Writing one byte into each 4 KiB page of freshly mapped memory, µs per page. */
  readonly firstTouchUsPer4KiB: number
}

const SYSCALL_BATCH = 2_000
const SYSCALL_BATCHES = 7
/** Above glibc's mmap threshold, so the buffer is fresh pages straight from the kernel. */
const TOUCH_BYTES = 16 * 2 ** 20
const PAGE = 4096

/** `now` (ms) is the clock the probe reads; tests pass a fake one to check its arithmetic. */
export function measureKernelCosts(now: () => number = () => performance.now()): KernelCosts {
  const batches: number[] = []
  for (let b = 0; b < SYSCALL_BATCHES; b++) {
    const t0 = now()
    for (let i = 0; i < SYSCALL_BATCH; i++) process.cpuUsage()
    batches.push(((now() - t0) * 1000) / SYSCALL_BATCH)
  }
  batches.sort((a, b) => a - b)
  const fresh = Buffer.allocUnsafeSlow(TOUCH_BYTES)
  const t0 = now()
  for (let i = 0; i < TOUCH_BYTES; i += PAGE) fresh[i] = 1
  const touchMs = now() - t0
  return { syscallUs: batches[SYSCALL_BATCHES >> 1]!, firstTouchUsPer4KiB: (touchMs * 1000) / (TOUCH_BYTES / PAGE) }
}

/** e.g. "syscall 1.96 µs, first touch 11.43 µs per 4 KiB page" */
export function formatKernelCosts(k: KernelCosts): string {
  return `syscall ${k.syscallUs.toFixed(2)} µs, first touch ${k.firstTouchUsPer4KiB.toFixed(2)} µs per 4 KiB page`
}
