import { describe, expect, it } from 'vitest';
import { MemoryPoisonSink } from '#shared/adapters/memoryPoisonSink.ts';
import { MemoryFeatureStore } from '#shared/adapters/memoryFeatureStore.ts';
import {
  applyEventBatch,
  countsOf,
  dayBucket,
  decodeStreamRecord,
  trendIncrement,
  type FeatureDeps,
  type StreamRecord,
} from '#shared/features/applyEvents.ts';
import { InlineErasureHashKey } from '#shared/adapters/erasureHashKey.ts';
import { CachedCatalogueLookup } from '#shared/features/catalogueLookup.ts';
import { ErasureHasher } from '#shared/privacy/erasureHash.ts';
import { erasedProfile } from '#shared/features/profile.ts';
import type { StreamEvent } from '#shared/events/schema.ts';
import type { ItemActivityUpdate, PoisonSink, ShopperWrite } from '#shared/ports/index.ts';

const NOW = Date.parse('2026-11-22T10:00:00Z');
const clock = { now: () => NOW };
const SHARD = 'shardId-000000000000';

let sequence = 1000;
function record(event: Partial<StreamEvent> & Pick<StreamEvent, 'type'>, shardId = SHARD): StreamRecord {
  sequence += 1;
  const full = { eventId: `e${sequence}`, userId: 'u1', timestamp: NOW, receivedAt: NOW, ...event };
  return { shardId, sequenceNumber: String(sequence), data: Buffer.from(JSON.stringify(full)).toString('base64') };
}

const rawRecord = (text: string): StreamRecord => {
  sequence += 1;
  return { shardId: SHARD, sequenceNumber: String(sequence), data: Buffer.from(text).toString('base64') };
};

function depsFor(store: MemoryFeatureStore, poisonSink: PoisonSink = new MemoryPoisonSink()): FeatureDeps {
  return { shoppers: store, items: store, catalogue: new CachedCatalogueLookup(store, clock), poisonSink, clock };
}

/** Everything a batch can change, for comparing runs. */
async function snapshot(store: MemoryFeatureStore, shoppers: string[], items: string[]) {
  const day = dayBucket(NOW);
  return {
    popular: await store.topPopular(day, 1000),
    trending: await store.topTrending(day, 1000),
    days: await Promise.all(items.map((i) => store.itemDays(i, day, day))),
    shoppers: await Promise.all(shoppers.map(async (s) => (await store.readShopper(s))?.profile)),
  };
}

/** Fails the first profile write of the given shoppers, like DynamoDB throttling mid-batch. */
class ThrottlingStore extends MemoryFeatureStore {
  constructor(private readonly throttleOnce: Set<string>) {
    super();
  }
  override async writeShopper(...args: Parameters<MemoryFeatureStore['writeShopper']>): Promise<boolean> {
    if (this.throttleOnce.delete(args[0])) {
      throw Object.assign(new Error('Rate of requests exceeds the allowed throughput'), {
        name: 'ProvisionedThroughputExceededException',
      });
    }
    return super.writeShopper(...args);
  }
}

/** 60 events of 3 shoppers over 5 items, in sessions, some purchases. */
function mixedBatch(): StreamRecord[] {
  return Array.from({ length: 60 }, (_, i) =>
    record({
      type: i % 10 === 0 ? 'purchase' : 'view',
      userId: `u${i % 3}`,
      itemId: `sku-${i % 5}`,
      sessionId: `s${i % 3}`,
      timestamp: NOW - (60 - i) * 1000,
      ...(i % 10 === 0 ? { quantity: 1, price: 10, currency: 'EUR' } : {}),
    }),
  );
}
const shoppers = ['u:u0', 'u:u1', 'u:u2'];
const items = ['sku-0', 'sku-1', 'sku-2', 'sku-3', 'sku-4'];

describe('Function: applyEventBatch', () => {
  it('coalesces writes to one per shopper and one per item day', async () => {
    // Prepare
    const store = new MemoryFeatureStore();
    // Act
    const outcome = await applyEventBatch(mixedBatch(), depsFor(store));
    // Assess: 3 shopper profiles + 5 item days, for 60 events.
    expect(outcome).toMatchObject({ writes: 8, applied: 60, duplicates: 0 });
    expect(outcome.failedSequenceNumbers.size).toBe(0);
    const popular = await store.topPopular(dayBucket(NOW), 10);
    expect(popular.reduce((sum, p) => sum + p.score, 0)).toBe(54 * 1 + 6 * 8);
  });

  it('leaves every feature unchanged when the same batch is delivered twice', async () => {
    // Prepare
    const store = new MemoryFeatureStore();
    const records = mixedBatch();
    await applyEventBatch(records, depsFor(store));
    const once = await snapshot(store, shoppers, items);
    // Act
    await applyEventBatch(records, depsFor(store));
    // Assess
    expect(await snapshot(store, shoppers, items)).toEqual(once);
  });

  it('counts a client retry of the same eventId once, even in another batch', async () => {
    // Prepare
    const store = new MemoryFeatureStore();
    const view = { type: 'view' as const, eventId: 'retry-me', itemId: 'sku-9' };
    // Act
    await applyEventBatch([record(view)], depsFor(store));
    const second = await applyEventBatch([record(view), record(view)], depsFor(store));
    // Assess
    expect(second.duplicates).toBe(2);
    expect(await store.topPopular(dayBucket(NOW), 10)).toEqual([{ itemId: 'sku-9', score: 1 }]);
  });

  it('reports only the records behind a throttled write, and the retry converges to a fault-free run', async () => {
    // Prepare
    const records = mixedBatch();
    const faultFree = new MemoryFeatureStore();
    await applyEventBatch(records, depsFor(faultFree));
    const flaky = new ThrottlingStore(new Set(['u:u1']));
    // Act
    const first = await applyEventBatch(records, depsFor(flaky));
    const firstFailed = records.findIndex((r) => first.failedSequenceNumbers.has(r.sequenceNumber));
    // Lambda retries from the lowest failed sequence number onwards.
    const retry = await applyEventBatch(records.slice(firstFailed), depsFor(flaky));
    // Assess: u1's records failed (the first is index 1) and everything after them is retried.
    expect(firstFailed).toBe(1);
    expect(first.failedSequenceNumbers.has(records[0]?.sequenceNumber ?? '')).toBe(false);
    expect(first.errors).toHaveLength(1);
    expect(retry.failedSequenceNumbers.size).toBe(0);
    expect(await snapshot(flaky, shoppers, items)).toEqual(await snapshot(faultFree, shoppers, items));
  });

  it('parks poison records with their reason and processes the rest', async () => {
    // Prepare
    const store = new MemoryFeatureStore();
    const poisonSink = new MemoryPoisonSink();
    const good = record({ type: 'view', itemId: 'sku-1' });
    const notJson = rawRecord('{not json');
    const invalid = rawRecord(
      JSON.stringify({ eventId: 'x', type: 'view', userId: 'u1', timestamp: NOW, receivedAt: NOW }),
    );
    // Act
    const outcome = await applyEventBatch([notJson, good, invalid], depsFor(store, poisonSink));
    // Assess
    expect(outcome.poisoned).toBe(2);
    expect(outcome.failedSequenceNumbers.size).toBe(0);
    expect(poisonSink.records.map((p) => [p.sequenceNumber, p.reason])).toEqual([
      [notJson.sequenceNumber, 'invalid_json'],
      [invalid.sequenceNumber, 'invalid_event'],
    ]);
    expect(poisonSink.records[1]?.message).toContain('itemId');
    expect(await store.topPopular(dayBucket(NOW), 10)).toEqual([{ itemId: 'sku-1', score: 1 }]);
  });

  it('retries poison records rather than lose them when the poison sink is down', async () => {
    // Prepare
    const failingSink: PoisonSink = {
      send: async () => {
        throw new Error('queue unavailable');
      },
    };
    const poison = rawRecord('nope');
    // Act
    const outcome = await applyEventBatch([poison], depsFor(new MemoryFeatureStore(), failingSink));
    // Assess
    expect([...outcome.failedSequenceNumbers]).toEqual([poison.sequenceNumber]);
  });

  it('fails the whole batch for a retry when the catalogue cannot be read', async () => {
    // Prepare
    const store = new MemoryFeatureStore();
    const deps = { ...depsFor(store), catalogue: { categoriesOf: () => Promise.reject(new Error('throttled')) } };
    const records = [record({ type: 'view', itemId: 'sku-1' }), record({ type: 'view', itemId: 'sku-2' })];
    // Act
    const outcome = await applyEventBatch(records, deps);
    // Assess
    expect(outcome.failedSequenceNumbers.size).toBe(2);
    expect(await store.topPopular(dayBucket(NOW), 10)).toEqual([]);
  });

  it('keeps shards apart: the same sequence number on two shards counts twice', async () => {
    // Prepare
    const store = new MemoryFeatureStore();
    const data = Buffer.from(
      JSON.stringify({ eventId: 'e1', type: 'view', userId: 'u9', itemId: 'sku-9', timestamp: NOW, receivedAt: NOW }),
    ).toString('base64');
    const otherData = Buffer.from(
      JSON.stringify({ eventId: 'e2', type: 'view', userId: 'u8', itemId: 'sku-9', timestamp: NOW, receivedAt: NOW }),
    ).toString('base64');
    // Act
    await applyEventBatch(
      [
        { shardId: 'shardId-1', sequenceNumber: '5', data },
        { shardId: 'shardId-2', sequenceNumber: '5', data: otherData },
      ],
      depsFor(store),
    );
    // Assess
    expect(await store.topPopular(dayBucket(NOW), 10)).toEqual([{ itemId: 'sku-9', score: 2 }]);
  });
});

describe('Features: shopper profile', () => {
  it('keeps recent items newest first with type, time and session, and recent searches', async () => {
    // Prepare
    const store = new MemoryFeatureStore();
    // Act
    await applyEventBatch(
      [
        record({ type: 'view', itemId: 'sku-1', sessionId: 's', timestamp: NOW - 2000 }),
        record({ type: 'search', query: 'linen shirt', timestamp: NOW - 1500 }),
        record({ type: 'add_to_cart', itemId: 'sku-2', sessionId: 's', timestamp: NOW - 1000 }),
      ],
      depsFor(store),
    );
    // Assess
    const stored = await store.readShopper('u:u1');
    expect(stored?.profile.recentItems).toEqual([
      { itemId: 'sku-2', type: 'add_to_cart', at: NOW - 1000, weight: 4, purchased: false, sessionId: 's' },
      { itemId: 'sku-1', type: 'view', at: NOW - 2000, weight: 1, purchased: false, sessionId: 's' },
    ]);
    expect(stored?.profile.recentQueries).toEqual([{ query: 'linen shirt', at: NOW - 1500 }]);
    expect(stored?.featureVersion).toBe(1);
  });

  it('builds category affinities from the catalogue, decayed by time', async () => {
    // Prepare
    const store = new MemoryFeatureStore();
    await store.putItems([
      { itemId: 'pan', categories: ['kitchen', 'cookware'], inStock: true, updatedAt: NOW },
      { itemId: 'rake', categories: ['garden'], inStock: true, updatedAt: NOW },
    ]);
    const week = 7 * 24 * 60 * 60 * 1000;
    // Act: a purchase a week ago (one half-life) and a view now.
    await applyEventBatch(
      [
        record({ type: 'purchase', itemId: 'pan', quantity: 1, price: 30, currency: 'EUR', timestamp: NOW - week }),
        record({ type: 'view', itemId: 'rake', timestamp: NOW }),
        record({ type: 'view', itemId: 'pan', timestamp: NOW }),
      ],
      depsFor(store),
    );
    // Assess
    const affinities = (await store.readShopper('u:u1'))?.profile.categoryAffinities;
    expect(affinities?.kitchen?.score).toBeCloseTo(8 / 2 + 1, 6);
    expect(affinities?.garden?.score).toBeCloseTo(1, 6);
    expect(affinities?.kitchen?.at).toBe(NOW);
  });

  it('merges an anonymous history into the user on identify, and follows later anonymous events there', async () => {
    // Prepare
    const store = new MemoryFeatureStore();
    await applyEventBatch(
      [record({ type: 'view', userId: undefined, anonymousId: 'anon-7', itemId: 'sku-a' })],
      depsFor(store),
    );
    // Act
    await applyEventBatch([record({ type: 'identify', userId: 'u7', anonymousId: 'anon-7' })], depsFor(store));
    await applyEventBatch(
      [record({ type: 'view', userId: undefined, anonymousId: 'anon-7', itemId: 'sku-b', timestamp: NOW + 1 })],
      depsFor(store),
    );
    // Assess
    const user = await store.readShopper('u:u7');
    const anonymous = await store.readShopper('a:anon-7');
    expect(user?.profile.recentItems.map((r) => r.itemId)).toEqual(['sku-b', 'sku-a']);
    expect(user?.profile).not.toHaveProperty('aliases');
    expect(await store.aliasesOf('u:u7')).toEqual(['a:anon-7']);
    expect(anonymous?.profile).toMatchObject({ mergedInto: 'u:u7', recentItems: [], categoryAffinities: {} });
  });

  it('does not count events received before an erasure for the erased shopper', async () => {
    // Prepare
    const store = new MemoryFeatureStore();
    await store.writeShopper('u:gone', { profile: erasedProfile(NOW), expectedVersion: 0, expiresAt: 0 });
    // Act
    await applyEventBatch(
      [
        record({ type: 'view', userId: 'gone', itemId: 'sku-old', receivedAt: NOW - 10 }),
        record({ type: 'view', userId: 'gone', itemId: 'sku-new', receivedAt: NOW + 10 }),
      ],
      depsFor(store),
    );
    // Assess: personal features only from after the erasure; aggregate popularity from both.
    expect((await store.readShopper('u:gone'))?.profile.recentItems.map((r) => r.itemId)).toEqual(['sku-new']);
    expect((await store.topPopular(dayBucket(NOW), 10)).map((p) => p.itemId).sort()).toEqual(['sku-new', 'sku-old']);
  });
});

describe('Features: item activity', () => {
  it('counts items viewed and bought together in a session, symmetrically', async () => {
    // Prepare
    const store = new MemoryFeatureStore();
    const purchase = { quantity: 1, price: 5, currency: 'EUR' };
    // Act
    await applyEventBatch(
      [
        record({ type: 'view', itemId: 'tent', sessionId: 's1', timestamp: NOW - 3000 }),
        record({ type: 'purchase', itemId: 'tent', sessionId: 's1', timestamp: NOW - 2000, ...purchase }),
        record({ type: 'purchase', itemId: 'stove', sessionId: 's1', timestamp: NOW - 1000, ...purchase }),
        record({ type: 'view', itemId: 'lamp', sessionId: 'other', timestamp: NOW }),
      ],
      depsFor(store),
    );
    // Assess
    const day = dayBucket(NOW);
    const [stove] = await store.itemDays('stove', day, day);
    const [tent] = await store.itemDays('tent', day, day);
    const [lamp] = await store.itemDays('lamp', day, day);
    expect(stove).toMatchObject({ viewedWith: { tent: 1 }, boughtWith: { tent: 1 } });
    expect(tent).toMatchObject({ viewedWith: { stove: 1 }, boughtWith: { stove: 1 }, score: 9 });
    expect(lamp).toMatchObject({ viewedWith: {}, boughtWith: {} });
  });

  it('ranks by trend the items active most recently, not the most active of the day', async () => {
    // Prepare
    const store = new MemoryFeatureStore();
    const morning = Date.parse('2026-11-22T01:00:00Z');
    const evening = Date.parse('2026-11-22T21:00:00Z');
    // Act: ten morning views of one item, three evening views of another.
    await applyEventBatch(
      [
        ...Array.from({ length: 10 }, (_, i) =>
          record({ type: 'view', userId: `m${i}`, itemId: 'morning', timestamp: morning }),
        ),
        ...Array.from({ length: 3 }, (_, i) =>
          record({ type: 'view', userId: `e${i}`, itemId: 'evening', timestamp: evening }),
        ),
      ],
      depsFor(store),
    );
    // Assess
    expect((await store.topPopular('2026-11-22', 2)).map((p) => p.itemId)).toEqual(['morning', 'evening']);
    expect((await store.topTrending('2026-11-22', 2)).map((p) => p.itemId)).toEqual(['evening', 'morning']);
    expect(trendIncrement(1, evening) / trendIncrement(1, morning)).toBeCloseTo(2 ** 10, 6);
  });
});

describe('Features: item contributions', () => {
  it('sends each item day one update with a contribution per record, partners counted both ways', async () => {
    // Prepare
    const updates: ItemActivityUpdate[] = [];
    const store = new MemoryFeatureStore();
    const spy = Object.assign(Object.create(store) as MemoryFeatureStore, {
      applyItemActivity: async (shardId: string, update: ItemActivityUpdate) => {
        updates.push(structuredClone(update));
        return store.applyItemActivity(shardId, update);
      },
    });
    const purchase = { quantity: 1, price: 5, currency: 'EUR' };
    const records = [
      record({ type: 'view', itemId: 'tent', sessionId: 's1', timestamp: NOW - 3000 }),
      record({ type: 'purchase', itemId: 'tent', sessionId: 's1', timestamp: NOW - 2000, ...purchase }),
      record({ type: 'view', itemId: 'lamp', sessionId: 's1', timestamp: NOW - 1500 }),
      record({ type: 'purchase', itemId: 'stove', sessionId: 's1', timestamp: NOW - 1000, ...purchase }),
    ];
    const [tentView, tentPurchase, lampView, stovePurchase] = records.map((r) => r.sequenceNumber);
    const trend = (weight: number, ago: number) => trendIncrement(weight, NOW - ago);
    const day = dayBucket(NOW);
    // Act
    await applyEventBatch(records, { ...depsFor(store), items: spy });
    // Assess
    expect(updates).toEqual([
      {
        itemId: 'tent',
        day,
        contributions: [
          { sequenceNumber: tentView, value: { weight: 1, trend: trend(1, 3000) } },
          { sequenceNumber: tentPurchase, value: { weight: 8, trend: trend(8, 2000) } },
          { sequenceNumber: lampView, value: { weight: 0, trend: 0, viewedWith: { lamp: 1 } } },
          {
            sequenceNumber: stovePurchase,
            value: { weight: 0, trend: 0, viewedWith: { stove: 1 }, boughtWith: { stove: 1 } },
          },
        ],
      },
      {
        itemId: 'lamp',
        day,
        contributions: [
          { sequenceNumber: lampView, value: { weight: 1, trend: trend(1, 1500), viewedWith: { tent: 1 } } },
          { sequenceNumber: stovePurchase, value: { weight: 0, trend: 0, viewedWith: { stove: 1 } } },
        ],
      },
      {
        itemId: 'stove',
        day,
        contributions: [
          {
            sequenceNumber: stovePurchase,
            value: { weight: 8, trend: trend(8, 1000), viewedWith: { lamp: 1, tent: 1 }, boughtWith: { tent: 1 } },
          },
        ],
      },
    ]);
  });

  it('counts items whose ids are names of object properties like any other', async () => {
    // Prepare
    const store = new MemoryFeatureStore();
    // Act
    await applyEventBatch(
      [
        record({ type: 'view', itemId: 'constructor', sessionId: 's1', timestamp: NOW - 2000 }),
        record({ type: 'view', itemId: 'toString', sessionId: 's1', timestamp: NOW - 1000 }),
      ],
      depsFor(store),
    );
    // Assess
    const day = dayBucket(NOW);
    expect((await store.itemDays('toString', day, day))[0]?.viewedWith).toEqual({ constructor: 1 });
    expect((await store.itemDays('constructor', day, day))[0]?.viewedWith).toEqual({ toString: 1 });
  });
});

describe('Function: countsOf', () => {
  it('counts each item once per occurrence, in order of first occurrence', () => {
    // Act
    const counts = countsOf(['b', 'a', 'b', 'c', 'b', 'a']);
    // Assess
    expect(Object.entries(counts)).toEqual([
      ['b', 3],
      ['a', 2],
      ['c', 1],
    ]);
  });

  it('counts long lists the same way', () => {
    // Prepare
    const itemIds = Array.from({ length: 100 }, (_, i) => `i${(i * 7) % 30}`);
    // Act
    const counts = countsOf(itemIds);
    // Assess
    expect(Object.keys(counts)).toEqual([...new Set(itemIds)]);
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(100);
    expect(counts.i0).toBe(4);
  });
});

describe('Features: attribution', () => {
  it('counts impressions, clicks, add-to-carts and purchases on served items per model version and list kind', async () => {
    // Prepare
    const store = new MemoryFeatureStore();
    await store.recordRecommendation({
      recommendationId: 'rec-1',
      kind: 'similar',
      modelVersion: 'hybrid-7',
      itemIds: ['sku-1', 'sku-2'],
      servedAt: NOW - 1000,
    });
    const purchase = { quantity: 2, price: 5, currency: 'EUR' };
    const records = [
      // Two of the three ids shown were served on the list: two impressions.
      record({ type: 'impression', itemIds: ['sku-1', 'sku-2', 'sku-9'], recommendationId: 'rec-1' }),
      record({ type: 'click', itemId: 'sku-1', recommendationId: 'rec-1' }),
      record({ type: 'add_to_cart', itemId: 'sku-1', recommendationId: 'rec-1' }),
      record({ type: 'purchase', itemId: 'sku-1', recommendationId: 'rec-1', ...purchase }),
      // Not on the list, unknown list, or no list: not attributed.
      record({ type: 'click', itemId: 'sku-9', recommendationId: 'rec-1' }),
      record({ type: 'click', itemId: 'sku-1', recommendationId: 'rec-unknown' }),
      record({ type: 'click', itemId: 'sku-2' }),
    ];
    const deps = { ...depsFor(store), attribution: store };
    // Act: twice, as a redelivery would.
    await applyEventBatch(records, deps);
    await applyEventBatch(records, deps);
    // Assess
    expect(await store.attribution('hybrid-7', dayBucket(NOW), dayBucket(NOW))).toEqual([
      {
        modelVersion: 'hybrid-7',
        kind: 'similar',
        day: dayBucket(NOW),
        counts: { impressions: 2, clicks: 1, addToCarts: 1, purchases: 1, revenue: 10 },
      },
    ]);
  });
});

describe('Features: attribution of answers served from the cache', () => {
  it("counts an event carrying a cached answer's id toward the served list it names", async () => {
    // Prepare
    const store = new MemoryFeatureStore();
    await store.recordRecommendation({
      recommendationId: 'rec-1',
      kind: 'personal',
      modelVersion: 'hybrid-7',
      itemIds: ['sku-1'],
      servedAt: NOW - 1000,
    });
    const records = [
      record({ type: 'click', itemId: 'sku-1', recommendationId: 'rec-1.answer-a' }),
      record({ type: 'click', itemId: 'sku-1', recommendationId: 'rec-1.answer-b' }),
    ];

    // Act
    await applyEventBatch(records, { ...depsFor(store), attribution: store });

    // Assess
    expect(await store.attribution('hybrid-7', dayBucket(NOW), dayBucket(NOW))).toEqual([
      expect.objectContaining({ kind: 'personal', counts: expect.objectContaining({ clicks: 2 }) }),
    ]);
  });
});

describe('Function: decodeStreamRecord', () => {
  it('decodes a valid record', () => {
    // Prepare
    const r = record({ type: 'add_to_cart', itemId: 'sku-2' });
    // Act
    const decoded = decodeStreamRecord(r);
    // Assess
    expect(decoded.ok && decoded.event).toMatchObject({ type: 'add_to_cart', itemId: 'sku-2', userId: 'u1' });
  });
});

const hasher = new ErasureHasher(new InlineErasureHashKey('test-erasure-hash-key-of-32-chars!'));

/** Refuses the first write of `failKey` that clears its history (finishing a link), as a throttle would. */
class FailingFinishStore extends MemoryFeatureStore {
  failures = 1;
  constructor(private readonly failKey: string) {
    super();
  }
  override async writeShopper(key: string, write: ShopperWrite): Promise<boolean> {
    const clearsHistory = write.profile.mergedInto !== undefined && write.profile.recentItems.length === 0;
    if (key === this.failKey && clearsHistory && (await this.readShopper(key))?.profile.recentItems.length) {
      if (this.failures > 0) {
        this.failures -= 1;
        throw Object.assign(new Error('Rate of requests exceeds the allowed throughput'), {
          name: 'ProvisionedThroughputExceededException',
        });
      }
    }
    return super.writeShopper(key, write);
  }
}

describe('Features: identify links (first link wins)', () => {
  const anonymousView = (anonymousId: string, itemId: string) =>
    record({ type: 'view', userId: undefined, anonymousId, itemId });
  const identify = (userId: string, anonymousId: string) => record({ type: 'identify', userId, anonymousId });

  it('returns a second link of the same anonymous id refused and counted: history and later events stay with the first', async () => {
    // Prepare
    const store = new MemoryFeatureStore();
    await applyEventBatch([anonymousView('anon-1', 'sku-victim')], depsFor(store));
    await applyEventBatch([identify('victim', 'anon-1')], depsFor(store));

    // Act
    const outcome = await applyEventBatch([identify('attacker', 'anon-1')], depsFor(store));
    await applyEventBatch([anonymousView('anon-1', 'sku-later')], depsFor(store));

    // Assess
    expect(outcome.linksRefused).toBe(1);
    expect(outcome.failedSequenceNumbers.size).toBe(0);
    expect((await store.readShopper('a:anon-1'))?.profile.mergedInto).toBe('u:victim');
    expect((await store.readShopper('u:victim'))?.profile.recentItems.map((r) => r.itemId)).toEqual([
      'sku-later',
      'sku-victim',
    ]);
    expect((await store.readShopper('u:attacker'))?.profile.recentItems).toEqual([]);
    expect(await store.aliasesOf('u:attacker')).toEqual([]);
    expect(await store.aliasesOf('u:victim')).toEqual(['a:anon-1']);
  });

  it('returns the same features when a batch with a refused link is delivered again, refusing nothing new', async () => {
    // Prepare
    const store = new MemoryFeatureStore();
    await applyEventBatch([identify('first', 'anon-2')], depsFor(store));
    const batch = [identify('second', 'anon-2'), record({ type: 'view', userId: 'second', itemId: 'sku-1' })];
    await applyEventBatch(batch, depsFor(store));
    const before = await snapshot(store, ['u:first', 'u:second', 'a:anon-2'], ['sku-1']);

    // Act
    const again = await applyEventBatch(batch, depsFor(store));

    // Assess
    expect(again.linksRefused).toBe(0);
    expect(await snapshot(store, ['u:first', 'u:second', 'a:anon-2'], ['sku-1'])).toEqual(before);
    expect((await store.readShopper('a:anon-2'))?.profile.mergedInto).toBe('u:first');
  });

  it('returns a link refused when two users identify the same anonymous id in one batch: the earlier wins', async () => {
    // Prepare
    const store = new MemoryFeatureStore();
    await applyEventBatch([anonymousView('anon-3', 'sku-a')], depsFor(store));

    // Act
    const outcome = await applyEventBatch([identify('one', 'anon-3'), identify('two', 'anon-3')], {
      ...depsFor(store),
      writeConcurrency: 1,
    });

    // Assess
    expect(outcome.linksRefused).toBe(1);
    expect((await store.readShopper('a:anon-3'))?.profile.mergedInto).toBe('u:one');
    expect((await store.readShopper('u:one'))?.profile.recentItems.map((r) => r.itemId)).toEqual(['sku-a']);
    expect((await store.readShopper('u:two'))?.profile.recentItems).toEqual([]);
  });

  it('returns a link refused for an anonymous id in the erasure log, its tombstone long expired', async () => {
    // Prepare
    const store = new MemoryFeatureStore();
    await store.recordErasure(await hasher.hash('a:anon-4'), NOW - 1_000);

    // Act
    const outcome = await applyEventBatch([identify('someone', 'anon-4')], {
      ...depsFor(store),
      erasures: { log: store, hasher },
    });

    // Assess
    expect(outcome.linksRefused).toBe(1);
    expect(await store.readShopper('a:anon-4')).toBeUndefined();
    expect(await store.aliasesOf('u:someone')).toEqual([]);
  });

  it('returns a link refused for an anonymous id whose profile is an erasure tombstone', async () => {
    // Prepare
    const store = new MemoryFeatureStore();
    await store.writeShopper('a:anon-5', { profile: erasedProfile(NOW - 1_000), expectedVersion: 0, expiresAt: 0 });

    // Act
    const outcome = await applyEventBatch([identify('someone', 'anon-5')], depsFor(store));

    // Assess
    expect(outcome.linksRefused).toBe(1);
    expect((await store.readShopper('a:anon-5'))?.profile.mergedInto).toBeUndefined();
  });

  it('returns no link made by an identify received before the user was erased', async () => {
    // Prepare
    const store = new MemoryFeatureStore();
    await applyEventBatch([anonymousView('anon-6', 'sku-a')], depsFor(store));
    await store.writeShopper('u:gone', { profile: erasedProfile(NOW), expectedVersion: 0, expiresAt: 0 });

    // Act
    await applyEventBatch([record({ type: 'identify', userId: 'gone', anonymousId: 'anon-6', receivedAt: NOW - 1 })], {
      ...depsFor(store),
    });

    // Assess
    expect((await store.readShopper('a:anon-6'))?.profile.mergedInto).toBeUndefined();
    expect(await store.aliasesOf('u:gone')).toEqual([]);
    expect((await store.readShopper('u:gone'))?.profile.recentItems).toEqual([]);
  });

  it('returns the anonymous history absorbed once when finishing the link fails and a new identify comes with the retry', async () => {
    // Prepare: the first identify absorbs the history, then clearing it from the anonymous profile fails.
    const store = new FailingFinishStore('a:anon-8');
    const reference = new MemoryFeatureStore();
    const history = [
      anonymousView('anon-8', 'sku-a'),
      record({ type: 'search', userId: undefined, anonymousId: 'anon-8', query: 'q' }),
    ];
    await applyEventBatch(history, depsFor(store));
    await applyEventBatch(history, depsFor(reference));
    const first = identify('u8', 'anon-8');
    const failed = await applyEventBatch([first], depsFor(store));
    await applyEventBatch([first], depsFor(reference));

    // Act: Lambda retries from the failed record, and a second identify of the same pair follows it.
    const second = identify('u8', 'anon-8');
    const retried = await applyEventBatch([first, second], depsFor(store));
    await applyEventBatch([second], depsFor(reference));

    // Assess
    expect(failed.failedSequenceNumbers.size).toBe(1);
    expect(retried.failedSequenceNumbers.size).toBe(0);
    const user = (await store.readShopper('u:u8'))?.profile;
    const expected = (await reference.readShopper('u:u8'))?.profile;
    expect(user?.recentItems).toEqual(expected?.recentItems);
    expect(user?.recentQueries).toEqual([{ query: 'q', at: NOW }]);
    expect(user?.categoryAffinities).toEqual(expected?.categoryAffinities);
    expect((await store.readShopper('a:anon-8'))?.profile).toMatchObject({ mergedInto: 'u:u8', recentItems: [] });
  });

  it('returns the alias item refreshed by later events of a linked anonymous id', async () => {
    // Prepare
    const store = new MemoryFeatureStore();
    await applyEventBatch([identify('u9', 'anon-9')], depsFor(store));
    const puts: string[] = [];
    const putAlias = store.putAlias.bind(store);
    store.putAlias = async (userKey, aliasKey, expiresAt) => {
      puts.push(`${userKey}>${aliasKey}`);
      await putAlias(userKey, aliasKey, expiresAt);
    };

    // Act
    await applyEventBatch([anonymousView('anon-9', 'sku-x')], depsFor(store));

    // Assess
    expect(puts).toEqual(['u:u9>a:anon-9']);
  });
});
