import { describe, expect, expectTypeOf, it } from 'vitest';
import { MemoryFeatureStore } from '#shared/adapters/memoryFeatureStore.ts';
import { MemoryModelRegistry } from '#shared/adapters/memoryModelRegistry.ts';
import { stats as statsConfig } from '#shared/config/index.ts';
import type { FallbackMetric } from '#shared/serving/failures.ts';
import type { DegradedCause, StatsSeries, StatsWindow } from '#shared/stats/report.ts';
import { statsReport, type OperationalMetrics } from '#shared/stats/statsReport.ts';
import type { AttributionCounts } from '#shared/ports/index.ts';
import type { ModelVersionRecord } from '#shared/training/registry.ts';

const NOW = Date.parse('2026-12-07T12:00:35Z');
const counts = (partial: Partial<AttributionCounts>): AttributionCounts => ({
  impressions: 0,
  clicks: 0,
  addToCarts: 0,
  purchases: 0,
  revenue: 0,
  ...partial,
});

/** Metrics that say which window they were asked for, in a series of as many zeros. */
class FakeMetrics implements OperationalMetrics {
  readonly source = 'local';
  readonly resolutionSeconds = 10;
  asked: StatsWindow | undefined;

  read(window: StatsWindow): Promise<StatsSeries> {
    this.asked = window;
    const n = (Date.parse(window.end) - Date.parse(window.start)) / (window.periodSeconds * 1000);
    const zeros = Array.from({ length: n }, () => 0);
    return Promise.resolve({
      timestamps: zeros.map((_, i) =>
        new Date(Date.parse(window.start) + i * window.periodSeconds * 1000).toISOString(),
      ),
      eventsPerSecond: zeros,
      eventsProcessedPerSecond: zeros,
      processorLagMs: zeros.map(() => null),
      cacheHitRatio: zeros.map(() => null),
      degradedShare: zeros.map(() => null),
      degradedByCause: {
        ModelShed: zeros,
        ModelBreakerOpen: zeros,
        ModelFailure: zeros,
        FeatureStoreFailure: zeros,
        DependencyFailure: zeros,
      },
      latencyMs: {},
    });
  }
}

const version = (n: number, status: ModelVersionRecord['status']): ModelVersionRecord => ({
  version: `v2026120${n}000000-0000000${n}`,
  status,
  createdAt: `2026-12-0${n}T00:00:00Z`,
  executionId: `run-${n}`,
  trigger: 'schedule',
});

async function world() {
  const registry = new MemoryModelRegistry();
  const features = new MemoryFeatureStore();
  const older = version(1, 'retired');
  const live = version(2, 'live');
  await registry.putVersion(older);
  await registry.putVersion(live);
  await registry.setLive({ version: live.version, modelDataUrl: 's3://b/k', endpointName: 'e', since: live.createdAt });
  let sequence = 0;
  const add = (modelVersion: string, kind: 'personal' | 'trending', day: string, value: Partial<AttributionCounts>) =>
    features.applyAttribution('shard-1', {
      modelVersion,
      kind,
      day,
      contributions: [{ sequenceNumber: String((sequence += 1)), value: counts(value) }],
    });
  return { registry, features, older, live, add };
}

describe('Function: statsReport', () => {
  it('returns the series of whole periods before now, the live model and the registry', async () => {
    // Prepare
    const { registry, features, live, older } = await world();
    const metrics = new FakeMetrics();

    // Act
    const report = await statsReport({ metrics, registry, attribution: features }, { minutes: 15, now: NOW });

    // Assess
    expect(metrics.asked).toEqual({
      start: '2026-12-07T11:45:30.000Z',
      end: '2026-12-07T12:00:30.000Z',
      periodSeconds: 10,
    });
    expect(report).toMatchObject({ source: 'local', generatedAt: new Date(NOW).toISOString(), window: metrics.asked });
    expect(report.series.timestamps).toHaveLength(90);
    expect(report.model.live?.version).toBe(live.version);
    expect(report.model.live?.status).toBe('live');
    expect(report.model.registry.map((record) => record.version)).toEqual([live.version, older.version]);
  });

  it('returns attribution summed per version and list kind over the configured days, with rates', async () => {
    // Prepare
    const { registry, features, live, older, add } = await world();
    await add(live.version, 'personal', '2026-12-07', { impressions: 10, clicks: 2, purchases: 1, revenue: 9.5 });
    await add(live.version, 'personal', '2026-12-05', { impressions: 10, clicks: 2 });
    await add(live.version, 'trending', '2026-12-07', { clicks: 1 });
    await add(older.version, 'personal', '2026-11-20', { impressions: 5, clicks: 5 });
    await add('popularity-v1', 'trending', '2026-12-06', { impressions: 4 });

    // Act
    const report = await statsReport(
      { metrics: new FakeMetrics(), registry, attribution: features, fallbackVersion: 'popularity-v1' },
      { minutes: 5, now: NOW },
    );

    // Assess
    const days = { fromDay: '2026-12-01', toDay: '2026-12-07' };
    expect(statsConfig.attributionDays).toBe(7);
    expect(report.attribution).toEqual([
      {
        modelVersion: live.version,
        listKind: 'personal',
        ...days,
        ...counts({ impressions: 20, clicks: 4, purchases: 1, revenue: 9.5 }),
        clickThroughRate: 0.2,
        conversionRate: 0.25,
      },
      {
        modelVersion: live.version,
        listKind: 'trending',
        ...days,
        ...counts({ clicks: 1 }),
        clickThroughRate: null,
        conversionRate: 0,
      },
      {
        modelVersion: 'popularity-v1',
        listKind: 'trending',
        ...days,
        ...counts({ impressions: 4 }),
        clickThroughRate: 0,
        conversionRate: null,
      },
    ]);
  });

  it('returns no live model and the fallback attribution only before the first model', async () => {
    // Act
    const report = await statsReport(
      {
        metrics: new FakeMetrics(),
        registry: new MemoryModelRegistry(),
        attribution: new MemoryFeatureStore(),
        fallbackVersion: 'popularity-v1',
      },
      { minutes: 180, now: NOW },
    );

    // Assess
    expect(report.model).toEqual({ live: null, registry: [] });
    expect(report.attribution).toEqual([]);
    expect(report.window.periodSeconds).toBe(60);
    expect(report.series.timestamps).toHaveLength(180);
  });

  it('names the same fallback causes as the recommend function counts', () => {
    expectTypeOf<FallbackMetric>().toEqualTypeOf<DegradedCause>();
  });
});
