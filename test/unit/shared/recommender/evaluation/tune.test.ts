import { describe, expect, it } from 'vitest';
import type { Trainer } from '#shared/recommender/model.ts';
import { hash32, mulberry32 } from '#shared/recommender/evaluation/random.ts';
import { perturb, tune } from '#shared/recommender/tune.ts';
import { scoringModel, syntheticData } from './fakes.ts';

const DATA = syntheticData(400, 150, 3);

/**
 * A trainer whose quality depends on `regularization` (a name the search varies): items are scored
 * by popularity in the training data plus 100 × `regularization` times a random number, so less
 * of it ranks better.
 */
const noisyPopularity: Trainer = {
  algorithm: 'popularity',
  defaults: { regularization: 0.4, decay: 0.5, normalise: true, mode: 'count' },
  fit: (data, params) => {
    const counts = new Map<string, number>();
    for (const { itemId } of data.interactions) counts.set(itemId, (counts.get(itemId) ?? 0) + 1);
    const noise = 100 * Number(params?.['regularization'] ?? 0.4);
    return Promise.resolve(
      scoringModel(
        data,
        (userId, itemId) => (counts.get(itemId) ?? 0) + (noise * hash32(`${userId}:${itemId}`)) / 2 ** 32,
      ),
    );
  },
};

describe('Function: tune', () => {
  it('tries the defaults first and returns the best trial on the validation split', async () => {
    // Prepare
    const trials: number[] = [];

    // Act
    const result = await tune(noisyPopularity, DATA, {
      protocol: 'loo-sampled',
      trials: 12,
      spread: 100,
      metric: 'ndcg@10',
      onTrial: (trial) => trials.push(trial.score),
    });

    // Assess
    expect(result.trials[0]?.hyperparameters).toEqual(noisyPopularity.defaults);
    expect(result.best.score).toBe(Math.max(...trials));
    expect(Number(result.best.hyperparameters['regularization'])).toBeLessThan(0.4);
    expect(result.validationUsers).toBeGreaterThan(0);
  });

  it('is deterministic for a seed', async () => {
    // Prepare
    const options = { protocol: 'loo-sampled', trials: 4, seed: 9 } as const;

    // Act
    const first = await tune(noisyPopularity, DATA, options);
    const second = await tune(noisyPopularity, DATA, options);

    // Assess
    expect(second.trials).toEqual(first.trials.map((t) => ({ ...t, trainMs: expect.any(Number) })));
  });

  it('rejects an unknown metric', async () => {
    // Prepare
    const options = { protocol: 'loo-sampled', trials: 1, metric: 'auc@10' } as const;

    // Act
    const run = tune(noisyPopularity, DATA, options);

    // Assess
    await expect(run).rejects.toThrow(/unknown metric auc@10/);
  });
});

describe('Function: perturb', () => {
  it('keeps integers integral, numbers in their ranges, strings unchanged, and flips tuned booleans', () => {
    // Prepare
    const next = mulberry32(1);
    const defaults = { factors: 64, regularization: 0.05, alpha: 4.5, 'eventValue.log': true, mode: 'bm25' };

    // Act
    const samples = Array.from({ length: 200 }, () => perturb(defaults, next, 4));

    // Assess
    for (const params of samples) {
      expect(Number.isInteger(params['factors'])).toBe(true);
      expect(Number(params['factors'])).toBeGreaterThanOrEqual(16);
      expect(Number(params['factors'])).toBeLessThanOrEqual(256);
      expect(Number(params['regularization'])).toBeLessThan(1);
      expect(params['mode']).toBe('bm25');
    }
    expect(new Set(samples.map((p) => p['eventValue.log'])).size).toBe(2);
  });
});
