/** Which of the serving suite's phases run. */

export const OPTIONAL_PHASES = ['miss', 'mixed', 'chaos'] as const;
export type OptionalPhase = (typeof OPTIONAL_PHASES)[number];

/**
 * `RECO_BENCH_SERVING_PHASES` (comma-separated) picks the phases to run, e.g. `hit` for the cache-hit
 * pair alone or `hit,chaos`; unset or empty runs every phase. The cache-hit pair is the suite's paired
 * measurement and always runs.
 */
export function selectedPhases(raw: string | undefined): ReadonlySet<OptionalPhase> {
  const names = (raw ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  if (names.length === 0) return new Set(OPTIONAL_PHASES);
  const known: readonly string[] = ['hit', ...OPTIONAL_PHASES];
  const unknown = names.filter((name) => !known.includes(name));
  if (unknown.length > 0) {
    throw new Error(`RECO_BENCH_SERVING_PHASES: unknown phase(s) ${unknown.join(', ')}; known: ${known.join(', ')}`);
  }
  return new Set(OPTIONAL_PHASES.filter((phase) => names.includes(phase)));
}
