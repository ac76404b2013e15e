import { describe, expect, it } from 'vitest';
import { DYNAMO_MAX_ITEM_BYTES, measureItem } from '#shared/adapters/dynamoItemSize.ts';
import { MemoryFeatureStore } from '#shared/adapters/memoryFeatureStore.ts';
import { MemoryPoisonSink } from '#shared/adapters/memoryPoisonSink.ts';
import { shopperItemKey, storedProfile } from '#shared/adapters/profileItem.ts';
import { featureLimits, featureTable } from '#shared/config/index.ts';
import { applyEventBatch } from '#shared/features/applyEvents.ts';
import { highWaterMarkAttribute } from '#shared/features/sequence.ts';
import type { StoredShopper } from '#shared/ports/index.ts';
import { asRecords, busyShopper } from '../../../support/busyShopper.ts';

const NOW = Date.parse('2026-11-22T10:00:00Z');
const SHARDS = 8;

/** The profile item as the DynamoDB store writes it, measured as DynamoDB counts it. */
function itemBytes(shopperKey: string, stored: StoredShopper): number {
  const measure = measureItem({
    ...shopperItemKey(shopperKey),
    profile: storedProfile(stored.profile),
    featureVersion: stored.featureVersion,
    [featureTable.ttlAttribute]: Math.floor(NOW / 1000),
    ...Object.fromEntries(Object.entries(stored.marks).map(([shard, mark]) => [highWaterMarkAttribute(shard), mark])),
  });
  if (!('bytes' in measure)) throw new Error(`unmeasurable: ${measure.invalidAt}`);
  return measure.bytes;
}

describe('Feature: bounded profiles', () => {
  it('returns the busiest shopper at the longest ids within 75 % of the item limit, every list at its bound', async () => {
    // Prepare
    const store = new MemoryFeatureStore();
    const poisonSink = new MemoryPoisonSink();
    const shopper = busyShopper(NOW);
    const catalogue = {
      categoriesOf: async (itemIds: readonly string[]) =>
        new Map(itemIds.map((itemId) => [itemId, shopper.categories.get(itemId) ?? []])),
    };
    const deps = { shoppers: store, items: store, catalogue, poisonSink, clock: { now: () => NOW } };
    const records = asRecords(shopper.events, SHARDS);
    // Act
    const outcomes = [];
    for (let start = 0; start < records.length; start += 100) {
      outcomes.push(await applyEventBatch(records.slice(start, start + 100), deps));
    }
    // Assess
    expect(outcomes.flatMap((o) => [...o.failedSequenceNumbers])).toEqual([]);
    expect(poisonSink.records).toEqual([]);
    const key = `u:${shopper.userId}`;
    const stored = await store.readShopper(key);
    if (stored === undefined) throw new Error('no profile');
    const { profile } = stored;
    expect(profile.recentItems).toHaveLength(featureLimits.recentItemsPerUser);
    expect(profile.recentQueries).toHaveLength(featureLimits.recentQueriesPerUser);
    expect(Object.keys(profile.categoryAffinities)).toHaveLength(featureLimits.categoryAffinitiesPerUser);
    expect(profile.seenEvents).toHaveLength(featureLimits.seenEventsPerUser);
    expect(profile.aliases).toBeUndefined();
    expect(await store.aliasesOf(key)).toHaveLength(500);
    expect(Object.keys(stored.marks)).toHaveLength(SHARDS);
    const bytes = itemBytes(key, stored);
    console.info(
      `busiest profile item: ${bytes} bytes (${((100 * bytes) / DYNAMO_MAX_ITEM_BYTES).toFixed(1)} % of the limit)`,
    );
    expect(bytes).toBeLessThan(0.75 * DYNAMO_MAX_ITEM_BYTES);
  });
});
