import { describe, expect, it } from 'vitest';
import { plannedCandidates, successiveHalving } from '#shared/recommender/autotune/halving.ts';

/** Candidates are their true quality; a rung sees it scaled by how much of the resource it got. */
const evaluateAt = (candidate: number, resource: number): Promise<number> => Promise.resolve(candidate * resource);

describe('Function: successiveHalving', () => {
  it('promotes the best third of each rung and returns the best at the full resource', async () => {
    // Prepare
    const seen: [number, number][] = [];

    // Act
    const result = await successiveHalving({
      candidates: [3, 9, 1, 7, 5, 8, 2, 6, 4],
      rungs: [1, 2, 4],
      eta: 3,
      cost: (r) => r / 4,
      allows: () => true,
      evaluate: (c, r) => {
        seen.push([c, r]);
        return evaluateAt(c, r);
      },
    });

    // Assess
    expect(seen.filter(([, r]) => r === 1)).toHaveLength(9);
    expect(seen.filter(([, r]) => r === 2).map(([c]) => c)).toEqual([9, 8, 7]);
    expect(seen.filter(([, r]) => r === 4).map(([c]) => c)).toEqual([9]);
    expect(result.best).toEqual({ candidate: 9, resource: 4, score: 36 });
  });

  it('stops evaluating when the budget refuses, and reports no winner without a full-resource run', async () => {
    // Prepare
    let spent = 0;

    // Act
    const result = await successiveHalving({
      candidates: [1, 2, 3, 4],
      rungs: [1, 4],
      cost: (r) => r,
      allows: (cost) => spent + cost <= 3,
      evaluate: (c, r) => {
        spent += r;
        return evaluateAt(c, r);
      },
    });

    // Assess
    expect(result.evaluations).toHaveLength(3);
    expect(result.best).toBeUndefined();
  });

  it('keeps the earlier candidate on a tie', async () => {
    // Act
    const result = await successiveHalving({
      candidates: ['a', 'b'],
      rungs: [1],
      cost: () => 1,
      allows: () => true,
      evaluate: () => Promise.resolve(0.5),
    });

    // Assess
    expect(result.best?.candidate).toBe('a');
  });
});

describe('Function: plannedCandidates', () => {
  it('returns the most candidates whose rungs fit the trials', () => {
    // Prepare: rungs at a quarter, a half and all of the iterations
    const cost = (iterations: number): number => iterations / 12;

    // Act
    const none = plannedCandidates(1.5, [3, 6, 12], cost);
    const some = plannedCandidates(4, [3, 6, 12], cost);

    // Assess: one candidate costs 0.25 + 0.5 + 1 = 1.75 trials; eight cost 8 × 0.25 + 2 × 0.5 + 1 = 4
    expect(none).toBe(0);
    expect(some).toBe(8);
  });
});
