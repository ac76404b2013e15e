import { describe, expect, it } from 'vitest';
import { popularityTrainer } from '#shared/recommender/algorithms/popularity.ts';
import type { TrainingData } from '#shared/recommender/model.ts';
import { clusterData, GARDEN, KITCHEN } from './fixtures.ts';

describe('Algorithm: popularity', () => {
  it('ranks the most interacted-with items first with reason "popular"', async () => {
    // Prepare
    const data: TrainingData = {
      interactions: [
        { userId: 'a', itemId: 'mug', timestamp: 10, eventType: 'view' },
        { userId: 'b', itemId: 'mug', timestamp: 10, eventType: 'view' },
        { userId: 'a', itemId: 'cup', timestamp: 10, eventType: 'purchase' },
        { userId: 'c', itemId: 'plate', timestamp: 10, eventType: 'view' },
      ],
      catalogue: [],
    };
    const model = await popularityTrainer.fit(data);

    // Act
    const ranked = model.recommend({ count: 3 });

    // Assess
    expect(ranked.map((r) => r.itemId)).toEqual(['cup', 'mug', 'plate']);
    expect(ranked[0]?.reason).toBe('popular');
  });

  it('lifts the shopper’s categories and says "popular in <category>"', async () => {
    // Prepare
    const model = await popularityTrainer.fit(clusterData());

    // Act
    const anonymous = model.recommend({ count: 1 });
    const gardener = model.recommend({ count: 2, recentItems: [{ itemId: GARDEN[1] as string, eventType: 'view' }] });

    // Assess
    expect(KITCHEN).toContain(anonymous[0]?.itemId);
    expect(gardener.every((r) => GARDEN.includes(r.itemId))).toBe(true);
    expect(gardener[0]?.reason).toBe('popular in Garden');
  });

  it('answers similar items with popular items of the same category', async () => {
    // Prepare
    const model = await popularityTrainer.fit(clusterData());

    // Act
    const similar = model.similarItems(KITCHEN[0] as string, 4);

    // Assess
    expect(similar).toHaveLength(4);
    expect(similar.every((r) => KITCHEN.includes(r.itemId) && r.itemId !== KITCHEN[0])).toBe(true);
  });
});
