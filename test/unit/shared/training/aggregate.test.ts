import { describe, expect, it } from 'vitest';
import { IdTable, InteractionTable } from '#shared/training/aggregate.ts';

describe('Class: IdTable', () => {
  it('returns dense numbers, the same for the same id, and the id back for each', () => {
    // Prepare
    const ids = new IdTable();
    const values = ['u1', '__proto__', 'constructor', 'u1', '', 'hasOwnProperty', 'Ä'];
    // Act
    const numbers = values.map((value) => ids.intern(value));
    // Assess
    expect(numbers).toEqual([0, 1, 2, 0, 3, 4, 5]);
    expect(numbers.map((n) => ids.name(n))).toEqual(values);
    expect(ids.size).toBe(6);
  });
});

describe('Class: InteractionTable', () => {
  it('keeps one entry per user, item, type and day: its count, latest time and summed quantity', () => {
    // Prepare
    const table = new InteractionTable();
    // Act
    table.add({ user: 1, item: 2, type: 0, seconds: 100, quantity: undefined });
    table.add({ user: 1, item: 2, type: 4, seconds: 90, quantity: 2 });
    table.add({ user: 1, item: 2, type: 0, seconds: 300, quantity: undefined });
    table.add({ user: 1, item: 2, type: 4, seconds: 80, quantity: 3 });
    table.add({ user: 1, item: 2, type: 0, seconds: 200, quantity: undefined });
    table.add({ user: 2, item: 1, type: 0, seconds: 5, quantity: undefined });
    // Assess
    expect([...table.entries()]).toEqual([
      { user: 1, item: 2, type: 0, count: 3, latest: 300, quantity: undefined },
      { user: 1, item: 2, type: 4, count: 2, latest: 90, quantity: 5 },
      { user: 2, item: 1, type: 0, count: 1, latest: 5, quantity: undefined },
    ]);
  });

  it('keeps the events of one user, item and type on different UTC days apart', () => {
    // Prepare
    const table = new InteractionTable();
    const day = 86_400;
    // Act
    table.add({ user: 1, item: 2, type: 0, seconds: 10 * day + 5, quantity: undefined });
    table.add({ user: 1, item: 2, type: 0, seconds: 11 * day - 1, quantity: undefined });
    table.add({ user: 1, item: 2, type: 0, seconds: 11 * day, quantity: undefined });
    // Assess
    expect([...table.entries()].map((entry) => [entry.count, entry.latest])).toEqual([
      [2, 11 * day - 1],
      [1, 11 * day],
    ]);
  });

  it('keeps every entry apart through index growth and across column chunks', () => {
    // Prepare
    const table = new InteractionTable();
    const users = 1_100;
    const items = 1_000;
    // Act: 1.1M entries, past the first chunk of 2^20; then each a second time.
    for (let round = 0; round < 2; round++) {
      for (let user = 0; user < users; user++) {
        for (let item = 0; item < items; item++) {
          table.add({ user, item, type: (user + item) % 5, seconds: round + 1, quantity: undefined });
        }
      }
    }
    // Assess
    expect(table.size).toBe(users * items);
    let entries = 0;
    let wrong = 0;
    for (const entry of table.entries()) {
      if (entry.count !== 2 || entry.latest !== 2 || entry.type !== (entry.user + entry.item) % 5) wrong += 1;
      entries += 1;
    }
    expect([entries, wrong]).toEqual([users * items, 0]);
    // Columns (23 bytes an entry, in chunks) and an index of 4 bytes a slot at most 3/4 full.
    expect(table.bytes / table.size).toBeLessThan(55);
  });
});
