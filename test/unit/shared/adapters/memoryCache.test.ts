import { MemoryRecommendationCache } from '#shared/adapters/memoryCache.ts';
import { describe, expect, it } from 'vitest';
import { recommendationCacheContract } from '../../../contract/recommendationCache.contract.ts';

recommendationCacheContract('in-process LRU', async () => new MemoryRecommendationCache());

describe('Adapter: MemoryRecommendationCache', () => {
  it('evicts the least recently used entry beyond its size', async () => {
    // Prepare
    const cache = new MemoryRecommendationCache(2);
    await cache.set('a', '1', 60);
    await cache.set('b', '2', 60);
    await cache.get('a');
    // Act
    await cache.set('c', '3', 60);
    // Assess
    expect([await cache.get('a'), await cache.get('b'), await cache.get('c')]).toEqual(['1', undefined, '3']);
  });
});
