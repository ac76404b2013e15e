import { beforeEach, describe, expect, it } from 'vitest';
import { affinityRecord } from '#shared/features/affinities.ts';
import { FeatureItemRejectedError } from '#shared/features/errors.ts';
import { emptyProfile } from '#shared/features/profile.ts';
import { sequenceKey } from '#shared/features/sequence.ts';
import { ttls } from '#shared/config/index.ts';
import { boardShard } from '#shared/adapters/dynamoFeatureStore.ts';
import type { CatalogueSource } from '#shared/catalogue/catalogueIndex.ts';
import type { CatalogueEntry, CatalogueItem, FeatureStore, ItemActivity, ShopperProfile } from '#shared/ports/index.ts';

const activity = (weight: number, extra: Partial<ItemActivity> = {}): ItemActivity => ({
  weight,
  trend: weight,
  ...extra,
});

const profileWith = (itemId: string): ShopperProfile => ({
  ...emptyProfile,
  recentItems: [{ itemId, type: 'view', at: 1_000, weight: 1, purchased: false, sessionId: 's1' }],
  categoryAffinities: { kitchen: { score: 2.5, at: 1_000 } },
  seenEvents: [{ eventId: 'e1', recordId: 'shard-1:1' }],
});

/** What the suite needs beyond the port: entries as the erasure log held them before it held hashes. */
export interface FeatureStoreFixtures {
  seedLegacyErasure(store: FeatureStore, shopperKey: string, erasedAt: number): Promise<void>;
}

/**
 * The behaviour every FeatureStore adapter must have, run against the in-memory store (unit)
 * and the DynamoDB store on the local stand-in (integration).
 */
export function featureStoreContract(
  name: string,
  createStore: () => Promise<FeatureStore & CatalogueSource>,
  fixtures: FeatureStoreFixtures,
): void {
  describe(`Contract: FeatureStore (${name})`, () => {
    let store: FeatureStore & CatalogueSource;
    let prefix: string;
    beforeEach(async () => {
      store = await createStore();
      // Unique ids per test, so a shared table needs no cleanup between tests.
      prefix = `t${Math.random().toString(36).slice(2, 10)}`;
    });

    describe('Shopper profiles', () => {
      it('returns undefined for a shopper never written', async () => {
        expect(await store.readShopper(`u:${prefix}`)).toBeUndefined();
      });

      it('round-trips a profile, bumps the version and keeps per-shard marks', async () => {
        // Prepare
        const key = `u:${prefix}`;
        // Act
        const first = await store.writeShopper(key, {
          profile: profileWith('a'),
          expectedVersion: 0,
          mark: { shardId: 'shard-1', sequenceKey: sequenceKey('5') },
          expiresAt: 2_000_000_000,
        });
        const second = await store.writeShopper(key, {
          profile: profileWith('b'),
          expectedVersion: 1,
          mark: { shardId: 'shard-2', sequenceKey: sequenceKey('9') },
          expiresAt: 2_000_000_000,
        });
        const stored = await store.readShopper(key);
        // Assess
        expect([first, second]).toEqual([true, true]);
        expect(stored).toEqual({
          profile: profileWith('b'),
          featureVersion: 2,
          marks: { 'shard-1': sequenceKey('5'), 'shard-2': sequenceKey('9') },
        });
      });

      it('refuses a write based on a stale version (optimistic lock)', async () => {
        // Prepare
        const key = `a:${prefix}`;
        const write = { profile: profileWith('a'), expectedVersion: 0, expiresAt: 2_000_000_000 };
        await store.writeShopper(key, write);
        // Act
        const stale = await store.writeShopper(key, { ...write, profile: profileWith('z') });
        // Assess
        expect(stale).toBe(false);
        expect((await store.readShopper(key))?.profile).toEqual(profileWith('a'));
      });
      it('round-trips category affinities named like prototype members, each an own entry', async () => {
        // Prepare
        const key = `u:${prefix}`;
        const names = ['constructor', '__proto__', 'toString', 'hasOwnProperty'];
        const profile: ShopperProfile = {
          ...profileWith('constructor'),
          categoryAffinities: affinityRecord(names.map((name, i) => [name, { score: i + 1, at: 1_000 }])),
        };
        // Act
        await store.writeShopper(key, { profile, expectedVersion: 0, expiresAt: 2_000_000_000 });
        const affinities = (await store.readShopper(key))?.profile.categoryAffinities ?? {};
        // Assess
        expect(Object.entries(affinities).sort(([a], [b]) => (a < b ? -1 : 1))).toEqual([
          ['__proto__', { score: 2, at: 1_000 }],
          ['constructor', { score: 1, at: 1_000 }],
          ['hasOwnProperty', { score: 4, at: 1_000 }],
          ['toString', { score: 3, at: 1_000 }],
        ]);
      });

      it('rejects a profile over DynamoDB’s item limit as permanent (item_too_large) and keeps the stored one', async () => {
        // Prepare
        const key = `u:${prefix}`;
        await store.writeShopper(key, { profile: profileWith('a'), expectedVersion: 0, expiresAt: 2_000_000_000 });
        const huge: ShopperProfile = {
          ...profileWith('b'),
          recentQueries: Array.from({ length: 900 }, (_, i) => ({ query: `${i}`.padEnd(512, 'q'), at: i })),
        };
        // Act
        const attempt = store.writeShopper(key, { profile: huge, expectedVersion: 1, expiresAt: 2_000_000_000 });
        // Assess
        await expect(attempt).rejects.toBeInstanceOf(FeatureItemRejectedError);
        await expect(attempt).rejects.toMatchObject({ reason: 'item_too_large' });
        expect((await store.readShopper(key))?.profile).toEqual(profileWith('a'));
      });

      it('rejects a profile holding a number DynamoDB cannot store as permanent (item_invalid)', async () => {
        // Prepare
        const key = `u:${prefix}`;
        const profile: ShopperProfile = {
          ...profileWith('a'),
          categoryAffinities: affinityRecord([['kitchen', { score: Number.NaN, at: 1_000 }]]),
        };
        // Act
        const attempt = store.writeShopper(key, { profile, expectedVersion: 0, expiresAt: 2_000_000_000 });
        // Assess
        await expect(attempt).rejects.toMatchObject({ name: 'FeatureItemRejectedError', reason: 'item_invalid' });
        expect(await store.readShopper(key)).toBeUndefined();
      });
    });

    describe('Item activity', () => {
      it('adds day activity and ranks items by popularity and by trend', async () => {
        // Prepare
        const day = '2026-11-22';
        // Act
        await store.applyItemActivity('shard-1', {
          itemId: `${prefix}-a`,
          day,
          contributions: [
            { sequenceNumber: '1', value: activity(1) },
            { sequenceNumber: '2', value: activity(8, { trend: 1 }) },
          ],
        });
        await store.applyItemActivity('shard-1', {
          itemId: `${prefix}-b`,
          day,
          contributions: [{ sequenceNumber: '3', value: activity(4, { trend: 100 }) }],
        });
        // Assess
        const mine = (ranked: readonly { itemId: string }[]) => ranked.filter((p) => p.itemId.startsWith(prefix));
        expect(mine(await store.topPopular(day, 1000))).toEqual([
          { itemId: `${prefix}-a`, score: 9 },
          { itemId: `${prefix}-b`, score: 4 },
        ]);
        expect(mine(await store.topTrending(day, 1000))).toEqual([
          { itemId: `${prefix}-b`, score: 100 },
          { itemId: `${prefix}-a`, score: 2 },
        ]);
      });

      it('ranks the best items of a day however they fall on the board shards, ties by id', async () => {
        // Prepare: 60 items on one board shard, 20 on each of the others, the best 40 all on the
        // first (a reader taking an even share of each shard would miss some); two pairs tie.
        const day = '2026-10-31';
        const onShard = (shard: number, count: number) => {
          const ids: string[] = [];
          for (let n = 0; ids.length < count; n++)
            if (boardShard(`${prefix}-${n}`) === shard) ids.push(`${prefix}-${n}`);
          return ids;
        };
        const crowded = onShard(0, 60);
        const others = [1, 2, 3].flatMap((shard) => onShard(shard, 20));
        const scores = new Map<string, number>([
          ...crowded.map((itemId, i): [string, number] => [itemId, 1_000 - i]),
          ...others.map((itemId, i): [string, number] => [itemId, 900 - i]),
        ]);
        scores.set(others[0] as string, 1_000 - 39);
        scores.set(crowded[45] as string, 1_000 - 40);
        let sequence = 0;
        for (const [itemId, weight] of scores) {
          await store.applyItemActivity('shard-1', {
            itemId,
            day,
            contributions: [{ sequenceNumber: String(++sequence), value: activity(weight) }],
          });
        }
        const expected = [...scores]
          .map(([itemId, score]) => ({ itemId, score }))
          .sort((a, b) => b.score - a.score || (a.itemId < b.itemId ? -1 : 1));

        // Act
        const top = await store.topPopular(day, 50);

        // Assess
        expect(top).toEqual(expected.slice(0, 50));
      });

      it('applies each contribution exactly once across redeliveries, per shard', async () => {
        // Prepare
        const day = '2026-11-21';
        const itemId = `${prefix}-x`;
        const first = [
          { sequenceNumber: '100', value: activity(1) },
          { sequenceNumber: '105', value: activity(2) },
        ];
        // Act: the same batch twice, then a retry overlapping it, then another shard.
        await store.applyItemActivity('shard-1', { itemId, day, contributions: first });
        await store.applyItemActivity('shard-1', { itemId, day, contributions: first });
        await store.applyItemActivity('shard-1', {
          itemId,
          day,
          contributions: [...first, { sequenceNumber: '110', value: activity(4) }],
        });
        await store.applyItemActivity('shard-2', {
          itemId,
          day,
          contributions: [{ sequenceNumber: '1', value: activity(8) }],
        });
        // Assess
        const [bucket] = await store.itemDays(itemId, day, day);
        expect(bucket?.score).toBe(1 + 2 + 4 + 8);
      });

      it('compares sequence numbers numerically, not as text', async () => {
        // Prepare
        const day = '2026-11-20';
        const itemId = `${prefix}-n`;
        // Act: '9' < '10' numerically but not lexically.
        await store.applyItemActivity('shard-1', {
          itemId,
          day,
          contributions: [{ sequenceNumber: '9', value: activity(1) }],
        });
        await store.applyItemActivity('shard-1', {
          itemId,
          day,
          contributions: [{ sequenceNumber: '10', value: activity(1) }],
        });
        // Assess
        expect((await store.itemDays(itemId, day, day))[0]?.score).toBe(2);
      });

      it('accumulates viewed-together and bought-together counts per day and reads a day range', async () => {
        // Prepare
        const itemId = `${prefix}-c`;
        // Act
        await store.applyItemActivity('shard-1', {
          itemId,
          day: '2026-11-18',
          contributions: [
            { sequenceNumber: '1', value: activity(1, { viewedWith: { p: 1, q: 1 } }) },
            { sequenceNumber: '2', value: activity(0, { trend: 0, viewedWith: { p: 1 }, boughtWith: { q: 1 } }) },
          ],
        });
        await store.applyItemActivity('shard-1', {
          itemId,
          day: '2026-11-19',
          contributions: [{ sequenceNumber: '3', value: activity(2, { viewedWith: { r: 1 } }) }],
        });
        await store.applyItemActivity('shard-1', {
          itemId,
          day: '2026-11-25',
          contributions: [{ sequenceNumber: '4', value: activity(2) }],
        });
        const days = await store.itemDays(itemId, '2026-11-18', '2026-11-19');
        // Assess
        expect(days).toEqual([
          { itemId, day: '2026-11-18', score: 1, trend: 1, viewedWith: { p: 2, q: 1 }, boughtWith: { q: 1 } },
          { itemId, day: '2026-11-19', score: 2, trend: 2, viewedWith: { r: 1 }, boughtWith: {} },
        ]);
      });

      it('reads back partners whose ids are prototype member names as own counts', async () => {
        // Prepare
        const itemId = `${prefix}-d`;
        const partners = { constructor: 1, ['__proto__']: 2, toString: 3, hasOwnProperty: 4 };
        // Act
        await store.applyItemActivity('shard-1', {
          itemId,
          day: '2026-11-18',
          contributions: [{ sequenceNumber: '1', value: activity(1, { viewedWith: partners, boughtWith: partners }) }],
        });
        const [day] = await store.itemDays(itemId, '2026-11-18', '2026-11-18');
        // Assess
        const expected = [
          ['__proto__', 2],
          ['constructor', 1],
          ['hasOwnProperty', 4],
          ['toString', 3],
        ];
        const sorted = (counts: Readonly<Record<string, number>> | undefined) =>
          Object.entries(counts ?? {}).sort(([a], [b]) => (a < b ? -1 : 1));
        expect(sorted(day?.viewedWith)).toEqual(expected);
        expect(sorted(day?.boughtWith)).toEqual(expected);
      });
    });

    describe('Catalogue', () => {
      const item = (itemId: string, overrides: Partial<CatalogueItem> = {}): CatalogueItem => ({
        itemId,
        title: 'Cast iron casserole',
        categories: ['kitchen', 'cookware'],
        price: 49.9,
        currency: 'EUR',
        inStock: true,
        attributes: { colour: 'red', litres: 4 },
        updatedAt: 1_000,
        ...overrides,
      });

      it('upserts, reads and deletes items, more than one batch at a time', async () => {
        // Prepare
        const items = Array.from({ length: 130 }, (_, i) => item(`${prefix}-${i}`));
        // Act
        await store.putItems(items);
        await store.putItems([item(`${prefix}-0`, { inStock: false, updatedAt: 2_000 })]);
        const found = await store.getItems([...items.map((i) => i.itemId), `${prefix}-missing`]);
        const deleted = await store.deleteItem(`${prefix}-1`, 3_000);
        const deletedAgain = await store.deleteItem(`${prefix}-1`, 4_000);
        // Assess
        expect(found.size).toBe(130);
        expect(found.get(`${prefix}-0`)).toEqual(item(`${prefix}-0`, { inStock: false, updatedAt: 2_000 }));
        expect(found.get(`${prefix}-129`)).toEqual(item(`${prefix}-129`));
        expect([deleted, deletedAgain]).toEqual([true, false]);
        expect((await store.getItems([`${prefix}-1`])).size).toBe(0);
      });

      it('returns a deleted item as a tombstone from getEntries only, and an unknown item from neither', async () => {
        // Prepare
        await store.putItems([item(`${prefix}-gone`), item(`${prefix}-kept`)]);
        await store.deleteItem(`${prefix}-gone`, 3_000);
        // Act
        const ids = [`${prefix}-gone`, `${prefix}-kept`, `${prefix}-never`];
        const live = await store.getItems(ids);
        const entries = await store.getEntries(ids);
        // Assess
        expect([...live.keys()]).toEqual([`${prefix}-kept`]);
        expect(entries.get(`${prefix}-gone`)).toEqual({ itemId: `${prefix}-gone`, deleted: true, deletedAt: 3_000 });
        expect(entries.get(`${prefix}-kept`)).toEqual(item(`${prefix}-kept`));
        expect(entries.has(`${prefix}-never`)).toBe(false);
      });

      it('leaves a tombstone for an unknown item too, keeps the first one on a second delete, and replaces it on upsert', async () => {
        // Prepare
        await store.putItems([item(`${prefix}-1`)]);
        await store.deleteItem(`${prefix}-1`, 3_000);
        // Act
        const unknown = await store.deleteItem(`${prefix}-never`, 3_500);
        const again = await store.deleteItem(`${prefix}-1`, 4_000);
        const unknownAgain = await store.deleteItem(`${prefix}-never`, 4_500);
        const tombstones = await store.getEntries([`${prefix}-1`, `${prefix}-never`]);
        await store.putItems([item(`${prefix}-1`, { updatedAt: 5_000 })]);
        const back = await store.getEntries([`${prefix}-1`, `${prefix}-never`]);
        // Assess
        expect([unknown, again, unknownAgain]).toEqual([false, false, false]);
        expect(tombstones).toEqual(
          new Map([
            [`${prefix}-1`, { itemId: `${prefix}-1`, deleted: true, deletedAt: 3_000 }],
            [`${prefix}-never`, { itemId: `${prefix}-never`, deleted: true, deletedAt: 3_500 }],
          ]),
        );
        expect(back.get(`${prefix}-1`)).toEqual(item(`${prefix}-1`, { updatedAt: 5_000 }));
        expect(back.get(`${prefix}-never`)).toEqual({ itemId: `${prefix}-never`, deleted: true, deletedAt: 3_500 });
        expect([...(await store.getItems([`${prefix}-1`, `${prefix}-never`])).keys()]).toEqual([`${prefix}-1`]);
      });

      it('keeps a tombstone until ttls.deletedItemSeconds have passed, and replaces it on a delete after that', async () => {
        // Prepare
        const deletedAt = 1_700_000_000_000;
        await store.deleteItem(`${prefix}-1`, deletedAt);
        // Act
        const atExpiry = await store.deleteItem(`${prefix}-1`, deletedAt + ttls.deletedItemSeconds * 1000);
        const kept = (await store.getEntries([`${prefix}-1`])).get(`${prefix}-1`);
        const afterExpiry = await store.deleteItem(`${prefix}-1`, deletedAt + (ttls.deletedItemSeconds + 1) * 1000);
        const replaced = (await store.getEntries([`${prefix}-1`])).get(`${prefix}-1`);
        // Assess
        expect([atExpiry, afterExpiry]).toEqual([false, false]);
        expect(kept).toEqual({ itemId: `${prefix}-1`, deleted: true, deletedAt });
        expect(replaced).toEqual({
          itemId: `${prefix}-1`,
          deleted: true,
          deletedAt: deletedAt + (ttls.deletedItemSeconds + 1) * 1000,
        });
      });

      it('returns true for exactly one of two racing deletes of a live item, and keeps that one’s tombstone', async () => {
        // Prepare
        await store.putItems([item(`${prefix}-1`)]);
        // Act
        const results = await Promise.all([
          store.deleteItem(`${prefix}-1`, 3_000),
          store.deleteItem(`${prefix}-1`, 4_000),
        ]);
        const tombstone = (await store.getEntries([`${prefix}-1`])).get(`${prefix}-1`);
        // Assess
        expect(results.filter(Boolean)).toHaveLength(1);
        expect(tombstone).toEqual({ itemId: `${prefix}-1`, deleted: true, deletedAt: results[0] ? 3_000 : 4_000 });
      });

      it('lists every entry once, tombstones included, as getEntries returns them', async () => {
        // Prepare
        const items = Array.from({ length: 40 }, (_, i) => item(`${prefix}-${i}`));
        await store.putItems(items);
        await store.deleteItem(`${prefix}-3`, 3_000);
        await store.deleteItem(`${prefix}-never`, 3_000);
        await store.putItems([item(`${prefix}-0`, { recommendable: false })]);
        // Act
        const listed = new Map<string, CatalogueEntry>();
        let repeated = 0;
        for await (const entry of store.listCatalogue()) {
          if (!entry.itemId.startsWith(`${prefix}-`)) continue;
          if (listed.has(entry.itemId)) repeated += 1;
          listed.set(entry.itemId, entry);
        }
        // Assess
        expect(repeated).toBe(0);
        expect(listed.size).toBe(41);
        expect(listed.get(`${prefix}-3`)).toEqual({ itemId: `${prefix}-3`, deleted: true, deletedAt: 3_000 });
        expect(listed.get(`${prefix}-never`)).toEqual({ itemId: `${prefix}-never`, deleted: true, deletedAt: 3_000 });
        expect(listed.get(`${prefix}-0`)).toEqual(item(`${prefix}-0`, { recommendable: false }));
        expect(listed.get(`${prefix}-39`)).toEqual(item(`${prefix}-39`));
      });
    });

    describe('Recommendation log', () => {
      it('keeps served lists by id for attribution', async () => {
        // Prepare
        const record = {
          recommendationId: `${prefix}-rec`,
          kind: 'personal' as const,
          modelVersion: 'hybrid-1',
          itemIds: ['a', 'b'],
          servedAt: 1_700_000_000_000,
        };
        // Act
        await store.recordRecommendation(record);
        const found = await store.getRecommendations([record.recommendationId, `${prefix}-missing`]);
        // Assess
        expect([...found.values()]).toEqual([record]);
      });

      it('stores no field beyond the record type, such as a shopper key', async () => {
        // Prepare: a caller passing more than the type allows.
        const record = {
          recommendationId: `${prefix}-rec2`,
          kind: 'personal' as const,
          modelVersion: 'hybrid-1',
          itemIds: ['a'],
          servedAt: 1_700_000_000_000,
          shopperKey: `u:${prefix}`,
        };
        // Act
        await store.recordRecommendation(record);
        const found = await store.getRecommendations([record.recommendationId]);
        // Assess
        expect(found.get(record.recommendationId)).not.toHaveProperty('shopperKey');
      });
    });

    describe('Attribution', () => {
      it('adds counts per model version, kind and day, once per record', async () => {
        // Prepare
        const modelVersion = `${prefix}-model`;
        const click = { impressions: 2, clicks: 1, addToCarts: 0, purchases: 0, revenue: 0 };
        const purchase = { impressions: 0, clicks: 0, addToCarts: 0, purchases: 1, revenue: 19.9 };
        const update = {
          modelVersion,
          kind: 'personal' as const,
          day: '2026-11-22',
          contributions: [
            { sequenceNumber: '1', value: click },
            { sequenceNumber: '2', value: purchase },
          ],
        };
        // Act
        await store.applyAttribution('shard-1', update);
        await store.applyAttribution('shard-1', update);
        await store.applyAttribution('shard-1', {
          ...update,
          kind: 'similar',
          contributions: [{ sequenceNumber: '3', value: click }],
        });
        // Assess
        expect(await store.attribution(modelVersion, '2026-11-01', '2026-11-30')).toEqual([
          {
            modelVersion,
            kind: 'personal',
            day: '2026-11-22',
            counts: { impressions: 2, clicks: 1, addToCarts: 0, purchases: 1, revenue: 19.9 },
          },
          {
            modelVersion,
            kind: 'similar',
            day: '2026-11-22',
            counts: { impressions: 2, clicks: 1, addToCarts: 0, purchases: 0, revenue: 0 },
          },
        ]);
      });
    });

    describe('Aliases', () => {
      it('lists, refreshes and deletes alias links per shopper, however many there are', async () => {
        // Prepare
        const userKey = `u:${prefix}`;
        const aliases = Array.from({ length: 120 }, (_, i) => `a:${prefix}-${String(i).padStart(3, '0')}`);
        // Act
        for (const alias of aliases) await store.putAlias(userKey, alias, 2_000_000_000);
        await store.putAlias(userKey, aliases[0] as string, 2_000_000_001);
        await store.putAlias(`u:${prefix}-other`, `a:${prefix}-x`, 2_000_000_000);
        const listed = await store.aliasesOf(userKey);
        const deleted = await store.deleteAliases(userKey, [...aliases.slice(0, 100), `a:${prefix}-missing`]);
        // Assess
        expect(listed).toEqual(aliases);
        expect(deleted).toBe(100);
        expect(await store.aliasesOf(userKey)).toEqual(aliases.slice(100));
        expect(await store.aliasesOf(`u:${prefix}-other`)).toEqual([`a:${prefix}-x`]);
      });

      it('keeps alias links apart from the profile of the same shopper', async () => {
        // Prepare
        const userKey = `u:${prefix}`;
        await store.writeShopper(userKey, { profile: profileWith('a'), expectedVersion: 0, expiresAt: 2_000_000_000 });
        // Act
        await store.putAlias(userKey, `a:${prefix}`, 2_000_000_000);
        // Assess
        expect((await store.readShopper(userKey))?.profile).toEqual(profileWith('a'));
        expect(await store.aliasesOf(userKey)).toEqual([`a:${prefix}`]);
      });
    });

    describe('Erasure log', () => {
      const hashOf = (label: string) => `${prefix}${label}`.padEnd(64, '0');

      it('records erased shoppers by keyed hash with the time of erasure', async () => {
        // Act
        await store.recordErasure(hashOf('a'), 1234);
        // Assess
        expect((await store.erasedShoppers()).get(hashOf('a'))).toBe(1234);
        expect(await store.erasedAt(hashOf('a'))).toBe(1234);
        expect(await store.erasedAt(hashOf('b'))).toBeUndefined();
      });

      it('keeps legacy entries (raw shopper keys) apart from hashes until deleted', async () => {
        // Prepare
        await fixtures.seedLegacyErasure(store, `u:${prefix}`, 1000);
        await fixtures.seedLegacyErasure(store, `a:${prefix}`, 2000);
        await store.recordErasure(hashOf('c'), 3000);
        // Act
        const legacy = await store.legacyErasures();
        const erased = await store.erasedShoppers();
        await store.deleteLegacyErasure(`u:${prefix}`);
        // Assess
        expect(legacy.get(`u:${prefix}`)).toBe(1000);
        expect(legacy.get(`a:${prefix}`)).toBe(2000);
        expect(erased.has(`u:${prefix}`)).toBe(false);
        expect(erased.get(hashOf('c'))).toBe(3000);
        expect((await store.legacyErasures()).has(`u:${prefix}`)).toBe(false);
        expect((await store.legacyErasures()).has(`a:${prefix}`)).toBe(true);
        expect(await store.erasedAt(`a:${prefix}`)).toBeUndefined();
      });
    });

    describe('Erasure audit', () => {
      it('keeps audit records per UTC day, oldest first', async () => {
        // Prepare: a day no other test uses.
        const day = `2031-0${1 + Math.floor(Math.random() * 9)}-${String(10 + Math.floor(Math.random() * 18))}`;
        const at = Date.parse(`${day}T10:00:00.000Z`);
        const record = (erasureId: string, erasedAt: number) => ({
          erasureId,
          erasedAt,
          keyHashes: [erasureId.padEnd(64, 'f')],
          itemsRemoved: 3,
          expiresAt: Math.floor(erasedAt / 1000) + 1000,
        });
        // Act
        await store.recordAudit(record(`${prefix}-2`, at + 1));
        await store.recordAudit(record(`${prefix}-1`, at));
        await store.recordAudit(record(`${prefix}-3`, at + 24 * 60 * 60 * 1000));
        const audits = (await store.auditsOf(day)).filter((a) => a.erasureId.startsWith(prefix));
        // Assess
        expect(audits).toEqual([record(`${prefix}-1`, at), record(`${prefix}-2`, at + 1)]);
      });
    });
  });
}
