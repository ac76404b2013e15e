import type { RecommendationCache } from '#shared/ports/index.ts';

/**
 * The Redis (Valkey) recommendation cache, its module and client (ioredis and its commands, about
 * 150 KB of the recommend bundle) evaluated on the first cache call rather than at import. The
 * bundle is one file either way; what this saves is their evaluation in every execution
 * environment of a function configured without `envVars.cacheUrl` (the lean shape's in-process
 * LRU), which never makes such a call. With a cache URL the cost moves into the first request,
 * where the connection is opened anyway.
 *
 * @example
 * const cache = new LazyRedisCache('rediss://cache.example:6379');
 * await cache.get('key'); // loads the client, connects, reads
 */
export class LazyRedisCache implements RecommendationCache {
  #cache: Promise<RecommendationCache> | undefined;

  constructor(private readonly url: string) {}

  async get(key: string): Promise<string | undefined> {
    return (await this.#client()).get(key);
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    return (await this.#client()).set(key, value, ttlSeconds);
  }

  async del(key: string): Promise<void> {
    return (await this.#client()).del(key);
  }

  #client(): Promise<RecommendationCache> {
    this.#cache ??= import('#shared/adapters/redisCache.ts').then(
      ({ RedisRecommendationCache }) => new RedisRecommendationCache(this.url),
    );
    return this.#cache;
  }
}
