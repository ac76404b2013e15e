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

describe('Function: apiGateway, volume tiers', () => {
  it('tiers both APIs’ requests together: 333M at $3.50, the next 667M at $2.80', () => {
    // Prepare: 500M storefront requests a month = 333M × $3.50/M + 167M × $2.80/M = $1,165.50 + $467.60 = $1,633.10.
    const ctx = context({ load: { recommendationsPerDay: perDay(500_000_000) } });
    // Act
    const [storefront] = apiGateway(ctx);
    // Assess
    expect(storefront?.usd).toBeCloseTo(1633.1, 6);
  });
});
