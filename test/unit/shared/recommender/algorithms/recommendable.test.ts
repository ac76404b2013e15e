import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NOT_RECOMMENDED_REASON } from '#shared/recommender/filters.ts';
import type { Interaction, Model, ScoredItem, TrainingData } from '#shared/recommender/model.ts';
import { loadModel, trainers } from '#shared/recommender/registry.ts';
import { clusterData, GARDEN, KITCHEN } from './fixtures.ts';

const SMALL = { 'ials.factors': 8, 'ials.iterations': 10, factors: 8, iterations: 10 };

/** The cluster data with POSTAGE bought by every shopper, the catalogue marking it not recommendable. */
function withPostage(): TrainingData {
  const data = clusterData();
  const shoppers = [...new Set(data.interactions.map((i) => i.userId))];
  const postage: Interaction[] = shoppers.map((userId, n) => ({
    userId,
    itemId: 'POST',
    timestamp: 1_700_000_060 + n,
    eventType: 'purchase',
  }));
  return {
    interactions: [...data.interactions, ...postage],
    catalogue: [...data.catalogue, { itemId: 'POST', categories: [], recommendable: false }],
  };
}

const mentionsPost = (list: readonly ScoredItem[]): boolean =>
  list.some((item) => item.itemId === 'POST' || (item.reason ?? '').includes('POST'));

/** Every list a model gives a shopper who bought POST, and for items around it. */
function lists(model: Model): ScoredItem[][] {
  return [
    model.recommend({ userId: 'gardener-0', count: 20 }),
    model.recommend({
      count: 20,
      recentItems: [
        { itemId: 'POST', eventType: 'purchase' },
        { itemId: KITCHEN[0] as string, eventType: 'view' },
      ],
    }),
    model.similarItems(GARDEN[0] as string, 20),
    model.similarItems('POST', 20),
  ];
}

describe('Recommendable: false', () => {
  describe.each(Object.values(trainers).map((trainer) => [trainer.algorithm, trainer] as const))(
    'Algorithm: %s',
    (_name, trainer) => {
      const params = Object.fromEntries(Object.entries(SMALL).filter(([key]) => key in trainer.defaults));

      it('never lists the item nor names it in a reason, before and after save/load', async () => {
        // Prepare
        const model = await trainer.fit(withPostage(), params);
        const dir = await mkdtemp(join(tmpdir(), 'reco-recommendable-'));

        // Act
        await model.save(dir);
        const loaded = await loadModel(dir);
        await rm(dir, { recursive: true, force: true });

        // Assess
        for (const list of [...lists(model), ...lists(loaded)]) {
          expect(list.length).toBeGreaterThan(0);
          expect(mentionsPost(list)).toBe(false);
        }
      });

      it('ranks a named non-recommendable candidate last, with reason "not recommended"', async () => {
        // Prepare
        const model = await trainer.fit(withPostage(), params);

        // Act
        const ranked = model.recommend({
          userId: 'gardener-0',
          count: 10,
          candidates: ['POST', GARDEN[1] as string, 'never-seen', KITCHEN[1] as string],
        });

        // Assess
        expect(ranked.map((item) => item.itemId).slice(-2)).toEqual(['never-seen', 'POST']);
        expect(ranked.at(-1)?.reason).toBe(NOT_RECOMMENDED_REASON);
        expect(ranked.at(-1)?.score).toBeLessThan(ranked.at(-2)?.score as number);
      });
    },
  );
});
