import { describe, expect, it } from 'vitest';
import { MemoryFeatureStore } from '#shared/adapters/memoryFeatureStore.ts';
import { featureStoreContract } from '../../../contract/featureStore.contract.ts';

featureStoreContract('memory', async () => new MemoryFeatureStore(), {
  seedLegacyErasure: async (store, shopperKey, erasedAt) => {
    (store as MemoryFeatureStore).seedLegacyErasure(shopperKey, erasedAt);
  },
});

describe('Adapter: MemoryFeatureStore item activity', () => {
  const day = '2026-11-22';
  const activity = (weight: number, viewedWith?: Record<string, number>) => ({
    weight,
    trend: weight,
    ...(viewedWith ? { viewedWith } : {}),
  });

  it('returns counts as objects without a prototype (keyed by item ids) the caller may keep and change', async () => {
    // Prepare
    const store = new MemoryFeatureStore();
    await store.applyItemActivity('shard-1', {
      itemId: 'a',
      day,
      contributions: [{ sequenceNumber: '1', value: activity(1, { b: 1, c: 2 }) }],
    });
    // Act
    const [first] = await store.itemDays('a', day, day);
    (first?.viewedWith as Record<string, number>).b = 100;
    const [again] = await store.itemDays('a', day, day);
    // Assess
    expect(Object.getPrototypeOf(first?.viewedWith)).toBeNull();
    expect(again?.viewedWith).toEqual({ b: 1, c: 2 });
  });

  it('applies only the contributions above the mark when a retry overlaps it', async () => {
    // Prepare
    const store = new MemoryFeatureStore();
    await store.applyItemActivity('shard-1', {
      itemId: 'a',
      day,
      contributions: [{ sequenceNumber: '20', value: activity(1, { b: 1 }) }],
    });
    // Act: 9 and 20 were applied before (numerically at or below 20); 100 is new.
    await store.applyItemActivity('shard-1', {
      itemId: 'a',
      day,
      contributions: [
        { sequenceNumber: '9', value: activity(10, { b: 10 }) },
        { sequenceNumber: '100', value: activity(4, { c: 1 }) },
        { sequenceNumber: '20', value: activity(10, { b: 10 }) },
      ],
    });
    // Assess
    expect(await store.itemDays('a', day, day)).toEqual([
      { itemId: 'a', day, score: 5, trend: 5, viewedWith: { b: 1, c: 1 }, boughtWith: {} },
    ]);
  });

  it('rejects an update with a malformed sequence number and changes nothing', async () => {
    // Prepare
    const store = new MemoryFeatureStore();
    await store.applyItemActivity('shard-1', {
      itemId: 'a',
      day,
      contributions: [{ sequenceNumber: '1', value: activity(1) }],
    });
    // Act
    const applying = store.applyItemActivity('shard-2', {
      itemId: 'a',
      day,
      contributions: [
        { sequenceNumber: '5', value: activity(2) },
        { sequenceNumber: 'x', value: activity(2) },
      ],
    });
    // Assess
    await expect(applying).rejects.toThrow(/not a Kinesis sequence number/);
    expect((await store.itemDays('a', day, day))[0]?.score).toBe(1);
  });
});
