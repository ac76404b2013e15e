import { describe, expect, it } from 'vitest';
import type { CatalogueEntry } from '#shared/catalogue/item.ts';
import { ShopCatalogue } from '#local/site/catalogue.ts';

/** A catalogue source whose entries a test changes, counting its listings. */
function source(entries: CatalogueEntry[]) {
  const state = { entries, listings: 0, fail: false };
  return {
    state,
    async *listCatalogue() {
      state.listings += 1;
      if (state.fail) throw new Error('index unavailable');
      yield* state.entries;
    },
  };
}

const item = (itemId: string, category: string): CatalogueEntry => ({ itemId, title: itemId, categories: [category] });

describe('Class: ShopCatalogue', () => {
  describe('Method: snapshot', () => {
    it('returns the listing for maxAgeMs, then the older one while a fresh one is read', async () => {
      // Prepare
      let now = 0;
      const catalogue = source([item('b', 'x'), item('a', 'x')]);
      const shop = new ShopCatalogue({ source: catalogue, clock: { now: () => now }, maxAgeMs: 1_000 });
      // Act
      const first = await shop.snapshot();
      catalogue.state.entries = [item('c', 'y')];
      now = 500;
      const cached = await shop.snapshot();
      now = 1_500;
      const stale = await shop.snapshot();
      await new Promise((resolve) => setTimeout(resolve, 0)); // the refresh started by the stale read
      const fresh = await shop.snapshot();
      // Assess
      expect(first.products.map((p) => p.itemId)).toEqual(['a', 'b']);
      expect(cached).toBe(first);
      expect(stale).toBe(first);
      expect(fresh.products.map((p) => p.itemId)).toEqual(['c']);
      expect(catalogue.state.listings).toBe(2);
    });

    it('does not keep an empty listing, and keeps the older one when a refresh fails', async () => {
      // Prepare
      let now = 0;
      const catalogue = source([]);
      const shop = new ShopCatalogue({ source: catalogue, clock: { now: () => now }, maxAgeMs: 1_000 });
      // Act
      const empty = await shop.snapshot();
      catalogue.state.entries = [item('a', 'x'), { itemId: 'gone', deleted: true, deletedAt: 1 }];
      const filled = await shop.snapshot();
      catalogue.state.fail = true;
      now = 5_000;
      const duringFailure = await shop.snapshot();
      await new Promise((resolve) => setTimeout(resolve, 0));
      const afterFailure = await shop.snapshot();
      // Assess
      expect(empty.products).toEqual([]);
      expect(filled.products.map((p) => p.itemId)).toEqual(['a']);
      expect(filled.categories).toEqual([{ name: 'x', count: 1 }]);
      expect(duringFailure).toBe(filled);
      expect(afterFailure).toBe(filled);
    });
  });
});
