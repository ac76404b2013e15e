import { Redis } from 'ioredis';
import { serving } from '../config/index.ts';
import type { RecommendationCache } from '../ports/index.ts';

/**
 * Valkey/Redis cache. One connection, opened lazily on first use and reused across invocations;
 * no offline queue and one attempt per command, so a cache outage fails fast (the serving path
 * then answers uncached) instead of queueing requests behind a reconnect.
 */
export class RedisRecommendationCache implements RecommendationCache {
  private readonly client: Redis;

  constructor(url: string, options: { commandTimeoutMs?: number } = {}) {
    this.client = new Redis(url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: 1_000,
      commandTimeout: options.commandTimeoutMs ?? serving.cacheBudgetMs * 5,
      // Keep trying in the background so the cache comes back by itself after an outage.
      retryStrategy: (attempt) => Math.min(attempt * 100, 1_000),
      // Commands sent in the same turn of the event loop (requests served side by side) leave in
      // one write: one syscall and one server read instead of one each.
      enableAutoPipelining: true,
      ...(url.startsWith('rediss://') ? { tls: {} } : {}),
    });
    // Errors surface on the commands; without a listener ioredis would log each one.
    this.client.on('error', () => undefined);
  }

  async get(key: string): Promise<string | undefined> {
    await this.connected();
    return (await this.client.get(key)) ?? undefined;
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    await this.connected();
    await this.client.set(key, value, 'EX', ttlSeconds);
  }

  async del(key: string): Promise<void> {
    await this.connected();
    await this.client.del(key);
  }

  async close(): Promise<void> {
    this.client.disconnect();
  }

  private async connected(): Promise<void> {
    if (this.client.status === 'wait') await this.client.connect();
  }
}
