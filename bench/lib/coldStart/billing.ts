/**
 * Lambda bills an invocation's duration rounded up to the next millisecond (1 ms at least), so a
 * handler's cost per request is its latencies rounded up, not their mean.
 */

/** Billed duration of one invocation that took `latencyMs`. */
export const billedMs = (latencyMs: number): number => Math.max(1, Math.ceil(latencyMs));

/**
 * Billed milliseconds per 1,000 invocations with these latencies (the mean billed duration × 1,000).
 *
 * @example
 * billedMsPer1000([0.2, 1.4]) // 1500: 1 ms and 2 ms billed
 */
export function billedMsPer1000(latenciesMs: readonly number[]): number {
  if (latenciesMs.length === 0) return Number.NaN;
  const total = latenciesMs.reduce((sum, ms) => sum + billedMs(ms), 0);
  return (total / latenciesMs.length) * 1000;
}
