import { beforeEach, describe, expect, it } from 'vitest';
import type { FeatureStore, RecentItem } from '#shared/ports/index.ts';

const item = (itemId: string, at: number, overrides: Partial<RecentItem> = {}): RecentItem => ({
  itemId,
  type: 'view',
  at,
  weight: 1,
  purchased: false,
  ...overrides,
});

/**
 * The behaviour every FeatureStore adapter must have, run against the in-memory store (unit)
 * and the DynamoDB store on the local stand-in (integration).
 */
export function featureStoreContract(name: string, createStore: () => Promise<FeatureStore>): void {
  describe(`Contract: FeatureStore (${name})`, () => {
    let store: FeatureStore;
    let prefix: string;
    beforeEach(async () => {
      store = await createStore();
      // Unique ids per test, so a shared table needs no cleanup between tests.
      prefix = `t${Math.random().toString(36).slice(2, 10)}`;
    });

    it('adds popularity contributions and ranks items by score', async () => {
      // Prepare
      const day = '2026-11-22';
      // Act
      await store.applyPopularity('shard-1', {
        itemId: `${prefix}-a`,
        day,
        contributions: [
          { sequenceNumber: '1', value: 1 },
          { sequenceNumber: '2', value: 8 },
        ],
      });
      await store.applyPopularity('shard-1', {
        itemId: `${prefix}-b`,
        day,
        contributions: [{ sequenceNumber: '3', value: 4 }],
      });
      // Assess
      const top = (await store.topPopular(day, 100)).filter((p) => p.itemId.startsWith(prefix));
      expect(top).toEqual([
        { itemId: `${prefix}-a`, score: 9 },
        { itemId: `${prefix}-b`, score: 4 },
      ]);
    });

    it('applies each popularity contribution exactly once across redeliveries', async () => {
      // Prepare
      const day = '2026-11-21';
      const itemId = `${prefix}-x`;
      const first = [
        { sequenceNumber: '100', value: 1 },
        { sequenceNumber: '105', value: 2 },
      ];
      // Act: the same batch twice, then a retry overlapping it, then another shard.
      await store.applyPopularity('shard-1', { itemId, day, contributions: first });
      await store.applyPopularity('shard-1', { itemId, day, contributions: first });
      await store.applyPopularity('shard-1', {
        itemId,
        day,
        contributions: [...first, { sequenceNumber: '110', value: 4 }],
      });
      await store.applyPopularity('shard-2', { itemId, day, contributions: [{ sequenceNumber: '1', value: 8 }] });
      // Assess
      const top = (await store.topPopular(day, 100)).find((p) => p.itemId === itemId);
      expect(top?.score).toBe(1 + 2 + 4 + 8);
    });

    it('compares sequence numbers numerically, not as text', async () => {
      // Prepare
      const day = '2026-11-20';
      const itemId = `${prefix}-n`;
      // Act: '9' < '10' numerically but not lexically.
      await store.applyPopularity('shard-1', { itemId, day, contributions: [{ sequenceNumber: '9', value: 1 }] });
      await store.applyPopularity('shard-1', { itemId, day, contributions: [{ sequenceNumber: '10', value: 1 }] });
      // Assess
      expect((await store.topPopular(day, 100)).find((p) => p.itemId === itemId)?.score).toBe(2);
    });

    it('keeps recent items newest first, once per item, and bumps the feature version', async () => {
      // Prepare
      const shopper = `u:${prefix}`;
      // Act
      await store.applyRecentItems('shard-1', {
        shopperKey: shopper,
        contributions: [
          { sequenceNumber: '1', value: item('a', 1_000) },
          { sequenceNumber: '2', value: item('b', 2_000) },
        ],
      });
      const before = await store.getShopperFeatures(shopper);
      await store.applyRecentItems('shard-1', {
        shopperKey: shopper,
        contributions: [
          { sequenceNumber: '3', value: item('a', 3_000, { type: 'purchase', weight: 8, purchased: true }) },
        ],
      });
      const after = await store.getShopperFeatures(shopper);
      // Assess
      expect(after?.recentItems).toEqual([
        { itemId: 'a', type: 'purchase', at: 3_000, weight: 9, purchased: true },
        { itemId: 'b', type: 'view', at: 2_000, weight: 1, purchased: false },
      ]);
      expect(after?.featureVersion).toBeGreaterThan(before?.featureVersion ?? 0);
    });

    it('ignores a redelivered recent-items update and leaves the version alone', async () => {
      // Prepare
      const shopper = `a:${prefix}`;
      const update = { shopperKey: shopper, contributions: [{ sequenceNumber: '7', value: item('c', 5_000) }] };
      await store.applyRecentItems('shard-1', update);
      const once = await store.getShopperFeatures(shopper);
      // Act
      await store.applyRecentItems('shard-1', update);
      // Assess
      expect(await store.getShopperFeatures(shopper)).toEqual(once);
    });

    it('returns undefined for a shopper with no features', async () => {
      expect(await store.getShopperFeatures(`u:${prefix}-nobody`)).toBeUndefined();
    });
  });
}
