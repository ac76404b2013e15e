import { describe, expect, it } from 'vitest';
import type { ComponentModel } from '#shared/recommender/component.ts';
import { contentTrainer } from '#shared/recommender/algorithms/content.ts';
import { HYBRID_PARAMS, hybridTrainer } from '#shared/recommender/algorithms/hybrid.ts';
import { IALS_PARAMS, ialsTrainer } from '#shared/recommender/algorithms/ials.ts';
import { ItemKnnComponent, itemKnnTrainer } from '#shared/recommender/algorithms/itemKnn.ts';
import type { Interaction, Model, RecommendationQuery, Trainer, TrainingData } from '#shared/recommender/model.ts';
import type { FoldedShopper } from '#shared/recommender/shopperHistory.ts';
import { clusterData, GARDEN, KITCHEN, latentData } from './fixtures.ts';

/** Each algorithm that gives personal reasons, trained small. */
const TRAINERS: readonly (readonly [Trainer, Record<string, number>])[] = [
  [hybridTrainer, { [HYBRID_PARAMS.ials.factors]: 8, [HYBRID_PARAMS.ials.iterations]: 10 }],
  [ialsTrainer, { [IALS_PARAMS.factors]: 8, [IALS_PARAMS.iterations]: 10 }],
  [itemKnnTrainer, {}],
  [contentTrainer, {}],
];

const BECAUSE = /^because you (viewed|added to cart|bought) (.+)$/;

/** The item ids the list's "because you …" reasons name. */
function named(model: Model, query: RecommendationQuery): string[] {
  return model
    .recommend(query)
    .map((item) => BECAUSE.exec(item.reason ?? '')?.[2])
    .filter((id): id is string => id !== undefined);
}

/** A shopper with only live items, their weights given by hand. */
function shopperOf(items: readonly number[], weights: readonly number[]): FoldedShopper {
  return {
    user: -1,
    trainedItems: [],
    trainedWeights: [],
    recentItems: items,
    recentWeights: weights,
    recentPurchases: new Set(),
    recentCarts: new Set(),
    unknownRecentIds: [],
  };
}

describe('Reasons', () => {
  describe.each(TRAINERS.map(([trainer, params]) => [trainer.algorithm, trainer, params] as const))(
    'Algorithm: %s',
    (_name, trainer, params) => {
      it('names only the two items a shopper viewed, each for items of its own category', async () => {
        // Prepare
        const model = await trainer.fit(clusterData(), params);
        const viewed = [KITCHEN[0] as string, GARDEN[1] as string];

        // Act
        const ranked = model.recommend({
          count: 13,
          recentItems: viewed.map((itemId, n) => ({ itemId, eventType: 'view', timestamp: 1_700_000_000 + n })),
        });

        // Assess
        const because = ranked.filter((item) => BECAUSE.test(item.reason ?? ''));
        expect(because.length).toBeGreaterThan(0);
        for (const item of because) {
          const source = BECAUSE.exec(item.reason as string)?.[2];
          expect(viewed).toContain(source);
          // A garden item is explained by the garden item viewed, a kitchen one by the kitchen item.
          expect(source?.split('-')[0], `${item.itemId}: ${item.reason}`).toBe(item.itemId.split('-')[0]);
        }
      });

      it('never names an item outside the shopper’s training row and live items', async () => {
        // Prepare
        const { data: latent } = latentData(200, 80, 8);
        // Titles from overlapping word sets, so content has something to say about every item.
        const colours = ['red', 'blue', 'green', 'yellow', 'black', 'white'];
        const things = ['lamp', 'chair', 'table', 'shelf', 'stool'];
        const catalogue = Array.from({ length: 80 }, (_, n) => ({
          itemId: `i${n}`,
          title: `${colours[n % 6]} ${things[n % 5]}`,
          categories: [`room${n % 3}`],
        }));
        const data: TrainingData = { ...latent, catalogue };
        const model = await trainer.fit(data, params);
        const live = ['i7', 'i31'];
        const history = (userId: string): Set<string> =>
          new Set([...data.interactions.filter((i) => i.userId === userId).map((i) => i.itemId), ...live]);

        // Act
        const lists = ['u0', 'u1', 'u2', 'u3', 'u4'].map((userId) => ({
          userId,
          names: named(model, {
            userId,
            count: 40,
            recentItems: live.map((itemId) => ({ itemId, eventType: 'view' })),
          }),
        }));

        // Assess
        for (const { userId, names } of lists) {
          const own = history(userId);
          expect(names.length).toBeGreaterThan(0);
          expect(names.filter((id) => !own.has(id))).toEqual([]);
        }
      });

      it('gives an anonymous shopper without history non-personal reasons', async () => {
        // Prepare
        const model = await trainer.fit(clusterData(), params);

        // Act
        const all = model.recommend({ count: 10 });
        const garden = model.recommend({ count: 3, filters: { category: 'Garden' } });
        const similar = model.similarItems(KITCHEN[0] as string, 3);

        // Assess
        expect(all.map((r) => r.reason)).toEqual(all.map(() => 'popular'));
        expect(garden.map((r) => r.reason)).toEqual(garden.map(() => 'popular in Garden'));
        expect(similar.length).toBeGreaterThan(0);
        expect(similar.every((r) => !BECAUSE.test(r.reason ?? ''))).toBe(true);
      });
    },
  );

  it('names the verb of the strongest interaction with the named item', async () => {
    // Prepare
    const model = await itemKnnTrainer.fit(clusterData(), {});

    // Act
    const reasonsFor = (eventType: string) =>
      model.recommend({ count: 5, recentItems: [{ itemId: KITCHEN[0] as string, eventType }] })[0]?.reason;

    // Assess
    expect(reasonsFor('view')).toBe(`because you viewed ${KITCHEN[0]}`);
    expect(reasonsFor('add_to_cart')).toBe(`because you added to cart ${KITCHEN[0]}`);
    expect(reasonsFor('purchase')).toBe(`because you bought ${KITCHEN[0]}`);
  });

  it('item-kNN names the history item with the largest similarity × weight, not the most similar one', async () => {
    // Prepare: x is more similar to b (0.5) than to a (0.2), but a weighs 4 and b 1 (rows in item order).
    const model = (await itemKnnTrainer.fit(clusterData(), {})) as ComponentModel;
    const { index } = model.base.catalogue;
    const [a, b, x] = [KITCHEN[0], KITCHEN[1], KITCHEN[2]].map((id) => index.get(id as string) as number) as [
      number,
      number,
      number,
    ];
    const rows = model.base.catalogue.size;
    const pointers = new Uint32Array(rows + 1);
    for (let item = 0; item < rows; item++)
      pointers[item + 1] = (pointers[item] as number) + (item === a || item === b ? 1 : 0);
    const knn = new ItemKnnComponent(model.base, (model.component as ItemKnnComponent).settings, {
      pointers,
      indices: Uint32Array.from([x, x]),
      values: Float32Array.from(a < b ? [0.2, 0.5] : [0.5, 0.2]),
    });

    // Act
    const heavyA = knn.score(shopperOf([a, b], [4, 1]))?.reason(x);
    const evenly = knn.score(shopperOf([a, b], [1, 1]))?.reason(x);

    // Assess
    expect(heavyA).toBe(`because you viewed ${KITCHEN[0]}`);
    expect(evenly).toBe(`because you viewed ${KITCHEN[1]}`);
  });

  it('content names the history item whose weighted similarity adds most to the item’s score', async () => {
    // Prepare: the scarf shares two words with the hat, the shirt one.
    const catalogue = [
      { itemId: 'scarf', title: 'red wool winter scarf', categories: ['Clothing'] },
      { itemId: 'shirt', title: 'blue cotton summer shirt', categories: ['Clothing'] },
      { itemId: 'hat', title: 'red wool summer hat', categories: ['Clothing'] },
      { itemId: 'mug', title: 'white ceramic coffee mug', categories: ['Kitchen'] },
      { itemId: 'plate', title: 'white ceramic dinner plate', categories: ['Kitchen'] },
    ];
    const interactions: Interaction[] = catalogue.map((item, n) => ({
      userId: `s${n}`,
      itemId: item.itemId,
      eventType: 'view',
      timestamp: 1_700_000_000,
    }));
    const data: TrainingData = { interactions, catalogue };
    const model = await contentTrainer.fit(data, {});

    // Act
    const reasonOf = (recent: { itemId: string; eventType: string }[], itemId: string) =>
      model.recommend({ count: 5, recentItems: recent }).find((r) => r.itemId === itemId)?.reason;

    // Assess
    expect(
      reasonOf(
        [
          { itemId: 'shirt', eventType: 'view' },
          { itemId: 'scarf', eventType: 'view' },
        ],
        'hat',
      ),
    ).toBe('because you viewed scarf');
    expect(reasonOf([{ itemId: 'shirt', eventType: 'view' }], 'hat')).toBe('because you viewed shirt');
    // A purchase weighs 8 views: the bought shirt's part of the hat's score outweighs the viewed scarf's.
    expect(
      reasonOf(
        [
          { itemId: 'shirt', eventType: 'purchase' },
          { itemId: 'scarf', eventType: 'view' },
        ],
        'hat',
      ),
    ).toBe('because you bought shirt');
  });
});
