import { describe, expect, it } from 'vitest';
import { InlineErasureHashKey } from '#shared/adapters/erasureHashKey.ts';
import { MemoryFeatureStore } from '#shared/adapters/memoryFeatureStore.ts';
import { emptyProfile } from '#shared/features/profile.ts';
import type { ShopperWrite } from '#shared/ports/index.ts';
import { ErasureHasher } from '#shared/privacy/erasureHash.ts';
import { eraseUser } from '#shared/privacy/eraseUser.ts';

const NOW = Date.parse('2026-05-01T08:00:00.000Z');

class AliasDeleteFailed extends Error {}

/** Fails every alias delete at once, and holds every profile write until `release` is called. */
class FailingStore extends MemoryFeatureStore {
  readonly writesSettled: string[] = [];
  private readonly held: (() => void)[] = [];
  override async deleteAliases(): Promise<number> {
    throw new AliasDeleteFailed('the alias delete failed');
  }
  override async writeShopper(key: string, write: ShopperWrite): Promise<boolean> {
    await new Promise<void>((resolve) => this.held.push(resolve));
    const written = await super.writeShopper(key, write);
    this.writesSettled.push(key);
    return written;
  }
  release(): void {
    for (const resolve of this.held.splice(0)) resolve();
  }
}

describe('Function: eraseUser, when a call fails', () => {
  it('throws only once the profile writes running beside the failed call have settled', async () => {
    // Prepare
    const store = new FailingStore();
    const hasher = new ErasureHasher(new InlineErasureHashKey('unit-test-erasure-hash-key-0123456789'));
    const deps = { shoppers: store, erasures: store, hasher, clock: { now: () => NOW } };
    let settled = false;

    // Act: the erasure is let run until it is waiting on its held tombstone write, then released.
    const erasure = eraseUser('alice', deps).finally(() => (settled = true));
    erasure.catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const settledWhileWriting = settled;
    store.release();

    // Assess
    await expect(erasure).rejects.toBeInstanceOf(AliasDeleteFailed);
    expect(settledWhileWriting).toBe(false);
    expect(store.writesSettled).toEqual(['u:alice']);
    expect((await store.readShopper('u:alice'))?.profile).toEqual({ ...emptyProfile, erasedAt: NOW });
  });
});
