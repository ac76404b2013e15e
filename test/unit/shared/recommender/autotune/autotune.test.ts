import { describe, expect, it } from 'vitest';
import { clearlyBetter, MIN_RELATIVE_GAIN } from '#shared/recommender/autotune/autotune.ts';

const metrics = (ndcg: number) => ({ 'ndcg@10': ndcg, 'hr@10': 2 * ndcg });

describe('Function: clearlyBetter', () => {
  it('keeps the defaults when the tuned settings beat them by less than the minimum gain', () => {
    // Prepare: the synthetic set's case, 0.0506 against 0.0504 (+0.4 %).
    const defaults = metrics(0.0504);

    // Act
    const verdicts = [0.0504, 0.0506, 0.0504 * (1 + MIN_RELATIVE_GAIN)].map((n) => clearlyBetter(metrics(n), defaults));

    // Assess
    expect(verdicts).toEqual([false, false, false]);
  });

  it('takes tuned settings that beat the defaults by more than the minimum gain', () => {
    // Prepare: online-retail's case, 0.1429 against 0.1526 (+6.8 %).
    const defaults = metrics(0.1429);

    // Act
    const verdict = clearlyBetter(metrics(0.1526), defaults);

    // Assess
    expect(verdict).toBe(true);
    expect(clearlyBetter(metrics(0.001), metrics(0))).toBe(true);
  });
});
