import { describe, expect, it } from 'vitest';
import { MemoryFeatureStore } from '#shared/adapters/memoryFeatureStore.ts';
import { applyEventBatch } from '#shared/features/applyEvents.ts';
import type { ShopperWrite, StoredShopper } from '#shared/ports/index.ts';
import {
  anonymousView,
  depsFor,
  identify,
  JitteryStore,
  record,
  seeded,
  SHARD_A,
  SHARD_B,
  userView,
} from '../../../support/signInMerge.ts';

// Signing in: an anonymous `view` (partition key `a:…`) and the `identify` (partition key `u:…`)
// that links it travel on different partition keys, so the processor may handle them in either
// order, concurrently, in one batch or on two shards. The merge must not depend on which.

const itemsOf = async (store: MemoryFeatureStore, key: string) =>
  ((await store.readShopper(key))?.profile.recentItems ?? []).map((r) => r.itemId).sort();

/** Once armed, holds the first read of `heldKey` until a profile write of `untilWriteOf` has landed. */
class OrderingStore extends MemoryFeatureStore {
  private hold?: { heldKey: string; untilWriteOf: string; written: Promise<void>; release: () => void };
  holdFirstReadOf(heldKey: string, untilWriteOf: string): void {
    let release!: () => void;
    const written = new Promise<void>((resolve) => (release = resolve));
    this.hold = { heldKey, untilWriteOf, written, release };
  }
  override async readShopper(key: string): Promise<StoredShopper | undefined> {
    const hold = this.hold;
    if (hold && key === hold.heldKey) {
      hold.heldKey = '';
      await hold.written;
    }
    return super.readShopper(key);
  }
  override async writeShopper(key: string, write: ShopperWrite): Promise<boolean> {
    const ok = await super.writeShopper(key, write);
    if (ok && key === this.hold?.untilWriteOf) this.hold.release();
    return ok;
  }
}

describe('Features: sign-in merge whatever the order', () => {
  it('returns the anonymous view in the user profile when the identify of the same batch is applied first', async () => {
    // Prepare: the view's group reads its profile only after the identify's group wrote the user.
    const store = new OrderingStore();
    store.holdFirstReadOf('a:anon-1', 'u:user-1');
    const batch = [anonymousView('anon-1', 'sku-seen'), identify('user-1', 'anon-1')];

    // Act
    const outcome = await applyEventBatch(batch, depsFor(store));

    // Assess
    expect(outcome.failedSequenceNumbers.size).toBe(0);
    expect(await itemsOf(store, 'u:user-1')).toEqual(['sku-seen']);
    expect((await store.readShopper('a:anon-1'))?.profile.mergedInto).toBe('u:user-1');
  });

  it("returns the user's own earlier view kept when a linked anonymous view of the same shard is applied first", async () => {
    // Prepare: the link exists; the user's own group reads only after the redirected write.
    const store = new OrderingStore();
    await applyEventBatch([identify('user-2', 'anon-2', SHARD_B)], depsFor(store));
    store.holdFirstReadOf('u:user-2', 'u:user-2');
    const batch = [userView('user-2', 'sku-own'), anonymousView('anon-2', 'sku-anonymous')];

    // Act
    const outcome = await applyEventBatch(batch, depsFor(store));

    // Assess
    expect(outcome.failedSequenceNumbers.size).toBe(0);
    expect(await itemsOf(store, 'u:user-2')).toEqual(['sku-anonymous', 'sku-own']);
  });

  it('returns a redelivered redirected record applied once', async () => {
    // Prepare
    const store = new MemoryFeatureStore();
    await applyEventBatch([identify('user-3', 'anon-3', SHARD_B)], depsFor(store));
    const batch = [anonymousView('anon-3', 'sku-a'), anonymousView('anon-3', 'sku-b')];
    await applyEventBatch(batch, depsFor(store));
    const before = await store.readShopper('u:user-3');

    // Act: Lambda delivers the same records again.
    const outcome = await applyEventBatch(batch, depsFor(store));

    // Assess
    const after = await store.readShopper('u:user-3');
    expect(outcome.failedSequenceNumbers.size).toBe(0);
    expect(after?.profile.recentItems).toEqual(before?.profile.recentItems);
    expect(after?.profile.categoryAffinities).toEqual(before?.profile.categoryAffinities);
  });

  it('returns a client retry of a redirected event (same event id, new record) counted once', async () => {
    // Prepare
    const store = new MemoryFeatureStore();
    await applyEventBatch([identify('user-4', 'anon-4', SHARD_B)], depsFor(store));
    const first = record({ type: 'view', eventId: 'retried-1', anonymousId: 'anon-4', itemId: 'sku-r' });
    await applyEventBatch([first], depsFor(store));

    // Act
    const retry = record({ type: 'view', eventId: 'retried-1', anonymousId: 'anon-4', itemId: 'sku-r' });
    const outcome = await applyEventBatch([retry], depsFor(store));

    // Assess
    expect(outcome.duplicates).toBe(1);
    expect((await store.readShopper('u:user-4'))?.profile.recentItems).toHaveLength(1);
  });

  it('returns every anonymous view merged over 40 shuffled runs: one batch or two shards, in either order', async () => {
    for (let trial = 0; trial < 40; trial++) {
      // Prepare
      const random = seeded(trial + 1);
      const store = new JitteryStore(random);
      const sameShard = trial % 2 === 0;
      const views = [anonymousView(`anon-t${trial}`, 'sku-1'), anonymousView(`anon-t${trial}`, 'sku-2')];
      const link = identify(`user-t${trial}`, `anon-t${trial}`, sameShard ? SHARD_A : SHARD_B);

      // Act
      if (sameShard) await applyEventBatch([...views, link], depsFor(store));
      else await Promise.all([applyEventBatch(views, depsFor(store)), applyEventBatch([link], depsFor(store))]);
      await applyEventBatch([userView(`user-t${trial}`, 'sku-3', SHARD_B)], depsFor(store));

      // Assess
      expect(await itemsOf(store, `u:user-t${trial}`), `trial ${trial}`).toEqual(['sku-1', 'sku-2', 'sku-3']);
    }
  });
});
