import { describe, expect, it } from 'vitest';
import { MemoryEventStream } from '#shared/adapters/memoryEventStream.ts';
import { MemoryFeatureStore } from '#shared/adapters/memoryFeatureStore.ts';
import { DYNAMO_MAX_ITEM_BYTES, measureItem } from '#shared/adapters/dynamoItemSize.ts';
import { MemoryPoisonSink } from '#shared/adapters/memoryPoisonSink.ts';
import { shopperItemKey, storedProfile } from '#shared/adapters/profileItem.ts';
import type { StreamEvent } from '#shared/events/schema.ts';
import { applyEventBatch, dayBucket, type FeatureDeps, type StreamRecord } from '#shared/features/applyEvents.ts';
import { CachedCatalogueLookup } from '#shared/features/catalogueLookup.ts';
import { FeatureItemRejectedError } from '#shared/features/errors.ts';
import { replayParked } from '#shared/features/replayParked.ts';
import type { ParkedMessage, ParkedRecords, ShopperWrite } from '#shared/ports/index.ts';

const NOW = Date.parse('2026-11-22T10:00:00Z');
const clock = { now: () => NOW };
const SHARD = 'shardId-000000000000';
const POISONED = 'sku-poisoned';

let sequence = 1000;
function record(event: Partial<StreamEvent> & Pick<StreamEvent, 'type'>): StreamRecord {
  sequence += 1;
  const full = { eventId: `e${sequence}`, userId: 'u1', timestamp: NOW, receivedAt: NOW, ...event };
  return {
    shardId: SHARD,
    sequenceNumber: String(sequence),
    data: Buffer.from(JSON.stringify(full)).toString('base64'),
  };
}
const view = (userId: string, itemId: string, sessionId = `s-${userId}`) =>
  record({ type: 'view', userId, itemId, sessionId });

/**
 * Refuses, as DynamoDB refuses an item it will never take, every profile that would hold the
 * poisoned item, until `fixed`: a store rule the processor cannot satisfy by retrying.
 */
class RejectingStore extends MemoryFeatureStore {
  fixed = false;
  override async writeShopper(shopperKey: string, write: ShopperWrite): Promise<boolean> {
    if (!this.fixed && write.profile.recentItems.some((item) => item.itemId === POISONED)) {
      throw new FeatureItemRejectedError(
        'item_rejected',
        `profile ${shopperKey}: One or more parameter values were invalid`,
      );
    }
    return super.writeShopper(shopperKey, write);
  }
}

function depsFor(store: MemoryFeatureStore, poisonSink: MemoryPoisonSink): FeatureDeps {
  return { shoppers: store, items: store, catalogue: new CachedCatalogueLookup(store, clock), poisonSink, clock };
}

const scores = async (store: MemoryFeatureStore) =>
  Object.fromEntries((await store.topPopular(dayBucket(NOW), 100)).map((p) => [p.itemId, p.score]));

/** What a replay put on the stream, as the processor receives it: later on the same shard. */
let replays = 0;
const recordsOf = (stream: MemoryEventStream): StreamRecord[] =>
  stream.records.map((r) => ({
    shardId: SHARD,
    sequenceNumber: String(1_000_000 * (replays += 1) + Number(r.sequenceNumber)),
    data: Buffer.from(JSON.stringify(r.event)).toString('base64'),
  }));

/** 40 shoppers view the poisoned item, 40 others another item, interleaved; u-bad's own items around it. */
function mixedBatch(): { records: StreamRecord[]; bad: StreamRecord[] } {
  const records: StreamRecord[] = [view('u-bad', 'sku-before')];
  const bad = [view('u-bad', POISONED)];
  records.push(bad[0] as StreamRecord, view('u-bad', 'sku-after'));
  for (let i = 0; i < 40; i++) records.push(view(`fan-${i}`, 'sku-fans'), view(`other-${i}`, 'sku-others'));
  return { records, bad };
}

describe('Feature: a record its profile can never take', () => {
  it('returns only that record parked, with its data, reason and position, and applies every other record', async () => {
    // Prepare
    const store = new RejectingStore();
    const sink = new MemoryPoisonSink();
    const { records, bad } = mixedBatch();
    // Act
    const outcome = await applyEventBatch(records, depsFor(store, sink));
    // Assess
    expect(outcome.failedSequenceNumbers.size).toBe(0);
    expect(outcome.poisoned).toBe(1);
    expect(sink.records).toEqual([
      {
        shardId: SHARD,
        sequenceNumber: bad[0]?.sequenceNumber,
        reason: 'item_rejected',
        message: 'profile u:u-bad: One or more parameter values were invalid',
        data: bad[0]?.data,
      },
    ]);
    expect(await scores(store)).toEqual({ 'sku-before': 1, 'sku-after': 1, 'sku-fans': 40, 'sku-others': 40 });
    const profile = (await store.readShopper('u:u-bad'))?.profile;
    expect(profile?.recentItems.map((r) => r.itemId)).toEqual(['sku-after', 'sku-before']);
    expect(profile?.seenEvents.find((s) => s.parked !== undefined)).toMatchObject({ parked: 'item_rejected' });
  });

  it('returns nothing parked twice or counted twice when the batch is delivered again', async () => {
    // Prepare
    const store = new RejectingStore();
    const sink = new MemoryPoisonSink();
    const { records } = mixedBatch();
    await applyEventBatch(records, depsFor(store, sink));
    const once = await scores(store);
    // Act
    const again = await applyEventBatch(records, depsFor(store, sink));
    // Assess
    expect(again.poisoned).toBe(0);
    expect(again.failedSequenceNumbers.size).toBe(0);
    expect(sink.records).toHaveLength(1);
    expect(await scores(store)).toEqual(once);
  });

  it('returns a parked record applied by a replay once the cause is fixed, and a second replay changes nothing', async () => {
    // Prepare
    const store = new RejectingStore();
    const sink = new MemoryPoisonSink();
    const parkedCopy = new MemoryPoisonSink();
    const { records } = mixedBatch();
    await applyEventBatch(records, depsFor(store, sink));
    await parkedCopy.send(sink.records);
    store.fixed = true;
    // Act
    const stream = new MemoryEventStream();
    const firstReport = await replayParked(sink, stream);
    await applyEventBatch(recordsOf(stream), depsFor(store, sink));
    const afterOne = await scores(store);
    const profileAfterOne = (await store.readShopper('u:u-bad'))?.profile;
    // The same parked record replayed again (a copy kept, or a run interrupted before removing it).
    const secondStream = new MemoryEventStream();
    const secondReport = await replayParked(parkedCopy, secondStream);
    const second = await applyEventBatch(recordsOf(secondStream), depsFor(store, sink));
    // Assess
    expect(firstReport).toMatchObject({ replayed: 1, notAccepted: 0 });
    expect(sink.records).toEqual([]);
    expect(afterOne).toEqual({ 'sku-before': 1, [POISONED]: 1, 'sku-after': 1, 'sku-fans': 40, 'sku-others': 40 });
    expect(profileAfterOne?.recentItems.map((r) => r.itemId).sort()).toEqual(['sku-after', 'sku-before', POISONED]);
    expect(profileAfterOne?.seenEvents.filter((s) => s.parked !== undefined)).toEqual([]);
    expect(secondReport).toMatchObject({ replayed: 1 });
    expect(second.duplicates).toBe(1);
    expect(await scores(store)).toEqual(afterOne);
    expect((await store.readShopper('u:u-bad'))?.profile).toEqual(profileAfterOne);
  });

  it('returns the records behind a throttled write reported for retry, not parked', async () => {
    // Prepare
    const store = new (class extends MemoryFeatureStore {
      override async writeShopper(shopperKey: string, write: ShopperWrite): Promise<boolean> {
        if (shopperKey === 'u:u-bad') {
          throw Object.assign(new Error('Rate of requests exceeds the allowed throughput'), {
            name: 'ProvisionedThroughputExceededException',
          });
        }
        return super.writeShopper(shopperKey, write);
      }
    })();
    const sink = new MemoryPoisonSink();
    const { records } = mixedBatch();
    // Act
    const outcome = await applyEventBatch(records, depsFor(store, sink));
    // Assess: Lambda retries from u-bad's first record, in order.
    expect(sink.records).toEqual([]);
    expect([...outcome.failedSequenceNumbers]).toEqual(records.map((r) => r.sequenceNumber));
  });

  it('returns every record of a shopper whose stored profile cannot be written at all parked, and the others applied', async () => {
    // Prepare: a profile stored near DynamoDB's limit by a version that kept alias lists in it.
    const store = new MemoryFeatureStore();
    const sink = new MemoryPoisonSink();
    const aliases: string[] = [];
    const profile = { recentItems: [], recentQueries: [], categoryAffinities: {}, seenEvents: [], aliases };
    const item = () => ({ ...shopperItemKey('u:legacy'), profile: storedProfile(profile), featureVersion: 1 });
    const size = () => (measureItem(item()) as { bytes: number }).bytes;
    // Each alias takes its 102 characters and a byte of list overhead: fill to 200 bytes below the limit.
    const count = Math.floor((DYNAMO_MAX_ITEM_BYTES - 200 - size()) / 103);
    for (let i = 0; i < count; i++) aliases.push(`a:${String(i).padStart(100, '0')}`);
    const headroom = DYNAMO_MAX_ITEM_BYTES - size();
    await store.writeShopper('u:legacy', { profile, expectedVersion: 0, expiresAt: 1 });
    const batch = [view('legacy', 'sku-1'), view('someone', 'sku-1'), view('legacy', 'sku-2')];
    // Act
    const outcome = await applyEventBatch(batch, depsFor(store, sink));
    // Assess
    expect(headroom).toBeLessThan(310);
    expect(outcome.failedSequenceNumbers.size).toBe(0);
    expect(sink.records.map((r) => [r.sequenceNumber, r.reason])).toEqual([
      [batch[0]?.sequenceNumber, 'item_too_large'],
      [batch[2]?.sequenceNumber, 'item_too_large'],
    ]);
    expect(await scores(store)).toEqual({ 'sku-1': 1 });
  });
});

describe('Function: replayParked', () => {
  /** Parked messages as the on-failure queue holds them, Lambda's own descriptions included. */
  class Queue implements ParkedRecords {
    constructor(public bodies: string[]) {}
    async *read(): AsyncIterable<readonly ParkedMessage[]> {
      yield this.bodies.map((body, i) => ({ handle: String(i), body }));
    }
    async remove(messages: readonly ParkedMessage[]): Promise<void> {
      const gone = new Set(messages.map((m) => Number(m.handle)));
      this.bodies = this.bodies.filter((_, i) => !gone.has(i));
    }
  }
  const parkedBody = (r: StreamRecord, extra: object = {}) =>
    JSON.stringify({
      shardId: r.shardId,
      sequenceNumber: r.sequenceNumber,
      reason: 'item_rejected',
      message: 'x',
      data: r.data,
      ...extra,
    });

  it('returns what it left parked and why, and replays each record once', async () => {
    // Prepare
    const good = view('u1', 'sku-1');
    const invalid = { ...good, sequenceNumber: '7', data: Buffer.from('{"eventId":"x"}').toString('base64') };
    const description = JSON.stringify({
      requestContext: { condition: 'RetryAttemptsExhausted' },
      KinesisBatchInfo: { shardId: SHARD, startSequenceNumber: '1', endSequenceNumber: '9', batchSize: 9 },
    });
    const queue = new Queue([
      parkedBody(good),
      parkedBody(good),
      parkedBody(invalid),
      parkedBody(good, { sequenceNumber: '8', dataTruncated: true }),
      description,
      'not json',
    ]);
    const stream = new MemoryEventStream();
    // Act
    const report = await replayParked(queue, stream);
    // Assess
    expect(report).toEqual({
      replayed: 1,
      repeats: 1,
      stillInvalid: 1,
      truncated: 1,
      batchDescriptions: 1,
      unrecognised: 1,
      notAccepted: 0,
    });
    expect(stream.records.map((r) => r.event.eventId)).toEqual([
      JSON.parse(Buffer.from(good.data, 'base64').toString()).eventId,
    ]);
    expect(queue.bodies).toHaveLength(4);
  });

  it('returns events the stream did not take still parked, for the next run', async () => {
    // Prepare
    const queue = new Queue([parkedBody(view('u1', 'sku-1'))]);
    const stream = new MemoryEventStream({ refuse: () => 'ProvisionedThroughputExceededException' });
    // Act
    const report = await replayParked(queue, stream);
    // Assess
    expect(report).toMatchObject({ replayed: 0, notAccepted: 1 });
    expect(queue.bodies).toHaveLength(1);
  });

  it('returns the count of a dry run and changes nothing', async () => {
    // Prepare
    const queue = new Queue([parkedBody(view('u1', 'sku-1'))]);
    const stream = new MemoryEventStream();
    // Act
    const report = await replayParked(queue, stream, { dryRun: true });
    // Assess
    expect(report).toMatchObject({ replayed: 1 });
    expect(stream.records).toEqual([]);
    expect(queue.bodies).toHaveLength(1);
  });
});
