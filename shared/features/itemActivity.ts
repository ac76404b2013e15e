import { eventWeights, featureLimits, ITEM_EVENT_TYPES, type ItemEventType } from '../config/index.ts';
import type { Contribution, ItemActivity } from '../ports/index.ts';
import type { ValidRecord } from './deps.ts';
import type { EventOutcome } from './profile.ts';

const itemEventTypes: ReadonlySet<string> = new Set(ITEM_EVENT_TYPES);
const DAY_MS = 24 * 60 * 60 * 1000;

const dayNames = new Map<number, string>();

/** UTC day of an instant, `yyyy-mm-dd` (memoised: every event asks). */
export function dayBucket(epochMs: number): string {
  const day = Math.floor(epochMs / DAY_MS);
  let name = dayNames.get(day);
  if (name === undefined) {
    name = new Date(day * DAY_MS).toISOString().slice(0, 10);
    if (dayNames.size > 1_000) dayNames.clear();
    dayNames.set(day, name);
  }
  return name;
}

/**
 * An event's share of an item's within-day trend score. Weights grow by 2^(t / halfLife) from
 * the start of the day, so a plain DynamoDB `ADD` keeps a score whose order at any moment equals
 * the order of exponentially decayed activity: a GSI can sort items by "trending now".
 */
export function trendIncrement(weight: number, epochMs: number): number {
  const sinceDayStart = epochMs - Math.floor(epochMs / DAY_MS) * DAY_MS;
  return weight * 2 ** (sinceDayStart / (featureLimits.trendHalfLifeSeconds * 1000));
}

/**
 * Phase 2 input: how often each item occurs in `itemIds`, keys in order of first occurrence.
 *
 * The object has no prototype, which V8 keeps as a hash table from the start: an ordinary object
 * gets a new hidden class for every new combination of keys, and with item ids as keys nearly
 * every event's partners are a new combination (that made counting the processor's hot spot).
 * Each key is also written once, with its final count, found by scanning the short list.
 */
export function countsOf(itemIds: readonly string[]): Record<string, number> {
  const counts = Object.create(null) as Record<string, number>;
  if (itemIds.length > 32) {
    for (const itemId of itemIds) counts[itemId] = (counts[itemId] ?? 0) + 1;
    return counts;
  }
  for (let i = 0; i < itemIds.length; i++) {
    const itemId = itemIds[i] as string;
    let repeat = false;
    for (let j = 0; j < i && !repeat; j++) repeat = itemIds[j] === itemId;
    if (repeat) continue;
    let count = 1;
    for (let j = i + 1; j < itemIds.length; j++) if (itemIds[j] === itemId) count += 1;
    counts[itemId] = count;
  }
  return counts;
}

const onesByItem = new Map<string, Readonly<Record<string, number>>>();

/**
 * `{ [itemId]: 1 }`, what an event adds to each partner's co-occurrence counts, frozen and shared
 * (memoised like day names: a new object per event and partner was most of the batch's garbage).
 */
function countOfOne(itemId: string): Readonly<Record<string, number>> {
  let one = onesByItem.get(itemId);
  if (one === undefined) {
    one = Object.freeze({ [itemId]: 1 });
    if (onesByItem.size >= 50_000) onesByItem.clear();
    onesByItem.set(itemId, one);
  }
  return one;
}

/** The contributions of a batch to one item's day bucket, from one shard. */
export interface ItemBucket {
  readonly kind: 'item';
  readonly shardId: string;
  readonly update: { readonly itemId: string; readonly day: string; contributions: Contribution<ItemActivity>[] };
}

type MutableItemActivity = { -readonly [K in keyof ItemActivity]: ItemActivity[K] };

/**
 * Item buckets in the order they are first touched. Buckets are found by shard, day and item in
 * nested maps (no composite key string per contribution), and an event's partner contributions
 * are one shared, read-only object per kind rather than one per partner. Duplicates and parked
 * records contribute nothing.
 */
export function itemContributions(
  records: readonly ValidRecord[],
  outcomes: ReadonlyMap<string, EventOutcome>,
): ItemBucket[] {
  const buckets: ItemBucket[] = [];
  const byShardAndDay = new Map<string, Map<string, Map<string, ItemBucket>>>();
  let lastShardId: string | undefined;
  let lastDay: string | undefined;
  let byItem = new Map<string, ItemBucket>();
  const add = (shardId: string, itemId: string, day: string, contribution: Contribution<ItemActivity>) => {
    let bucket = byItem.get(itemId);
    if (bucket === undefined) {
      bucket = { kind: 'item', shardId, update: { itemId, day, contributions: [] } };
      byItem.set(itemId, bucket);
      buckets.push(bucket);
    }
    bucket.update.contributions.push(contribution);
  };
  for (const { record, recordId, event } of records) {
    const outcome = outcomes.get(recordId);
    if (!outcome || outcome.status === 'duplicate' || outcome.status === 'parked') continue;
    if (!itemEventTypes.has(event.type) || event.itemId === undefined) continue;
    const weight = eventWeights[event.type as ItemEventType];
    const day = dayBucket(event.timestamp);
    const { shardId, sequenceNumber } = record;
    if (shardId !== lastShardId || day !== lastDay) {
      let byDay = byShardAndDay.get(shardId);
      if (byDay === undefined) {
        byDay = new Map();
        byShardAndDay.set(shardId, byDay);
      }
      let items = byDay.get(day);
      if (items === undefined) {
        items = new Map();
        byDay.set(day, items);
      }
      byItem = items;
      lastShardId = shardId;
      lastDay = day;
    }
    const { viewedWith, boughtWith } = outcome;
    const value: MutableItemActivity = { weight, trend: trendIncrement(weight, event.timestamp) };
    if (viewedWith.length > 0) value.viewedWith = countsOf(viewedWith);
    if (boughtWith.length > 0) value.boughtWith = countsOf(boughtWith);
    add(shardId, event.itemId, day, { sequenceNumber, value });
    if (viewedWith.length === 0 && boughtWith.length === 0) continue;
    // Co-occurrence is symmetric: the partner's bucket counts this item too.
    const self = countOfOne(event.itemId);
    let viewedOnly: Contribution<ItemActivity> | undefined;
    let viewedAndBought: Contribution<ItemActivity> | undefined;
    const bought = boughtWith.length > 0 ? new Set(boughtWith) : undefined;
    for (const partner of viewedWith) {
      if (bought?.delete(partner) === true) {
        viewedAndBought ??= { sequenceNumber, value: { weight: 0, trend: 0, viewedWith: self, boughtWith: self } };
        add(shardId, partner, day, viewedAndBought);
      } else {
        viewedOnly ??= { sequenceNumber, value: { weight: 0, trend: 0, viewedWith: self } };
        add(shardId, partner, day, viewedOnly);
      }
    }
    if (bought === undefined || bought.size === 0) continue;
    const boughtOnly: Contribution<ItemActivity> = { sequenceNumber, value: { weight: 0, trend: 0, boughtWith: self } };
    for (const partner of bought) add(shardId, partner, day, boughtOnly);
  }
  return buckets;
}
