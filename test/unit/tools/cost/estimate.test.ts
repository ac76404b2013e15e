import { describe, expect, it } from 'vitest';
import { deploymentShapes } from '#shared/config/shapes.ts';
import { defaultAssumptions } from '../../../../tools/cost/assumptions.ts';
import { crossovers } from '../../../../tools/cost/crossover.ts';
import { byService, estimate, idle } from '../../../../tools/cost/estimate.ts';
import { priceBook } from '../../../../tools/cost/prices.ts';
import { roundBench } from './fixtures.ts';

const common = { prices: priceBook('us-east-1'), bench: roundBench, assumptions: defaultAssumptions };
const load = { eventsPerDay: 10_000_000, recommendationsPerDay: 5_000_000, catalogItems: 100_000, cacheHitRatio: 0.6 };

describe('Function: estimate', () => {
  it('totals its line items', () => {
    // Act
    const month = estimate({ ...common, load, shape: deploymentShapes.default });
    // Assess
    expect(month.totalUsd).toBeCloseTo(
      month.lines.reduce((sum, l) => sum + l.usd, 0),
      9,
    );
    expect(byService(month.lines).reduce((sum, s) => sum + s.usd, 0)).toBeCloseTo(month.totalUsd, 9);
  });

  it('keeps the hourly resources in the default shape’s idle floor and none of them in the lean one', () => {
    // Prepare: the list: the real-time endpoint, on-demand stream-hours, interface endpoints, the ElastiCache minimum, WAF.
    const hourly = (lines: ReturnType<typeof estimate>['lines']) =>
      lines.filter((l) =>
        /real-time endpoint|stream-hours|interface endpoints|data stored|web ACL/.test(`${l.service} ${l.item}`),
      );
    // Act
    const floorDefault = estimate({ ...common, load: idle(load), shape: deploymentShapes.default });
    const floorLean = estimate({ ...common, load: idle(load), shape: deploymentShapes.lean });
    // Assess
    expect(hourly(floorDefault.lines).map((l) => l.usd > 0)).toEqual([true, true, true, true, true]);
    expect(hourly(floorLean.lines).every((l) => l.usd === 0)).toBe(true);
    expect(floorLean.totalUsd).toBeLessThan(floorDefault.totalUsd);
  });

  it('prices the in-process cache at a lower hit ratio once several instances are warm', () => {
    // Act
    const quiet = estimate({ ...common, load: { ...load, recommendationsPerDay: 1000 }, shape: deploymentShapes.lean });
    const busy = estimate({ ...common, load, shape: deploymentShapes.lean });
    const shared = estimate({ ...common, load, shape: deploymentShapes.default });
    // Assess
    expect(quiet.hitRatio.ratio).toBe(0.6);
    expect(busy.hitRatio.ratio).toBeLessThan(0.6);
    expect(busy.hitRatio.ratio * busy.hitRatio.instances).toBeCloseTo(0.6, 9);
    expect(shared.hitRatio.ratio).toBe(0.6);
  });
});

describe('Function: crossovers', () => {
  it('finds the load at which both shapes cost the same, the lean one cheaper below it', () => {
    // Act
    const [found] = crossovers({ ...common, load, a: deploymentShapes.default, b: deploymentShapes.lean });
    // Assess
    expect(found).toBeDefined();
    if (found === undefined) return;
    const at = (k: number, shape: 'default' | 'lean') =>
      estimate({
        ...common,
        shape: deploymentShapes[shape],
        load: { ...load, eventsPerDay: load.eventsPerDay * k, recommendationsPerDay: load.recommendationsPerDay * k },
      }).totalUsd;
    expect(Math.abs(at(found.scale, 'default') - at(found.scale, 'lean'))).toBeLessThan(0.01);
    expect(found.cheaperBelow).toBe('b');
    expect(at(found.scale / 2, 'lean')).toBeLessThan(at(found.scale / 2, 'default'));
    expect(at(found.scale * 2, 'lean')).toBeGreaterThan(at(found.scale * 2, 'default'));
    expect(found.eventsPerDay / found.recommendationsPerDay).toBeCloseTo(2, 9);
  });

  it('finds none between two identical shapes', () => {
    // Act
    const found = crossovers({ ...common, load, a: deploymentShapes.lean, b: deploymentShapes.lean, gridPoints: 10 });
    // Assess
    expect(found).toEqual([]);
  });
});
