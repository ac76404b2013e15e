import { describe, expect, it } from 'vitest';
import type { Interaction, TrainingData } from '#shared/recommender/model.ts';
import {
  latestInteraction,
  sampleNegatives,
  splitData,
  timeCutoff,
  validationSplit,
  withEventTypes,
} from '#shared/recommender/evaluation/splits.ts';
import { mulberry32 } from '#shared/recommender/evaluation/random.ts';
import { syntheticData } from './fakes.ts';

const DATA = syntheticData(300, 200);

/** Items each user touched in `interactions`. */
function itemsByUser(interactions: readonly Interaction[]): Map<string, Set<string>> {
  const byUser = new Map<string, Set<string>>();
  for (const { userId, itemId } of interactions) byUser.set(userId, (byUser.get(userId) ?? new Set()).add(itemId));
  return byUser;
}

const at = (userId: string, itemId: string, timestamp: number): Interaction => ({ userId, itemId, timestamp });

describe('Function: splitData (loo-sampled)', () => {
  it('holds out one item per user that never appears in that user’s training interactions', () => {
    // Prepare
    const options = { protocol: 'loo-sampled', seed: 7 } as const;

    // Act
    const split = splitData(DATA, options);

    // Assess
    const train = itemsByUser(split.train.interactions);
    expect(split.cases.length).toBeGreaterThan(250);
    for (const testCase of split.cases) {
      expect(testCase.relevant.size).toBe(1);
      const [heldOut] = testCase.relevant;
      expect(train.get(testCase.userId)?.has(heldOut as string)).toBe(false);
    }
  });

  it('holds out each user’s latest interaction', () => {
    // Prepare
    const options = { protocol: 'loo-sampled', seed: 7 } as const;

    // Act
    const split = splitData(DATA, options);

    // Assess
    const latest = new Map<string, number>();
    for (const i of DATA.interactions) latest.set(i.userId, Math.max(latest.get(i.userId) ?? 0, i.timestamp));
    for (const testCase of split.cases) {
      const [heldOut] = testCase.relevant;
      const times = DATA.interactions
        .filter((i) => i.userId === testCase.userId && i.itemId === heldOut)
        .map((i) => i.timestamp);
      expect(Math.max(...times)).toBe(latest.get(testCase.userId));
    }
  });

  it('ranks the held-out item among 99 sampled items the user never touched', () => {
    // Prepare
    const touched = itemsByUser(DATA.interactions);

    // Act
    const split = splitData(DATA, { protocol: 'loo-sampled', seed: 7, negatives: 99 });

    // Assess
    for (const testCase of split.cases) {
      const candidates = testCase.candidates ?? [];
      expect(candidates).toHaveLength(100);
      expect(new Set(candidates).size).toBe(100);
      const negatives = candidates.filter((itemId) => !testCase.relevant.has(itemId));
      expect(negatives).toHaveLength(99);
      expect(negatives.some((itemId) => touched.get(testCase.userId)?.has(itemId))).toBe(false);
    }
  });

  it('is deterministic for a seed and differs between seeds', () => {
    // Prepare
    const options = { protocol: 'loo-sampled', seed: 3 } as const;

    // Act
    const first = splitData(DATA, options);
    const second = splitData(DATA, options);
    const other = splitData(DATA, { ...options, seed: 4 });

    // Assess
    expect(second.cases).toEqual(first.cases);
    expect(second.train).toEqual(first.train);
    expect(other.cases.map((c) => c.candidates)).not.toEqual(first.cases.map((c) => c.candidates));
  });

  it('does not depend on the order of the interactions', () => {
    // Prepare
    const reversed: TrainingData = { interactions: [...DATA.interactions].reverse(), catalogue: [] };

    // Act
    const forward = splitData(DATA, { protocol: 'loo-sampled', seed: 3 });
    const backward = splitData(reversed, { protocol: 'loo-sampled', seed: 3 });

    // Assess
    const heldOut = (cases: typeof forward.cases): Record<string, string[]> =>
      Object.fromEntries(cases.map((c) => [c.userId, [...c.relevant]]));
    expect(heldOut(backward.cases)).toEqual(heldOut(forward.cases));
  });

  it('keeps users with fewer than two distinct items in training without testing them', () => {
    // Prepare
    const data: TrainingData = {
      interactions: [at('solo', 'a', 1), at('solo', 'a', 2), at('u', 'a', 1), at('u', 'b', 2), at('v', 'c', 1)],
      catalogue: [],
    };

    // Act
    const split = splitData(data, { protocol: 'loo-full' });

    // Assess
    expect(split.cases).toEqual([{ userId: 'u', relevant: new Set(['b']) }]);
    expect(split.usersNotEvaluated).toBe(2);
    expect(split.train.interactions).toEqual([
      at('solo', 'a', 1),
      at('solo', 'a', 2),
      at('u', 'a', 1),
      at('v', 'c', 1),
    ]);
  });

  it('removes repeat interactions with the held-out item from training', () => {
    // Prepare
    const data: TrainingData = {
      interactions: [at('u', 'a', 1), at('u', 'b', 2), at('u', 'a', 3)],
      catalogue: [],
    };

    // Act
    const split = splitData(data, { protocol: 'loo-full' });

    // Assess
    expect(split.cases[0]?.relevant).toEqual(new Set(['a']));
    expect(split.train.interactions).toEqual([at('u', 'b', 2)]);
  });

  it('evaluates a seeded sample of users when maxUsers is set', () => {
    // Prepare
    const options = { protocol: 'loo-full', seed: 5, maxUsers: 50 } as const;

    // Act
    const split = splitData(DATA, options);

    // Assess
    expect(split.cases).toHaveLength(50);
    expect(splitData(DATA, options).cases.map((c) => c.userId)).toEqual(split.cases.map((c) => c.userId));
  });

  it('throws when no user has two distinct items', () => {
    // Prepare
    const data: TrainingData = { interactions: [at('u', 'a', 1)], catalogue: [] };

    // Act
    const split = (): unknown => splitData(data, { protocol: 'loo-sampled' });

    // Assess
    expect(split).toThrow(/no user can be evaluated under loo-sampled/);
  });
});

describe('Function: latestInteraction', () => {
  it('breaks timestamp ties by a seeded hash, whatever the order', () => {
    // Prepare
    const basket = ['a', 'b', 'c', 'd', 'e'].map((itemId) => at('u', itemId, 10));
    const forward = basket.map((_, i) => i);

    // Act
    const chosen = (basket[latestInteraction(basket, forward, 1)] as Interaction).itemId;
    const chosenReversed = (basket[latestInteraction(basket, [...forward].reverse(), 1)] as Interaction).itemId;
    const bySeed = new Set([1, 2, 3, 4, 5, 6, 7, 8].map((seed) => basket[latestInteraction(basket, forward, seed)]));

    // Assess
    expect(chosenReversed).toBe(chosen);
    expect(bySeed.size).toBeGreaterThan(1);
  });

  it('prefers a later timestamp over any tie-break', () => {
    // Prepare
    const interactions = [at('u', 'z', 5), at('u', 'a', 9), at('u', 'y', 5)];

    // Act
    const index = latestInteraction(interactions, [0, 1, 2], 1);

    // Assess
    expect(index).toBe(1);
  });
});

describe('Function: sampleNegatives', () => {
  it('returns every eligible item when fewer exist than asked for', () => {
    // Prepare
    const universe = ['a', 'b', 'c', 'd'];

    // Act
    const sampled = sampleNegatives(universe, new Set(['a', 'x']), 10, mulberry32(1));

    // Assess
    expect(sampled).toEqual(['b', 'c', 'd']);
  });

  it('samples without replacement and never an excluded item', () => {
    // Prepare
    const universe = Array.from({ length: 30 }, (_, i) => `i${i}`);
    const exclude = new Set(['i0', 'i1', 'i2']);

    // Act
    const sampled = sampleNegatives(universe, exclude, 20, mulberry32(9));

    // Assess
    expect(new Set(sampled).size).toBe(20);
    expect(sampled.some((itemId) => exclude.has(itemId))).toBe(false);
  });
});

describe('Function: splitData (time-split)', () => {
  it('trains only on interactions before the cutoff and tests on items first met after it', () => {
    // Prepare
    const options = { protocol: 'time-split', quantile: 0.7 } as const;

    // Act
    const split = splitData(DATA, options);

    // Assess
    const cutoff = split.cutoff as number;
    expect(cutoff).toBe(timeCutoff(DATA.interactions, 0.7));
    expect(split.train.interactions.every((i) => i.timestamp < cutoff)).toBe(true);
    const train = itemsByUser(split.train.interactions);
    expect(split.cases.length).toBeGreaterThan(0);
    for (const testCase of split.cases) {
      const history = train.get(testCase.userId);
      expect(history).toBeDefined();
      for (const itemId of testCase.relevant) {
        expect(history?.has(itemId)).toBe(false);
        const later = DATA.interactions.some(
          (i) => i.userId === testCase.userId && i.itemId === itemId && i.timestamp >= cutoff,
        );
        expect(later).toBe(true);
      }
    }
  });

  it('leaves out users without history before the cutoff', () => {
    // Prepare
    const data: TrainingData = {
      interactions: [at('old', 'a', 1), at('old', 'b', 2), at('old', 'c', 9), at('new', 'a', 9), at('new', 'b', 10)],
      catalogue: [],
    };

    // Act
    const split = splitData(data, { protocol: 'time-split', quantile: 0.5 });

    // Assess
    expect(split.cutoff).toBe(9);
    expect(split.cases).toEqual([{ userId: 'old', relevant: new Set(['c']) }]);
    expect(split.usersNotEvaluated).toBe(1);
  });
});

describe('Function: validationSplit', () => {
  it('never uses the test split’s held-out interactions', () => {
    // Prepare
    const options = { protocol: 'loo-sampled', seed: 11 } as const;
    const test = splitData(DATA, options);

    // Act
    const validation = validationSplit(DATA, options);

    // Assess
    expect(validation.train.interactions.length).toBeLessThan(test.train.interactions.length);
    const testTrain = new Set(test.train.interactions);
    expect(validation.train.interactions.every((i) => testTrain.has(i))).toBe(true);
    const heldOut = new Map(test.cases.map((c) => [c.userId, [...c.relevant][0]]));
    for (const testCase of validation.cases)
      expect(testCase.relevant.has(heldOut.get(testCase.userId) ?? '')).toBe(false);
  });
});

describe('Function: withEventTypes', () => {
  it('keeps the named event types and untyped interactions', () => {
    // Prepare
    const data: TrainingData = {
      interactions: [
        { userId: 'u', itemId: 'a', timestamp: 1, eventType: 'purchase' },
        { userId: 'u', itemId: 'b', timestamp: 2, eventType: 'return' },
        { userId: 'u', itemId: 'c', timestamp: 3 },
      ],
      catalogue: [],
    };

    // Act
    const kept = withEventTypes(data, ['purchase']);

    // Assess
    expect(kept.interactions.map((i) => i.itemId)).toEqual(['a', 'c']);
  });
});
