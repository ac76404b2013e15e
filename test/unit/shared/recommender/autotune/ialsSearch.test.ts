import { describe, expect, it } from 'vitest';
import { mulberry32 } from '#shared/random.ts';
import {
  candidateChanges,
  hasScaledValues,
  IALS_ANCHORS,
  type CandidateOptions,
} from '#shared/recommender/autotune/ialsSearch.ts';
import { IALS_DEFAULTS } from '#shared/recommender/algorithms/ials.ts';
import { rangeFor, type NumericRange } from '#shared/recommender/autotune/space.ts';

function options(overrides: Partial<CandidateOptions> = {}): CandidateOptions {
  return {
    defaults: IALS_DEFAULTS,
    fixed: new Set(),
    prefix: '',
    next: mulberry32(5),
    valuesMatter: false,
    ...overrides,
  };
}

describe('Function: hasScaledValues', () => {
  it('is false when no value would change a weight (none, or at most 1 per event)', () => {
    // Prepare
    const rows = [
      { userId: 'u', itemId: 'a', timestamp: 1 },
      { userId: 'u', itemId: 'b', timestamp: 2, eventValue: 1 },
      { userId: 'u', itemId: 'c', timestamp: 3, eventValue: 3, eventCount: 3 },
    ];

    // Act
    const scaled = hasScaledValues(rows);

    // Assess
    expect(scaled).toBe(false);
  });

  it('is true when one event carries a value above 1', () => {
    // Prepare
    const rows = [
      { userId: 'u', itemId: 'a', timestamp: 1 },
      { userId: 'u', itemId: 'b', timestamp: 2, eventValue: 4, eventCount: 2 },
    ];

    // Act
    const scaled = hasScaledValues(rows);

    // Assess
    expect(scaled).toBe(true);
  });
});

describe('Function: candidateChanges', () => {
  it('tries the literature anchors first, then random candidates', () => {
    // Act
    const candidates = candidateChanges(options(), {}, 6);

    // Assess
    expect(candidates).toHaveLength(6);
    expect(candidates[0]).toEqual({ unobservedWeight: 0.3, regularization: 0.007 });
    expect(IALS_ANCHORS[0]?.unobservedWeight).toBe(0.3);
    expect(new Set(candidates.map((c) => JSON.stringify(c))).size).toBe(6);
  });

  it('keeps names the caller set out of every candidate', () => {
    // Act
    const candidates = candidateChanges(
      options({ fixed: new Set(['unobservedWeight', 'regularization', 'decay.halfLifeDays']) }),
      {},
      9,
    );

    // Assess
    for (const candidate of candidates) {
      expect(candidate).not.toHaveProperty('unobservedWeight');
      expect(candidate).not.toHaveProperty('regularization');
      expect(candidate).not.toHaveProperty('decay.halfLifeDays');
    }
  });

  it('draws some candidates from the whole range, beyond twice or half the defaults, and all inside it', () => {
    // Act
    const candidates = candidateChanges(options(), {}, 61).slice(1);

    // Assess
    const range = rangeFor('unobservedWeight') as NumericRange;
    const values = candidates.map((c) => Number(c['unobservedWeight']));
    for (const value of values) expect(value >= range.min && value <= range.max).toBe(true);
    const far = values.filter((value) => value > 0.2 || value < 0.05);
    expect(far.length).toBeGreaterThanOrEqual(10);
    expect(far.length).toBeLessThanOrEqual(30);
  });

  it('flips EVENT_VALUE scaling only when the data has values it would change', () => {
    // Act
    const without = candidateChanges(options(), {}, 30);
    const withValues = candidateChanges(options({ valuesMatter: true }), {}, 30);

    // Assess
    expect(without.some((c) => 'eventValue.log' in c)).toBe(false);
    expect(withValues.some((c) => c['eventValue.log'] === false)).toBe(true);
  });

  it('prefixes the names inside the hybrid and keeps the base change', () => {
    // Prepare
    const defaults = { 'ials.alpha': 1, 'ials.unobservedWeight': 0.1, 'ials.regularization': 0.05 };

    // Act
    const [anchor, random] = candidateChanges(options({ defaults, prefix: 'ials.' }), { 'eventValue.log': false }, 2);

    // Assess
    expect(anchor).toEqual({ 'eventValue.log': false, 'ials.unobservedWeight': 0.3, 'ials.regularization': 0.007 });
    expect(random).toHaveProperty('ials.alpha');
    expect(random).toHaveProperty('eventValue.log', false);
  });
});
