import { describe, expect, it } from 'vitest';
import { apiGateway, dataTransfer } from '../../../../../tools/cost/services/api.ts';
import { context, perDay } from '../fixtures.ts';

describe('Function: apiGateway', () => {
  it('prices REST requests of both APIs: events in requests of 5, lists, catalogue syncs', () => {
    // Prepare: 5,000,000 events / 5 = 1,000,000 requests + 1,000,000 lists = 2M × $3.50/M = $7.00;
    // 1,000 items in requests of 100 = 10 a sync, once a day × 30.4167 days = 304.17 × $3.50/M.
    const ctx = context({
      load: { eventsPerDay: perDay(5_000_000), recommendationsPerDay: perDay(1_000_000), catalogItems: 1000 },
    });
    // Act
    const [storefront, server] = apiGateway(ctx);
    // Assess
    expect(storefront?.usd).toBeCloseTo(7, 6);
    expect(server?.usd).toBeCloseTo(((10 * 730) / 24 / 1e6) * 3.5, 9);
  });
});

describe('Function: dataTransfer', () => {
  it('prices the lists sent out at the bench response size', () => {
    // Prepare: 1,000,000 lists × 1,000 B = 1 GB × $0.09.
    const ctx = context({ load: { recommendationsPerDay: perDay(1_000_000) } });
    // Act
    const [line] = dataTransfer(ctx);
    // Assess
    expect(line?.usd).toBeCloseTo(0.09, 6);
  });
});
