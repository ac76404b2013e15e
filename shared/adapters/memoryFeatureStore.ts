import { mergeRecentItems } from '../features/recentItems.ts';
import { sequenceRange, unapplied } from '../features/sequence.ts';
import type {
  FeatureStore,
  PopularItem,
  PopularityUpdate,
  RecentItem,
  RecentItemsUpdate,
  ShopperFeatures,
} from '../ports/index.ts';

interface Marked {
  /** Padded high-water mark per shard. */
  readonly marks: Map<string, string>;
}

/** In-memory feature store with the same exactly-once semantics as the DynamoDB one. */
export class MemoryFeatureStore implements FeatureStore {
  private readonly popularity = new Map<string, Marked & { itemId: string; day: string; score: number }>();
  private readonly shoppers = new Map<string, Marked & { recentItems: RecentItem[]; featureVersion: number }>();

  async applyPopularity(shardId: string, update: PopularityUpdate): Promise<void> {
    const key = `${update.itemId}|${update.day}`;
    const entry = this.popularity.get(key) ?? { marks: new Map(), itemId: update.itemId, day: update.day, score: 0 };
    const pending = unapplied(update.contributions, entry.marks.get(shardId));
    if (pending.length === 0) return;
    entry.score += pending.reduce((sum, c) => sum + c.value, 0);
    entry.marks.set(shardId, sequenceRange(pending).max);
    this.popularity.set(key, entry);
  }

  async applyRecentItems(shardId: string, update: RecentItemsUpdate): Promise<void> {
    const entry = this.shoppers.get(update.shopperKey) ?? { marks: new Map(), recentItems: [], featureVersion: 0 };
    const pending = unapplied(update.contributions, entry.marks.get(shardId));
    if (pending.length === 0) return;
    entry.recentItems = mergeRecentItems(
      entry.recentItems,
      pending.map((c) => c.value),
    );
    entry.featureVersion += 1;
    entry.marks.set(shardId, sequenceRange(pending).max);
    this.shoppers.set(update.shopperKey, entry);
  }

  async getShopperFeatures(shopperKey: string): Promise<ShopperFeatures | undefined> {
    const entry = this.shoppers.get(shopperKey);
    return entry && { recentItems: [...entry.recentItems], featureVersion: entry.featureVersion };
  }

  async topPopular(day: string, limit: number): Promise<readonly PopularItem[]> {
    return [...this.popularity.values()]
      .filter((entry) => entry.day === day)
      .sort((a, b) => b.score - a.score || a.itemId.localeCompare(b.itemId))
      .slice(0, limit)
      .map(({ itemId, score }) => ({ itemId, score }));
  }
}
