/**
 * Stream records, stores and delivery of the sign-in merge tests
 * (`test/unit/shared/features/signInMerge*.test.ts`): one shopper's records on two shards, stores
 * that throttle, reject, or shuffle interleavings, and Lambda's retry from the lowest failed record.
 */
import { expect } from 'vitest';
import { MemoryFeatureStore } from '#shared/adapters/memoryFeatureStore.ts';
import { MemoryPoisonSink } from '#shared/adapters/memoryPoisonSink.ts';
import { applyEventBatch, dayBucket, type FeatureDeps, type StreamRecord } from '#shared/features/applyEvents.ts';
import { CachedCatalogueLookup } from '#shared/features/catalogueLookup.ts';
import { FeatureItemRejectedError } from '#shared/features/errors.ts';
import type { StreamEvent } from '#shared/events/schema.ts';
import type { ShopperWrite, StoredShopper } from '#shared/ports/index.ts';

export const NOW = Date.parse('2026-12-07T10:00:00Z');
export const DAY = dayBucket(NOW);
export const clock = { now: () => NOW };
export const SHARD_A = 'shardId-000000000000';
export const SHARD_B = 'shardId-000000000001';
export const POISONED = 'sku-poisoned';

let sequence = 90_000;
export function record(event: Partial<StreamEvent> & Pick<StreamEvent, 'type'>, shardId = SHARD_A): StreamRecord {
  sequence += 1;
  const full = { eventId: `x${sequence}`, timestamp: NOW, receivedAt: NOW, ...event };
  return { shardId, sequenceNumber: String(sequence), data: Buffer.from(JSON.stringify(full)).toString('base64') };
}
export const anonymousView = (
  anonymousId: string,
  itemId: string,
  shardId?: string,
  extra: Partial<StreamEvent> = {},
) => record({ type: 'view', anonymousId, itemId, ...extra }, shardId);
export const userView = (userId: string, itemId: string, shardId?: string, extra: Partial<StreamEvent> = {}) =>
  record({ type: 'view', userId, itemId, ...extra }, shardId);
export const identify = (userId: string, anonymousId: string, shardId?: string) =>
  record({ type: 'identify', userId, anonymousId }, shardId);

export const depsFor = (store: MemoryFeatureStore, poisonSink = new MemoryPoisonSink()): FeatureDeps => ({
  shoppers: store,
  items: store,
  catalogue: new CachedCatalogueLookup(store, clock),
  poisonSink,
  clock,
});

/** Lambda on one shard: a failed batch is retried from its lowest failed record onwards, until it passes. */
export async function deliver(records: readonly StreamRecord[], deps: FeatureDeps, maxTries = 10): Promise<number> {
  let rest = records;
  for (let tries = 1; tries <= maxTries; tries++) {
    const outcome = await applyEventBatch(rest, deps);
    if (outcome.failedSequenceNumbers.size === 0) return tries;
    const first = rest.findIndex((r) => outcome.failedSequenceNumbers.has(r.sequenceNumber));
    rest = rest.slice(first);
  }
  throw new Error('batch never passed');
}

/** Recent items of a profile as `itemId -> weight` (weights add up: a double count shows). */
export const weightsOf = async (store: MemoryFeatureStore, key: string) =>
  Object.fromEntries(((await store.readShopper(key))?.profile.recentItems ?? []).map((r) => [r.itemId, r.weight]));

/** Item counters of the day: score and co-occurrence. */
export async function itemCounters(store: MemoryFeatureStore, itemIds: readonly string[]) {
  const out: Record<string, { score: number; viewedWith: Record<string, number>; boughtWith: Record<string, number> }> =
    {};
  for (const itemId of itemIds) {
    const day = (await store.itemDays(itemId, DAY, DAY))[0];
    if (day) out[itemId] = { score: day.score, viewedWith: { ...day.viewedWith }, boughtWith: { ...day.boughtWith } };
  }
  return out;
}

export const throttle = () =>
  Object.assign(new Error('Rate of requests exceeds the allowed throughput'), {
    name: 'ProvisionedThroughputExceededException',
  });

/** A store whose profile writes and item writes can be throttled a given number of times per key. */
export class FaultyStore extends MemoryFeatureStore {
  readonly profileFaults = new Map<string, number>();
  readonly itemFaults = new Map<string, number>();
  readonly reads: string[] = [];
  override async writeShopper(key: string, write: ShopperWrite): Promise<boolean> {
    const left = this.profileFaults.get(key) ?? 0;
    if (left > 0) {
      this.profileFaults.set(key, left - 1);
      throw throttle();
    }
    return super.writeShopper(key, write);
  }
  override async applyItemActivity(...args: Parameters<MemoryFeatureStore['applyItemActivity']>): Promise<void> {
    const left = this.itemFaults.get(args[1].itemId) ?? 0;
    if (left > 0) {
      this.itemFaults.set(args[1].itemId, left - 1);
      throw throttle();
    }
    return super.applyItemActivity(...args);
  }
}

/** Delays every profile read and write by a random few milliseconds, to shuffle interleavings. */
export class JitteryStore extends FaultyStore {
  constructor(private readonly random: () => number) {
    super();
  }
  private pause = () => new Promise((resolve) => setTimeout(resolve, Math.floor(this.random() * 4)));
  override async readShopper(key: string): Promise<StoredShopper | undefined> {
    await this.pause();
    return super.readShopper(key);
  }
  override async writeShopper(key: string, write: ShopperWrite): Promise<boolean> {
    await this.pause();
    return super.writeShopper(key, write);
  }
}

export function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

/** Refuses every profile that would hold the poisoned item, as DynamoDB refuses an item it will never take. */
export class RejectingStore extends FaultyStore {
  override async writeShopper(key: string, write: ShopperWrite): Promise<boolean> {
    if (write.profile.recentItems.some((item) => item.itemId === POISONED)) {
      throw new FeatureItemRejectedError('item_rejected', `profile ${key}: One or more parameter values were invalid`);
    }
    return super.writeShopper(key, write);
  }
}

export const link = async (store: MemoryFeatureStore, userId: string, anonymousId: string) =>
  expect(
    (await applyEventBatch([identify(userId, anonymousId, SHARD_B)], depsFor(store))).failedSequenceNumbers.size,
  ).toBe(0);
