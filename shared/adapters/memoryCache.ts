import { LRUCache } from 'lru-cache';
import { serving } from '../config/index.ts';
import type { RecommendationCache } from '../ports/index.ts';

/** The embedded cache: an in-process LRU with per-entry TTL (local stack, or no Valkey). */
export class MemoryRecommendationCache implements RecommendationCache {
  private readonly entries: LRUCache<string, string>;

  constructor(maxEntries: number = serving.localCacheEntries) {
    this.entries = new LRUCache<string, string>({ max: maxEntries });
  }

  async get(key: string): Promise<string | undefined> {
    return this.entries.get(key);
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    this.entries.set(key, value, { ttl: ttlSeconds * 1000 });
  }

  async del(key: string): Promise<void> {
    this.entries.delete(key);
  }
}
