import { describe, expect, it } from 'vitest';
import { addRecentItem, isOrderedRecentItems, mergeRecentItems } from '#shared/features/recentItems.ts';
import type { RecentItem } from '#shared/ports/index.ts';

const T = Date.parse('2026-06-15T12:00:00.000Z');

const item = (itemId: string, at: number, extra: Partial<RecentItem> = {}): RecentItem => ({
  itemId,
  type: 'view',
  at,
  weight: 1,
  purchased: false,
  ...extra,
});

/** A small deterministic generator, so a failure names a reproducible case. */
function generator(seed: number) {
  let state = seed;
  return (below: number) => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return (state >>> 8) % below;
  };
}

describe('Function: mergeRecentItems', () => {
  it('keeps one entry per item, newest first, adding weights and keeping purchases', () => {
    // Act
    const merged = mergeRecentItems(
      [item('a', T - 2), item('b', T - 1, { purchased: true, sessionId: 's1' })],
      [item('b', T, { type: 'click', weight: 2 })],
    );

    // Assess
    expect(merged).toEqual([
      { itemId: 'b', type: 'click', at: T, weight: 3, purchased: true },
      { itemId: 'a', type: 'view', at: T - 2, weight: 1, purchased: false },
    ]);
  });
});

describe('Function: isOrderedRecentItems', () => {
  it('accepts what mergeRecentItems returns', () => {
    // Act
    const merged = mergeRecentItems([], [item('b', T), item('a', T), item('c', T + 1)]);

    // Assess
    expect(isOrderedRecentItems(merged)).toBe(true);
  });

  it('rejects lists out of order, with repeated items or with ties', () => {
    // Assess
    expect(isOrderedRecentItems([item('a', T - 1), item('b', T)])).toBe(false);
    expect(isOrderedRecentItems([item('a', T), item('a', T - 1)])).toBe(false);
    expect(isOrderedRecentItems([item('b', T), item('a', T)])).toBe(false);
    expect(isOrderedRecentItems([item('a', Number.NaN)])).toBe(true);
    expect(isOrderedRecentItems([item('a', Number.NaN), item('b', T)])).toBe(false);
  });
});

describe('Function: addRecentItem', () => {
  it('changes an ordered list in place exactly as mergeRecentItems would', () => {
    const next = generator(42);
    for (let round = 0; round < 2_000; round++) {
      // Prepare: ordered lists of up to 8 items drawn from 10 ids, with repeated timestamps.
      const limit = 1 + next(8);
      const existing = mergeRecentItems(
        [],
        Array.from({ length: next(12) }, () =>
          item(`i${next(10)}`, T + next(6), { purchased: next(4) === 0, ...(next(2) ? { sessionId: 's' } : {}) }),
        ),
        limit,
      );
      const entry = item(`i${next(10)}`, T + next(7), { type: 'click', weight: 2, purchased: next(3) === 0 });
      const items = existing.slice();

      // Act
      const added = addRecentItem(items, entry, limit);

      // Assess
      expect(added).toBe(true);
      expect(items).toEqual(mergeRecentItems(existing, [entry], limit));
      expect(isOrderedRecentItems(items)).toBe(true);
    }
  });

  it('leaves the list alone and says so when the entry ties with another', () => {
    // Prepare: the same letter, composed and decomposed, compares equal.
    const items = [item('\u00e9', T), item('a', T - 1)];

    // Act
    const added = addRecentItem(items, item('e\u0301', T));

    // Assess
    expect(added).toBe(false);
    expect(items).toEqual([item('\u00e9', T), item('a', T - 1)]);
  });

  it('moves an item seen again to the front and drops the oldest beyond the limit', () => {
    // Prepare
    const items = [item('c', T - 1), item('b', T - 2), item('a', T - 3)];

    // Act
    const moved = addRecentItem(items, item('a', T), 3);
    const added = addRecentItem(items, item('d', T + 1), 3);

    // Assess
    expect([moved, added]).toEqual([true, true]);
    expect(items.map((i) => [i.itemId, i.weight])).toEqual([
      ['d', 1],
      ['a', 2],
      ['c', 1],
    ]);
  });
});
