import { beforeEach, describe, expect, it } from 'vitest';
import { MemoryFeatureStore } from '#shared/adapters/memoryFeatureStore.ts';
import { apiLimits } from '#shared/config/index.ts';
import { InvalidRequestError } from '#shared/errors.ts';
import { emptyProfile } from '#shared/features/profile.ts';
import { mergeRecentItems } from '#shared/features/recentItems.ts';
import type { RankedItem, RecentItem, StoredShopper } from '#shared/ports/index.ts';
import { parseCount, popularItems, recommendForUser, type RecommendDeps } from '#shared/recommend/recommendForUser.ts';

const NOW = Date.parse('2025-03-10T12:00:00.000Z');
const TODAY = '2025-03-10';
const YESTERDAY = '2025-03-09';
const TWO_DAYS_AGO = '2025-03-08';
const SHARD = 'shardId-000000000000';

let store: MemoryFeatureStore;
let sequence = 0;
const nextSequence = (): string => String(++sequence);

/** Adds `score` to an item's counter of the day, as the processor would. */
async function popularity(itemId: string, day: string, score: number): Promise<void> {
  await store.applyItemActivity(SHARD, {
    itemId,
    day,
    contributions: [{ sequenceNumber: nextSequence(), value: { weight: score, trend: score } }],
  });
}

/** Records interactions of a shopper (`u:<id>` or `a:<id>`). */
async function history(key: string, items: { itemId: string; purchased: boolean }[]): Promise<void> {
  const recentItems = items.map(({ itemId, purchased }, i): RecentItem => ({
    itemId,
    type: purchased ? 'purchase' : 'view',
    at: NOW - 1_000 + i,
    weight: 1,
    purchased,
  }));
  const stored = await store.readShopper(key);
  await store.writeShopper(key, {
    profile: { ...emptyProfile, recentItems: mergeRecentItems(stored?.profile.recentItems ?? [], recentItems) },
    expectedVersion: stored?.featureVersion ?? 0,
    expiresAt: 0,
  });
}

const deps = (features: RecommendDeps['features'] = store): RecommendDeps => ({
  features,
  clock: { now: () => NOW },
  newId: () => 'rec-123',
  modelVersion: 'test-model',
});

const ids = (items: readonly { itemId: string }[]): string[] => items.map((i) => i.itemId);

describe('Function: recommendForUser', () => {
  beforeEach(() => {
    store = new MemoryFeatureStore();
    sequence = 0;
  });

  describe('ranking', () => {
    it('returns items ordered by score, highest first, with reason popular', async () => {
      // Prepare
      await popularity('sku-low', TODAY, 2);
      await popularity('sku-high', TODAY, 9);
      await popularity('sku-mid', TODAY, 5);

      // Act
      const result = await recommendForUser({ userId: 'user-1', count: 10 }, deps());

      // Assess
      expect(result.items).toEqual([
        { itemId: 'sku-high', score: 9, reason: 'popular' },
        { itemId: 'sku-mid', score: 5, reason: 'popular' },
        { itemId: 'sku-low', score: 2, reason: 'popular' },
      ]);
    });

    it("returns yesterday's counts at half weight, below a smaller count of today", async () => {
      // Prepare
      await popularity('sku-yesterday', YESTERDAY, 6);
      await popularity('sku-today', TODAY, 4);

      // Act
      const result = await recommendForUser({ userId: 'user-1', count: 10 }, deps());

      // Assess
      expect(result.items).toEqual([
        { itemId: 'sku-today', score: 4, reason: 'popular' },
        { itemId: 'sku-yesterday', score: 3, reason: 'popular' },
      ]);
    });

    it("returns the sum of today's count and half of yesterday's for an item seen both days", async () => {
      // Prepare
      await popularity('sku-1', TODAY, 2);
      await popularity('sku-1', YESTERDAY, 5);

      // Act
      const result = await recommendForUser({ userId: 'user-1', count: 10 }, deps());

      // Assess
      expect(result.items).toEqual([{ itemId: 'sku-1', score: 4.5, reason: 'popular' }]);
    });

    it('returns nothing from days outside the popularity window', async () => {
      // Prepare
      await popularity('sku-old', TWO_DAYS_AGO, 100);
      await popularity('sku-now', TODAY, 1);

      // Act
      const result = await recommendForUser({ userId: 'user-1', count: 10 }, deps());

      // Assess
      expect(ids(result.items)).toEqual(['sku-now']);
    });

    it('returns equal scores ordered by itemId', async () => {
      // Prepare
      await popularity('sku-b', TODAY, 3);
      await popularity('sku-c', TODAY, 3);
      await popularity('sku-a', TODAY, 3);

      // Act
      const result = await recommendForUser({ userId: 'user-1', count: 10 }, deps());

      // Assess
      expect(ids(result.items)).toEqual(['sku-a', 'sku-b', 'sku-c']);
    });

    it('returns no item whose net score is zero or negative', async () => {
      // Prepare
      await popularity('sku-removed', TODAY, -2);
      await popularity('sku-even', TODAY, 2);
      await popularity('sku-even', TODAY, -2);
      await popularity('sku-liked', TODAY, 1);

      // Act
      const result = await recommendForUser({ userId: 'user-1', count: 10 }, deps());

      // Assess
      expect(ids(result.items)).toEqual(['sku-liked']);
    });
  });

  describe('count', () => {
    it('returns at most count items, the best ones', async () => {
      // Prepare
      for (let i = 1; i <= 5; i++) await popularity(`sku-${i}`, TODAY, i);

      // Act
      const result = await recommendForUser({ userId: 'user-1', count: 2 }, deps());

      // Assess
      expect(ids(result.items)).toEqual(['sku-5', 'sku-4']);
    });

    it('returns count items after removing purchased ones', async () => {
      // Prepare
      for (let i = 1; i <= 5; i++) await popularity(`sku-${i}`, TODAY, i);
      await history('u:user-1', [{ itemId: 'sku-5', purchased: true }]);

      // Act
      const result = await recommendForUser({ userId: 'user-1', count: 3 }, deps());

      // Assess
      expect(ids(result.items)).toEqual(['sku-4', 'sku-3', 'sku-2']);
    });
  });

  describe('purchases', () => {
    beforeEach(async () => {
      await popularity('sku-bought', TODAY, 10);
      await popularity('sku-viewed', TODAY, 5);
      await popularity('sku-other', TODAY, 1);
    });

    it('returns no item the signed-in shopper purchased, but items they only viewed', async () => {
      // Prepare
      await history('u:user-1', [
        { itemId: 'sku-bought', purchased: true },
        { itemId: 'sku-viewed', purchased: false },
      ]);

      // Act
      const result = await recommendForUser({ userId: 'user-1', count: 10 }, deps());

      // Assess
      expect(ids(result.items)).toEqual(['sku-viewed', 'sku-other']);
    });

    it("returns another shopper's purchases to a shopper who did not buy them", async () => {
      // Prepare
      await history('u:user-1', [{ itemId: 'sku-bought', purchased: true }]);

      // Act
      const result = await recommendForUser({ userId: 'user-2', count: 10 }, deps());

      // Assess
      expect(ids(result.items)).toEqual(['sku-bought', 'sku-viewed', 'sku-other']);
    });

    it('returns no item an anonymous shopper purchased, looked up as a:<id>', async () => {
      // Prepare
      await history('a:anon-1', [{ itemId: 'sku-bought', purchased: true }]);

      // Act
      const result = await recommendForUser({ userId: 'anon-1', count: 10 }, deps());

      // Assess
      expect(ids(result.items)).toEqual(['sku-viewed', 'sku-other']);
    });

    it('returns the signed-in history over an anonymous one with the same id', async () => {
      // Prepare
      await history('u:same-id', [{ itemId: 'sku-bought', purchased: true }]);
      await history('a:same-id', [{ itemId: 'sku-viewed', purchased: true }]);

      // Act
      const result = await recommendForUser({ userId: 'same-id', count: 10 }, deps());

      // Assess
      expect(ids(result.items)).toEqual(['sku-viewed', 'sku-other']);
    });

    it('returns an item as purchased after a later view of it', async () => {
      // Prepare
      await history('u:user-1', [{ itemId: 'sku-bought', purchased: true }]);
      await history('u:user-1', [{ itemId: 'sku-bought', purchased: false }]);

      // Act
      const result = await recommendForUser({ userId: 'user-1', count: 10 }, deps());

      // Assess
      expect(ids(result.items)).not.toContain('sku-bought');
    });
  });

  describe('unknown and new shoppers', () => {
    it('returns the popular items for a shopper with no history', async () => {
      // Prepare
      await popularity('sku-1', TODAY, 3);
      await popularity('sku-2', YESTERDAY, 2);

      // Act
      const result = await recommendForUser({ userId: 'never-seen', count: 10 }, deps());

      // Assess
      expect(result.items).toEqual([
        { itemId: 'sku-1', score: 3, reason: 'popular' },
        { itemId: 'sku-2', score: 1, reason: 'popular' },
      ]);
    });

    it('returns an empty list, not an error, when nothing is popular yet', async () => {
      // Act
      const result = await recommendForUser({ userId: 'never-seen', count: 10 }, deps());

      // Assess
      expect(result).toEqual({ recommendationId: 'rec-123', modelVersion: 'test-model', items: [], degraded: false });
    });
  });

  describe('envelope', () => {
    it('returns the recommendationId from newId, the model version and degraded false', async () => {
      // Prepare
      await popularity('sku-1', TODAY, 1);
      let calls = 0;
      const newId = () => `rec-${++calls}`;

      // Act
      const result = await recommendForUser({ userId: 'user-1', count: 10 }, { ...deps(), newId });

      // Assess
      expect(result.recommendationId).toBe('rec-1');
      expect(calls).toBe(1);
      expect(result.modelVersion).toBe('test-model');
      expect(result.degraded).toBe(false);
    });
  });

  describe('feature store reads', () => {
    it('returns the boards of today and yesterday read by UTC day, and both shopper keys', async () => {
      // Prepare
      const days: string[] = [];
      const shoppers: string[] = [];
      const recording: RecommendDeps['features'] = {
        readShopper: async (key): Promise<StoredShopper | undefined> => {
          shoppers.push(key);
          return undefined;
        },
        topPopular: async (day): Promise<RankedItem[]> => {
          days.push(day);
          return [];
        },
      };
      const lateEvening = { ...deps(recording), clock: { now: () => Date.parse('2025-03-10T23:59:59.999Z') } };

      // Act
      await recommendForUser({ userId: 'user-1', count: 10 }, lateEvening);

      // Assess
      expect(days.sort()).toEqual([YESTERDAY, TODAY]);
      expect(shoppers.sort()).toEqual(['a:user-1', 'u:user-1']);
    });

    it('throws the feature store error rather than answering', async () => {
      // Prepare
      const failing: RecommendDeps['features'] = {
        readShopper: async () => undefined,
        topPopular: async () => {
          throw new Error('table unavailable');
        },
      };

      // Act
      const promise = recommendForUser({ userId: 'user-1', count: 10 }, deps(failing));

      // Assess
      await expect(promise).rejects.toThrow('table unavailable');
    });
  });
});

describe('Function: popularItems', () => {
  beforeEach(() => {
    store = new MemoryFeatureStore();
    sequence = 0;
  });

  describe('decay', () => {
    it('returns scores blended over the window with yesterday at half weight', async () => {
      // Prepare
      await popularity('sku-1', TODAY, 4);
      await popularity('sku-1', YESTERDAY, 4);
      await popularity('sku-2', YESTERDAY, 3);

      // Act
      const scores = await popularItems(deps());

      // Assess
      expect(Object.fromEntries(scores)).toEqual({ 'sku-1': 6, 'sku-2': 1.5 });
    });
  });
});

describe('Function: parseCount', () => {
  describe('defaults', () => {
    it.each([
      ['undefined', undefined],
      ['an empty string', ''],
    ])('returns the default count for %s', (_label, raw) => {
      // Act
      const count = parseCount(raw);

      // Assess
      expect(count).toBe(apiLimits.defaultRecommendationCount);
    });
  });

  describe('valid counts', () => {
    it.each([
      ['1', 1],
      ['10', 10],
      ['100', 100],
      [String(apiLimits.maxRecommendationCount), apiLimits.maxRecommendationCount],
    ])('returns %s as the number %d', (raw, expected) => {
      // Act
      const count = parseCount(raw);

      // Assess
      expect(count).toBe(expected);
    });
  });

  describe('invalid counts', () => {
    it.each(['0', '101', '1000', 'abc', '1.5', '-1', ' 5', '5 ', '1e2', '0x10', 'Infinity', 'NaN'])(
      'throws InvalidRequestError invalid_count for %j',
      (raw) => {
        // Act
        const act = () => parseCount(raw);

        // Assess
        expect(act).toThrow(InvalidRequestError);
        expect(act).toThrow(expect.objectContaining({ reason: 'invalid_count', status: 400 }));
      },
    );

    it('throws a message naming the range and the value given', () => {
      // Act
      const act = () => parseCount('abc');

      // Assess
      expect(act).toThrow(`count must be an integer from 1 to ${apiLimits.maxRecommendationCount}, got "abc"`);
    });
  });
});
