/**
 * The small interfaces the domain depends on. Each has an in-memory adapter and an AWS adapter
 * in `shared/adapters/`, and one contract-test suite runs against both.
 */
import type { ItemEventType } from '../config/index.ts';
import type { StreamEvent } from '../events/schema.ts';
import type { RecentInteraction, RecommendationFilters, ScoredItem } from '../recommender/model.ts';

/** The one scored-item shape: the model's answers, the popularity boards and served lists. */
export type { ScoredItem };

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
  /** Session of the latest interaction; items of one session co-occur. */
  readonly sessionId?: string;
}

/** A score that decays exponentially: its value at time t is `score * 2^-((t - at) / halfLife)`. */
export interface DecayedScore {
  readonly score: number;
  /** Epoch ms the score was last brought up to date. */
  readonly at: number;
}

/** An event id already applied (or parked) for this shopper, and the stream record that carried it. */
export interface SeenEvent {
  /** The event id, or its hash when long (`shared/features/seenEvents.ts`). */
  readonly eventId: string;
  /** `<shardId>:<sequenceNumber>`; a different record with the same id is a client retry. */
  readonly recordId: string;
  /**
   * Session partners found when the event was applied, kept for the most recent events so a
   * redelivered record adds the same co-occurrence counts the first delivery computed.
   */
  readonly viewedWith?: readonly string[];
  readonly boughtWith?: readonly string[];
  /**
   * Set when the record was parked instead of applied, to the reason: a redelivery of the record
   * is not parked again, and a replay of the event (another record, same event id) is applied.
   */
  readonly parked?: string;
}

/** Everything the system keeps about one shopper (a signed-in user or an anonymous id). */
export interface ShopperProfile {
  readonly recentItems: readonly RecentItem[];
  readonly recentQueries: readonly { readonly query: string; readonly at: number }[];
  /**
   * By category name, which is outside data (`constructor`, `__proto__`): read with
   * `Object.entries` or `Object.hasOwn`, never as `affinities[name]` of an ordinary object.
   */
  readonly categoryAffinities: Readonly<Record<string, DecayedScore>>;
  readonly seenEvents: readonly SeenEvent[];
  /**
   * Shopper keys of anonymous histories merged into this one, as profiles written before aliases
   * became their own items ({@link AliasStore}) keep them; new profiles have none. Erasure reads
   * both.
   */
  readonly aliases?: readonly string[];
  /**
   * Set on an anonymous profile once `identify` linked it to a signed-in shopper: its later events
   * go to this shopper key. The first link wins: a set `mergedInto` is never changed to another key.
   */
  readonly mergedInto?: string;
  /**
   * When the link was made (epoch ms): a link older than the signed-in shopper's erasure was
   * removed by it, whatever a read from before the erasure said.
   */
  readonly mergedAt?: number;
  /** Set by erasure: events received up to this time (epoch ms) no longer count for this shopper. */
  readonly erasedAt?: number;
}

export interface StoredShopper {
  readonly profile: ShopperProfile;
  /** Bumped on every write; the optimistic-lock token and part of the recommendation cache key. */
  readonly featureVersion: number;
  /** Per shard, the padded sequence number of the last record applied (high-water mark). */
  readonly marks: Readonly<Record<string, string>>;
}

export interface ShopperWrite {
  readonly profile: ShopperProfile;
  /** The version read; the write fails (returns false) if someone wrote in between. */
  readonly expectedVersion: number;
  /** The high-water mark to set for `shardId`, when the write applies stream records. */
  readonly mark?: { readonly shardId: string; readonly sequenceKey: string };
  /** Epoch seconds after which DynamoDB may delete the profile. */
  readonly expiresAt: number;
}

/** Shopper profiles with optimistic locking; the domain does the merging and idempotency. */
export interface ShopperStore {
  readShopper(shopperKey: string): Promise<StoredShopper | undefined>;
  /**
   * Conditional on `expectedVersion`; false when it lost a race. Rejects with a
   * `FeatureItemRejectedError` (`shared/features/errors.ts`) when the store will never take the
   * item as it is (over DynamoDB's 400 KB, or a value it cannot hold), so retrying cannot help.
   */
  writeShopper(shopperKey: string, write: ShopperWrite): Promise<boolean>;
}

/**
 * The anonymous histories linked to a signed-in shopper, one item each (`pk=U#<userKey>`,
 * `sk=ALIAS#<aliasKey>`), so erasure finds every one with a query however many there are.
 */
export interface AliasStore {
  /** Records (or refreshes) the link; writing the same link again only moves `expiresAt`. */
  putAlias(userKey: string, aliasKey: string, expiresAt: number): Promise<void>;
  /** Every alias key linked to `userKey`, in key order. */
  aliasesOf(userKey: string): Promise<readonly string[]>;
  /** Deletes the links; returns how many existed. */
  deleteAliases(userKey: string, aliasKeys: readonly string[]): Promise<number>;
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

/** What one event adds to an item's day bucket. */
export interface ItemActivity {
  /** Event weight, added to the day's popularity score. */
  readonly weight: number;
  /** Weight scaled for the within-day trend score (see `trendIncrement`). */
  readonly trend: number;
  /** Items viewed in the same session: item id → count to add. */
  readonly viewedWith?: Readonly<Record<string, number>>;
  /** Items bought in the same session: item id → count to add. */
  readonly boughtWith?: Readonly<Record<string, number>>;
}

export interface ItemActivityUpdate {
  readonly itemId: string;
  /** UTC day bucket, `yyyy-mm-dd`. */
  readonly day: string;
  readonly contributions: readonly Contribution<ItemActivity>[];
}

/** An item's activity on one day, as stored. */
export interface ItemDay {
  readonly itemId: string;
  readonly day: string;
  readonly score: number;
  readonly trend: number;
  readonly viewedWith: Readonly<Record<string, number>>;
  readonly boughtWith: Readonly<Record<string, number>>;
}

export interface ItemActivityStore {
  /** Adds the contributions to the item's day bucket, each exactly once. */
  applyItemActivity(shardId: string, update: ItemActivityUpdate): Promise<void>;
  /** The day's most popular items, highest score first. */
  topPopular(day: string, limit: number): Promise<readonly ScoredItem[]>;
  /** The day's items with the highest trend score, highest first. */
  topTrending(day: string, limit: number): Promise<readonly ScoredItem[]>;
  /** The item's day buckets from `fromDay` to `toDay` inclusive. */
  itemDays(itemId: string, fromDay: string, toDay: string): Promise<readonly ItemDay[]>;
}

export type { CatalogueEntry, CatalogueItem, DeletedItem } from '../catalogue/item.ts';
// Imported as well: CatalogueStore below takes and returns them.
import type { CatalogueEntry, CatalogueItem } from '../catalogue/item.ts';

/**
 * The live catalogue. An item has one entry or none: the item as last upserted, or the
 * {@link DeletedItem} tombstone a delete leaves for `ttls.deletedItemSeconds` (then nothing).
 */
export interface CatalogueStore {
  /** Replaces each item's entry, a tombstone included. */
  putItems(items: readonly CatalogueItem[]): Promise<void>;
  /**
   * Writes the item's tombstone, deleted at `deletedAt` (epoch ms), unless it has one that has not
   * expired; an unknown id gets one too (a model may know items the live catalogue never had).
   * Returns whether a live item existed.
   */
  deleteItem(itemId: string, deletedAt: number): Promise<boolean>;
  /** The live items among `itemIds`: a deleted item is left out, as one never upserted is. */
  getItems(itemIds: readonly string[]): Promise<ReadonlyMap<string, CatalogueItem>>;
  /**
   * The entries of `itemIds`, tombstones included, in one read: a deleted item maps to its
   * {@link DeletedItem}, an item the catalogue never had (or whose tombstone expired) is absent.
   */
  getEntries(itemIds: readonly string[]): Promise<ReadonlyMap<string, CatalogueEntry>>;
}

/**
 * Where the key of the erasure log's keyed hashes comes from: a Secrets Manager secret in AWS, a
 * value in the environment locally. Never rotated: a new key would make every recorded hash
 * unmatchable, and erased shoppers would come back into training.
 */
export interface ErasureHashKey {
  /** The HMAC-SHA256 key, at least 32 characters. */
  key(): Promise<string>;
}

/**
 * Shoppers erased under GDPR Art. 17, by the keyed hash of their shopper key (`u:<userId>`,
 * `a:<anonymousId>`; see `shared/privacy/erasureHash.ts`), with the erasure time, so training
 * exports can leave their events out and `identify` never links an erased anonymous id again.
 * The log holds no raw id.
 */
export interface ErasureLog {
  recordErasure(keyHash: string, erasedAt: number): Promise<void>;
  /** Every erased shopper: keyed hash → erasure time (epoch ms). */
  erasedShoppers(): Promise<ReadonlyMap<string, number>>;
  /** The erasure time of one keyed hash, or undefined when it was never erased. */
  erasedAt(keyHash: string): Promise<number | undefined>;
  /** Entries written before the log held hashes: raw shopper key → erasure time. */
  legacyErasures(): Promise<ReadonlyMap<string, number>>;
  /** Deletes a legacy entry once its hash is recorded. */
  deleteLegacyErasure(shopperKey: string): Promise<void>;
}

/** What one erasure removed, kept as evidence that it happened (`pk=AUDIT#<day>`, `sk=<time>#<id>`). */
export interface ErasureAuditRecord {
  readonly erasureId: string;
  /** Epoch ms. */
  readonly erasedAt: number;
  /** Keyed hashes of the shopper keys erased, the same as in the erasure log; never raw ids. */
  readonly keyHashes: readonly string[];
  /** Stored items the erasure replaced by tombstones or deleted (profiles and alias links). */
  readonly itemsRemoved: number;
  /** Epoch seconds after which DynamoDB may delete the record. */
  readonly expiresAt: number;
}

export interface ErasureAudit {
  recordAudit(record: ErasureAuditRecord): Promise<void>;
  /** The audit records of one UTC day (`yyyy-mm-dd`), oldest first. */
  auditsOf(day: string): Promise<readonly ErasureAuditRecord[]>;
}

/** What shoppers did with served recommendations, per model version, list kind and day. */
export interface AttributionCounts {
  /** Items of the list that the page reported as shown (`impression` events). */
  readonly impressions: number;
  readonly clicks: number;
  readonly addToCarts: number;
  readonly purchases: number;
  /** Sum of price × quantity of attributed purchases (mixed currencies are summed as sent). */
  readonly revenue: number;
}

export interface AttributionUpdate {
  readonly modelVersion: string;
  readonly kind: RecommendationRecord['kind'];
  /** UTC day of the events, `yyyy-mm-dd`. */
  readonly day: string;
  readonly contributions: readonly Contribution<AttributionCounts>[];
}

export interface AttributionDay {
  readonly modelVersion: string;
  readonly kind: RecommendationRecord['kind'];
  readonly day: string;
  readonly counts: AttributionCounts;
}

export interface AttributionStore {
  /** Adds the counts exactly once per stream record, like item activity. */
  applyAttribution(shardId: string, update: AttributionUpdate): Promise<void>;
  attribution(modelVersion: string, fromDay: string, toDay: string): Promise<readonly AttributionDay[]>;
}

/** The whole feature table, as one adapter implements it. */
export type FeatureStore = ShopperStore &
  AliasStore &
  ErasureAudit &
  ItemActivityStore &
  CatalogueStore &
  ErasureLog &
  RecommendationLog &
  AttributionStore;

/** A stream record that can never be processed, with why: what the processor parks. */
export interface PoisonRecord {
  readonly shardId: string;
  readonly sequenceNumber: string;
  /**
   * `invalid_json` or `invalid_event` (it never decodes), or a `PermanentFailureReason` of
   * `shared/features/errors.ts` (it decodes, but its shopper's profile cannot take it).
   */
  readonly reason: string;
  readonly message: string;
  /** The record's data as received (base64). */
  readonly data: string;
}

/** Where poison records go so they do not block the shard: SQS in AWS, a file locally. */
export interface PoisonSink {
  send(records: readonly PoisonRecord[]): Promise<void>;
}

/** One message where parked records wait: a parked record's JSON, or anything else found there. */
export interface ParkedMessage {
  /** Names the message to {@link ParkedRecords.remove} (an SQS receipt handle, a line number). */
  readonly handle: string;
  readonly body: string;
}

/**
 * What the poison sink parked, read back for a replay: the on-failure queue in AWS (which also
 * holds Lambda's descriptions of batches that ran out of retries), a file locally.
 */
export interface ParkedRecords {
  /** Every message there, in pages, each message once per call (unless removed meanwhile). */
  read(): AsyncIterable<readonly ParkedMessage[]>;
  /** Removes messages read by the current {@link read}. */
  remove(messages: readonly ParkedMessage[]): Promise<void>;
}

/**
 * The recommendation cache (Valkey/Redis in AWS, an in-process LRU locally). Three methods, as
 * the domain needs nothing more; values are serialised answers.
 */
export interface RecommendationCache {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, ttlSeconds: number): Promise<void>;
  del(key: string): Promise<void>;
}

/** A shopper interaction as the model takes it (epoch seconds, like the training data). */
export type ModelInteraction = RecentInteraction;

/** Ranking-time filters, as the model applies them. */
export type ModelFilters = RecommendationFilters;

/** What the serving path asks the model (the body of the model server's `/invocations`). */
export interface ModelRequest {
  readonly userId?: string;
  readonly recentItems?: readonly ModelInteraction[];
  readonly count: number;
  readonly filters?: ModelFilters;
  readonly candidates?: readonly string[];
  readonly similarTo?: string;
  /**
   * The live catalogue's text of `similarTo`: the model scores an item it was not trained on
   * (upserted since) by its content component against this text.
   */
  readonly similarToText?: ModelItemText;
}

/** An item's text as the model's content component reads it. */
export type ModelItemText = Pick<CatalogueItem, 'title' | 'description' | 'categories' | 'attributes'>;

export interface ModelResponse {
  readonly modelVersion: string;
  readonly items: readonly ScoredItem[];
}

/** The trained model behind an endpoint (SageMaker in AWS, the `model/` server locally). */
export interface ModelClient {
  invoke(request: ModelRequest, signal: AbortSignal): Promise<ModelResponse>;
}

/**
 * A served list, kept so later events carrying its id can be attributed to it. It names no
 * shopper: attribution needs the list, not who saw it, and an erasure then has nothing to find here.
 */
export interface RecommendationRecord {
  readonly recommendationId: string;
  readonly kind: 'personal' | 'similar' | 'ranking' | 'trending';
  readonly modelVersion: string;
  readonly itemIds: readonly string[];
  /** Epoch ms. */
  readonly servedAt: number;
}

export interface RecommendationLog {
  recordRecommendation(record: RecommendationRecord): Promise<void>;
  getRecommendations(recommendationIds: readonly string[]): Promise<ReadonlyMap<string, RecommendationRecord>>;
}
