import { describe, expect, it } from 'vitest';
import { ITEM_KNN_PARAMS, itemKnnTrainer } from '#shared/recommender/algorithms/itemKnn.ts';
import { clusterData, GARDEN, KITCHEN } from './fixtures.ts';

describe('Algorithm: item-knn', () => {
  it('finds cluster mates as similar items', async () => {
    // Prepare
    const model = await itemKnnTrainer.fit(clusterData());

    // Act
    const similar = model.similarItems(GARDEN[2] as string, 5);

    // Assess
    expect(similar.map((r) => r.itemId).sort()).toEqual(GARDEN.filter((id) => id !== GARDEN[2]).sort());
    expect(similar[0]?.reason).toBe(`often viewed with ${GARDEN[2]}`);
  });

  it('recommends a known shopper the unseen items of their cluster, naming the item behind each', async () => {
    // Prepare
    const model = await itemKnnTrainer.fit(clusterData());

    // Act
    const ranked = model.recommend({ userId: 'cook-3', count: 2, filters: { excludeSeen: true } });

    // Assess
    expect(ranked).toHaveLength(2);
    expect(ranked.every((r) => KITCHEN.includes(r.itemId))).toBe(true);
    expect(ranked[0]?.reason).toMatch(/^because you viewed kitchen-/);
  });

  it('says "bought" when the item behind a recommendation was purchased', async () => {
    // Prepare
    const model = await itemKnnTrainer.fit(clusterData());

    // Act
    const ranked = model.recommend({
      count: 1,
      recentItems: [{ itemId: GARDEN[0] as string, eventType: 'purchase', timestamp: 10 }],
    });

    // Assess
    expect(ranked[0]?.reason).toBe(`because you bought ${GARDEN[0]}`);
  });

  it('uses shrinkage: weaker evidence gives a lower similarity', async () => {
    // Prepare
    const loose = await itemKnnTrainer.fit(clusterData(), { [ITEM_KNN_PARAMS.shrinkage]: 0 });
    const shrunk = await itemKnnTrainer.fit(clusterData(), { [ITEM_KNN_PARAMS.shrinkage]: 50 });

    // Act
    const looseTop = loose.similarItems(GARDEN[0] as string, 1)[0];
    const shrunkTop = shrunk.similarItems(GARDEN[0] as string, 1)[0];

    // Assess
    expect(shrunkTop?.score).toBeLessThan(looseTop?.score as number);
  });
});
