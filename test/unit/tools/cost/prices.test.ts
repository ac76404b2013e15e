import { describe, expect, it } from 'vitest';
import { priceBook, SUPPORTED_REGIONS, UnsupportedRegionError, type Price } from '../../../../tools/cost/prices.ts';

function allPrices(value: unknown, path = ''): [string, Price][] {
  if (typeof value !== 'object' || value === null) return [];
  if ('usd' in value) return [[path, value as Price]];
  return Object.entries(value).flatMap(([key, inner]) => allPrices(inner, path === '' ? key : `${path}.${key}`));
}

describe('Function: priceBook', () => {
  it('dates every price and names its source page', () => {
    // Act
    const prices = allPrices(priceBook('us-east-1'));
    // Assess
    expect(prices.length).toBeGreaterThan(40);
    for (const [key, price] of prices) {
      expect(price.usd, key).toBeGreaterThan(0);
      expect(price.taken, key).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(price.source, key).toMatch(/^https:\/\/aws\.amazon\.com\//);
      expect(price.unit, key).not.toBe('');
    }
  });

  it('rejects a region without prices, naming the supported ones', () => {
    // Act
    const attempt = () => priceBook('eu-west-1');
    // Assess
    expect(attempt).toThrow(UnsupportedRegionError);
    expect(attempt).toThrow(`no prices for region eu-west-1; supported: ${SUPPORTED_REGIONS.join(', ')}`);
  });
});
