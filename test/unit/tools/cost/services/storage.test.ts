import { describe, expect, it } from 'vitest';
import { dataLake } from '#shared/config/index.ts';
import { dynamoDb, s3 } from '../../../../../tools/cost/services/storage.ts';
import { context, perDay } from '../fixtures.ts';

describe('Function: s3', () => {
  it('holds the lake at steady state: 395 days of gzipped events', () => {
    // Prepare: 1,000,000 events/day × 170 B × 0.15 × 395 days = 10.0725 GB × $0.023 = $0.23167;
    // Firehose writes one object a minute: 43,800 PUT × $0.005/1,000 = $0.219.
    const ctx = context({ load: { eventsPerDay: 1_000_000 } });
    // Act
    const [lake] = s3(ctx);
    // Assess
    expect(dataLake.retentionDays).toBe(395);
    expect(lake?.usd).toBeCloseTo(10.0725 * 0.023 + 43.8 * 0.005, 6);
  });

  it('stores nothing in an idle month', () => {
    // Act
    const total = s3(context({})).reduce((sum, l) => sum + l.usd, 0);
    // Assess
    expect(total).toBe(0);
  });
});

describe('Function: dynamoDb', () => {
  it('prices on-demand writes per event and per list at the bench’s writes per event', () => {
    // Prepare: 1,000,000 events × 0.5 writes × 4 WRU = 2M WRU; 1,000,000 lists, all misses × 1 WRU = 1M;
    // 3M WRU × $0.625/M = $1.875.
    const ctx = context({
      load: { eventsPerDay: perDay(1_000_000), recommendationsPerDay: perDay(1_000_000), cacheHitRatio: 0 },
    });
    // Act
    const writes = dynamoDb(ctx).find((l) => l.item === 'on-demand writes');
    // Assess
    expect(writes?.usd).toBeCloseTo(1.875, 6);
  });

  it('prices on-demand reads: a profile per processor write and per list, more per miss', () => {
    // Prepare: (500,000 processor reads + 1,000,000 lists) × 2 RRU + 1,000,000 misses × 4 RRU = 7M RRU × $0.125/M = $0.875.
    const ctx = context({
      load: { eventsPerDay: perDay(1_000_000), recommendationsPerDay: perDay(1_000_000), cacheHitRatio: 0 },
    });
    // Act
    const reads = dynamoDb(ctx).find((l) => l.item === 'on-demand reads');
    // Assess
    expect(reads?.usd).toBeCloseTo(0.875, 6);
  });
});
