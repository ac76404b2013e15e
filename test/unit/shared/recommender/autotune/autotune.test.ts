import { describe, expect, it } from 'vitest';
import { mulberry32 } from '#shared/random.ts';
import { decide, STANDARD_ERRORS, tuneHyperparameters } from '#shared/recommender/autotune/autotune.ts';
import { IALS_DEFAULTS, IALS_PARAMS, ialsTrainer } from '#shared/recommender/algorithms/ials.ts';
import type { Interaction, TrainingData, Trainer } from '#shared/recommender/model.ts';

/**
 * Shoppers with 14 distinct items each. With `clusters`, each shopper keeps to one cluster of 20
 * items for 85 % of their choices; without, every choice is uniform over the catalogue (no
 * structure, so any validation gain is noise).
 */
function shopData(options: { readonly clusters: boolean; readonly seed: number }): TrainingData {
  const next = mulberry32(options.seed);
  const items = 120;
  const interactions: Interaction[] = [];
  for (let user = 0; user < 400; user++) {
    const cluster = Math.floor(next() * 6);
    const seen = new Set<number>();
    while (seen.size < 14) {
      const inCluster = options.clusters && next() < 0.85;
      // Within a cluster, lower indices are more popular (a squared uniform leans to them).
      seen.add(inCluster ? cluster * 20 + Math.floor(next() ** 2 * 20) : Math.floor(next() * items));
    }
    [...seen].forEach((item, n) =>
      interactions.push({ userId: `u${user}`, itemId: `i${item}`, timestamp: 1_700_000_000 + user * 100 + n }),
    );
  }
  return { interactions, catalogue: [] };
}

/** Small and on the calling thread: fixed by the caller, so never searched. */
const SMALL = { [IALS_PARAMS.factors]: 8, [IALS_PARAMS.iterations]: 6, [IALS_PARAMS.workers]: 1 };

describe('Function: tuneHyperparameters', () => {
  it('keeps the defaults when the best settings found beat them by less than the noise of the comparison', async () => {
    // Prepare: no structure to learn, so the best of the search is luck on these shoppers.
    const data = shopData({ clusters: false, seed: 3 });

    // Act
    const tuned = await tuneHyperparameters(ialsTrainer, data, SMALL, { budget: { kind: 'trials', trials: 6 } });

    // Assess: the search found something better on validation, within the noise, and it was not taken.
    const decision = tuned?.report.decision;
    expect(decision?.gain).toBeGreaterThan(0);
    expect(decision?.gain).toBeLessThanOrEqual(STANDARD_ERRORS * (decision?.standardError ?? 0));
    expect(decision?.kept).toBe('defaults');
    expect(tuned?.report.chosen).toEqual({});
    expect(tuned?.report.tuned).toEqual(tuned?.report.defaults);
    expect(tuned?.hyperparameters).toEqual(SMALL);
  });

  it('takes the best settings found when their gain is clearly beyond the noise', async () => {
    // Prepare: defaults regularised so hard that the factors learn nothing; the search's first
    // candidate (the literature's settings) learns the clusters.
    const data = shopData({ clusters: true, seed: 3 });
    const overRegularised: Trainer = {
      ...ialsTrainer,
      defaults: { ...IALS_DEFAULTS, [IALS_PARAMS.regularization]: 50 },
    };

    // Act
    const tuned = await tuneHyperparameters(overRegularised, data, SMALL, { budget: { kind: 'trials', trials: 6 } });

    // Assess
    const decision = tuned?.report.decision;
    expect(decision?.kept).toBe('tuned');
    expect(decision?.gain).toBeGreaterThan(STANDARD_ERRORS * (decision?.standardError ?? Infinity));
    expect(decision?.standardError).toBeGreaterThan(0);
    expect(tuned?.report.chosen[IALS_PARAMS.regularization]).toBeLessThan(50);
    expect(tuned?.report.tuned['ndcg@10']).toBeCloseTo(
      (tuned?.report.defaults['ndcg@10'] ?? 0) + (decision?.gain ?? 0),
      9,
    );
  });
});

describe('Function: decide', () => {
  // Ranks giving NDCG@10 1 (rank 0) or 0 (rank 10 and beyond).
  const hit = 0;
  const miss = 10;

  it('keeps the defaults at a gain of exactly the required standard errors, and takes one just above', () => {
    // Prepare: 1 win in n shoppers: gain 1/n, SE √((1/n)(1 − 1/n)/(n − 1)) = 1/n; so with one
    // standard error required, 1 win of 2 is at the line and 2 wins of 4... computed, not assumed.
    const defaults = Array.from({ length: 100 }, () => miss);
    const wins = (count: number) => defaults.map((rank, u) => (u < count ? hit : rank));

    // Act
    const verdicts = [0, 1, 2, 4, 8, 16].map((count) => decide({ best: wins(count), defaults }));

    // Assess
    for (const verdict of verdicts) {
      expect(verdict.kept).toBe(
        verdict.gain > 0 && verdict.gain > STANDARD_ERRORS * verdict.standardError ? 'tuned' : 'defaults',
      );
    }
    expect(verdicts[0]).toMatchObject({ gain: 0, standardError: 0, kept: 'defaults' });
    // 16 wins of 100: gain 0.16, SE √(0.16 · 0.84 / 99) ≈ 0.037, over 4 SE.
    expect(verdicts[5]?.standardError).toBeCloseTo(Math.sqrt((0.16 * 0.84) / 99), 9);
    expect(verdicts[5]?.kept).toBe('tuned');
  });

  it('keeps the defaults when the wins and losses cancel out', () => {
    // Prepare
    const defaults = [hit, miss, hit, miss, miss, miss];
    const best = [miss, hit, hit, miss, hit, miss];

    // Act
    const verdict = decide({ best, defaults });

    // Assess: gain 1/6, SE 0.307 / √6.
    expect(verdict.gain).toBeCloseTo(1 / 6, 9);
    expect(verdict.kept).toBe('defaults');
  });
});
