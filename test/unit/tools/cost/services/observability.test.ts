import { describe, expect, it } from 'vitest';
import { SECONDS_PER_MONTH } from '../../../../../tools/cost/assumptions.ts';
import { cloudWatch, sampledTraces } from '../../../../../tools/cost/services/observability.ts';
import { context, perDay } from '../fixtures.ts';

describe('Function: sampledTraces', () => {
  it('records the first request each second and 5 % of the rest', () => {
    // Prepare: at 10 requests/s: 1 + 0.05 × 9 = 1.45 traces/s × 2,628,000 s = 3,810,600 (× $5/M = $19.05).
    // Act
    const traces = sampledTraces(10, 1, 0.05);
    // Assess
    expect(traces).toBeCloseTo(3_810_600, 3);
    expect(sampledTraces(0.5, 1, 0.05)).toBeCloseTo(0.5 * SECONDS_PER_MONTH, 3);
  });
});

describe('Function: cloudWatch', () => {
  it('bills the alarms in an idle month and no custom metrics', () => {
    // Prepare: 12 alarm metrics × $0.10 = $1.20; EMF metrics are only billed in hours they are emitted.
    // Act
    const lines = cloudWatch(context({}));
    // Assess
    expect(lines.find((l) => l.item === 'alarms')?.usd).toBeCloseTo(1.2, 9);
    expect(lines.find((l) => l.item === 'custom metrics (EMF)')?.usd).toBe(0);
  });

  it('prices log ingestion at $0.50 a GB', () => {
    // Prepare: 1M lists, no VPC flow logs counted apart: 1M invocations × 1,200 B + 1M access-log lines × 600 B
    // = 1.8 GB × $0.50 = $0.90; stored: 1.8 GB × (30 / 30.4167 days) × 0.15 × $0.03.
    const ctx = context({
      load: { recommendationsPerDay: perDay(1_000_000) },
      assumptions: { flowLogBytesPerRequest: 0 },
    });
    // Act
    const logs = cloudWatch(ctx).find((l) => l.item === 'logs ingested and stored');
    // Assess
    expect(logs?.usd).toBeCloseTo(0.9 + 1.8 * (30 / (730 / 24)) * 0.15 * 0.03, 6);
  });
});
