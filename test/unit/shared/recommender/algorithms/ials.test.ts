import { describe, expect, it } from 'vitest';
import { historyWeights, resolveShopper } from '#shared/recommender/shopperHistory.ts';
import { mulberry32 } from '#shared/random.ts';
import type { ComponentModel } from '#shared/recommender/component.ts';
import { popularityTrainer } from '#shared/recommender/algorithms/popularity.ts';
import {
  foldIn,
  IALS_DEFAULTS,
  IALS_PARAMS,
  type IalsComponent,
  ialsSettings,
  ialsTrainer,
  solveUserDense,
  trainFactors,
} from '#shared/recommender/algorithms/ials.ts';
import { compressRows, transpose, WEIGHTING_PARAMS } from '#shared/recommender/matrix.ts';
import type { Model } from '#shared/recommender/model.ts';
import { gramianOf, solveRows } from '#shared/recommender/workers/alsKernel.ts';
import { clusterData, GARDEN, KITCHEN, latentData } from './fixtures.ts';

/** Small and fast: the cluster data needs few factors. */
const SMALL = { [IALS_PARAMS.factors]: 8, [IALS_PARAMS.iterations]: 10 };

/** HR@10 under leave-one-out: the held-out item ranked against 99 sampled unseen items. */
function hitRate(model: Model, data: ReturnType<typeof latentData>, items: number): number {
  const random = mulberry32(3);
  const seen = new Map<string, Set<string>>();
  for (const { userId, itemId } of data.data.interactions) {
    const set = seen.get(userId) ?? new Set<string>();
    set.add(itemId);
    seen.set(userId, set);
  }
  let hits = 0;
  for (const { userId, itemId } of data.heldOut) {
    const candidates = new Set([itemId]);
    while (candidates.size < 100) {
      const candidate = `i${Math.floor(random() * items)}`;
      if (!(seen.get(userId)?.has(candidate) ?? false)) candidates.add(candidate);
    }
    const top = model.recommend({ userId, count: 10, candidates: [...candidates] });
    if (top.some((r) => r.itemId === itemId)) hits++;
  }
  return hits / data.heldOut.length;
}

describe('Algorithm: ials', () => {
  it('converges by conjugate gradient to the exact dense solution of a row', () => {
    // Prepare
    const settings = { ...ialsSettings(IALS_DEFAULTS), factors: 6 };
    const random = mulberry32(11);
    const items = 40;
    const itemFactors = Float32Array.from({ length: items * 6 }, () => random() - 0.5);
    const observed = [3, 7, 19, 25];
    const weights = [1, 4, 8, 2];
    const byUser = compressRows(1, new Uint32Array(4), Uint32Array.from(observed), Float64Array.from(weights), 4);
    const userFactors = new Float32Array(6);

    // Act
    solveRows(
      {
        start: 0,
        end: 1,
        factors: 6,
        cgSteps: 30,
        alpha: settings.alpha,
        unobservedWeight: settings.unobservedWeight,
        regularization: settings.regularization,
        exponent: settings.regularizationExponent,
        otherCount: items,
      },
      byUser.pointers,
      byUser.indices,
      byUser.values,
      userFactors,
      itemFactors,
      gramianOf(itemFactors, items, 6),
    );
    const dense = solveUserDense(itemFactors, items, settings, observed, weights);
    const folded = foldIn(itemFactors, gramianOf(itemFactors, items, 6), items, settings, observed, weights);

    // Assess
    for (let f = 0; f < 6; f++) {
      expect(userFactors[f]).toBeCloseTo(dense[f] as number, 4);
      expect(folded[f]).toBeCloseTo(dense[f] as number, 4);
    }
  });

  it('recommends a shopper the unseen items of their own cluster', async () => {
    // Prepare
    const model = await ialsTrainer.fit(clusterData(), SMALL);

    // Act
    const ranked = model.recommend({ userId: 'gardener-4', count: 2, filters: { excludeSeen: true } });

    // Assess
    expect(ranked).toHaveLength(2);
    expect(ranked.every((r) => GARDEN.includes(r.itemId))).toBe(true);
    expect(ranked[0]?.reason).toMatch(/^because you (viewed|bought) garden-/);
  });

  it('names for each ranked item the history item with the largest term of its folded-in score, also when two shoppers’ reasons interleave', async () => {
    // Prepare
    const model = (await ialsTrainer.fit(latentData(300, 120, 9).data, SMALL)) as ComponentModel;
    const ials = model.component as IalsComponent;
    const { factors: k, alpha, unobservedWeight, regularization, regularizationExponent } = ials.settings;
    const items = model.base.catalogue.size;
    const y = (item: number): number[] => Array.from(ials.itemFactors.subarray(item * k, (item + 1) * k));
    const gramian = gramianOf(ials.itemFactors, items, k);
    // The fold-in system A = α0·G + Σ (c_h − α0)·y_h·y_hᵀ + λ·I, built here from its definition.
    const solve = (history: readonly number[], weights: readonly number[], right: number[]): number[] => {
      const a = Array.from({ length: k }, (_, f) =>
        Array.from(
          { length: k },
          (_, g) => unobservedWeight * (gramian[Math.max(f, g) * k + Math.min(f, g)] as number),
        ),
      );
      const lambda = regularization * Math.pow(history.length + unobservedWeight * items, regularizationExponent);
      history.forEach((h, n) => {
        const c = 1 + alpha * (weights[n] as number);
        const yh = y(h);
        for (let f = 0; f < k; f++) for (let g = 0; g < k; g++) a[f]![g]! += (c - unobservedWeight) * yh[f]! * yh[g]!;
      });
      for (let f = 0; f < k; f++) a[f]![f]! += lambda;
      const b = [...right];
      for (let p = 0; p < k; p++)
        for (let r = p + 1; r < k; r++) {
          const m = a[r]![p]! / a[p]![p]!;
          for (let g = p; g < k; g++) a[r]![g]! -= m * a[p]![g]!;
          b[r]! -= m * b[p]!;
        }
      const x = new Array<number>(k).fill(0);
      for (let r = k - 1; r >= 0; r--) {
        let sum = b[r]!;
        for (let g = r + 1; g < k; g++) sum -= a[r]![g]! * x[g]!;
        x[r] = sum / a[r]![r]!;
      }
      return x;
    };
    const ids = model.base.catalogue.itemIds;
    const recent = (itemIds: string[]) =>
      itemIds.map((itemId, n) => ({ itemId, eventType: 'view', timestamp: 1_700_000_000 + n }));
    const shopperA = resolveShopper(model.base, { recentItems: recent(['i3', 'i40', 'i77']) });
    const shopperB = resolveShopper(model.base, { recentItems: recent(['i5', 'i90']) });
    // Term of h in item's score: c_h · y_h·(A⁻¹·y_item); the terms add up to the score.
    const terms = (shopper: typeof shopperA, item: number): Map<number, number> => {
      const { items: history, weights } = historyWeights(shopper, ials.settings.recentMultiplier);
      const z = solve(history, weights, y(item));
      return new Map(
        history.map((h, n) => [h, (1 + alpha * weights[n]!) * y(h).reduce((sum, v, f) => sum + v * z[f]!, 0)]),
      );
    };
    const expected = (shopper: typeof shopperA, item: number) => {
      const best = [...terms(shopper, item)]
        .filter(([h, term]) => h !== item && term > 0)
        .sort((p, q) => q[1] - p[1])[0];
      return best === undefined ? undefined : `because you viewed ${ids[best[0]]}`;
    };
    const reasonA = ials.score(shopperA)?.reason;
    const reasonB = ials.score(shopperB)?.reason;

    // Act
    const ranked = [0, 11, 23, 50, 64, 99, 110];
    const given = ranked.flatMap((item) => [reasonA?.(item), reasonB?.(item)]);

    // Assess
    for (const item of ranked) {
      const total = [...terms(shopperA, item).values()].reduce((sum, term) => sum + term, 0);
      expect(total).toBeCloseTo(ials.itemScore(ials.shopperVector(shopperA)!, item), 3);
    }
    expect(given).toEqual(ranked.flatMap((item) => [expected(shopperA, item), expected(shopperB, item)]));
  });

  it('folds in an anonymous shopper’s three kitchen views and recommends kitchen items', async () => {
    // Prepare
    const model = await ialsTrainer.fit(clusterData(), SMALL);
    const recentItems = KITCHEN.slice(0, 3).map((itemId, n) => ({
      itemId,
      eventType: 'view',
      timestamp: 1_700_000_100 - n,
    }));

    // Act
    const ranked = model.recommend({ count: 3, recentItems, filters: { excludeSeen: true } });

    // Assess
    expect(ranked.map((r) => r.itemId).sort()).toEqual(KITCHEN.slice(3).sort());
  });

  it('moves a known gardener towards kitchen items when they start browsing the kitchen', async () => {
    // Prepare
    const model = await ialsTrainer.fit(clusterData(), SMALL);
    const recentItems = KITCHEN.slice(0, 4).map((itemId) => ({ itemId, eventType: 'add_to_cart' }));

    // Act
    const before = model.recommend({ userId: 'gardener-1', count: 1, filters: { excludeSeen: true } });
    const after = model.recommend({ userId: 'gardener-1', count: 1, recentItems, filters: { excludeSeen: true } });

    // Assess
    expect(GARDEN).toContain(before[0]?.itemId);
    expect(KITCHEN).toContain(after[0]?.itemId);
  });

  it('gives the same factors for the same seed, on one thread or two', async () => {
    // Prepare
    const { data } = latentData(1_500, 400, 40, 5);
    const rows = data.interactions.length;
    const users = new Map<string, number>();
    const items = new Map<string, number>();
    const userOf = new Uint32Array(rows);
    const itemOf = new Uint32Array(rows);
    data.interactions.forEach((interaction, n) => {
      userOf[n] = users.get(interaction.userId) ?? users.set(interaction.userId, users.size).size - 1;
      itemOf[n] = items.get(interaction.itemId) ?? items.set(interaction.itemId, items.size).size - 1;
    });
    const byUser = compressRows(users.size, userOf, itemOf, new Float64Array(rows).fill(1), rows);
    const byItem = transpose(byUser, items.size);
    const settings = { ...ialsSettings(IALS_DEFAULTS), factors: 8, iterations: 2 };

    // Act
    const single = await trainFactors(byUser, byItem, { ...settings, workers: 1 });
    const parallel = await trainFactors(byUser, byItem, { ...settings, workers: 2 });
    const otherSeed = await trainFactors(byUser, byItem, { ...settings, workers: 1, seed: 7 });

    // Assess
    expect(rows).toBeGreaterThan(50_000);
    expect(Array.from(parallel.itemFactors)).toEqual(Array.from(single.itemFactors));
    expect(Array.from(parallel.userFactors)).toEqual(Array.from(single.userFactors));
    expect(Array.from(otherSeed.itemFactors)).not.toEqual(Array.from(single.itemFactors));
  });

  it('beats popularity on HR@10 on data with latent structure', async () => {
    // Prepare
    const items = 300;
    const data = latentData(600, items, 20);
    const ials = await ialsTrainer.fit(data.data, {
      [IALS_PARAMS.factors]: 16,
      [IALS_PARAMS.iterations]: 8,
      [WEIGHTING_PARAMS.decayHalfLifeDays]: 0,
    });
    const popularity = await popularityTrainer.fit(data.data, { [WEIGHTING_PARAMS.decayHalfLifeDays]: 0 });

    // Act
    const ialsHits = hitRate(ials, data, items);
    const popularityHits = hitRate(popularity, data, items);

    // Assess
    expect(ialsHits).toBeGreaterThan(popularityHits + 0.15);
  });

  it('rejects settings that would make a system unsolvable', async () => {
    // Act
    const fit = ialsTrainer.fit(clusterData(), { regularization: 0 });

    // Assess
    await expect(fit).rejects.toThrow(/must be positive/);
  });

  it('scores only the candidates of each call, whatever the previous call ranked', async () => {
    // Prepare
    const model = await ialsTrainer.fit(clusterData(), SMALL);
    const fresh = await ialsTrainer.fit(clusterData(), SMALL);

    // Act
    model.recommend({ userId: 'gardener-1', count: 6, candidates: [...GARDEN] });
    const second = model.recommend({
      userId: 'gardener-1',
      count: 6,
      candidates: [KITCHEN[0] as string, GARDEN[5] as string],
    });
    const full = model.recommend({ userId: 'gardener-1', count: 12 });
    const again = model.recommend({ userId: 'gardener-1', count: 12 });

    // Assess
    expect(second).toEqual(
      fresh.recommend({ userId: 'gardener-1', count: 6, candidates: [KITCHEN[0] as string, GARDEN[5] as string] }),
    );
    expect(second.map((r) => r.itemId)).toEqual([GARDEN[5], KITCHEN[0]]);
    expect(again).toEqual(full);
    expect(full).toEqual(fresh.recommend({ userId: 'gardener-1', count: 12 }));
  });
});
