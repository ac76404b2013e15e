import { setTimeout as sleep } from 'node:timers/promises';
import { beforeEach, describe, expect, it } from 'vitest';
import type { RecommendationCache } from '#shared/ports/index.ts';

/** What every cache adapter must do: the embedded LRU (unit) and Redis/Valkey (integration). */
export function recommendationCacheContract(name: string, createCache: () => Promise<RecommendationCache>): void {
  describe(`Contract: RecommendationCache (${name})`, () => {
    let cache: RecommendationCache;
    let prefix: string;
    beforeEach(async () => {
      cache = await createCache();
      prefix = `t${Math.random().toString(36).slice(2, 10)}`;
    });

    it('returns undefined for a key never set', async () => {
      expect(await cache.get(`${prefix}:none`)).toBeUndefined();
    });

    it('returns what was set, replaces it, and forgets it on del', async () => {
      // Act
      await cache.set(`${prefix}:k`, '{"items":[1]}', 60);
      const first = await cache.get(`${prefix}:k`);
      await cache.set(`${prefix}:k`, '{"items":[2]}', 60);
      const second = await cache.get(`${prefix}:k`);
      await cache.del(`${prefix}:k`);
      // Assess
      expect([first, second, await cache.get(`${prefix}:k`)]).toEqual(['{"items":[1]}', '{"items":[2]}', undefined]);
    });

    it('expires an entry after its TTL', async () => {
      // Act
      await cache.set(`${prefix}:short`, 'v', 1);
      const before = await cache.get(`${prefix}:short`);
      await sleep(1_100);
      // Assess
      expect([before, await cache.get(`${prefix}:short`)]).toEqual(['v', undefined]);
    });

    it('keeps keys apart and stores unicode unchanged', async () => {
      // Act
      await cache.set(`${prefix}:a`, 'Crème brûlée ✓', 60);
      await cache.set(`${prefix}:b`, 'other', 60);
      // Assess
      expect(await cache.get(`${prefix}:a`)).toBe('Crème brûlée ✓');
    });
  });
}
