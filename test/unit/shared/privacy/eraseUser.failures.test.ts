import { describe, expect, it } from 'vitest';
import { InlineErasureHashKey } from '#shared/adapters/erasureHashKey.ts';
import { MemoryFeatureStore } from '#shared/adapters/memoryFeatureStore.ts';
import { emptyProfile } from '#shared/features/profile.ts';
import type { ShopperWrite } from '#shared/ports/index.ts';
import { ErasureHasher, erasureHash } from '#shared/privacy/erasureHash.ts';
import { ErasureConflictError, eraseUser } from '#shared/privacy/eraseUser.ts';

const NOW = Date.parse('2026-05-01T08:00:00.000Z');
const KEY = 'unit-test-erasure-hash-key-0123456789';
const hasher = new ErasureHasher(new InlineErasureHashKey(KEY));

class AliasReadFailed extends Error {}

/** Fails the alias read of `a:alice` at once, and holds every profile write until `release` is called. */
class FailingStore extends MemoryFeatureStore {
  readonly writesSettled: string[] = [];
  private readonly held: (() => void)[] = [];
  override async aliasesOf(key: string): Promise<readonly string[]> {
    if (key === 'a:alice') throw new AliasReadFailed('the alias read failed');
    return super.aliasesOf(key);
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
  it('throws only once the profile writes running beside a failed call have settled', async () => {
    // Prepare
    const store = new FailingStore();
    const deps = { shoppers: store, erasures: store, hasher, clock: { now: () => NOW } };
    let settled = false;

    // Act: the erasure is let run until it is waiting on its held tombstone write, then released.
    const erasure = eraseUser('alice', deps).finally(() => (settled = true));
    erasure.catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const settledWhileWriting = settled;
    store.release();

    // Assess
    await expect(erasure).rejects.toBeInstanceOf(AliasReadFailed);
    expect(settledWhileWriting).toBe(false);
    expect(store.writesSettled).toEqual(['u:alice']);
    expect((await store.readShopper('u:alice'))?.profile).toEqual({ ...emptyProfile, erasedAt: NOW });
  });

  it('erases and logs a linked anonymous id on the retry after its tombstone write failed', async () => {
    // Prepare: alice signed in as anon-1; the first erasure fails on anon-1's profile (events still
    // arriving for it), as a 503 the caller answers by sending the request again.
    const store = new (class extends MemoryFeatureStore {
      failures = 0;
      override async writeShopper(key: string, write: ShopperWrite): Promise<boolean> {
        if (key === 'a:anon-1' && this.failures > 0) {
          this.failures -= 1;
          throw new ErasureConflictError(key);
        }
        return super.writeShopper(key, write);
      }
    })();
    const profile = {
      ...emptyProfile,
      recentItems: [{ itemId: 'sku-1', type: 'view' as const, at: NOW - 1, weight: 1, purchased: false }],
    };
    await store.writeShopper('u:alice', { profile, expectedVersion: 0, expiresAt: 1 });
    await store.writeShopper('a:anon-1', {
      profile: { ...profile, mergedInto: 'u:alice' },
      expectedVersion: 0,
      expiresAt: 1,
    });
    await store.putAlias('u:alice', 'a:anon-1', 1);
    store.failures = 1;
    const deps = { shoppers: store, erasures: store, hasher, clock: { now: () => NOW } };

    // Act
    await expect(eraseUser('alice', deps)).rejects.toBeInstanceOf(ErasureConflictError);
    const retry = await eraseUser('alice', deps);

    // Assess
    expect(retry.profilesErased).toContain('a:anon-1');
    expect((await store.readShopper('a:anon-1'))?.profile).toEqual({ ...emptyProfile, erasedAt: NOW });
    expect((await store.erasedShoppers()).get(erasureHash(KEY, 'a:anon-1'))).toBe(NOW);
    expect(await store.aliasesOf('u:alice')).toEqual([]);
  });

  it('erases and logs an alias that a legacy profile lists inline on the retry after its tombstone write failed', async () => {
    // Prepare: bob's profile was written before aliases became items and lists anon-9 itself; the
    // first erasure tombstones bob, which drops that list, then fails on anon-9's profile.
    const store = new (class extends MemoryFeatureStore {
      failures = 0;
      override async writeShopper(key: string, write: ShopperWrite): Promise<boolean> {
        if (key === 'a:anon-9' && this.failures > 0) {
          this.failures -= 1;
          throw new ErasureConflictError(key);
        }
        return super.writeShopper(key, write);
      }
    })();
    const history = [{ itemId: 'sku-2', type: 'view' as const, at: NOW - 1, weight: 1, purchased: false }];
    await store.writeShopper('u:bob', {
      profile: { ...emptyProfile, recentItems: history, aliases: ['a:anon-9'] },
      expectedVersion: 0,
      expiresAt: 1,
    });
    await store.writeShopper('a:anon-9', {
      profile: { ...emptyProfile, recentItems: history, mergedInto: 'u:bob' },
      expectedVersion: 0,
      expiresAt: 1,
    });
    store.failures = 1;
    const deps = { shoppers: store, erasures: store, hasher, clock: { now: () => NOW } };

    // Act
    await expect(eraseUser('bob', deps)).rejects.toBeInstanceOf(ErasureConflictError);
    const retry = await eraseUser('bob', deps);

    // Assess
    expect(retry.profilesErased).toContain('a:anon-9');
    expect((await store.readShopper('a:anon-9'))?.profile).toEqual({ ...emptyProfile, erasedAt: NOW });
    expect((await store.erasedShoppers()).get(erasureHash(KEY, 'a:anon-9'))).toBe(NOW);
    expect(await store.aliasesOf('u:bob')).toEqual([]);
  });
});
