/**
 * Nearest-rank percentile of an ascending list: always one of the measured values, never an
 * interpolation between two (a report shows only numbers that were measured). NaN when empty.
 */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!
}
