import { describe, expect, it } from 'vitest';
import { MemoryFeatureStore } from '#shared/adapters/memoryFeatureStore.ts';
import { ttls } from '#shared/config/index.ts';
import { emptyProfile } from '#shared/features/profile.ts';
import type { ShopperProfile, ShopperWrite } from '#shared/ports/index.ts';
import { eraseUser, type ErasureDeps } from '#shared/privacy/eraseUser.ts';

const NOW = Date.parse('2026-05-01T08:00:00.000Z');
const clock = { now: () => NOW };

/** A profile with personal data in every field. */
function richProfile(overrides: Partial<ShopperProfile> = {}): ShopperProfile {
  return {
    recentItems: [{ itemId: 'sku-1', type: 'purchase', at: NOW - 5_000, weight: 8, purchased: true, sessionId: 's1' }],
    recentQueries: [{ query: 'red shoes', at: NOW - 6_000 }],
    categoryAffinities: { shoes: { score: 8, at: NOW - 5_000 } },
    seenEvents: [{ eventId: 'e1', recordId: 'shard-0:1', viewedWith: [] }],
    aliases: [],
    ...overrides,
  };
}

async function seed(store: MemoryFeatureStore, key: string, profile: ShopperProfile): Promise<void> {
  const written = await store.writeShopper(key, { profile, expectedVersion: 0, expiresAt: 1 });
  if (!written) throw new Error(`could not seed ${key}`);
}

const tombstone: ShopperProfile = { ...emptyProfile, erasedAt: NOW };

function depsOf(store: MemoryFeatureStore): ErasureDeps {
  return { shoppers: store, erasures: store, clock };
}

/**
 * Loses profile writes while `losses` is above zero, as if another writer got in first; `racer`
 * (when set) is that other writer, run through the real store before the write is refused.
 */
class RacingStore extends MemoryFeatureStore {
  losses = 0;
  racer: ((store: MemoryFeatureStore, key: string) => Promise<void>) | undefined;
  readonly writes: { key: string; write: ShopperWrite }[] = [];
  override async writeShopper(key: string, write: ShopperWrite): Promise<boolean> {
    this.writes.push({ key, write });
    if (this.losses > 0) {
      this.losses -= 1;
      await this.racer?.(this.unracing(), key);
      return false;
    }
    return super.writeShopper(key, write);
  }
  /** The same data without the race, for seeding and for the racer. */
  unracing(): MemoryFeatureStore {
    const writeShopper = (key: string, write: ShopperWrite) => super.writeShopper(key, write);
    return Object.assign(Object.create(this) as MemoryFeatureStore, { writeShopper });
  }
}

describe('Function: eraseUser', () => {
  it("returns the user's profile replaced by a tombstone without personal data", async () => {
    // Prepare
    const store = new MemoryFeatureStore();
    await seed(store, 'u:alice', richProfile());

    // Act
    const result = await eraseUser('alice', depsOf(store));

    // Assess
    expect(result).toEqual({
      userId: 'alice',
      erasedAt: '2026-05-01T08:00:00.000Z',
      profilesErased: ['u:alice'],
      excludedFromTraining: true,
    });
    const after = await store.readShopper('u:alice');
    expect(after?.profile).toEqual(tombstone);
    expect(after?.featureVersion).toBe(2);
  });

  it('returns the tombstone written with an expiry one personal-data TTL after the erasure', async () => {
    // Prepare
    const store = new RacingStore();

    // Act
    await eraseUser('alice', depsOf(store));

    // Assess
    expect(store.writes.map((w) => w.write.expiresAt)).toEqual([NOW / 1000 + ttls.userFeaturesSeconds]);
  });

  it('returns merged anonymous profiles erased too, following aliases of aliases', async () => {
    // Prepare
    const store = new MemoryFeatureStore();
    await seed(store, 'u:alice', richProfile({ aliases: ['a:anon-1'] }));
    await seed(store, 'a:anon-1', richProfile({ aliases: ['a:anon-0'], mergedInto: 'u:alice' }));
    await seed(store, 'a:anon-0', richProfile());
    await seed(store, 'a:someone-else', richProfile());

    // Act
    const result = await eraseUser('alice', depsOf(store));

    // Assess
    expect(result.profilesErased).toEqual(['u:alice', 'a:anon-1', 'a:anon-0']);
    for (const key of result.profilesErased) expect((await store.readShopper(key))?.profile).toEqual(tombstone);
    expect((await store.readShopper('a:someone-else'))?.profile).toEqual(richProfile());
  });

  it('returns an anonymous profile with the same id as the user erased too', async () => {
    // Prepare
    const store = new MemoryFeatureStore();
    await seed(store, 'u:alice', richProfile());
    await seed(store, 'a:alice', richProfile());

    // Act
    const result = await eraseUser('alice', depsOf(store));

    // Assess
    expect(result.profilesErased).toEqual(['u:alice', 'a:alice']);
    expect((await store.readShopper('a:alice'))?.profile).toEqual(tombstone);
  });

  it('returns each key erased once when aliases form a cycle', async () => {
    // Prepare
    const store = new MemoryFeatureStore();
    await seed(store, 'u:alice', richProfile({ aliases: ['a:anon-1', 'a:anon-1'] }));
    await seed(store, 'a:anon-1', richProfile({ aliases: ['u:alice'] }));

    // Act
    const result = await eraseUser('alice', depsOf(store));

    // Assess
    expect(result.profilesErased).toEqual(['u:alice', 'a:anon-1']);
  });

  it('returns a tombstone for u:<id> and no erased profiles when nothing was stored', async () => {
    // Prepare
    const store = new MemoryFeatureStore();

    // Act
    const result = await eraseUser('nobody', depsOf(store));

    // Assess
    expect(result.profilesErased).toEqual([]);
    expect((await store.readShopper('u:nobody'))?.profile).toEqual(tombstone);
    expect(await store.readShopper('a:nobody')).toBeUndefined();
    expect(await store.erasedShoppers()).toEqual(new Map([['u:nobody', NOW]]));
  });

  it('returns every erased key and u:<id> recorded in the erasure log at the clock time', async () => {
    // Prepare
    const store = new MemoryFeatureStore();
    await seed(store, 'u:alice', richProfile({ aliases: ['a:anon-1'] }));
    await seed(store, 'a:anon-1', richProfile());
    await seed(store, 'a:alice', richProfile());
    await store.recordErasure('u:bob', NOW - 1);

    // Act
    await eraseUser('alice', depsOf(store));

    // Assess
    expect(await store.erasedShoppers()).toEqual(
      new Map([
        ['u:bob', NOW - 1],
        ['u:alice', NOW],
        ['a:alice', NOW],
        ['a:anon-1', NOW],
      ]),
    );
  });

  it('returns an erased profile erased again, with the later erasure time', async () => {
    // Prepare
    const store = new MemoryFeatureStore();
    await seed(store, 'u:alice', richProfile());
    await eraseUser('alice', { ...depsOf(store), clock: { now: () => NOW - 60_000 } });

    // Act
    const result = await eraseUser('alice', depsOf(store));

    // Assess
    expect(result.profilesErased).toEqual(['u:alice']);
    expect((await store.readShopper('u:alice'))?.profile.erasedAt).toBe(NOW);
    expect((await store.erasedShoppers()).get('u:alice')).toBe(NOW);
  });

  it("returns the merged anonymous key in the erasure log even when that alias's profile has expired", async () => {
    // Prepare: the merge marker of a:anon-1 expired (90-day TTL) while the user stayed active; the
    // lake still holds a:anon-1's events for 13 months, so training must still leave them out.
    const store = new MemoryFeatureStore();
    await seed(store, 'u:alice', richProfile({ aliases: ['a:anon-1'] }));

    // Act
    await eraseUser('alice', depsOf(store));

    // Assess
    expect((await store.erasedShoppers()).get('a:anon-1')).toBe(NOW);
  });

  describe('version races', () => {
    it('returns success after a lost race, re-reading the profile and following aliases added meanwhile', async () => {
      // Prepare: while erasing, an identify event merges a:late into alice (version 1 -> 2).
      const store = new RacingStore();
      await seed(store.unracing(), 'u:alice', richProfile());
      await seed(store.unracing(), 'a:late', richProfile({ mergedInto: 'u:alice' }));
      store.losses = 1;
      store.racer = async (real, key) => {
        const current = await real.readShopper(key);
        const profile = { ...richProfile(), aliases: ['a:late'] };
        await real.writeShopper(key, { profile, expectedVersion: current?.featureVersion ?? 0, expiresAt: 1 });
      };

      // Act
      const result = await eraseUser('alice', depsOf(store));

      // Assess
      expect(store.writes.filter((w) => w.key === 'u:alice').map((w) => w.write.expectedVersion)).toEqual([1, 2]);
      expect(result.profilesErased).toEqual(['u:alice', 'a:late']);
      expect((await store.readShopper('u:alice'))?.profile).toEqual(tombstone);
      expect((await store.readShopper('a:late'))?.profile).toEqual(tombstone);
    });

    it('returns an error naming the profile after repeated conflicts, recording no erasure', async () => {
      // Prepare
      const store = new RacingStore();
      store.losses = Number.POSITIVE_INFINITY;

      // Act
      const attempt = eraseUser('alice', depsOf(store));

      // Assess
      await expect(attempt).rejects.toThrow(/u:alice kept changing/);
      await expect(attempt).rejects.toMatchObject({ name: 'ErasureConflictError' });
      expect(store.writes.length).toBeGreaterThan(1);
      expect(await store.readShopper('u:alice')).toBeUndefined();
      expect(await store.erasedShoppers()).toEqual(new Map());
    });
  });
});
