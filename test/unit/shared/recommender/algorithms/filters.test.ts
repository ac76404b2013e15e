import { describe, expect, it } from 'vitest';
import { mulberry32 } from '#shared/random.ts';
import { ItemCatalogue, rankItems, resolveCandidates } from '#shared/recommender/filters.ts';

const catalogue = ItemCatalogue.build(
  ['mug', 'cup', 'plate', 'bowl', 'spoon'],
  [
    { itemId: 'mug', categories: ['Kitchen', 'Drinkware'], price: 8, inStock: true },
    { itemId: 'cup', categories: ['Kitchen', 'Drinkware'], price: 4, inStock: false },
    { itemId: 'plate', categories: ['Kitchen', 'Tableware'], price: 12, inStock: true },
    { itemId: 'bowl', categories: ['Kitchen', 'Tableware'], inStock: true },
  ],
);
const scores = Float32Array.from([5, 5, 3, 9, 1]);

describe('Filters: rankItems', () => {
  it('orders by score, then by item id on ties', () => {
    // Act
    const ranked = rankItems({ catalogue, scores, count: 5 });

    // Assess
    expect(ranked.map((r) => r.itemId)).toEqual(['bowl', 'cup', 'mug', 'plate', 'spoon']);
  });

  it.each([1e20, 2 ** 32, Number.MAX_SAFE_INTEGER, Infinity])(
    'returns the whole catalogue for a count of %s, far over its size, without a heap that large',
    (count) => {
      // Act
      const ranked = rankItems({ catalogue, scores, count });
      const candidates = rankItems({ catalogue, scores, count, candidates: ['zeta', 'plate', 'mug'] });

      // Assess
      expect(ranked.map((r) => r.itemId)).toEqual(['bowl', 'cup', 'mug', 'plate', 'spoon']);
      expect(candidates.map((r) => r.itemId)).toEqual(['mug', 'plate', 'zeta']);
    },
  );

  it('returns nothing for a count that is NaN', () => {
    // Act
    const ranked = rankItems({ catalogue, scores, count: Number.NaN });

    // Assess
    expect(ranked).toEqual([]);
  });

  it('keeps only the requested category at any level, in stock, within the price range', () => {
    // Act
    const drinkware = rankItems({ catalogue, scores, count: 5, filters: { category: 'Drinkware' } });
    const inStock = rankItems({ catalogue, scores, count: 5, filters: { inStockOnly: true } });
    const priced = rankItems({ catalogue, scores, count: 5, filters: { minPrice: 5, maxPrice: 10 } });

    // Assess
    expect(drinkware.map((r) => r.itemId)).toEqual(['cup', 'mug']);
    expect(inStock.map((r) => r.itemId)).toEqual(['bowl', 'mug', 'plate']);
    expect(priced.map((r) => r.itemId)).toEqual(['mug']);
  });

  it('drops excluded indices and explicit item ids', () => {
    // Act
    const ranked = rankItems({
      catalogue,
      scores,
      count: 3,
      excluded: new Set([3]),
      filters: { excludeItemIds: ['cup'] },
    });

    // Assess
    expect(ranked.map((r) => r.itemId)).toEqual(['mug', 'plate', 'spoon']);
  });

  it("ranks unknown candidates after known ones, in the order asked for, below every known score, 'not enough data'", () => {
    // Act
    const ranked = rankItems({ catalogue, scores, count: 5, candidates: ['zeta', 'plate', 'alpha', 'spoon', 'plate'] });

    // Assess
    expect(ranked.map((r) => r.itemId)).toEqual(['plate', 'spoon', 'zeta', 'alpha']);
    expect(ranked[2]?.score).toBeLessThan(ranked[1]?.score as number);
    expect(ranked.slice(2).map((r) => r.reason)).toEqual(['not enough data', 'not enough data']);
  });

  it('ranks unscorable (NaN) items last and reports them with a finite score', () => {
    // Prepare
    const withGaps = Float32Array.from([Number.NaN, -2, Number.NaN, -5, -1]);

    // Act
    const ranked = rankItems({ catalogue, scores: withGaps, count: 5, reason: (item) => `because ${item}` });

    // Assess
    expect(ranked.map((r) => r.itemId)).toEqual(['spoon', 'cup', 'bowl', 'mug', 'plate']);
    expect(ranked.every((r) => Number.isFinite(r.score))).toBe(true);
    expect(ranked[0]?.reason).toBe('because 4');
  });

  it('agrees with a full sort on many tied and NaN scores, for every count', () => {
    // Prepare
    const random = mulberry32(5);
    const ids = Array.from({ length: 500 }, (_, n) => `item-${(n * 7919) % 500}`);
    const big = ItemCatalogue.build(ids, []);
    const many = Float32Array.from(ids, () => (random() < 0.1 ? Number.NaN : Math.floor(random() * 20)));
    const key = (item: number): number =>
      Number.isNaN(many[item]) ? Number.NEGATIVE_INFINITY : (many[item] as number);
    const expected = ids
      .map((id, item) => ({ id, item }))
      .sort((a, b) => key(b.item) - key(a.item) || (a.id < b.id ? -1 : 1))
      .map((e) => e.id);

    for (const count of [1, 7, 100, 500, 600]) {
      // Act
      const ranked = rankItems({ catalogue: big, scores: many, count });

      // Assess
      expect(ranked.map((r) => r.itemId)).toEqual(expected.slice(0, count));
    }
  });

  it('skips whole blocks by their maxima and still agrees with the full scan, ties and NaN included', () => {
    // Prepare: coarse scores (many ties across block edges), NaN runs, a filter and exclusions.
    const random = mulberry32(11);
    const ids = Array.from({ length: 1_003 }, (_, n) => `item-${String((n * 7919) % 1_003).padStart(4, '0')}`);
    const big = ItemCatalogue.build(
      ids,
      ids.map((itemId, n) => ({ itemId, categories: [n % 3 === 0 ? 'Garden' : 'Kitchen'] })),
    );
    const many = Float32Array.from(ids, (_, n) =>
      n >= 64 && n < 80 ? Number.NaN : random() < 0.05 ? Number.NaN : Math.floor(random() * 30),
    );
    const maxima = (size: number): Float32Array =>
      Float32Array.from({ length: Math.ceil(many.length / size) }, (_, block) => {
        const numbers = Array.from(many.subarray(block * size, (block + 1) * size)).filter((s) => !Number.isNaN(s));
        return Math.max(Number.NEGATIVE_INFINITY, ...numbers);
      });
    const excluded = new Set([3, 500, 1_002]);

    for (const size of [4, 64, 2_000])
      for (const count of [1, 10, 100, 1_003])
        for (const filters of [undefined, { category: 'Garden' }]) {
          // Act
          const full = rankItems({ catalogue: big, scores: many, count, filters, excluded });
          const skipping = rankItems({
            catalogue: big,
            scores: many,
            count,
            filters,
            excluded,
            blockMaxima: { size, maxima: maxima(size) },
          });

          // Assess
          expect(skipping).toEqual(full);
        }
  });

  it('skips nothing it should not: a block whose maximum is wrongly low is skipped, so the maxima are used', () => {
    // Prepare: the best item sits in block 1, whose stated maximum says it holds nothing better than 0.
    const ids = Array.from({ length: 8 }, (_, n) => `item-${n}`);
    const small = ItemCatalogue.build(ids, []);
    const some = Float32Array.from([5, 4, 3, 2, 9, 1, 1, 1]);

    // Act
    const ranked = rankItems({
      catalogue: small,
      scores: some,
      count: 1,
      blockMaxima: { size: 4, maxima: Float32Array.from([5, 0]) },
    });

    // Assess
    expect(ranked.map((r) => r.itemId)).toEqual(['item-0']);
  });

  it('ranks candidates resolved once by the caller like the same ids', () => {
    // Prepare
    const candidates = ['zeta', 'plate', 'alpha', 'spoon', 'plate', 'cup'];
    const resolved = resolveCandidates(catalogue, candidates);

    // Act
    const viaIds = rankItems({ catalogue, scores, count: 5, candidates, filters: { excludeItemIds: ['cup'] } });
    const viaIndices = rankItems({ catalogue, scores, count: 5, resolved, filters: { excludeItemIds: ['cup'] } });

    // Assess
    expect(resolved).toEqual({ indices: [2, 4, 1], unknown: ['zeta', 'alpha'] });
    expect(viaIndices).toEqual(viaIds);
    expect(viaIds.map((r) => r.itemId)).toEqual(['plate', 'spoon', 'zeta', 'alpha']);
  });
});
