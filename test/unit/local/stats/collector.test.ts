import { describe, expect, it } from 'vitest';
import { LocalStatsCollector } from '#local/stats/collector.ts';
import { LatencyHistogram } from '#local/stats/latencyHistogram.ts';
import type { MappingStats } from '#local/eventSourceMapping.ts';
import { statsWindow } from '#shared/stats/window.ts';

const T0 = Date.parse('2026-12-07T12:00:00Z');

function collector() {
  let now = T0;
  const clock = { now: () => now };
  return {
    stats: new LocalStatsCollector({ clock, resolutionSeconds: 10, keepMinutes: 5 }),
    at: (ms: number) => (now = T0 + ms),
    window: (minutes: number) => statsWindow({ minutes, now: now, resolutionSeconds: 10 }),
  };
}

const list = (cache: string, degraded: boolean) => ({
  statusCode: 200,
  headers: { 'x-cache': cache },
  body: JSON.stringify({ items: [], degraded }),
});
const mapping = (processed: number, lagMs: number): MappingStats => ({
  processed,
  invocations: 0,
  retriedRecords: 0,
  discarded: 0,
  lagMs,
  maxLagMs: 0,
});

describe('Class: LocalStatsCollector', () => {
  describe('Method: read', () => {
    it('returns rates, ratios, lag and latency percentiles per period from what it was told', async () => {
      // Prepare
      const { stats, at, window } = collector();
      at(1_000);
      stats.response({
        route: 'events',
        statusCode: 200,
        result: { statusCode: 200, body: '{"accepted":30,"rejected":[]}' },
        latencyMs: 4,
      });
      stats.response({ route: 'userRecommendations', statusCode: 200, result: list('MISS', false), latencyMs: 10 });
      stats.response({ route: 'userRecommendations', statusCode: 200, result: list('HIT', false), latencyMs: 2 });
      stats.response({ route: 'trending', statusCode: 200, result: list('BYPASS', true), latencyMs: 50 });
      stats.fallback('ModelFailure');
      stats.processorProgress(mapping(20, 300));
      stats.processorProgress(mapping(20, 9_999));
      stats.processorProgress(mapping(25, 120));
      at(12_000);
      stats.response({
        route: 'userRecommendations',
        statusCode: 400,
        result: { statusCode: 400, body: '{}' },
        latencyMs: 1,
      });
      at(20_000);

      // Act
      const series = await stats.read(window(1));

      // Assess
      const last = series.timestamps.length - 1;
      expect(series.timestamps.slice(-2)).toEqual(['2026-12-07T12:00:00.000Z', '2026-12-07T12:00:10.000Z']);
      expect(series.eventsPerSecond.slice(-2)).toEqual([3, 0]);
      expect(series.eventsProcessedPerSecond.slice(-2)).toEqual([2.5, 0]);
      expect(series.processorLagMs.slice(-2)).toEqual([300, null]);
      expect(series.cacheHitRatio.slice(-2)).toEqual([0.5, null]);
      expect(series.degradedShare.slice(-2)).toEqual([1 / 3, null]);
      expect(series.degradedByCause.ModelFailure.slice(-2)).toEqual([0.1, 0]);
      expect(series.degradedByCause.ModelShed[last - 1]).toBe(0);
      expect(series.latencyMs.trending?.p50[last]).toBeNull();
      expect(Math.abs((series.latencyMs.trending?.p50[last - 1] ?? 0) - 50)).toBeLessThan(1);
      expect(series.latencyMs.userRecommendations?.p99[last]).toBeCloseTo(1, 1);
      expect(series.latencyMs.userRecommendations?.p50[last - 1]).toBeCloseTo(2, 0);
      expect(series.latencyMs.userRecommendations?.p90[last - 1]).toBeCloseTo(10, 0);
      expect(series.latencyMs.health).toBeUndefined();
    });

    it('returns nothing of a period the ring has since reused', async () => {
      // Prepare
      const { stats, at, window } = collector();
      at(0);
      stats.response({
        route: 'events',
        statusCode: 200,
        result: { statusCode: 200, body: '{"accepted":10}' },
        latencyMs: 1,
      });
      // 5 minutes of 10 s buckets are 31 slots: 310 s later the same slot holds a new bucket.
      at(310_000);
      stats.response({ route: 'health', statusCode: 200, result: { statusCode: 200, body: '{}' }, latencyMs: 1 });
      at(320_000);

      // Act
      const series = await stats.read(window(10));

      // Assess
      expect(series.eventsPerSecond.every((rate) => rate === 0)).toBe(true);
      expect(series.latencyMs.health?.p50.at(-1)).toBeCloseTo(1, 1);
    });

    it('ignores a body that is not JSON or counts of the wrong type', async () => {
      // Prepare
      const { stats, at, window } = collector();
      stats.response({
        route: 'events',
        statusCode: 200,
        result: { statusCode: 200, body: '{"accepted":"9"}' },
        latencyMs: 1,
      });
      stats.response({
        route: 'rankings',
        statusCode: 200,
        result: { statusCode: 200, body: 'not json' },
        latencyMs: 1,
      });
      at(10_000);

      // Act
      const series = await stats.read(window(1));

      // Assess
      expect(series.eventsPerSecond.at(-1)).toBe(0);
      expect(series.degradedShare.at(-1)).toBe(0);
      expect(series.cacheHitRatio.at(-1)).toBeNull();
    });
  });
});

describe('Class: LatencyHistogram', () => {
  it('returns percentiles within 2 % of the exact ones, and merges by counts', () => {
    // Prepare
    const a = new LatencyHistogram();
    const b = new LatencyHistogram();
    for (let ms = 1; ms <= 500; ms++) a.add(ms);
    for (let ms = 501; ms <= 1000; ms++) b.add(ms);

    // Act
    a.merge(b);

    // Assess
    expect(a.count).toBe(1000);
    for (const [q, exact] of [
      [0.5, 500],
      [0.9, 900],
      [0.99, 990],
    ] as const) {
      expect(Math.abs((a.quantile(q) ?? 0) - exact) / exact).toBeLessThan(0.02);
    }
    expect(new LatencyHistogram().quantile(0.5)).toBeNull();
  });
});
