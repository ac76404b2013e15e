import { featureLimits } from '../config/index.ts';
import type { CatalogueStore, Clock } from '../ports/index.ts';

/** What the processor needs from the catalogue: each item's categories. */
export interface CatalogueLookup {
  categoriesOf(itemIds: readonly string[]): Promise<ReadonlyMap<string, readonly string[]>>;
}

/**
 * Catalogue reads cached in the processor's memory for a few minutes: categories change rarely,
 * and the cache keeps a batch's reads to the items not seen lately. Items not in the catalogue
 * are cached too (as no categories), so unknown items cost one read per TTL, not one per batch.
 */
export class CachedCatalogueLookup implements CatalogueLookup {
  private readonly entries = new Map<string, { categories: readonly string[]; expires: number }>();

  constructor(
    private readonly store: Pick<CatalogueStore, 'getItems'>,
    private readonly clock: Clock,
    private readonly ttlMs: number = featureLimits.catalogueCacheSeconds * 1000,
    private readonly maxEntries: number = featureLimits.catalogueCacheEntries,
  ) {}

  async categoriesOf(itemIds: readonly string[]): Promise<ReadonlyMap<string, readonly string[]>> {
    const now = this.clock.now();
    const result = new Map<string, readonly string[]>();
    const missing: string[] = [];
    for (const itemId of itemIds) {
      const cached = this.entries.get(itemId);
      if (cached && cached.expires > now) {
        result.set(itemId, cached.categories);
        // Re-insert so the Map's order stays least recently used first.
        this.entries.delete(itemId);
        this.entries.set(itemId, cached);
      } else missing.push(itemId);
    }
    if (missing.length === 0) return result;
    const found = await this.store.getItems(missing);
    for (const itemId of missing) {
      const categories = found.get(itemId)?.categories ?? [];
      result.set(itemId, categories);
      this.entries.delete(itemId);
      this.entries.set(itemId, { categories, expires: now + this.ttlMs });
    }
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
    return result;
  }
}
