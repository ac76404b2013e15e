import { describe, expect, it } from 'vitest';
import { MemoryPoisonSink } from '#shared/adapters/filePoisonSink.ts';
import { MemoryFeatureStore } from '#shared/adapters/memoryFeatureStore.ts';
import { applyEventBatch, dayBucket, decodeStreamRecord, type StreamRecord } from '#shared/features/applyEvents.ts';
import type { StreamEvent } from '#shared/events/schema.ts';
import type { FeatureStore, PoisonSink } from '#shared/ports/index.ts';

const NOW = Date.parse('2026-11-22T10:00:00Z');

let sequence = 1000;
function record(
  event: Partial<StreamEvent> & Pick<StreamEvent, 'type'>,
  shardId = 'shardId-000000000000',
): StreamRecord {
  sequence += 1;
  const full = { eventId: `e${sequence}`, userId: 'u1', timestamp: NOW, receivedAt: NOW, ...event };
  return {
    shardId,
    sequenceNumber: String(sequence),
    data: Buffer.from(JSON.stringify(full)).toString('base64'),
  };
}

const rawRecord = (text: string): StreamRecord => {
  sequence += 1;
  return {
    shardId: 'shardId-000000000000',
    sequenceNumber: String(sequence),
    data: Buffer.from(text).toString('base64'),
  };
};

/** A snapshot of everything a batch can change, for comparing runs. */
async function snapshot(store: FeatureStore, shoppers: string[]) {
  return {
    popular: await store.topPopular(dayBucket(NOW), 1000),
    shoppers: await Promise.all(shoppers.map((s) => store.getShopperFeatures(s))),
  };
}

/** Fails the first write to the given shoppers, like DynamoDB throttling mid-batch. */
class ThrottlingStore extends MemoryFeatureStore {
  readonly throttled = new Set<string>();
  constructor(private readonly throttleOnce: Set<string>) {
    super();
  }
  override async applyRecentItems(...args: Parameters<FeatureStore['applyRecentItems']>): Promise<void> {
    const [, update] = args;
    if (this.throttleOnce.delete(update.shopperKey)) {
      this.throttled.add(update.shopperKey);
      throw Object.assign(new Error('Rate of requests exceeds the allowed throughput'), {
        name: 'ProvisionedThroughputExceededException',
      });
    }
    return super.applyRecentItems(...args);
  }
}

function mixedBatch(): StreamRecord[] {
  const records: StreamRecord[] = [];
  for (let i = 0; i < 60; i++) {
    records.push(
      record({
        type: i % 10 === 0 ? 'purchase' : 'view',
        userId: `u${i % 3}`,
        itemId: `sku-${i % 5}`,
        ...(i % 10 === 0 ? { quantity: 1, price: 10, currency: 'EUR' } : {}),
      }),
    );
  }
  return records;
}

describe('Function: applyEventBatch', () => {
  it('coalesces writes to one per feature item per batch', async () => {
    // Prepare
    const store = new MemoryFeatureStore();
    const records = mixedBatch();
    // Act
    const outcome = await applyEventBatch(records, { features: store, poisonSink: new MemoryPoisonSink() });
    // Assess: 5 items' popularity + 3 shoppers' recent items, for 60 events.
    expect(outcome.writes).toBe(8);
    expect(outcome.applied).toBe(60);
    expect(outcome.failedSequenceNumbers.size).toBe(0);
    const popular = await store.topPopular(dayBucket(NOW), 10);
    expect(popular.reduce((sum, p) => sum + p.score, 0)).toBe(54 * 1 + 6 * 8);
  });

  it('leaves features unchanged when the same batch is delivered twice', async () => {
    // Prepare
    const store = new MemoryFeatureStore();
    const records = mixedBatch();
    const deps = { features: store, poisonSink: new MemoryPoisonSink() };
    await applyEventBatch(records, deps);
    const once = await snapshot(store, ['u:u0', 'u:u1', 'u:u2']);
    // Act
    await applyEventBatch(records, deps);
    // Assess
    expect(await snapshot(store, ['u:u0', 'u:u1', 'u:u2'])).toEqual(once);
  });

  it('reports only the records behind a throttled write, and the retry converges to a fault-free run', async () => {
    // Prepare
    const records = mixedBatch();
    const faultFree = new MemoryFeatureStore();
    await applyEventBatch(records, { features: faultFree, poisonSink: new MemoryPoisonSink() });
    const flaky = new ThrottlingStore(new Set(['u:u1']));
    const deps = { features: flaky, poisonSink: new MemoryPoisonSink() };
    // Act
    const first = await applyEventBatch(records, deps);
    const firstFailed = records.findIndex((r) => first.failedSequenceNumbers.has(r.sequenceNumber));
    // Lambda retries from the lowest failed sequence number onwards.
    const retry = await applyEventBatch(records.slice(firstFailed), deps);
    // Assess
    const u1Records = records.filter((_, i) => i % 3 === 1).map((r) => r.sequenceNumber);
    expect([...first.failedSequenceNumbers].sort()).toEqual([...u1Records].sort());
    expect(first.errors).toHaveLength(1);
    expect(retry.failedSequenceNumbers.size).toBe(0);
    const shoppers = ['u:u0', 'u:u1', 'u:u2'];
    expect(await snapshot(flaky, shoppers)).toEqual(await snapshot(faultFree, shoppers));
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
    const outcome = await applyEventBatch([notJson, good, invalid], { features: store, poisonSink });
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
    const outcome = await applyEventBatch([poison], { features: new MemoryFeatureStore(), poisonSink: failingSink });
    // Assess
    expect([...outcome.failedSequenceNumbers]).toEqual([poison.sequenceNumber]);
  });

  it('keeps shards apart: the same sequence number on two shards counts twice', async () => {
    // Prepare
    const store = new MemoryFeatureStore();
    const data = Buffer.from(
      JSON.stringify({ eventId: 'e1', type: 'view', userId: 'u9', itemId: 'sku-9', timestamp: NOW, receivedAt: NOW }),
    ).toString('base64');
    // Act
    await applyEventBatch(
      [
        { shardId: 'shardId-1', sequenceNumber: '5', data },
        { shardId: 'shardId-2', sequenceNumber: '5', data },
      ],
      { features: store, poisonSink: new MemoryPoisonSink() },
    );
    // Assess
    expect(await store.topPopular(dayBucket(NOW), 10)).toEqual([{ itemId: 'sku-9', score: 2 }]);
  });

  it('ignores events without item effects (search, identify) without failing them', async () => {
    // Prepare
    const store = new MemoryFeatureStore();
    // Act
    const outcome = await applyEventBatch(
      [record({ type: 'search', query: 'linen shirt' }), record({ type: 'identify', anonymousId: 'anon-1' })],
      { features: store, poisonSink: new MemoryPoisonSink() },
    );
    // Assess
    expect(outcome).toMatchObject({ applied: 2, poisoned: 0, writes: 0 });
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
