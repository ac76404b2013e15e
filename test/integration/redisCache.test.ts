import { afterAll, describe, expect, it } from 'vitest';
import { RedisRecommendationCache } from '#shared/adapters/redisCache.ts';
import { recommendationCacheContract } from '../contract/recommendationCache.contract.ts';

/*
 * Runs against a real Redis/Valkey server: `.ci/run` installs Debian's redis-server, starts it
 * on a free loopback port and exports REDIS_URL. Without REDIS_URL (a laptop without Redis)
 * this file fails loudly rather than pass without testing anything.
 */
const url = process.env.REDIS_URL;
const caches: RedisRecommendationCache[] = [];

afterAll(async () => {
  await Promise.all(caches.map((cache) => cache.close()));
});

describe('Redis test server', () => {
  it('is configured through REDIS_URL (set by .ci/run; start redis-server and export it locally)', () => {
    expect(url, 'REDIS_URL is not set').toMatch(/^rediss?:\/\//);
  });
});

if (url) {
  recommendationCacheContract('Redis', async () => {
    const cache = new RedisRecommendationCache(url);
    caches.push(cache);
    return cache;
  });

  describe('Adapter: RedisRecommendationCache', () => {
    it('fails fast, without hanging, when the server is unreachable', async () => {
      // Prepare: a port nothing listens on.
      const cache = new RedisRecommendationCache('redis://127.0.0.1:1');
      caches.push(cache);
      const started = Date.now();
      // Act
      const attempt = cache.get('k');
      // Assess
      await expect(attempt).rejects.toThrow();
      expect(Date.now() - started).toBeLessThan(5_000);
    });
  });
}
