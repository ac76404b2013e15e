import { describe, expect, it } from 'vitest';
import { mulberry32 } from '#shared/random.ts';
import { perturb, rangeFor } from '#shared/recommender/autotune/space.ts';

describe('Function: perturb', () => {
  it('never changes the sign of an event-type weight', () => {
    // Prepare
    const next = mulberry32(7);
    const defaults = { 'weight.return': -8, 'weight.remove_from_cart': -2, 'weight.purchase': 8, 'weight.view': 1 };

    // Act
    const samples = Array.from({ length: 300 }, () => perturb(defaults, next));

    // Assess
    for (const params of samples) {
      expect(Number(params['weight.return'])).toBeLessThan(0);
      expect(Number(params['weight.remove_from_cart'])).toBeLessThan(0);
      expect(Number(params['weight.purchase'])).toBeGreaterThan(0);
      expect(Number(params['weight.view'])).toBeGreaterThan(0);
    }
    expect(new Set(samples.map((p) => p['weight.return'])).size).toBeGreaterThan(3);
  });

  it('leaves seed and workers alone, with or without a component prefix', () => {
    // Prepare
    const next = mulberry32(3);
    const defaults = { seed: 42, workers: 2, 'ials.seed': 42, 'ials.workers': 2 };

    // Act
    const samples = Array.from({ length: 50 }, () => perturb(defaults, next));

    // Assess
    for (const params of samples) expect(params).toEqual(defaults);
  });

  it('keeps every tuned number inside its range', () => {
    // Prepare
    const next = mulberry32(11);
    const defaults = {
      'ials.regularizationExponent': 1,
      'ials.regularization': 0.05,
      factors: 64,
      'knn.neighbours': 100,
    };

    // Act
    const samples = Array.from({ length: 300 }, () => perturb(defaults, next, 8));

    // Assess
    for (const params of samples) {
      for (const [name, value] of Object.entries(params)) {
        const range = rangeFor(name);
        if (range === undefined || range.kind === 'boolean') throw new Error(`${name} has no numeric range`);
        expect(value).toBeGreaterThanOrEqual(range.min);
        expect(value).toBeLessThanOrEqual(range.max);
      }
      expect(Number(params['ials.regularizationExponent'])).toBeLessThanOrEqual(1.25);
      expect(Number.isInteger(params['factors'])).toBe(true);
    }
  });
});
