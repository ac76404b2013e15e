import { describe, expect, it } from 'vitest';
import { itemKnnTrainer } from '#shared/recommender/algorithms/itemKnn.ts';
import { popularityTrainer } from '#shared/recommender/algorithms/popularity.ts';
import { catalogueSizeOf, holdoutCases, scoreHoldout } from '#shared/recommender/evaluation/holdout.ts';
import type { Interaction, Model, RecommendationQuery, ScoredItem } from '#shared/recommender/model.ts';
import { clusterData, GARDEN } from '../algorithms/fixtures.ts';

const OPTIONS = { maxUsers: 100, seed: 42 };

const row = (userId: string, itemId: string, timestamp: number, eventType = 'view'): Interaction => ({
  userId,
  itemId,
  timestamp,
  eventType,
});

/** A model answering fixed lists by the newest history item, remembering every query. */
function listModel(lists: ReadonlyMap<string, readonly string[]>): Model & { queries: RecommendationQuery[] } {
  const queries: RecommendationQuery[] = [];
  return {
    algorithm: 'popularity',
    queries,
    recommend(query: RecommendationQuery): ScoredItem[] {
      queries.push(query);
      const newest = query.recentItems?.[0]?.itemId ?? '';
      return (lists.get(newest) ?? []).slice(0, query.count).map((itemId, n) => ({ itemId, score: -n }));
    },
    similarItems: () => [],
    save: () => Promise.resolve(),
  };
}

describe('Function: holdoutCases', () => {
  it('returns each shopper’s history as the serving side sends it: one entry per item, newest first, purchases sticking', () => {
    // Prepare
    const training = [
      row('ann', 'mug', 100, 'purchase'),
      row('ann', 'cup', 200),
      row('ann', 'mug', 300, 'view'),
      row('ann', 'jug', 250, 'add_to_cart'),
      row('bob', 'cup', 100),
    ];
    const holdout = [row('ann', 'pan', 400)];

    // Act
    const cases = holdoutCases(training, holdout, OPTIONS);

    // Assess
    expect(cases).toEqual([
      {
        userId: 'ann',
        history: [
          { itemId: 'mug', eventType: 'purchase', timestamp: 300 },
          { itemId: 'jug', eventType: 'add_to_cart', timestamp: 250 },
          { itemId: 'cup', eventType: 'view', timestamp: 200 },
        ],
        seen: ['mug', 'jug', 'cup'],
        relevant: new Set(['pan']),
      },
    ]);
  });

  it('keeps the newest items within the history limit and excludes every item it saw', () => {
    // Prepare
    const training = [row('ann', 'a', 1), row('ann', 'b', 2), row('ann', 'c', 3)];

    // Act
    const [first] = holdoutCases(training, [row('ann', 'd', 9)], { ...OPTIONS, historyLimit: 2 });

    // Assess
    expect(first?.history.map((entry) => entry.itemId)).toEqual(['c', 'b']);
    expect(first?.seen).toEqual(['c', 'b', 'a']);
  });

  it('leaves out new shoppers, items already met, and events that say no interest', () => {
    // Prepare
    const training = [row('ann', 'mug', 1), row('bob', 'mug', 1), row('cat', 'mug', 1)];
    const holdout = [
      row('ann', 'mug', 10),
      row('bob', 'cup', 10, 'remove_from_cart'),
      row('bob', 'jug', 10, 'return'),
      row('cat', 'pan', 10, 'purchase'),
      row('cat', 'mug', 11),
      row('dan', 'pan', 10),
    ];

    // Act
    const cases = holdoutCases(training, holdout, OPTIONS);

    // Assess
    expect(cases.map((c) => [c.userId, [...c.relevant]])).toEqual([['cat', ['pan']]]);
  });

  it('samples at most maxUsers shoppers, the same ones whatever the order of the rows', () => {
    // Prepare
    const training = Array.from({ length: 50 }, (_, n) => row(`u${n}`, 'mug', n));
    const holdout = Array.from({ length: 50 }, (_, n) => row(`u${n}`, `item${n}`, 100 + n));

    // Act
    const forward = holdoutCases(training, holdout, { maxUsers: 10, seed: 42 });
    const backward = holdoutCases([...training].reverse(), [...holdout].reverse(), { maxUsers: 10, seed: 42 });
    const reseeded = holdoutCases(training, holdout, { maxUsers: 10, seed: 7 });

    // Assess
    expect(forward).toHaveLength(10);
    expect(backward).toEqual(forward);
    expect(reseeded.map((c) => c.userId)).not.toEqual(forward.map((c) => c.userId));
  });
});

describe('Function: scoreHoldout', () => {
  it('returns HR@K, NDCG@K and coverage averaged over the shoppers, asking with history and no user id', () => {
    // Prepare
    const training = [row('ann', 'mug', 1), row('bob', 'cup', 1)];
    const holdout = [row('ann', 'pan', 5), row('bob', 'jug', 5), row('bob', 'pot', 6)];
    const cases = holdoutCases(training, holdout, OPTIONS);
    const model = listModel(
      new Map([
        ['mug', ['pan', 'pot']],
        ['cup', ['lid', 'jug']],
      ]),
    );

    // Act
    const metrics = scoreHoldout(model, cases, { k: 2, catalogueSize: 8 });

    // Assess
    // ann: hit at rank 1 (NDCG 1); bob: one hit of two at rank 2 (DCG 1/log2(3), ideal 1 + 1/log2(3)).
    const bobNdcg = 1 / Math.log2(3) / (1 + 1 / Math.log2(3));
    expect(metrics).toEqual({ users: 2, hitRate: 1, ndcg: (1 + bobNdcg) / 2, coverage: 4 / 8 });
    expect(model.queries[0]).toEqual({
      recentItems: [{ itemId: 'mug', eventType: 'view', timestamp: 1 }],
      count: 2,
      filters: { excludeSeen: true, excludeItemIds: ['mug'] },
    });
    expect(model.queries.every((query) => query.userId === undefined)).toBe(true);
  });

  it('returns zeros for no shoppers', () => {
    // Act
    const metrics = scoreHoldout(listModel(new Map()), [], { k: 10, catalogueSize: 5 });

    // Assess
    expect(metrics).toEqual({ users: 0, hitRate: 0, ndcg: 0, coverage: 0 });
  });

  it('scores a shopper a model never saw from their history, as well as a model that saw them', async () => {
    // Prepare
    const data = clusterData();
    const newcomer = 'gardener-0';
    const training = data.interactions.filter((interaction) => interaction.userId === newcomer);
    const withoutNewcomer = {
      interactions: data.interactions.filter((interaction) => interaction.userId !== newcomer),
      catalogue: data.catalogue,
    };
    const relevant = GARDEN.filter((itemId) => !training.some((interaction) => interaction.itemId === itemId));
    const cases = holdoutCases(
      training,
      relevant.map((itemId) => row(newcomer, itemId, 1_800_000_000)),
      OPTIONS,
    );
    const scoring = { k: 2, catalogueSize: catalogueSizeOf(data.interactions, []) };

    // Act
    const knew = scoreHoldout(await itemKnnTrainer.fit(data), cases, scoring);
    const stranger = scoreHoldout(await itemKnnTrainer.fit(withoutNewcomer), cases, scoring);
    // Totals alone (no categories: within them popularity ranks the garden as well), so the metric has a floor to beat.
    const popular = scoreHoldout(await popularityTrainer.fit({ ...data, catalogue: [] }), cases, scoring);

    // Assess
    expect(cases).toHaveLength(1);
    expect(knew.hitRate).toBe(1);
    expect(stranger).toEqual(knew);
    expect(popular.ndcg).toBeLessThan(knew.ndcg);
  });
});

describe('Function: catalogueSizeOf', () => {
  it('returns the distinct items of the interactions and the catalogue', () => {
    // Act
    const size = catalogueSizeOf([row('ann', 'mug', 1), row('bob', 'mug', 1), row('bob', 'cup', 1)], ['cup', 'pan']);

    // Assess
    expect(size).toBe(3);
  });
});
