import { featureLimits } from '../config/index.ts';
import type { RecentItem } from '../ports/index.ts';

/**
 * Folds new interactions into a shopper's recent items: one entry per item, newest first,
 * bounded to `featureLimits.recentItemsPerUser`. Weights add up; `purchased` sticks.
 * Pure, so the DynamoDB and in-memory stores merge identically.
 */
export function mergeRecentItems(
  existing: readonly RecentItem[],
  incoming: readonly RecentItem[],
  limit: number = featureLimits.recentItemsPerUser,
): RecentItem[] {
  const byItem = new Map<string, RecentItem>();
  for (const entry of existing) byItem.set(entry.itemId, entry);
  for (const entry of incoming) {
    const previous = byItem.get(entry.itemId);
    if (previous === undefined) {
      byItem.set(entry.itemId, entry);
      continue;
    }
    const latest = entry.at >= previous.at ? entry : previous;
    byItem.set(entry.itemId, {
      itemId: entry.itemId,
      type: latest.type,
      at: latest.at,
      weight: previous.weight + entry.weight,
      purchased: previous.purchased || entry.purchased,
      ...(latest.sessionId === undefined ? {} : { sessionId: latest.sessionId }),
    });
  }
  return [...byItem.values()].sort((a, b) => b.at - a.at || a.itemId.localeCompare(b.itemId)).slice(0, limit);
}
