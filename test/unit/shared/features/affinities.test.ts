import { describe, expect, it } from 'vitest';
import { featureLimits } from '#shared/config/index.ts';
import { affinityRecord } from '#shared/features/affinities.ts';
import { absorbProfile, emptyProfile, foldShopperEvents } from '#shared/features/profile.ts';
import type { StreamEvent } from '#shared/events/schema.ts';

const T = Date.parse('2026-06-15T12:00:00.000Z');
const PROTOTYPE_NAMES = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'];
const view = (n: number, categories: readonly string[], at = T) => ({
  recordId: `shard-0:${n}`,
  event: {
    eventId: `e${n}`,
    type: 'view',
    userId: 'alice',
    itemId: `sku-${n}`,
    timestamp: at,
    receivedAt: at,
  } as StreamEvent,
  categories,
});

describe('Function: affinityRecord', () => {
  it('returns the strongest featureLimits.categoryAffinitiesPerUser, decayed to the newest, without a prototype', () => {
    // Prepare: older scores are weaker once decayed, however large they were.
    const halfLife = featureLimits.affinityHalfLifeSeconds * 1000;
    const entries = Array.from(
      { length: 60 },
      (_, i) => [`c${i}`, { score: 10, at: T - (60 - i) * halfLife }] as const,
    );
    // Act
    const record = affinityRecord(entries);
    // Assess
    expect(Object.getPrototypeOf(record)).toBeNull();
    expect(Object.keys(record).sort()).toEqual(
      entries
        .slice(10)
        .map(([name]) => name)
        .sort(),
    );
  });
});

describe('Function: foldShopperEvents (category affinities)', () => {
  it('returns an affinity per category named like a prototype member, counted like any other', () => {
    // Act
    const { profile } = foldShopperEvents(emptyProfile, [view(1, PROTOTYPE_NAMES), view(2, PROTOTYPE_NAMES)]);
    // Assess
    expect(
      Object.entries(profile.categoryAffinities)
        .map(([name, a]) => [name, a.score])
        .sort(),
    ).toEqual(PROTOTYPE_NAMES.map((name) => [name, 2]).sort());
    // Serialised (the memory store's copies, a cache) and parsed back, it is still an own entry.
    const parsed = JSON.parse(JSON.stringify(profile.categoryAffinities)) as object;
    expect(Object.getOwnPropertyDescriptor(parsed, '__proto__')?.value).toMatchObject({ score: 2 });
  });

  it('returns at most featureLimits.categoryAffinitiesPerUser affinities, the most recent kept', () => {
    // Prepare
    const inputs = Array.from({ length: 30 }, (_, i) => view(i, [`a${i}`, `b${i}`, `c${i}`], T + i * 60_000));
    // Act
    const { profile } = foldShopperEvents(emptyProfile, inputs);
    // Assess
    const names = Object.keys(profile.categoryAffinities);
    expect(names).toHaveLength(featureLimits.categoryAffinitiesPerUser);
    expect(names).toContain('a29');
    expect(names).not.toContain('a0');
  });

  it('returns affinities named like prototype members merged when an anonymous history is absorbed', () => {
    // Prepare
    const anonymous = foldShopperEvents(emptyProfile, [view(1, ['constructor', '__proto__'])]).profile;
    const user = foldShopperEvents(emptyProfile, [view(2, ['constructor'])]).profile;
    // Act
    const merged = absorbProfile(user, anonymous);
    // Assess
    expect(
      Object.entries(merged.categoryAffinities)
        .map(([name, a]) => [name, a.score])
        .sort(),
    ).toEqual([
      ['__proto__', 1],
      ['constructor', 2],
    ]);
  });
});
