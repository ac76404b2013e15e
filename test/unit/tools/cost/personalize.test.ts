import { describe, expect, it } from 'vitest';
import { defaultAssumptions } from '../../../../tools/cost/assumptions.ts';
import { personalize, tieredTpsHours } from '../../../../tools/cost/personalize.ts';
import { priceBook } from '../../../../tools/cost/prices.ts';
import { perDay, roundBench } from './fixtures.ts';

const prices = priceBook('us-east-1');

describe('Function: tieredTpsHours', () => {
  it('bills the first 20,000 TPS-hours at $0.20, the next 180,000 at $0.10, the rest at $0.05', () => {
    // Prepare: 250,000 TPS-hours = 20,000 × $0.20 + 180,000 × $0.10 + 50,000 × $0.05 = $4,000 + $18,000 + $2,500.
    // Act
    const usd = tieredTpsHours(250_000, prices.personalizeTpsHourTiers);
    // Assess
    expect(usd).toBeCloseTo(24_500, 6);
    expect(tieredTpsHours(730, prices.personalizeTpsHourTiers)).toBeCloseTo(146, 6);
  });
});

describe('Function: personalize', () => {
  it('bills a campaign its minimum TPS every hour when the shop is quiet', () => {
    // Prepare: 1 TPS × 730 h = 730 TPS-hours × $0.20 = $146; no events, no training.
    // Act
    const month = personalize({
      load: { eventsPerDay: 0, recommendationsPerDay: 0, catalogItems: 0, cacheHitRatio: 0.6 },
      prices,
      bench: roundBench,
      assumptions: defaultAssumptions,
    });
    // Assess
    expect(month.totalUsd).toBeCloseTo(146, 6);
  });

  it('bills the TPS used above the minimum, the events ingested and the daily training', () => {
    // Prepare: 7.3M lists a month = 7,300,000 / 2,628,000 s = 2.778 TPS × 730 h = 2,027.8 TPS-hours × $0.20 = $405.56;
    // 1M events a day: 30.4167M × 170 B = 5.171 GB × $0.05; 90M interactions × 0.1 h/M = 9 h × $0.24 × 30.4167 runs.
    const load = {
      eventsPerDay: 1_000_000,
      recommendationsPerDay: perDay(7_300_000),
      catalogItems: 0,
      cacheHitRatio: 0.6,
    };
    const expected = (7_300_000 / 3600) * 0.2 + ((1_000_000 * 730) / 24) * 170e-9 * 0.05 + 9 * 0.24 * (730 / 24);
    // Act
    const month = personalize({ load, prices, bench: roundBench, assumptions: defaultAssumptions });
    // Assess
    expect(month.totalUsd).toBeCloseTo(expected, 6);
  });
});
