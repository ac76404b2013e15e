import { describe, expect, it } from 'vitest';
import {
  blendMetrics,
  blendPool,
  fitBlend,
  type BlendWeights,
  type PoolCase,
} from '#shared/recommender/autotune/blend.ts';

const DEFAULTS: BlendWeights = {
  minHistory: 5,
  leadWeight: 1,
  secondWeight: 0.5,
  contentWeight: 0.06,
  coldPenalty: 0.5,
  popularityWeight: 0,
};

/**
 * A shopper whose held-out item (position 0) item-kNN ranks first and iALS last: 20 warm items,
 * iALS z falling with the position but lowest for the held-out item, kNN z the other way round.
 */
function knnKnowsBest(known: number): PoolCase {
  const size = 20;
  const ials = Float32Array.from({ length: size }, (_, i) => (i === 0 ? -2 : 2 - i / 10));
  const knn = Float32Array.from({ length: size }, (_, i) => (i === 0 ? 3 : -i / 10));
  const content = Float32Array.from({ length: size }, (_, i) => Math.sin(i));
  return { known, warm: new Uint8Array(size).fill(1), z: { ials, knn, content, popularity: undefined }, heldOut: 0 };
}

describe('Function: fitBlend', () => {
  it('is never worse on validation than its start or than its best single component', () => {
    // Prepare
    const pools = Array.from({ length: 30 }, (_, n) => knnKnowsBest(3 + (n % 10)));

    // Act
    const fit = fitBlend(pools, DEFAULTS);

    // Assess
    const best = Math.max(
      fit.components.ials['ndcg@10'],
      fit.components.knn['ndcg@10'],
      fit.components.content['ndcg@10'],
    );
    expect(fit.components.knn['ndcg@10']).toBe(1);
    expect(fit.metrics['ndcg@10']).toBeGreaterThanOrEqual(best);
    expect(fit.metrics['ndcg@10']).toBeGreaterThanOrEqual(fit.start['ndcg@10']);
    expect(fit.start['ndcg@10']).toBeLessThan(1);
  });

  it('takes a component out for well-known shoppers (weight 0) when it only misleads them', () => {
    // Prepare: iALS ranks the held-out item first, item-kNN ranks it last and far below the rest.
    const pools = Array.from({ length: 20 }, () => {
      const pool = knnKnowsBest(10);
      const knn = Float32Array.from(pool.z.ials as Float32Array, (z) => 3 * z);
      return { ...pool, z: { ...pool.z, ials: pool.z.knn, knn } };
    });

    // Act
    const fit = fitBlend(pools, DEFAULTS);

    // Assess: with iALS leading for every shopper of 10 items, item-kNN's weight is 0.
    const knnWeight = 10 >= fit.weights.minHistory ? fit.weights.secondWeight : fit.weights.leadWeight;
    expect(knnWeight).toBe(0);
    expect(fit.metrics['ndcg@10']).toBe(1);
    expect(fit.start['ndcg@10']).toBeLessThan(1);
  });

  it('leaves frozen weights as the caller set them', () => {
    // Prepare
    const pools = Array.from({ length: 10 }, () => knnKnowsBest(8));

    // Act
    const fit = fitBlend(pools, DEFAULTS, { frozen: new Set(['leadWeight', 'secondWeight', 'minHistory']) });

    // Assess
    expect([fit.weights.leadWeight, fit.weights.secondWeight, fit.weights.minHistory]).toEqual([1, 0.5, 5]);
  });
});

describe('Function: blendPool', () => {
  it('ranks cold items by their text even at content weight 0', () => {
    // Prepare
    const pool: PoolCase = {
      known: 10,
      warm: Uint8Array.from([1, 0, 0]),
      z: {
        ials: Float32Array.from([1, 0, 0]),
        knn: undefined,
        content: Float32Array.from([0, 1, 3]),
        popularity: undefined,
      },
      heldOut: 2,
    };

    // Act
    const scores = blendPool(pool, { ...DEFAULTS, contentWeight: 0, coldPenalty: 0 });

    // Assess
    expect(scores[2]).toBeGreaterThan(scores[1] as number);
    expect(scores[0]).toBe(1);
  });

  it('scores a cold item by its content z-score minus the cold penalty, over the total weight', () => {
    // Prepare
    const pool: PoolCase = {
      known: 10,
      warm: Uint8Array.from([1, 0]),
      z: {
        ials: Float32Array.from([1, 0]),
        knn: Float32Array.from([0.5, 0]),
        content: Float32Array.from([0, 2]),
        popularity: undefined,
      },
      heldOut: 1,
    };

    // Act
    const scores = blendPool(pool, DEFAULTS);

    // Assess: total weight 1 + 0.5 + 0.06
    expect(scores[0]).toBeCloseTo((1 * 1 + 0.5 * 0.5) / 1.56, 5);
    expect(scores[1]).toBeCloseTo((0.06 * 2 - 0.5) / 1.56, 5);
    expect(blendMetrics([pool], DEFAULTS)['hr@10']).toBe(1);
  });
});
