import { describe, expect, it } from 'vitest';
import { InlineErasureHashKey } from '#shared/adapters/erasureHashKey.ts';
import { MemoryFeatureStore } from '#shared/adapters/memoryFeatureStore.ts';
import { ttls } from '#shared/config/index.ts';
import { emptyProfile } from '#shared/features/profile.ts';
import type { ShopperProfile, ShopperWrite } from '#shared/ports/index.ts';
import { ErasureHasher, erasureHash } from '#shared/privacy/erasureHash.ts';
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
    ...overrides,
  };
}

async function seed(store: MemoryFeatureStore, key: string, profile: ShopperProfile): Promise<void> {
  const written = await store.writeShopper(key, { profile, expectedVersion: 0, expiresAt: 1 });
  if (!written) throw new Error(`could not seed ${key}`);
}

const tombstone: ShopperProfile = { ...emptyProfile, erasedAt: NOW };

const KEY = 'unit-test-erasure-hash-key-0123456789';
const hasher = new ErasureHasher(new InlineErasureHashKey(KEY));
const hash = (shopperKey: string) => erasureHash(KEY, shopperKey);

function depsOf(store: MemoryFeatureStore): ErasureDeps {
  return { shoppers: store, erasures: store, hasher, clock, newId: () => 'erasure-1' };
}

/** The erasure log with its keyed hashes, for comparing with the raw keys the test means. */
const logOf = (entries: [string, number][]) => new Map(entries.map(([key, at]) => [hash(key), at]));

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
      erasureId: 'erasure-1',
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

  it('returns every linked anonymous profile erased too, and the alias items deleted', async () => {
    // Prepare
    const store = new MemoryFeatureStore();
    await seed(store, 'u:alice', richProfile());
    await seed(store, 'a:anon-1', richProfile({ mergedInto: 'u:alice' }));
    await seed(store, 'a:anon-0', richProfile({ mergedInto: 'u:alice' }));
    await store.putAlias('u:alice', 'a:anon-1', 1);
    await store.putAlias('u:alice', 'a:anon-0', 1);
    await store.putAlias('u:bob', 'a:anon-b', 1);
    await seed(store, 'a:someone-else', richProfile());

    // Act
    const result = await eraseUser('alice', depsOf(store));

    // Assess
    expect(result.profilesErased).toEqual(['u:alice', 'a:anon-0', 'a:anon-1']);
    for (const key of result.profilesErased) expect((await store.readShopper(key))?.profile).toEqual(tombstone);
    expect((await store.readShopper('a:someone-else'))?.profile).toEqual(richProfile());
    expect(await store.aliasesOf('u:alice')).toEqual([]);
    expect(await store.aliasesOf('u:bob')).toEqual(['a:anon-b']);
  });

  it('returns aliases listed by profiles written before alias items erased too, following lists of lists', async () => {
    // Prepare
    const store = new MemoryFeatureStore();
    await seed(store, 'u:alice', richProfile({ aliases: ['a:anon-1'] }));
    await seed(store, 'a:anon-1', richProfile({ aliases: ['a:anon-0'], mergedInto: 'u:alice' }));
    await seed(store, 'a:anon-0', richProfile());

    // Act
    const result = await eraseUser('alice', depsOf(store));

    // Assess
    expect(result.profilesErased).toEqual(['u:alice', 'a:anon-1', 'a:anon-0']);
    for (const key of result.profilesErased) expect((await store.readShopper(key))?.profile).toEqual(tombstone);
  });

  it('returns every alias erased however many there are', async () => {
    // Prepare
    const store = new MemoryFeatureStore();
    const aliases = Array.from({ length: 250 }, (_, i) => `a:anon-${String(i).padStart(3, '0')}`);
    for (const alias of aliases) {
      await seed(store, alias, richProfile({ mergedInto: 'u:alice' }));
      await store.putAlias('u:alice', alias, 1);
    }

    // Act
    const result = await eraseUser('alice', depsOf(store));

    // Assess
    expect(result.profilesErased).toEqual(aliases);
    expect(await store.erasedShoppers()).toEqual(logOf(['u:alice', ...aliases].map((key) => [key, NOW])));
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

  it('returns after reading both keys of the id together, with the erasure log, and each profile once', async () => {
    // Prepare: every read of the store is logged when it starts and when it ends.
    const store = new MemoryFeatureStore();
    await seed(store, 'u:alice', richProfile());
    await seed(store, 'a:alice', richProfile());
    const calls: string[] = [];
    for (const method of ['aliasesOf', 'readShopper', 'legacyErasures'] as const) {
      const real = store[method].bind(store) as (key?: string) => Promise<unknown>;
      Object.assign(store, {
        [method]: async (key?: string) => {
          calls.push(`start ${method} ${key ?? ''}`.trim());
          const result = await real(key);
          calls.push(`end ${method} ${key ?? ''}`.trim());
          return result;
        },
      });
    }

    // Act
    await eraseUser('alice', depsOf(store));

    // Assess
    expect(calls.slice(0, 5).sort()).toEqual([
      'start aliasesOf a:alice',
      'start aliasesOf u:alice',
      'start legacyErasures',
      'start readShopper a:alice',
      'start readShopper u:alice',
    ]);
    expect(calls.filter((call) => call.startsWith('start readShopper'))).toEqual([
      'start readShopper u:alice',
      'start readShopper a:alice',
    ]);
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
    expect(await store.erasedShoppers()).toEqual(logOf([['u:nobody', NOW]]));
  });

  it('returns every erased key and u:<id> recorded in the erasure log as keyed hashes at the clock time', async () => {
    // Prepare
    const store = new MemoryFeatureStore();
    await seed(store, 'u:alice', richProfile());
    await store.putAlias('u:alice', 'a:anon-1', 1);
    await seed(store, 'a:anon-1', richProfile());
    await seed(store, 'a:alice', richProfile());
    await store.recordErasure(hash('u:bob'), NOW - 1);

    // Act
    await eraseUser('alice', depsOf(store));

    // Assess
    const log = await store.erasedShoppers();
    expect(log).toEqual(
      logOf([
        ['u:bob', NOW - 1],
        ['u:alice', NOW],
        ['a:alice', NOW],
        ['a:anon-1', NOW],
      ]),
    );
    for (const keyHash of log.keys()) expect(keyHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('returns an audit record of the erasure: when, the keyed hashes removed, how many items, kept for the documented time', async () => {
    // Prepare
    const store = new MemoryFeatureStore();
    await seed(store, 'u:alice', richProfile());
    await seed(store, 'a:anon-1', richProfile({ mergedInto: 'u:alice' }));
    await store.putAlias('u:alice', 'a:anon-1', 1);

    // Act
    await eraseUser('alice', depsOf(store));

    // Assess: two profiles replaced by tombstones and one alias item deleted.
    expect(await store.auditsOf('2026-05-01')).toEqual([
      {
        erasureId: 'erasure-1',
        erasedAt: NOW,
        keyHashes: [hash('u:alice'), hash('a:anon-1')],
        itemsRemoved: 3,
        expiresAt: NOW / 1000 + ttls.erasureAuditSeconds,
      },
    ]);
  });

  it('returns legacy erasure-log entries (raw shopper keys) replaced by their keyed hashes', async () => {
    // Prepare
    const store = new MemoryFeatureStore();
    store.seedLegacyErasure('u:carol', NOW - 10);
    store.seedLegacyErasure('a:anon-c', NOW - 10);

    // Act
    await eraseUser('alice', depsOf(store));

    // Assess
    expect(await store.legacyErasures()).toEqual(new Map());
    expect(await store.erasedShoppers()).toEqual(
      logOf([
        ['u:carol', NOW - 10],
        ['a:anon-c', NOW - 10],
        ['u:alice', NOW],
      ]),
    );
  });

  it('returns an alias linked while the erasure ran erased too', async () => {
    // Prepare: an identify in flight links a:late just after the user's aliases were first read.
    const store = new MemoryFeatureStore();
    await seed(store, 'u:alice', richProfile());
    const aliasesOf = store.aliasesOf.bind(store);
    let reads = 0;
    store.aliasesOf = async (userKey) => {
      const found = await aliasesOf(userKey);
      if (userKey === 'u:alice' && ++reads === 1) {
        await seed(store, 'a:late', richProfile({ mergedInto: 'u:alice' }));
        await store.putAlias('u:alice', 'a:late', 1);
      }
      return found;
    };

    // Act
    const result = await eraseUser('alice', depsOf(store));

    // Assess
    expect(result.profilesErased).toEqual(['u:alice', 'a:late']);
    expect((await store.readShopper('a:late'))?.profile).toEqual(tombstone);
    expect(await aliasesOf('u:alice')).toEqual([]);
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
    expect((await store.erasedShoppers()).get(hash('u:alice'))).toBe(NOW);
  });

  it("returns the linked anonymous key in the erasure log even when that alias's profile has expired", async () => {
    // Prepare: the anonymous profile of a:anon-1 expired while its link and its events in the lake
    // did not, so training must still leave them out.
    const store = new MemoryFeatureStore();
    await seed(store, 'u:alice', richProfile());
    await store.putAlias('u:alice', 'a:anon-1', 1);
    await seed(store, 'u:dave', richProfile({ aliases: ['a:anon-d'] }));

    // Act
    await eraseUser('alice', depsOf(store));
    await eraseUser('dave', depsOf(store));

    // Assess
    expect((await store.erasedShoppers()).get(hash('a:anon-1'))).toBe(NOW);
    expect((await store.erasedShoppers()).get(hash('a:anon-d'))).toBe(NOW);
    expect(await store.readShopper('a:anon-1')).toBeUndefined();
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
        await real.putAlias(key, 'a:late', 1);
        await real.writeShopper(key, {
          profile: richProfile(),
          expectedVersion: current?.featureVersion ?? 0,
          expiresAt: 1,
        });
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
      await expect(attempt).rejects.toMatchObject({
        name: 'ErasureConflictError',
        status: 503,
        reason: 'erasure_conflict',
      });
      expect(store.writes.length).toBeGreaterThan(1);
      expect(await store.readShopper('u:alice')).toBeUndefined();
      expect(await store.erasedShoppers()).toEqual(new Map());
      expect(await store.auditsOf('2026-05-01')).toEqual([]);
    });
  });
});
