import { featureLimits } from '../config/index.ts';
import type { StreamEvent } from '../events/schema.ts';
import type { AttributionCounts, AttributionUpdate, RecommendationRecord } from '../ports/index.ts';
import { servedListId } from '../recommendationIds.ts';

export const ATTRIBUTED_COUNTERS = [
  'impressions',
  'clicks',
  'addToCarts',
  'purchases',
  'revenue',
] as const satisfies readonly (keyof AttributionCounts)[];

export const noCounts: AttributionCounts = { impressions: 0, clicks: 0, addToCarts: 0, purchases: 0, revenue: 0 };

export function sumCounts(counts: readonly AttributionCounts[]): AttributionCounts {
  return counts.reduce(
    (sum, c) => ({
      impressions: sum.impressions + c.impressions,
      clicks: sum.clicks + c.clicks,
      addToCarts: sum.addToCarts + c.addToCarts,
      purchases: sum.purchases + c.purchases,
      revenue: Math.round((sum.revenue + c.revenue) * 100) / 100,
    }),
    noCounts,
  );
}

/** What one event adds, if it acts on an item of the list it names. */
export function attributedCounts(
  event: StreamEvent,
  record: RecommendationRecord | undefined,
): AttributionCounts | undefined {
  if (record && event.type === 'impression') {
    // Only items the list really served count: a page cannot inflate a list's impressions with other ids.
    const shown = new Set(event.itemIds?.filter((id) => record.itemIds.includes(id)));
    return shown.size === 0 ? undefined : { ...noCounts, impressions: shown.size };
  }
  if (!record || event.itemId === undefined || !record.itemIds.includes(event.itemId)) return undefined;
  switch (event.type) {
    case 'click':
    case 'view':
      return { ...noCounts, clicks: 1 };
    case 'add_to_cart':
      return { ...noCounts, addToCarts: 1 };
    case 'purchase':
      return { ...noCounts, purchases: 1, revenue: (event.price ?? 0) * (event.quantity ?? 1) };
    default:
      return undefined;
  }
}

/** Attribution updates of a batch, coalesced per model version, list kind and day. */
export function attributionUpdates(
  records: readonly { readonly shardId: string; readonly sequenceNumber: string; readonly event: StreamEvent }[],
  served: ReadonlyMap<string, RecommendationRecord>,
  dayOf: (epochMs: number) => string,
): { shardId: string; update: AttributionUpdate }[] {
  const updates = new Map<
    string,
    {
      shardId: string;
      update: AttributionUpdate & { contributions: { sequenceNumber: string; value: AttributionCounts }[] };
    }
  >();
  for (const { shardId, sequenceNumber, event } of records) {
    if (event.recommendationId === undefined) continue;
    const record = served.get(servedListId(event.recommendationId));
    const counts = attributedCounts(event, record);
    if (!record || !counts) continue;
    // Served lists older than the attribution window no longer earn credit.
    if (event.timestamp - record.servedAt > featureLimits.attributionWindowSeconds * 1000) continue;
    const day = dayOf(event.timestamp);
    const key = `${shardId}|${record.modelVersion}|${record.kind}|${day}`;
    let entry = updates.get(key);
    if (!entry) {
      entry = { shardId, update: { modelVersion: record.modelVersion, kind: record.kind, day, contributions: [] } };
      updates.set(key, entry);
    }
    entry.update.contributions.push({ sequenceNumber, value: counts });
  }
  return [...updates.values()];
}
