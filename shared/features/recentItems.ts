import { featureLimits } from '../config/index.ts';
import type { RecentItem } from '../ports/index.ts';

/** Two interactions with one item: weights add up, `purchased` sticks, the later one names the rest. */
function combine(previous: RecentItem, entry: RecentItem): RecentItem {
  const latest = entry.at >= previous.at ? entry : previous;
  return latest.sessionId === undefined
    ? {
        itemId: entry.itemId,
        type: latest.type,
        at: latest.at,
        weight: previous.weight + entry.weight,
        purchased: previous.purchased || entry.purchased,
      }
    : {
        itemId: entry.itemId,
        type: latest.type,
        at: latest.at,
        weight: previous.weight + entry.weight,
        purchased: previous.purchased || entry.purchased,
        sessionId: latest.sessionId,
      };
}

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
    byItem.set(entry.itemId, previous === undefined ? entry : combine(previous, entry));
  }
  return [...byItem.values()].sort((a, b) => b.at - a.at || a.itemId.localeCompare(b.itemId)).slice(0, limit);
}

/** Whether `a` sorts strictly before `b` in {@link mergeRecentItems}' order (newest first, then by id). */
function before(a: RecentItem, b: RecentItem): boolean {
  return a.at > b.at || (a.at === b.at && a.itemId.localeCompare(b.itemId) < 0);
}

/**
 * Whether `items` is in the form {@link mergeRecentItems} returns: one entry per item and
 * strictly ordered (no two entries tie), so that {@link addRecentItem} may insert into it.
 */
export function isOrderedRecentItems(items: readonly RecentItem[]): boolean {
  const seen = new Set<string>();
  for (let i = 0; i < items.length; i++) {
    const item = items[i] as RecentItem;
    if (seen.has(item.itemId)) return false;
    seen.add(item.itemId);
    if (i > 0 && !before(items[i - 1] as RecentItem, item)) return false;
  }
  return true;
}

/**
 * `mergeRecentItems(items, [entry], limit)` in place, without the map and the sort, for one new
 * interaction: `items` must satisfy {@link isOrderedRecentItems} and keeps satisfying it. Returns
 * false, and leaves `items` as it was, when the entry would tie with another (the caller then
 * merges the general way, whose stable sort decides ties).
 */
export function addRecentItem(
  items: RecentItem[],
  entry: RecentItem,
  limit: number = featureLimits.recentItemsPerUser,
): boolean {
  let from = items.length;
  for (let i = 0; i < items.length; i++) {
    if ((items[i] as RecentItem).itemId === entry.itemId) {
      from = i;
      break;
    }
  }
  const moved = from < items.length ? combine(items[from] as RecentItem, entry) : entry;
  // Its place among the others: after every entry that sorts before it.
  let to = 0;
  for (let i = 0; i < items.length; i++) {
    if (i === from) continue;
    const other = items[i] as RecentItem;
    if (before(other, moved)) to += 1;
    else if (before(moved, other)) break;
    else return false;
  }
  if (from === items.length) items.push(moved);
  if (to <= from) {
    for (let i = from; i > to; i--) items[i] = items[i - 1] as RecentItem;
  } else {
    for (let i = from; i < to; i++) items[i] = items[i + 1] as RecentItem;
  }
  items[to] = moved;
  if (items.length > limit) items.length = limit;
  return true;
}
