/**
 * Order statistics for benchmark rounds. Pure functions over plain arrays, so the unit tests can
 * check them on known inputs.
 */

function sortedCopy(values: readonly number[], what: string): number[] {
  if (values.length === 0) throw new RangeError(`${what} of no values`);
  for (const value of values) {
    if (!Number.isFinite(value)) throw new RangeError(`${what} of a non-finite value: ${value}`);
  }
  return [...values].sort((a, b) => a - b);
}

/** The middle value; the mean of the two middle values when the count is even. */
export function median(values: readonly number[]): number {
  const sorted = sortedCopy(values, 'median');
  const mid = Math.floor(sorted.length / 2);
  const upper = sorted[mid] as number;
  return sorted.length % 2 === 1 ? upper : ((sorted[mid - 1] as number) + upper) / 2;
}

/**
 * Nearest-rank percentile: the smallest value with at least `p` % of the values at or below it.
 * It is always one of the measured values (no interpolation), so p95 of 20 rounds is the
 * 19th-fastest round and p95 of fewer than 20 rounds is the slowest one.
 */
export function percentile(values: readonly number[], p: number): number {
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile must be in (0, 100], got ${p}`);
  const sorted = sortedCopy(values, `p${p}`);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] as number;
}

export const p95 = (values: readonly number[]): number => percentile(values, 95);

export interface Summary {
  readonly count: number;
  readonly min: number;
  readonly median: number;
  readonly p95: number;
  readonly max: number;
}

export function summarize(values: readonly number[]): Summary {
  const sorted = sortedCopy(values, 'summary');
  return {
    count: sorted.length,
    min: sorted[0] as number,
    median: median(sorted),
    p95: p95(sorted),
    max: sorted[sorted.length - 1] as number,
  };
}
