import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RecommendationCache } from '#shared/ports/index.ts';
import { serving } from '#shared/config/index.ts';
import { MemoryFeatureStore } from '#shared/adapters/memoryFeatureStore.ts';
import { MemoryRecommendationCache } from '#shared/adapters/memoryCache.ts';
import { GuardedCache } from '#shared/serving/guards.ts';
import { ServingService } from '#shared/serving/service.ts';
import {
  addActivity,
  catalogueItem,
  FALLBACK_VERSION,
  NOW,
  TODAY,
  failingModel,
  fakeModel,
  idsOf,
  makeFixture,
  modelAnswer,
  recent,
  seedShop,
  shutdownGateways,
  slowModel,
  trendingOptions,
  userOptions,
  writeProfile,
  answerOf,
} from './fixtures.ts';

describe('Class: ServingService', () => {
  afterEach(() => {
    shutdownGateways();
  });

  describe('Method: forShopper', () => {
    describe('without a model', () => {
      it('returns popular items of today and yesterday at half weight, leaving out older days', async () => {
        // Prepare
        const { store, service } = makeFixture(ServingService);
        await seedShop(store);

        // Act
        const served = await service.forShopper('alice', userOptions());

        // Assess
        expect(served).toEqual({
          cache: 'MISS',
          body: {
            recommendationId: 'rec-1',
            modelVersion: FALLBACK_VERSION,
            items: [
              { itemId: 'sku-a', score: 10, reason: 'popular' },
              { itemId: 'sku-b', score: 8, reason: 'popular' },
              { itemId: 'sku-d', score: 7, reason: 'popular' },
              { itemId: 'sku-c', score: 2, reason: 'popular' },
            ],
            degraded: false,
          },
        });
      });

      it('returns at most count items', async () => {
        // Prepare
        const { store, service } = makeFixture(ServingService);
        await seedShop(store);

        // Act
        const served = await service.forShopper('alice', userOptions({ count: '2' }));

        // Assess
        expect(idsOf(served)).toEqual(['sku-a', 'sku-b']);
      });

      it('returns popular items, not an error, for a shopper never seen', async () => {
        // Prepare
        const { store, service, onError } = makeFixture(ServingService);
        await seedShop(store);

        // Act
        const served = await service.forShopper('nobody-knows-me', userOptions());

        // Assess
        expect(idsOf(served)).toEqual(['sku-a', 'sku-b', 'sku-d', 'sku-c']);
        expect(served.body.degraded).toBe(false);
        expect(onError).not.toHaveBeenCalled();
      });

      it('returns an empty, non-degraded list when the shop has no activity, and logs nothing', async () => {
        // Prepare
        const { store, service } = makeFixture(ServingService);

        // Act
        const served = await service.forShopper('alice', userOptions());

        // Assess
        expect(served.body).toMatchObject({ items: [], degraded: false });
        expect(await store.getRecommendations([served.body.recommendationId])).toEqual(new Map());
      });

      it('leaves out what the shopper purchased by default, but not what they only viewed', async () => {
        // Prepare
        const { store, service } = makeFixture(ServingService);
        await seedShop(store);
        await writeProfile(store, 'u:alice', {
          recentItems: [recent('sku-a', { type: 'purchase', purchased: true }), recent('sku-b')],
        });

        // Act
        const served = await service.forShopper('alice', userOptions());

        // Assess
        expect(idsOf(served)).toEqual(['sku-b', 'sku-d', 'sku-c']);
      });

      it('leaves out everything the shopper interacted with for exclude=viewed', async () => {
        // Prepare
        const { store, service } = makeFixture(ServingService);
        await seedShop(store);
        await writeProfile(store, 'u:alice', {
          recentItems: [recent('sku-a', { type: 'purchase', purchased: true }), recent('sku-b')],
        });

        // Act
        const served = await service.forShopper('alice', userOptions({ exclude: 'viewed' }));

        // Assess
        expect(idsOf(served)).toEqual(['sku-d', 'sku-c']);
      });

      it('keeps purchased items for an empty exclude=', async () => {
        // Prepare
        const { store, service } = makeFixture(ServingService);
        await seedShop(store);
        await writeProfile(store, 'u:alice', {
          recentItems: [recent('sku-a', { type: 'purchase', purchased: true })],
        });

        // Act
        const served = await service.forShopper('alice', userOptions({ exclude: '' }));

        // Assess
        expect(idsOf(served)).toEqual(['sku-a', 'sku-b', 'sku-d', 'sku-c']);
      });

      it('returns only items of the category, with reason "popular in <category>"', async () => {
        // Prepare
        const { store, service } = makeFixture(ServingService);
        await seedShop(store);

        // Act
        const served = await service.forShopper('alice', userOptions({ category: 'shoes' }));

        // Assess
        expect(served.body.items).toEqual([
          { itemId: 'sku-a', score: 10, reason: 'popular in shoes' },
          { itemId: 'sku-b', score: 8, reason: 'popular in shoes' },
        ]);
      });

      it('returns only items in stock for inStock=true, dropping items missing from the catalogue', async () => {
        // Prepare
        const { store, service } = makeFixture(ServingService);
        await seedShop(store);

        // Act
        const served = await service.forShopper('alice', userOptions({ inStock: 'true' }));

        // Assess
        expect(idsOf(served)).toEqual(['sku-a', 'sku-d']);
      });

      it('returns only items within minPrice..maxPrice', async () => {
        // Prepare
        const { store, service } = makeFixture(ServingService);
        await seedShop(store);

        // Act
        const served = await service.forShopper('alice', userOptions({ minPrice: '20', maxPrice: '50' }));

        // Assess
        expect(idsOf(served)).toEqual(['sku-a', 'sku-d']);
      });

      it('returns only items at or above minPrice', async () => {
        // Prepare
        const { store, service } = makeFixture(ServingService);
        await seedShop(store);

        // Act
        const served = await service.forShopper('alice', userOptions({ minPrice: '100' }));

        // Assess
        expect(idsOf(served)).toEqual(['sku-b']);
      });

      it('fills count after filtering, not before', async () => {
        // Prepare
        const { store, service } = makeFixture(ServingService);
        await seedShop(store);

        // Act
        const served = await service.forShopper('alice', userOptions({ category: 'hats', count: '1' }));

        // Assess
        expect(served.body.items).toEqual([{ itemId: 'sku-d', score: 7, reason: 'popular in hats' }]);
      });

      describe('catalogue reads', () => {
        /** 40 popular items, `pop-00` the most popular, each with a live entry in category `hats` or `shoes`. */
        async function popularShop(store: MemoryFeatureStore): Promise<string[]> {
          const ids = Array.from({ length: 40 }, (_, i) => `pop-${String(i).padStart(2, '0')}`);
          for (const [i, itemId] of ids.entries()) await addActivity(store, itemId, TODAY, { weight: 100 - i });
          await store.putItems(
            ids.map((itemId, i) => catalogueItem(itemId, { categories: [i % 2 ? 'hats' : 'shoes'] })),
          );
          return ids;
        }

        it('returns the popular list after reading the entries of its best count × 2 + 10 candidates only', async () => {
          // Prepare
          const store = new MemoryFeatureStore();
          const ids = await popularShop(store);
          const getEntries = vi.spyOn(store, 'getEntries');
          const { service } = makeFixture(ServingService, { store });

          // Act
          const served = await service.forShopper('alice', userOptions({ count: '5' }));

          // Assess
          expect(idsOf(served)).toEqual(ids.slice(0, 5));
          expect(getEntries.mock.calls).toEqual([[ids.slice(0, 20)]]);
        });

        it('returns the popular list filled from the further candidates when too many of the best are deleted', async () => {
          // Prepare
          const store = new MemoryFeatureStore();
          const ids = await popularShop(store);
          for (const itemId of ids.slice(0, 18)) await store.deleteItem(itemId, NOW);
          const getEntries = vi.spyOn(store, 'getEntries');
          const { service } = makeFixture(ServingService, { store });

          // Act
          const served = await service.forShopper('alice', userOptions({ count: '5' }));

          // Assess
          expect(idsOf(served)).toEqual(ids.slice(18, 23));
          expect(getEntries.mock.calls).toEqual([[ids.slice(0, 20)], [ids.slice(20)]]);
        });

        it('returns the popular list of a category after one read of every candidate', async () => {
          // Prepare
          const store = new MemoryFeatureStore();
          const ids = await popularShop(store);
          const getEntries = vi.spyOn(store, 'getEntries');
          const { service } = makeFixture(ServingService, { store });

          // Act
          const served = await service.forShopper('alice', userOptions({ category: 'hats', count: '5' }));

          // Assess
          expect(idsOf(served)).toEqual(['pop-01', 'pop-03', 'pop-05', 'pop-07', 'pop-09']);
          expect(getEntries.mock.calls).toEqual([[ids]]);
        });
      });
    });

    describe('shopper resolution', () => {
      it("uses an anonymous id's own profile", async () => {
        // Prepare
        const { store, service } = makeFixture(ServingService);
        await seedShop(store);
        await writeProfile(store, 'a:anon-1', { recentItems: [recent('sku-a', { purchased: true })] });

        // Act
        const served = await service.forShopper('anon-1', userOptions());

        // Assess
        expect(idsOf(served)).toEqual(['sku-b', 'sku-d', 'sku-c']);
        const records = await store.getRecommendations([served.body.recommendationId]);
        // The served list is recorded for attribution without the shopper.
        expect(records.get(served.body.recommendationId)).not.toHaveProperty('shopperKey');
      });

      it('follows a merged anonymous id to the profile it was merged into', async () => {
        // Prepare
        const { store, service } = makeFixture(ServingService);
        await seedShop(store);
        await writeProfile(store, 'a:anon-2', {
          recentItems: [recent('sku-d', { purchased: true })],
          mergedInto: 'u:bob',
        });
        await writeProfile(store, 'u:bob', { recentItems: [recent('sku-b', { purchased: true })] });

        // Act
        const served = await service.forShopper('anon-2', userOptions());

        // Assess
        expect(idsOf(served)).toEqual(['sku-a', 'sku-d', 'sku-c']);
        const records = await store.getRecommendations([served.body.recommendationId]);
        expect(records.get(served.body.recommendationId)).not.toHaveProperty('shopperKey');
      });

      it('prefers the signed-in profile when an id is both signed-in and anonymous', async () => {
        // Prepare
        const { store, service } = makeFixture(ServingService);
        await seedShop(store);
        await writeProfile(store, 'u:carol', { recentItems: [recent('sku-a', { purchased: true })] });
        await writeProfile(store, 'a:carol', { recentItems: [recent('sku-b', { purchased: true })] });

        // Act
        const served = await service.forShopper('carol', userOptions());

        // Assess
        expect(idsOf(served)).toEqual(['sku-b', 'sku-d', 'sku-c']);
      });
    });

    describe('cache', () => {
      it('serves every anonymous id it has no profile of from one cache entry, and no other shopper from it', async () => {
        // Prepare
        const cache = new MemoryRecommendationCache();
        const set = vi.spyOn(cache, 'set');
        const { store, service } = makeFixture(ServingService, { cache });
        await seedShop(store);
        const first = await service.forShopper('visitor-1', userOptions(), 'anonymous');
        await writeProfile(store, 'a:visitor-3', { recentItems: [recent('sku-a', { purchased: true })] });

        // Act
        const second = await service.forShopper('visitor-2', userOptions(), 'anonymous');
        const known = await service.forShopper('visitor-3', userOptions(), 'anonymous');
        const unknownToTheBackend = await service.forShopper('visitor-4', userOptions());

        // Assess
        expect([first.cache, second.cache, known.cache, unknownToTheBackend.cache]).toEqual([
          'MISS',
          'HIT',
          'MISS',
          'MISS',
        ]);
        expect(idsOf(second)).toEqual(idsOf(first));
        expect(idsOf(known)).toEqual(['sku-b', 'sku-d', 'sku-c']);
        // The shared list follows popularity as trending does; a shopper's own list waits for their next event.
        expect(set.mock.calls.map(([, , ttlSeconds]) => ttlSeconds)).toEqual([
          serving.sharedListTtlSeconds,
          serving.recommendationTtlSeconds,
          serving.recommendationTtlSeconds,
        ]);
      });

      it('returns MISS, then HIT with the same list for the same shopper and query', async () => {
        // Prepare
        const { store, service } = makeFixture(ServingService);
        await seedShop(store);
        await writeProfile(store, 'u:alice', { recentItems: [recent('sku-a', { purchased: true })] });
        const first = await service.forShopper('alice', userOptions({ count: '3' }));

        // Act
        const second = await service.forShopper('alice', userOptions({ count: '3' }));

        // Assess
        expect(first.cache).toBe('MISS');
        expect(second.cache).toBe('HIT');
        const { recommendationId: _first, ...firstList } = first.body;
        const { recommendationId: _second, ...secondList } = second.body;
        expect(secondList).toEqual(firstList);
      });

      it('returns a HIT with the stored list as its body, the same list the miss served', async () => {
        // Prepare
        const cache = new MemoryRecommendationCache();
        const set = vi.spyOn(cache, 'set');
        const { store, service } = makeFixture(ServingService, { cache });
        await seedShop(store);
        const first = await service.forShopper('alice', userOptions());

        // Act
        const second = await service.forShopper('alice', userOptions());

        // Assess
        expect(set.mock.calls[0]?.[1]).toBe(JSON.stringify(first.body));
        expect(second.cache).toBe('HIT');
        expect(second.body).toEqual({ ...first.body, recommendationId: answerOf(first.body.recommendationId) });
      });

      it('returns a HIT of a stored value with its fields in another order as stored', async () => {
        // Prepare
        const cache = new MemoryRecommendationCache();
        const { store, service } = makeFixture(ServingService, { cache });
        await seedShop(store);
        const set = vi.spyOn(cache, 'set');
        await service.forShopper('alice', userOptions());
        const key = set.mock.calls[0]?.[0] ?? '';
        const reordered = { modelVersion: 'old-writer', recommendationId: 'rec-old', items: [], degraded: false };
        await cache.set(key, JSON.stringify(reordered), 60);

        // Act
        const served = await service.forShopper('alice', userOptions());

        // Assess
        expect(served).toEqual({ cache: 'HIT', body: { ...reordered, recommendationId: answerOf('rec-old') } });
      });

      it('serves the cached list even after popularity changed, until the shopper changes', async () => {
        // Prepare
        const { store, service } = makeFixture(ServingService);
        await seedShop(store);
        await service.forShopper('alice', userOptions());
        await addActivity(store, 'sku-new', TODAY, { weight: 1_000 });

        // Act
        const served = await service.forShopper('alice', userOptions());

        // Assess
        expect(served.cache).toBe('HIT');
        expect(idsOf(served)).not.toContain('sku-new');
      });

      it('returns MISS for a different query of the same shopper', async () => {
        // Prepare
        const { store, service } = makeFixture(ServingService);
        await seedShop(store);
        await service.forShopper('alice', userOptions({ count: '3' }));

        // Act
        const served = await service.forShopper('alice', userOptions({ count: '2' }));

        // Assess
        expect(served.cache).toBe('MISS');
        expect(idsOf(served)).toHaveLength(2);
      });

      it("returns MISS again once the shopper's profile is written (a new feature version)", async () => {
        // Prepare
        const { store, service } = makeFixture(ServingService);
        await seedShop(store);
        await writeProfile(store, 'u:alice', { recentItems: [recent('sku-c')] });
        await service.forShopper('alice', userOptions());
        await writeProfile(store, 'u:alice', {
          recentItems: [recent('sku-a', { type: 'purchase', purchased: true, at: NOW }), recent('sku-c')],
        });

        // Act
        const served = await service.forShopper('alice', userOptions());

        // Assess
        expect(served.cache).toBe('MISS');
        expect(idsOf(served)).toEqual(['sku-b', 'sku-d', 'sku-c']);
      });

      it('returns BYPASS, still answers, and writes nothing when the cache fails', async () => {
        // Prepare
        const cache: RecommendationCache = {
          get: vi.fn(async () => {
            throw new Error('ECONNRESET');
          }),
          set: vi.fn(async () => undefined),
          del: vi.fn(async () => undefined),
        };
        const { store, service, onError } = makeFixture(ServingService, { cache });
        await seedShop(store);

        // Act
        const served = await service.forShopper('alice', userOptions());

        // Assess
        expect(served.cache).toBe('BYPASS');
        expect(served.body).toMatchObject({ degraded: false, modelVersion: FALLBACK_VERSION });
        expect(idsOf(served)).toEqual(['sku-a', 'sku-b', 'sku-d', 'sku-c']);
        expect(cache.set).not.toHaveBeenCalled();
        expect(onError).toHaveBeenCalledWith('cache', expect.objectContaining({ message: 'ECONNRESET' }));
      });
    });

    describe('recommendation log', () => {
      it('serves a cache hit with the recommendationId recorded when the list was first served', async () => {
        // Prepare
        const { store, service, clock } = makeFixture(ServingService);
        await seedShop(store);
        await writeProfile(store, 'u:alice', {});
        const first = await service.forShopper('alice', userOptions({ count: '2' }));
        clock.now = NOW + 1_000;

        // Act
        const second = await service.forShopper('alice', userOptions({ count: '2' }));

        // Assess
        expect(second.cache).toBe('HIT');
        expect(second.body).toEqual({ ...first.body, recommendationId: answerOf(first.body.recommendationId) });
        const records = await store.getRecommendations([first.body.recommendationId]);
        expect([...records.values()]).toEqual([
          {
            recommendationId: first.body.recommendationId,
            kind: 'personal',
            modelVersion: FALLBACK_VERSION,
            itemIds: ['sku-a', 'sku-b'],
            servedAt: NOW,
          },
        ]);
      });

      it('still answers when recording the recommendation fails', async () => {
        // Prepare
        const { store, service, onError } = makeFixture(ServingService);
        await seedShop(store);
        const failure = new Error('ProvisionedThroughputExceededException');
        vi.spyOn(store, 'recordRecommendation').mockRejectedValue(failure);

        // Act
        const served = await service.forShopper('alice', userOptions());

        // Assess
        expect(idsOf(served)).toEqual(['sku-a', 'sku-b', 'sku-d', 'sku-c']);
        expect(served.body.degraded).toBe(false);
        expect(onError).toHaveBeenCalledWith('recommendation log', failure);
      });
    });

    describe('with a model', () => {
      it("serves the model's items and model version, scores rounded, with a default reason", async () => {
        // Prepare
        const model = fakeModel(
          modelAnswer([
            { itemId: 'sku-x', score: 0.987654, reason: 'because you viewed sku-c' },
            { itemId: 'sku-y', score: 0.5 },
          ]),
        );
        const { store, service } = makeFixture(ServingService, { model: model.client });
        await seedShop(store);

        // Act
        const served = await service.forShopper('alice', userOptions());

        // Assess
        expect(served).toEqual({
          cache: 'MISS',
          body: {
            recommendationId: 'rec-1',
            modelVersion: 'hybrid-test',
            items: [
              { itemId: 'sku-x', score: 0.9877, reason: 'because you viewed sku-c' },
              { itemId: 'sku-y', score: 0.5, reason: 'recommended for you' },
            ],
            degraded: false,
          },
        });
        const records = await store.getRecommendations(['rec-1']);
        expect(records.get('rec-1')).toMatchObject({ modelVersion: 'hybrid-test', itemIds: ['sku-x', 'sku-y'] });
      });

      it("sends a signed-in shopper's id, recent items in epoch seconds, 3 × count + 10 candidates, and no catalogue filter", async () => {
        // Prepare
        const model = fakeModel(modelAnswer([{ itemId: 'sku-x', score: 1 }]));
        const { store, service } = makeFixture(ServingService, { model: model.client });
        await writeProfile(store, 'u:alice', {
          recentItems: [
            recent('sku-a', { type: 'view', purchased: true, at: NOW - 1_500 }),
            recent('sku-b', { type: 'add_to_cart', at: NOW - 60_000 }),
          ],
        });

        // Act
        await service.forShopper(
          'alice',
          userOptions({ count: '5', category: 'shoes', inStock: 'true', minPrice: '10', maxPrice: '90' }),
        );

        // Assess
        expect(model.requests()).toEqual([
          {
            userId: 'alice',
            recentItems: [
              { itemId: 'sku-a', eventType: 'purchase', timestamp: NOW / 1000 - 2 },
              { itemId: 'sku-b', eventType: 'add_to_cart', timestamp: NOW / 1000 - 60 },
            ],
            count: 25,
            filters: { excludePurchased: true },
          },
        ]);
      });

      it('sends no userId for an anonymous shopper, only their recent items, and excludeSeen for exclude=viewed', async () => {
        // Prepare
        const model = fakeModel(modelAnswer([{ itemId: 'sku-x', score: 1 }]));
        const { store, service } = makeFixture(ServingService, { model: model.client });
        await writeProfile(store, 'a:anon-1', { recentItems: [recent('sku-c', { at: NOW - 10_000 })] });

        // Act
        await service.forShopper('anon-1', userOptions({ exclude: 'viewed' }));

        // Assess
        expect(model.requests()).toEqual([
          {
            recentItems: [{ itemId: 'sku-c', eventType: 'view', timestamp: NOW / 1000 - 10 }],
            count: 40,
            filters: { excludeSeen: true },
          },
        ]);
      });

      it('sends the id of the profile an anonymous id was merged into', async () => {
        // Prepare
        const model = fakeModel(modelAnswer([{ itemId: 'sku-x', score: 1 }]));
        const { store, service } = makeFixture(ServingService, { model: model.client });
        await writeProfile(store, 'a:anon-2', { mergedInto: 'u:bob' });
        await writeProfile(store, 'u:bob', { recentItems: [recent('sku-b', { at: NOW - 3_000 })] });

        // Act
        await service.forShopper('anon-2', userOptions());

        // Assess
        expect(model.requests()[0]).toMatchObject({
          userId: 'bob',
          recentItems: [{ itemId: 'sku-b', eventType: 'view', timestamp: NOW / 1000 - 3 }],
        });
      });

      it('drops model items the shopper is excluded from', async () => {
        // Prepare
        const model = fakeModel(
          modelAnswer([
            { itemId: 'sku-a', score: 0.9 },
            { itemId: 'sku-x', score: 0.8 },
          ]),
        );
        const { store, service } = makeFixture(ServingService, { model: model.client });
        await writeProfile(store, 'u:alice', { recentItems: [recent('sku-a', { purchased: true })] });

        // Act
        const served = await service.forShopper('alice', userOptions());

        // Assess
        expect(idsOf(served)).toEqual(['sku-x']);
      });

      it("caches the model's answer: HIT with the model version, without calling the model again", async () => {
        // Prepare
        const model = fakeModel(modelAnswer([{ itemId: 'sku-x', score: 1 }]));
        const { store, service } = makeFixture(ServingService, { model: model.client });
        await seedShop(store);
        await service.forShopper('alice', userOptions());

        // Act
        const served = await service.forShopper('alice', userOptions());

        // Assess
        expect(served.cache).toBe('HIT');
        expect(served.body).toMatchObject({ modelVersion: 'hybrid-test', degraded: false });
        expect(idsOf(served)).toEqual(['sku-x']);
        expect(model.invoke).toHaveBeenCalledTimes(1);
      });

      it('falls back to popularity, degraded, when the model fails', async () => {
        // Prepare
        const model = fakeModel(failingModel);
        const { store, service, onError } = makeFixture(ServingService, { model: model.client });
        await seedShop(store);
        await writeProfile(store, 'u:alice', { recentItems: [recent('sku-a', { purchased: true })] });

        // Act
        const served = await service.forShopper('alice', userOptions());

        // Assess
        expect(served.body).toEqual({
          recommendationId: 'rec-1',
          modelVersion: FALLBACK_VERSION,
          items: [
            { itemId: 'sku-b', score: 8, reason: 'popular' },
            { itemId: 'sku-d', score: 7, reason: 'popular' },
            { itemId: 'sku-c', score: 2, reason: 'popular' },
          ],
          degraded: true,
        });
        expect(onError).toHaveBeenCalledWith(
          'model',
          expect.objectContaining({ message: expect.stringContaining('500') }),
        );
      });

      it('does not cache a degraded answer: the next request asks the model again', async () => {
        // Prepare
        let healthy = false;
        const model = fakeModel(async (request, signal) =>
          healthy
            ? { modelVersion: 'hybrid-test', items: [{ itemId: 'sku-x', score: 1 }] }
            : failingModel(request, signal),
        );
        const { store, service } = makeFixture(ServingService, { model: model.client });
        await seedShop(store);
        const degraded = await service.forShopper('alice', userOptions());
        healthy = true;

        // Act
        const served = await service.forShopper('alice', userOptions());

        // Assess
        expect(degraded.body.degraded).toBe(true);
        expect(served.cache).toBe('MISS');
        expect(served.body).toMatchObject({ modelVersion: 'hybrid-test', degraded: false });
        expect(model.invoke).toHaveBeenCalledTimes(2);
      });

      it('falls back to popularity, degraded, when the model is slower than its budget', async () => {
        // Prepare
        const model = fakeModel(slowModel);
        const { store, service, onError } = makeFixture(ServingService, { model: model.client });
        await seedShop(store);

        // Act
        const served = await service.forShopper('alice', userOptions());

        // Assess
        expect(served.body).toMatchObject({ modelVersion: FALLBACK_VERSION, degraded: true });
        expect(idsOf(served)).toEqual(['sku-a', 'sku-b', 'sku-d', 'sku-c']);
        expect(model.invoke.mock.calls[0]?.[1].aborted).toBe(true);
        expect(onError).toHaveBeenCalledWith('model', expect.anything());
      });

      it('answers degraded without calling the model while the breaker is open', async () => {
        // Prepare
        const model = fakeModel(failingModel);
        const { store, service, gateway } = makeFixture(ServingService, {
          model: model.client,
          gateway: { failureThreshold: 1 },
        });
        await seedShop(store);
        await service.forShopper('alice', userOptions());
        const openAfterFailure = gateway?.open;

        // Act
        const served = await service.forShopper('bob', userOptions());

        // Assess
        expect(openAfterFailure).toBe(true);
        expect(served.body).toMatchObject({ modelVersion: FALLBACK_VERSION, degraded: true });
        expect(idsOf(served)).toEqual(['sku-a', 'sku-b', 'sku-d', 'sku-c']);
        expect(model.invoke).toHaveBeenCalledTimes(1);
      });
    });

    describe('when the feature store fails', () => {
      it('returns the last good trending list, degraded, when reading the shopper throws', async () => {
        // Prepare
        const { store, service, onError } = makeFixture(ServingService);
        await seedShop(store);
        await service.trending('24h', trendingOptions());
        const failure = new Error('ThrottlingException');
        vi.spyOn(store, 'readShopper').mockRejectedValue(failure);

        // Act
        const served = await service.forShopper('alice', userOptions({ count: '3' }));

        // Assess
        expect(served).toEqual({
          cache: 'BYPASS',
          body: {
            recommendationId: 'rec-2',
            modelVersion: FALLBACK_VERSION,
            items: [
              { itemId: 'sku-a', score: 10, reason: 'trending' },
              { itemId: 'sku-b', score: 8, reason: 'trending' },
              { itemId: 'sku-d', score: 7, reason: 'trending' },
            ],
            degraded: true,
          },
        });
        expect(onError).toHaveBeenCalledWith('feature store', failure);
      });

      it('returns an empty degraded list when reading the shopper throws and nothing trended yet', async () => {
        // Prepare
        const { store, service } = makeFixture(ServingService);
        await seedShop(store);
        vi.spyOn(store, 'readShopper').mockRejectedValue(new Error('ThrottlingException'));

        // Act
        const served = await service.forShopper('alice', userOptions());

        // Assess
        expect(served.body).toMatchObject({ items: [], degraded: true });
      });

      it('returns the last good trending list, degraded, when reading popularity throws', async () => {
        // Prepare
        const { store, service, clock } = makeFixture(ServingService);
        await seedShop(store);
        await service.trending('24h', trendingOptions({ count: '2' }));
        vi.spyOn(store, 'topPopular').mockRejectedValue(new Error('InternalServerError'));
        // Past the window in which the boards just read are reused.
        clock.now = NOW + serving.boardMemoMs + 1;

        // Act
        const served = await service.forShopper('alice', userOptions());

        // Assess
        expect(served.body).toMatchObject({
          items: [
            { itemId: 'sku-a', reason: 'trending' },
            { itemId: 'sku-b', reason: 'trending' },
          ],
          degraded: true,
        });
      });

      it('does not cache the fallback: the next request reads the store again', async () => {
        // Prepare
        const { store, service } = makeFixture(ServingService);
        await seedShop(store);
        const readShopper = vi.spyOn(store, 'readShopper');
        readShopper.mockRejectedValueOnce(new Error('ThrottlingException'));
        await service.forShopper('alice', userOptions());
        readShopper.mockRestore();

        // Act
        const served = await service.forShopper('alice', userOptions());

        // Assess
        expect(served.cache).toBe('MISS');
        expect(served.body.degraded).toBe(false);
        expect(idsOf(served)).toEqual(['sku-a', 'sku-b', 'sku-d', 'sku-c']);
      });
    });
  });
});

describe('Class: ServingService (profile reads)', () => {
  const options = { count: 3, exclude: [], inStockOnly: false } as const;
  const serviceOver = (store: MemoryFeatureStore, onError = vi.fn()) =>
    new ServingService({
      features: store,
      cache: new GuardedCache(new MemoryRecommendationCache()),
      clock: { now: () => Date.now() },
      newId: () => 'id',
      fallbackVersion: 'popularity-test',
      onError,
    });

  it('returns answers from a profile read per request, so the next request sees a change', async () => {
    // Prepare
    const store = new MemoryFeatureStore();
    const reads = vi.spyOn(store, 'readShopper');
    const service = serviceOver(store);
    // Act
    await service.forShopper('repeat', options);
    await service.forShopper('repeat', options);
    // Assess: the signed-in and the anonymous key, each time.
    expect(reads).toHaveBeenCalledTimes(4);
  });

  it('returns a fallback when the profile read fails, and reads again on the next request', async () => {
    // Prepare
    const store = new MemoryFeatureStore();
    const reads = vi.spyOn(store, 'readShopper').mockRejectedValueOnce(new Error('ThrottlingException'));
    const onError = vi.fn();
    const service = serviceOver(store, onError);
    // Act
    const failed = await service.forShopper('flaky', options);
    const after = await service.forShopper('flaky', options);
    // Assess
    expect([failed.cache, failed.body.degraded]).toEqual(['BYPASS', true]);
    expect(onError).toHaveBeenCalledTimes(1);
    expect([after.cache, after.body.degraded]).toEqual(['MISS', false]);
    expect(reads).toHaveBeenCalledTimes(4);
  });
});

describe('Class: ServingService (whose profile a caller may read)', () => {
  afterEach(() => {
    shutdownGateways();
  });

  it('returns, for the anonymous scope, the anonymous profile only: never the signed-in one, merged or not', async () => {
    // Prepare
    const model = fakeModel(modelAnswer([{ itemId: 'sku-z', score: 1 }]));
    const { store, service } = makeFixture(ServingService, { model: model.client });
    await writeProfile(store, 'u:alice', { recentItems: [recent('sku-private', { purchased: true })] });
    await writeProfile(store, 'a:alice', { recentItems: [recent('sku-anon')], mergedInto: 'u:alice' });
    // Act
    await service.forShopper('alice', userOptions(), 'anonymous');
    // Assess
    expect(model.requests()).toEqual([
      expect.objectContaining({ recentItems: [expect.objectContaining({ itemId: 'sku-anon' })] }),
    ]);
    expect(model.requests()[0]).not.toHaveProperty('userId');
  });

  it('returns, for the signed-in scope, the signed-in profile with its trained user id', async () => {
    // Prepare
    const model = fakeModel(modelAnswer([{ itemId: 'sku-z', score: 1 }]));
    const { store, service } = makeFixture(ServingService, { model: model.client });
    await writeProfile(store, 'u:alice', { recentItems: [recent('sku-mine')] });
    await writeProfile(store, 'a:alice', { recentItems: [recent('sku-anon')] });
    // Act
    await service.forShopper('alice', userOptions(), 'signedIn');
    // Assess
    expect(model.requests()).toEqual([
      expect.objectContaining({ userId: 'alice', recentItems: [expect.objectContaining({ itemId: 'sku-mine' })] }),
    ]);
  });

  it('returns no trained user id to the model for an erased shopper, in lists and rankings', async () => {
    // Prepare
    const model = fakeModel(modelAnswer([{ itemId: 'sku-z', score: 1 }]));
    const { store, service } = makeFixture(ServingService, { model: model.client });
    await writeProfile(store, 'u:alice', { erasedAt: NOW - 60_000 });
    // Act
    await service.forShopper('alice', userOptions());
    await service.rank({ userId: 'alice', itemIds: ['sku-a', 'sku-b'] });
    // Assess
    expect(model.requests()).toHaveLength(2);
    for (const request of model.requests()) expect(request).not.toHaveProperty('userId');
  });

  it('returns a cache MISS right after an erasure bumps the feature version, never the erased list', async () => {
    // Prepare
    const model = fakeModel(modelAnswer([{ itemId: 'sku-z', score: 1, reason: 'because you bought sku-private' }]));
    const { store, service } = makeFixture(ServingService, { model: model.client });
    await writeProfile(store, 'u:alice', { recentItems: [recent('sku-private', { purchased: true })] });
    const before = await service.forShopper('alice', userOptions());
    await writeProfile(store, 'u:alice', { erasedAt: NOW });
    // Act
    const after = await service.forShopper('alice', userOptions());
    // Assess
    expect(before.cache).toBe('MISS');
    expect(after.cache).toBe('MISS');
    expect(model.requests()[1]).not.toHaveProperty('userId');
  });
});
