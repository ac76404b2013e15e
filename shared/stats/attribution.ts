import { sumCounts } from '../features/attribution.ts';
import type { AttributionDay, AttributionStore, RecommendationRecord } from '../ports/index.ts';
import type { AttributionRow } from './report.ts';

/** UTC day (`yyyy-mm-dd`) of an epoch-ms instant. */
const dayOf = (epochMs: number): string => new Date(epochMs).toISOString().slice(0, 10);

const DAY_MS = 86_400_000;

/** The first and last UTC day of the `days` days up to `now`, today included. */
export function attributionDays(now: number, days: number): { fromDay: string; toDay: string } {
  return { fromDay: dayOf(now - (days - 1) * DAY_MS), toDay: dayOf(now) };
}

/** A list kind's place in the rows of one version. */
const KIND_ORDER: readonly RecommendationRecord['kind'][] = ['personal', 'similar', 'ranking', 'trending'];

/**
 * Attribution of each version, summed per list kind over the days (each version's rows in `versions`
 * order, kinds in {@link KIND_ORDER}), with its click-through rate (clicks per impression) and
 * conversion rate (purchases per click). A version and kind with no counters has no row.
 */
export async function attributionRows(
  store: Pick<AttributionStore, 'attribution'>,
  options: { readonly versions: readonly string[]; readonly fromDay: string; readonly toDay: string },
): Promise<AttributionRow[]> {
  const { fromDay, toDay } = options;
  const versions = [...new Set(options.versions)];
  const perVersion = await Promise.all(versions.map((version) => store.attribution(version, fromDay, toDay)));
  return versions.flatMap((modelVersion, i) => {
    const byKind = new Map<RecommendationRecord['kind'], AttributionDay[]>();
    for (const day of perVersion[i] ?? []) byKind.set(day.kind, [...(byKind.get(day.kind) ?? []), day]);
    return KIND_ORDER.flatMap((listKind) => {
      const days = byKind.get(listKind);
      if (days === undefined) return [];
      const counts = sumCounts(days.map((day) => day.counts));
      return [
        {
          modelVersion,
          listKind,
          fromDay,
          toDay,
          ...counts,
          clickThroughRate: counts.impressions > 0 ? counts.clicks / counts.impressions : null,
          conversionRate: counts.clicks > 0 ? counts.purchases / counts.clicks : null,
        },
      ];
    });
  });
}
