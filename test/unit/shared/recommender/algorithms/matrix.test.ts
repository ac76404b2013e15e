import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  buildInteractionMatrix,
  eventWeightParam,
  EventWeighting,
  transpose,
  WEIGHTING_PARAMS,
} from '#shared/recommender/matrix.ts';
import type { Interaction } from '#shared/recommender/model.ts';

const DAY = 86_400;

function valueOf(
  matrix: ReturnType<typeof buildInteractionMatrix>,
  userId: string,
  itemId: string,
): number | undefined {
  const u = matrix.userIndex.get(userId) as number;
  const i = matrix.itemIndex.get(itemId) as number;
  for (let p = matrix.byUser.pointers[u] as number; p < (matrix.byUser.pointers[u + 1] as number); p++) {
    if (matrix.byUser.indices[p] === i) return matrix.byUser.values[p];
  }
  return undefined;
}

describe('Matrix: interaction matrix', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('sums duplicate events of a pair with their event-type weights', () => {
    // Prepare
    const interactions: Interaction[] = [
      { userId: 'ann', itemId: 'mug', timestamp: 100, eventType: 'view' },
      { userId: 'ann', itemId: 'mug', timestamp: 100, eventType: 'view' },
      { userId: 'ann', itemId: 'mug', timestamp: 100, eventType: 'add_to_cart' },
      { userId: 'ann', itemId: 'mug', timestamp: 100, eventType: 'purchase' },
    ];

    // Act
    const matrix = buildInteractionMatrix(
      interactions,
      new EventWeighting({ [WEIGHTING_PARAMS.decayHalfLifeDays]: 0 }),
    );

    // Assess
    expect(valueOf(matrix, 'ann', 'mug')).toBe(1 + 1 + 4 + 8);
    expect(matrix.byUser.indices).toHaveLength(1);
  });

  it('drops pairs whose total is not positive, so a returned purchase counts only its views', () => {
    // Prepare
    const interactions: Interaction[] = [
      { userId: 'ann', itemId: 'mug', timestamp: 100, eventType: 'purchase' },
      { userId: 'ann', itemId: 'mug', timestamp: 100, eventType: 'return' },
      { userId: 'bob', itemId: 'mug', timestamp: 100, eventType: 'view' },
      { userId: 'bob', itemId: 'mug', timestamp: 100, eventType: 'purchase' },
      { userId: 'bob', itemId: 'mug', timestamp: 100, eventType: 'return' },
    ];

    // Act
    const matrix = buildInteractionMatrix(
      interactions,
      new EventWeighting({ [WEIGHTING_PARAMS.decayHalfLifeDays]: 0 }),
    );

    // Assess
    expect(valueOf(matrix, 'ann', 'mug')).toBeUndefined();
    expect(valueOf(matrix, 'bob', 'mug')).toBe(1);
    expect(matrix.purchases.indices).toHaveLength(0);
  });

  it('halves a weight per half-life before the newest interaction', () => {
    // Prepare
    const interactions: Interaction[] = [
      { userId: 'ann', itemId: 'old', timestamp: 0, eventType: 'view' },
      { userId: 'ann', itemId: 'new', timestamp: 20 * DAY, eventType: 'view' },
    ];

    // Act
    const matrix = buildInteractionMatrix(
      interactions,
      new EventWeighting({ [WEIGHTING_PARAMS.decayHalfLifeDays]: 10 }),
    );

    // Assess
    expect(valueOf(matrix, 'ann', 'old')).toBeCloseTo(0.25, 6);
    expect(valueOf(matrix, 'ann', 'new')).toBe(1);
  });

  it('measures ages from each shopper’s own newest event with decay.reference "user"', () => {
    // Prepare
    const interactions: Interaction[] = [
      { userId: 'ann', itemId: 'old', timestamp: 0, eventType: 'view' },
      { userId: 'ann', itemId: 'new', timestamp: 10 * DAY, eventType: 'view' },
      { userId: 'bob', itemId: 'new', timestamp: 1_000 * DAY, eventType: 'view' },
    ];

    // Act
    const user = buildInteractionMatrix(
      interactions,
      new EventWeighting({ [WEIGHTING_PARAMS.decayHalfLifeDays]: 10, [WEIGHTING_PARAMS.decayReference]: 'user' }),
    );
    const global = buildInteractionMatrix(
      interactions,
      new EventWeighting({ [WEIGHTING_PARAMS.decayHalfLifeDays]: 10 }),
    );

    // Assess
    // Ann was last active 990 days before Bob: per shopper, her history keeps its full strength.
    expect(valueOf(user, 'ann', 'new')).toBe(1);
    expect(valueOf(user, 'ann', 'old')).toBeCloseTo(0.5, 6);
    expect(valueOf(user, 'bob', 'new')).toBe(1);
    // Without the parameter (artifacts written before it existed) ages count from the newest event overall.
    expect(valueOf(global, 'ann', 'new')).toBeCloseTo(2 ** -99, 30);
    expect(() => new EventWeighting({ [WEIGHTING_PARAMS.decayReference]: 'shop' })).toThrow(
      'decay.reference must be "user" or "global"',
    );
  });

  it('scales by 1 + ln(quantity) and honours weight hyperparameters', () => {
    // Prepare
    const weighting = new EventWeighting({
      [WEIGHTING_PARAMS.decayHalfLifeDays]: 0,
      [eventWeightParam('purchase')]: 10,
    });

    // Act
    const weight = weighting.eventWeight('purchase', Math.E * Math.E, 0, 0);

    // Assess
    expect(weight).toBeCloseTo(10 * 3, 6);
  });

  it('weights unknown event types 1 and names them all in one warning', () => {
    // Prepare
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const interactions: Interaction[] = [
      { userId: 'ann', itemId: 'mug', timestamp: 0, eventType: 'wishlist' },
      { userId: 'bob', itemId: 'mug', timestamp: 0, eventType: 'wishlist' },
      { userId: 'bob', itemId: 'cup', timestamp: 0, eventType: 'share' },
    ];

    // Act
    const matrix = buildInteractionMatrix(
      interactions,
      new EventWeighting({ [WEIGHTING_PARAMS.decayHalfLifeDays]: 0 }),
    );

    // Assess
    expect(valueOf(matrix, 'ann', 'mug')).toBe(1);
    expect(warn).toHaveBeenCalledTimes(1);
    const message = String(warn.mock.calls[0]?.[0]);
    expect(message).toContain('"wishlist" (2 rows), "share" (1 rows)');
    expect(message).toContain('each weighted 1');
    expect(message).toContain('weight.wishlist=');
    warn.mockRestore();
  });

  it('does not warn again when another matrix is built from the same event types', () => {
    // Prepare
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const interactions: Interaction[] = [{ userId: 'ann', itemId: 'mug', timestamp: 0, eventType: 'rating' }];
    const weighting = { [WEIGHTING_PARAMS.decayHalfLifeDays]: 0 };

    // Act
    for (let n = 0; n < 3; n++) buildInteractionMatrix(interactions, new EventWeighting(weighting));

    // Assess
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]?.[0])).toContain('1 event type without a weight');
    warn.mockRestore();
  });

  it('indexes catalogue items first and keeps the item → shopper transpose consistent', () => {
    // Prepare
    const interactions: Interaction[] = [
      { userId: 'ann', itemId: 'cup', timestamp: 0 },
      { userId: 'bob', itemId: 'mug', timestamp: 0 },
      { userId: 'bob', itemId: 'cup', timestamp: 0 },
    ];

    // Act
    const matrix = buildInteractionMatrix(interactions, new EventWeighting(), { itemIds: ['plate', 'mug'] });

    // Assess
    expect(matrix.itemIds).toEqual(['plate', 'mug', 'cup']);
    const cup = matrix.itemIndex.get('cup') as number;
    const { pointers, indices } = matrix.byItem;
    expect(Array.from(indices.subarray(pointers[cup], pointers[cup + 1]))).toEqual([0, 1]);
    expect(transpose(matrix.byItem, matrix.userIds.length)).toEqual(matrix.byUser);
  });

  it('weighs a row with an event count as that many events of its mean quantity', () => {
    // Prepare
    const weighting = new EventWeighting({ [WEIGHTING_PARAMS.decayHalfLifeDays]: 0 });
    const single = { userId: 'ann', itemId: 'mug', timestamp: 100, eventType: 'purchase', eventValue: 3 };

    // Act
    const counted = weighting.rowWeight({ ...single, eventValue: 9, eventCount: 3 }, 100);

    // Assess
    expect(counted).toBeCloseTo(3 * weighting.rowWeight(single, 100), 12);
    expect(weighting.rowWeight(single, 100)).toBe(8 * (1 + Math.log(3)));
  });

  it('ages a counted row from its timestamp, the latest of its events', () => {
    // Prepare
    const weighting = new EventWeighting({ [WEIGHTING_PARAMS.decayHalfLifeDays]: 1 });

    // Act
    const weight = weighting.rowWeight(
      { userId: 'ann', itemId: 'mug', timestamp: 1000, eventType: 'view', eventCount: 4 },
      1000 + DAY,
    );

    // Assess
    expect(weight).toBeCloseTo(2, 12);
  });

  it('builds the same matrix from n identical rows and from one row counting n, purchases and returns netted', () => {
    // Prepare
    const raw: Interaction[] = [
      ...Array.from({ length: 3 }, () => ({ userId: 'ann', itemId: 'mug', timestamp: 100, eventType: 'view' })),
      ...Array.from({ length: 2 }, () => ({ userId: 'ann', itemId: 'cup', timestamp: 90, eventType: 'purchase' })),
      { userId: 'ann', itemId: 'cup', timestamp: 95, eventType: 'return' },
      ...Array.from({ length: 2 }, () => ({ userId: 'bob', itemId: 'cup', timestamp: 80, eventType: 'return' })),
      { userId: 'bob', itemId: 'cup', timestamp: 70, eventType: 'purchase' },
      { userId: 'bob', itemId: 'cup', timestamp: 70, eventType: 'view' },
    ];
    const counted: Interaction[] = [
      { userId: 'ann', itemId: 'mug', timestamp: 100, eventType: 'view', eventCount: 3 },
      { userId: 'ann', itemId: 'cup', timestamp: 90, eventType: 'purchase', eventCount: 2 },
      { userId: 'ann', itemId: 'cup', timestamp: 95, eventType: 'return' },
      { userId: 'bob', itemId: 'cup', timestamp: 80, eventType: 'return', eventCount: 2 },
      { userId: 'bob', itemId: 'cup', timestamp: 70, eventType: 'purchase' },
      { userId: 'bob', itemId: 'cup', timestamp: 70, eventType: 'view' },
    ];

    // Act
    const fromRaw = buildInteractionMatrix(raw, new EventWeighting());
    const fromCounted = buildInteractionMatrix(counted, new EventWeighting());

    // Assess
    expect(fromCounted).toEqual(fromRaw);
    expect(Array.from(fromCounted.purchases.values)).toEqual([1]);
    expect(valueOf(fromCounted, 'ann', 'mug')).toBe(3);
  });
});
