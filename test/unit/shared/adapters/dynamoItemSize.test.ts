import { marshall } from '@aws-sdk/util-dynamodb';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { measureItem } from '#shared/adapters/dynamoItemSize.ts';

/** dynalite's own count, which the local stand-in enforces (it counts characters, not UTF-8 bytes). */
const dynaliteItemSize = (
  createRequire(import.meta.url)('dynalite/db/index.js') as {
    itemSize: (item: unknown) => number;
  }
).itemSize;

const profileLike = {
  pk: 'U#u:alice',
  sk: 'PROFILE',
  featureVersion: 12,
  expiresAt: 1_790_000_000,
  profile: {
    recentItems: [{ itemId: 'sku-1', type: 'view', at: 1_767_225_600_000, weight: 1.5, purchased: false }],
    categoryAffinities: [{ category: 'kitchen', score: 0.123456789012, at: 1_767_225_600_000 }],
    seenEvents: [{ eventId: 'e1', recordId: 'shardId-000000000000:4965', viewedWith: [] }],
    erasedAt: undefined,
    negative: -12.5,
    nothing: null,
  },
};

describe('Function: measureItem', () => {
  it('returns at least what dynalite counts for ASCII content, within a byte per number', () => {
    // Act
    const measure = measureItem(profileLike);
    // Assess
    const dynalite = dynaliteItemSize(marshall(profileLike, { removeUndefinedValues: true }));
    expect(measure).toEqual({ bytes: expect.any(Number) });
    const bytes = 'bytes' in measure ? measure.bytes : 0;
    expect(bytes).toBeGreaterThanOrEqual(dynalite);
    expect(bytes - dynalite).toBeLessThanOrEqual(7);
  });

  it('returns strings and names counted in UTF-8 bytes', () => {
    // Act
    const ascii = measureItem({ name: 'x'.repeat(128) });
    const wide = measureItem({ name: '語'.repeat(128), é: [] });
    // Assess
    expect(ascii).toEqual({ bytes: 4 + 128 });
    expect(wide).toEqual({ bytes: 4 + 3 * 128 + 2 + 3 });
  });

  it.each([
    ['NaN', { score: Number.NaN }, 'profile.score'],
    ['Infinity', { score: Number.POSITIVE_INFINITY }, 'profile.score'],
    ['a key named constructor', { constructor: { score: 1 } }, 'profile.constructor'],
    ['an own key named __proto__', JSON.parse('{"__proto__": {"score": 1}}') as object, 'profile.__proto__'],
    ['a class instance', { at: new Date(0) }, 'profile.at'],
  ])('returns %s reported at its path instead of measured', (_, value, path) => {
    // Act
    const measure = measureItem({ profile: value });
    // Assess
    expect(measure).toMatchObject({ invalidAt: path });
  });

  it('returns a Map measured as a map, keys named like prototype members included', () => {
    // Act
    const measure = measureItem({ m: new Map([['constructor', 1]]) });
    // Assess
    expect(measure).toEqual({ bytes: 1 + 3 + 1 + 11 + 3 });
  });
});
