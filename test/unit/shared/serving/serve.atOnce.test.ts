import { beforeEach, describe, expect, it, vi } from 'vitest';
import { MemoryFeatureStore } from '#shared/adapters/memoryFeatureStore.ts';
import { MemoryRecommendationCache } from '#shared/adapters/memoryCache.ts';
import type { RecommendationCache } from '#shared/ports/index.ts';
import { GuardedCache } from '#shared/serving/guards.ts';
import type { ServingService as ServingServiceClass } from '#shared/serving/serve.ts';
import { FALLBACK_VERSION, NOW, seedShop, similarOptions, trendingOptions, userOptions } from './fixtures.ts';

let ServingService: typeof ServingServiceClass;

/** The service as the handler builds it: profiles reused for a while, so a repeat request knows its shopper. */
function service(cache: RecommendationCache, store: MemoryFeatureStore) {
  let ids = 0;
  return new ServingService({
    features: store,
    cache: new GuardedCache(cache),
    log: store,
    clock: { now: () => NOW },
    newId: () => `rec-${++ids}`,
    fallbackVersion: FALLBACK_VERSION,
    profileMemoMs: 60_000,
  });
}

/** The same store behind the remote-cache interface only (no `getNow`), as Redis is. */
function remote(cache: MemoryRecommendationCache): RecommendationCache {
  return {
    get: (key) => cache.get(key),
    set: (key, value, ttl) => cache.set(key, value, ttl),
    del: (key) => cache.del(key),
  };
}

describe('Class: ServingService, answering a cache hit', () => {
  beforeEach(async () => {
    vi.resetModules();
    ({ ServingService } = await import('#shared/serving/serve.ts'));
  });

  it('answers at once, without a promise, when the cache is in this process and the shopper was just read', async () => {
    // Prepare
    const store = new MemoryFeatureStore();
    await seedShop(store);
    const serving = service(new MemoryRecommendationCache(), store);
    const first = serving.forShopper('alice', userOptions());
    const similarFirst = serving.similarTo('sku-a', similarOptions());
    const trendingFirst = serving.trending('24h', trendingOptions());
    // The first answers are misses: they read the store, so they come later.
    expect(first).toBeInstanceOf(Promise);
    expect(similarFirst).toBeInstanceOf(Promise);
    expect(trendingFirst).toBeInstanceOf(Promise);
    const missed = await first;

    // Act
    const again = serving.forShopper('alice', userOptions());
    const similarAgain = serving.similarTo('sku-a', similarOptions());
    const trendingAgain = serving.trending('24h', trendingOptions());

    // Assess
    expect(again).not.toBeInstanceOf(Promise);
    expect(similarAgain).not.toBeInstanceOf(Promise);
    expect(trendingAgain).not.toBeInstanceOf(Promise);
    const hit = again as Awaited<typeof again>;
    expect(hit.cache).toBe('HIT');
    expect(hit.json).toBe(missed.json);
    expect(hit.body).toEqual(missed.body);
    expect((similarAgain as Awaited<typeof similarAgain>).json).toBe((await similarFirst).json);
    expect((trendingAgain as Awaited<typeof trendingAgain>).json).toBe((await trendingFirst).json);
  });

  it('waits for a remote cache, and still answers the hit', async () => {
    // Prepare
    const store = new MemoryFeatureStore();
    await seedShop(store);
    const memory = new MemoryRecommendationCache();
    const get = vi.spyOn(memory, 'get');
    const serving = service(remote(memory), store);
    const missed = await serving.forShopper('alice', userOptions());

    // Act
    const again = serving.forShopper('alice', userOptions());

    // Assess
    expect(again).toBeInstanceOf(Promise);
    expect(await again).toMatchObject({ cache: 'HIT', json: missed.json });
    expect(get).toHaveBeenCalledTimes(2);
  });

  it('reads an in-process cache once on a miss, not again before asking the store', async () => {
    // Prepare
    const store = new MemoryFeatureStore();
    await seedShop(store);
    const memory = new MemoryRecommendationCache();
    const getNow = vi.spyOn(memory, 'getNow');
    const get = vi.spyOn(memory, 'get');
    const serving = service(memory, store);
    await serving.forShopper('alice', userOptions());
    getNow.mockClear();

    // Act: the same shopper, a list not cached yet.
    const served = await serving.forShopper('alice', userOptions({ count: '2' }));

    // Assess
    expect(served.cache).toBe('MISS');
    expect(getNow).toHaveBeenCalledTimes(1);
    expect(get).not.toHaveBeenCalled();
  });
});
