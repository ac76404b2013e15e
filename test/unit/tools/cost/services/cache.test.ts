import { describe, expect, it } from 'vitest';
import { deploymentShapes } from '#shared/config/shapes.ts';
import { elastiCache } from '../../../../../tools/cost/services/cache.ts';
import { context, perDay } from '../fixtures.ts';

describe('Function: elastiCache', () => {
  it('meters the 100 MB minimum of Valkey serverless and 1 ECPU per KB moved', () => {
    // Prepare: 0.1 GB × 730 h × $0.084 = $6.132; 1M lists, 60 % hits: 600,000 GETs + 400,000 × (GET + SET) = 1.4M ECPUs × $0.0023/M.
    const ctx = context({ load: { recommendationsPerDay: perDay(1_000_000), cacheHitRatio: 0.6 } });
    // Act
    const [stored, ecpus] = elastiCache(ctx);
    // Assess
    expect(stored?.usd).toBeCloseTo(6.132, 6);
    expect(ecpus?.usd).toBeCloseTo(1.4 * 0.0023, 9);
  });

  it('costs nothing with the in-process cache', () => {
    // Act
    const lines = elastiCache(context({ shape: deploymentShapes.lean, load: { recommendationsPerDay: 1e6 } }));
    // Assess
    expect(lines.reduce((sum, l) => sum + l.usd, 0)).toBe(0);
  });
});
