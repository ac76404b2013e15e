import { describe, expect, it } from 'vitest';
import { deploymentShapes } from '#shared/config/shapes.ts';
import { firehose, kinesis } from '../../../../../tools/cost/services/stream.ts';
import { context, perDay } from '../fixtures.ts';

const GIB_OF_KB_RECORDS = 1024 * 1024; // 1,048,576 records of 1 KB = 1 GB

describe('Function: kinesis', () => {
  it('prices an on-demand stream: stream-hours, data in rounded up to 1 KB, data out for both consumers', () => {
    // Prepare: 730 h × $0.04 = $29.20; 1,048,576 records of 170 B, billed as 1 KB = 1 GB × $0.08 + 2 × 1 GB × $0.04 = $0.16.
    const ctx = context({ load: { eventsPerDay: perDay(GIB_OF_KB_RECORDS) } });
    // Act
    const [hours, data] = kinesis(ctx);
    // Assess
    expect(hours?.usd).toBeCloseTo(29.2, 6);
    expect(data?.usd).toBeCloseTo(0.16, 6);
  });

  it('prices a provisioned stream: shard-hours and PUT payload units of 25 KB', () => {
    // Prepare: 1 shard × 730 h × $0.015 = $10.95; 1,000,000 records of 170 B = 1,000,000 units × $0.014/M = $0.014.
    const ctx = context({ load: { eventsPerDay: perDay(1_000_000) }, shape: deploymentShapes.lean });
    // Act
    const [shards, units] = kinesis(ctx);
    // Assess
    expect(shards?.usd).toBeCloseTo(10.95, 6);
    expect(units?.usd).toBeCloseTo(0.014, 6);
  });
});

describe('Function: firehose', () => {
  it('rounds each record up to 5 KB', () => {
    // Prepare: 1,048,576 records × 5 KB = 5 GB × $0.029 = $0.145.
    const ctx = context({ load: { eventsPerDay: perDay(GIB_OF_KB_RECORDS) } });
    // Act
    const [line] = firehose(ctx);
    // Assess
    expect(line?.usd).toBeCloseTo(0.145, 6);
  });
});
