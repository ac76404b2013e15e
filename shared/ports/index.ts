/**
 * The small interfaces the domain depends on. Each has an in-memory adapter and an AWS adapter
 * in `shared/adapters/`, and one contract-test suite runs against both.
 */
import type { ItemEventType } from '../config/index.ts';
import type { StreamEvent } from '../events/schema.ts';

export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export interface PutEventsResult {
  /** Indexes (into the input) of events the stream did not take after retries. */
  readonly failed: readonly { readonly index: number; readonly message: string }[];
}

/** Where accepted events go: Kinesis in AWS and locally. */
export interface EventStream {
  putEvents(events: readonly StreamEvent[]): Promise<PutEventsResult>;
}

/** One entry of a shopper's recent items, newest first. */
export interface RecentItem {
  readonly itemId: string;
  /** The latest interaction type with this item. */
  readonly type: ItemEventType;
  /** Epoch ms of the latest interaction. */
  readonly at: number;
  /** Sum of event weights of every interaction with this item (affinity). */
  readonly weight: number;
  /** Whether the shopper ever bought it. */
  readonly purchased: boolean;
}

export interface ShopperFeatures {
  readonly recentItems: readonly RecentItem[];
  /** Bumped on every change; part of the recommendation cache key. */
  readonly featureVersion: number;
}

/**
 * A change derived from one stream record. `sequenceNumber` makes applying it idempotent: the
 * store remembers, per item and per shard, the highest sequence number applied (a high-water
 * mark) and ignores contributions at or below it. Kinesis keeps a shard in order and the
 * processor runs one batch per shard at a time, so redeliveries can only repeat old records.
 */
export interface Contribution<T> {
  readonly sequenceNumber: string;
  readonly value: T;
}

export interface PopularityUpdate {
  readonly itemId: string;
  /** UTC day bucket, `yyyy-mm-dd`. */
  readonly day: string;
  readonly contributions: readonly Contribution<number>[];
}

export interface RecentItemsUpdate {
  readonly shopperKey: string;
  readonly contributions: readonly Contribution<RecentItem>[];
}

export interface PopularItem {
  readonly itemId: string;
  readonly score: number;
}

export interface FeatureStore {
  /** Adds the contributions' weights to the item's day counter, each exactly once. */
  applyPopularity(shardId: string, update: PopularityUpdate): Promise<void>;
  /** Merges the contributions into the shopper's recent items, each exactly once. */
  applyRecentItems(shardId: string, update: RecentItemsUpdate): Promise<void>;
  getShopperFeatures(shopperKey: string): Promise<ShopperFeatures | undefined>;
  /** The day's most popular items, highest score first. */
  topPopular(day: string, limit: number): Promise<readonly PopularItem[]>;
}

/** A stream record that can never be processed, with why. */
export interface PoisonRecord {
  readonly shardId: string;
  readonly sequenceNumber: string;
  readonly reason: string;
  readonly message: string;
  /** The record's data as received (base64). */
  readonly data: string;
}

/** Where poison records go so they do not block the shard: SQS in AWS, a file locally. */
export interface PoisonSink {
  send(records: readonly PoisonRecord[]): Promise<void>;
}
