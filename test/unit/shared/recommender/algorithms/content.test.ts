import { describe, expect, it } from 'vitest';
import { contentTrainer, tokenize } from '#shared/recommender/algorithms/content.ts';
import { clusterData, COLD_GARDEN_ITEM, GARDEN, KITCHEN } from './fixtures.ts';

describe('Algorithm: content', () => {
  it('tokenises lowercased words and drops stop words and single characters', () => {
    // Act
    const tokens = tokenize('The Stainless-Steel Kettle, 1.7 L: for YOUR kitchen');

    // Assess
    expect(tokens).toEqual(['stainless', 'steel', 'kettle', 'kitchen']);
  });

  it('finds items similar to a cold item from its text and categories alone', async () => {
    // Prepare
    const model = await contentTrainer.fit(clusterData());

    // Act
    const similar = model.similarItems(COLD_GARDEN_ITEM, 6);

    // Assess
    expect(similar.map((r) => r.itemId).sort()).toEqual([...GARDEN].sort());
    expect(similar[0]?.reason).toBe(`similar to ${COLD_GARDEN_ITEM}`);
  });

  it('recommends the cold garden item to a gardener from their profile', async () => {
    // Prepare
    const model = await contentTrainer.fit(clusterData());

    // Act
    const ranked = model.recommend({ userId: 'gardener-2', count: 3, filters: { excludeSeen: true } });

    // Assess
    expect(ranked.map((r) => r.itemId)).toContain(COLD_GARDEN_ITEM);
    expect(ranked.some((r) => KITCHEN.includes(r.itemId))).toBe(false);
  });
});
