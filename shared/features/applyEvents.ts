import { eventWeights, featureLimits, ITEM_EVENT_TYPES, ttls, type ItemEventType } from '../config/index.ts';
import { shopperKey, streamEventSchema, type StreamEvent } from '../events/schema.ts';
import type {
  AttributionStore,
  Clock,
  RecommendationLog,
  RecommendationRecord,
  Contribution,
  ItemActivity,
  ItemActivityStore,
  PoisonRecord,
  PoisonSink,
  ShopperProfile,
  ShopperStore,
} from '../ports/index.ts';
import { attributionUpdates } from './attribution.ts';
import type { CatalogueLookup } from './catalogueLookup.ts';
import { mapWithConcurrency } from './concurrency.ts';
import {
  emptyProfile,
  foldShopperEvents,
  replayedOutcome,
  type EventOutcome,
  type ShopperEventInput,
} from './profile.ts';
import { sequenceKey } from './sequence.ts';

/** A stream record as the processor receives it (Lambda's Kinesis record, reduced). */
export interface StreamRecord {
  readonly shardId: string;
  readonly sequenceNumber: string;
  /** Base64 of the JSON event. */
  readonly data: string;
}

interface ValidRecord {
  readonly record: StreamRecord;
  readonly recordId: string;
  readonly event: StreamEvent;
}

export type DecodedRecord =
  | { readonly ok: true; readonly record: StreamRecord; readonly event: StreamEvent }
  | { readonly ok: false; readonly poison: PoisonRecord };

/** Decodes and validates one record; a record that fails here will fail forever (poison). */
export function decodeStreamRecord(record: StreamRecord): DecodedRecord {
  const poison = (reason: string, message: string): DecodedRecord => ({
    ok: false,
    poison: { shardId: record.shardId, sequenceNumber: record.sequenceNumber, reason, message, data: record.data },
  });
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(record.data, 'base64').toString('utf8'));
  } catch (error) {
    return poison('invalid_json', `record data is not JSON: ${(error as Error).message}`);
  }
  const parsed = streamEventSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join('.') ?? '';
    return poison('invalid_event', `${field ? `${field}: ` : ''}${issue?.message ?? 'invalid event'}`);
  }
  return { ok: true, record, event: parsed.data };
}

export interface FeatureDeps {
  readonly shoppers: ShopperStore;
  readonly items: ItemActivityStore;
  readonly catalogue: CatalogueLookup;
  readonly poisonSink: PoisonSink;
  readonly clock: Clock;
  /** Counts clicks, add-to-carts and purchases on served lists (events with `recommendationId`). */
  readonly attribution?: AttributionStore & Pick<RecommendationLog, 'getRecommendations'>;
  /** Parallel writes to the store per batch; DynamoDB round trips dominate, not CPU. @default 16 */
  readonly writeConcurrency?: number;
}

export interface BatchOutcome {
  /** Sequence numbers of records whose effects were not all applied; Lambda retries them. */
  readonly failedSequenceNumbers: ReadonlySet<string>;
  /** Records fully handled (including duplicates and parked poison). */
  readonly applied: number;
  readonly poisoned: number;
  /** Client retries of an event already counted (same eventId, another record). */
  readonly duplicates: number;
  /** Store writes issued for the batch (after coalescing). */
  readonly writes: number;
  readonly errors: readonly unknown[];
}

const itemEventTypes: ReadonlySet<string> = new Set(ITEM_EVENT_TYPES);
const DAY_MS = 24 * 60 * 60 * 1000;

const dayNames = new Map<number, string>();

/** UTC day of an instant, `yyyy-mm-dd` (memoised: every event asks). */
export function dayBucket(epochMs: number): string {
  const day = Math.floor(epochMs / DAY_MS);
  let name = dayNames.get(day);
  if (name === undefined) {
    name = new Date(day * DAY_MS).toISOString().slice(0, 10);
    if (dayNames.size > 1_000) dayNames.clear();
    dayNames.set(day, name);
  }
  return name;
}

/**
 * An event's share of an item's within-day trend score. Weights grow by 2^(t / halfLife) from
 * the start of the day, so a plain DynamoDB `ADD` keeps a score whose order at any moment equals
 * the order of exponentially decayed activity: a GSI can sort items by "trending now".
 */
export function trendIncrement(weight: number, epochMs: number): number {
  const sinceDayStart = epochMs - Math.floor(epochMs / DAY_MS) * DAY_MS;
  return weight * 2 ** (sinceDayStart / (featureLimits.trendHalfLifeSeconds * 1000));
}

class ShopperConflictError extends Error {
  constructor(shopper: string) {
    super(`profile of ${shopper} kept changing under us; the records will be retried`);
    this.name = 'ShopperConflictError';
  }
}

const MAX_ATTEMPTS = 8;
const MAX_REDIRECTS = 3;

/** Marks an anonymous profile as merged into `intoKey` and drops its personal data. */
async function markMerged(store: ShopperStore, anonymousKey: string, intoKey: string, clock: Clock): Promise<void> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const stored = await store.readShopper(anonymousKey);
    if (stored?.profile.mergedInto === intoKey) return;
    const written = await store.writeShopper(anonymousKey, {
      // Keep the seen event ids so a late retry of an anonymous event is still recognised.
      profile: { ...emptyProfile, seenEvents: stored?.profile.seenEvents ?? [], mergedInto: intoKey },
      expectedVersion: stored?.featureVersion ?? 0,
      expiresAt: Math.floor(clock.now() / 1000) + ttls.userFeaturesSeconds,
    });
    if (written) return;
  }
  throw new ShopperConflictError(anonymousKey);
}

/**
 * Phase 1: one shopper's records, in order, folded into their profile exactly once. Records at
 * or below the profile's high-water mark for this shard were applied before; their outcome is
 * recomputed from the stored profile so phase 2 can finish what a failed attempt left undone.
 */
async function applyShopperRecords(
  shardId: string,
  firstKey: string,
  inputs: readonly ShopperEventInput[],
  deps: FeatureDeps,
): Promise<EventOutcome[]> {
  let key = firstKey;
  let redirects = 0;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const stored = await deps.shoppers.readShopper(key);
    if (stored?.profile.mergedInto !== undefined && redirects < MAX_REDIRECTS) {
      key = stored.profile.mergedInto;
      redirects += 1;
      attempt -= 1;
      continue;
    }
    const profile: ShopperProfile = stored?.profile ?? emptyProfile;
    const mark = stored?.marks[shardId];
    const isPending = (input: ShopperEventInput) =>
      mark === undefined || sequenceKey(input.recordId.slice(shardId.length + 1)) > mark;
    const pending = inputs.filter(isPending);
    const outcomes = new Map(inputs.filter((i) => !isPending(i)).map((i) => [i.recordId, replayedOutcome(profile, i)]));
    const identified = inputs.flatMap((i) =>
      i.event.type === 'identify' && i.event.anonymousId !== undefined ? [`a:${i.event.anonymousId}`] : [],
    );

    if (pending.length > 0) {
      const absorbed = new Map<string, ShopperProfile>();
      for (const anonymousKey of identified) {
        const anonymous = await deps.shoppers.readShopper(anonymousKey);
        if (anonymous && anonymous.profile.mergedInto === undefined) absorbed.set(anonymousKey, anonymous.profile);
      }
      const folded = foldShopperEvents(profile, pending, absorbed);
      const last = pending.at(-1);
      const written = await deps.shoppers.writeShopper(key, {
        profile: folded.profile,
        expectedVersion: stored?.featureVersion ?? 0,
        mark: { shardId, sequenceKey: sequenceKey(last?.recordId.slice(shardId.length + 1) ?? '0') },
        expiresAt: Math.floor(deps.clock.now() / 1000) + ttls.userFeaturesSeconds,
      });
      if (!written) continue;
      for (const outcome of folded.outcomes) outcomes.set(outcome.recordId, outcome);
    }
    // Also on replays: an attempt may have merged the profile and failed before marking.
    for (const anonymousKey of identified) {
      if (anonymousKey !== key) await markMerged(deps.shoppers, anonymousKey, key, deps.clock);
    }
    return inputs.map((i) => outcomes.get(i.recordId) as EventOutcome);
  }
  throw new ShopperConflictError(key);
}

/** Phase 2 input: what each counted event adds to item day buckets, coalesced per bucket. */
function countsOf(itemIds: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const itemId of itemIds) counts[itemId] = (counts[itemId] ?? 0) + 1;
  return counts;
}

function itemContributions(
  records: readonly ValidRecord[],
  outcomes: ReadonlyMap<string, EventOutcome>,
): Map<string, { shardId: string; itemId: string; day: string; contributions: Contribution<ItemActivity>[] }> {
  const buckets = new Map<
    string,
    { shardId: string; itemId: string; day: string; contributions: Contribution<ItemActivity>[] }
  >();
  const add = (shardId: string, itemId: string, day: string, sequenceNumber: string, value: ItemActivity) => {
    const key = `${shardId}|${itemId}|${day}`;
    let bucket = buckets.get(key);
    if (!bucket) {
      bucket = { shardId, itemId, day, contributions: [] };
      buckets.set(key, bucket);
    }
    bucket.contributions.push({ sequenceNumber, value });
  };
  for (const { record, recordId, event } of records) {
    const outcome = outcomes.get(recordId);
    if (!outcome || outcome.status === 'duplicate') continue;
    if (!itemEventTypes.has(event.type) || event.itemId === undefined) continue;
    const weight = eventWeights[event.type as ItemEventType];
    const day = dayBucket(event.timestamp);
    const { shardId, sequenceNumber } = record;
    const { viewedWith, boughtWith } = outcome;
    add(shardId, event.itemId, day, sequenceNumber, {
      weight,
      trend: trendIncrement(weight, event.timestamp),
      ...(viewedWith.length > 0 ? { viewedWith: countsOf(viewedWith) } : {}),
      ...(boughtWith.length > 0 ? { boughtWith: countsOf(boughtWith) } : {}),
    });
    // Co-occurrence is symmetric: the partner's bucket counts this item too.
    const self = { [event.itemId]: 1 };
    const bought = new Set(boughtWith);
    for (const partner of viewedWith) {
      add(shardId, partner, day, sequenceNumber, {
        weight: 0,
        trend: 0,
        viewedWith: self,
        ...(bought.delete(partner) ? { boughtWith: self } : {}),
      });
    }
    for (const partner of bought) {
      add(shardId, partner, day, sequenceNumber, { weight: 0, trend: 0, boughtWith: self });
    }
  }
  return buckets;
}

/**
 * Turns a batch of stream records into features, exactly once, with writes coalesced.
 *
 * 1. Poison records go to the poison sink and count as handled, so they never block the shard.
 * 2. Phase 1, per shopper: fold their events into their profile (recent items, affinities,
 *    searches, identity stitching, client-retry dedup by `eventId`), one conditional write each.
 * 3. Phase 2, per item and day: add popularity, trend and co-occurrence counts, one idempotent
 *    write each. Only records before the shard's first phase-1 failure take part: Lambda retries
 *    from that record, and a later record must not move an item's high-water mark past it.
 * A record is reported failed when any write it needs failed; retrying it changes nothing that
 * was already applied.
 */
export async function applyEventBatch(records: readonly StreamRecord[], deps: FeatureDeps): Promise<BatchOutcome> {
  const decoded = records.map(decodeStreamRecord);
  const valid: ValidRecord[] = decoded.flatMap((d) =>
    d.ok ? [{ record: d.record, recordId: `${d.record.shardId}:${d.record.sequenceNumber}`, event: d.event }] : [],
  );
  const poison = decoded.flatMap((d) => (d.ok ? [] : [d.poison]));
  const failed = new Set<string>();
  const errors: unknown[] = [];
  const concurrency = deps.writeConcurrency ?? 16;
  let writes = 0;

  if (poison.length > 0) {
    try {
      await deps.poisonSink.send(poison);
    } catch (error) {
      // If they cannot be parked, they must be retried rather than lost.
      errors.push(error);
      for (const p of poison) failed.add(p.sequenceNumber);
    }
  }

  // Categories feed the shoppers' affinities and served lists feed attribution; if either cannot
  // be read, the batch is retried rather than counted without them.
  let categories: ReadonlyMap<string, readonly string[]>;
  let served: ReadonlyMap<string, RecommendationRecord> = new Map();
  try {
    const itemIds = [...new Set(valid.flatMap((v) => (v.event.itemId === undefined ? [] : [v.event.itemId])))];
    const recommendationIds = [
      ...new Set(valid.flatMap((v) => (v.event.recommendationId === undefined ? [] : [v.event.recommendationId]))),
    ];
    [categories, served] = await Promise.all([
      deps.catalogue.categoriesOf(itemIds),
      deps.attribution && recommendationIds.length > 0
        ? deps.attribution.getRecommendations(recommendationIds)
        : Promise.resolve(new Map<string, RecommendationRecord>()),
    ]);
  } catch (error) {
    return {
      failedSequenceNumbers: new Set(records.map((r) => r.sequenceNumber)),
      applied: 0,
      poisoned: poison.length,
      duplicates: 0,
      writes,
      errors: [...errors, error],
    };
  }

  // Phase 1
  const byShopper = new Map<
    string,
    { shardId: string; key: string; inputs: ShopperEventInput[]; records: ValidRecord[] }
  >();
  for (const v of valid) {
    const key = shopperKey(v.event);
    const groupKey = `${v.record.shardId}|${key}`;
    let group = byShopper.get(groupKey);
    if (!group) {
      group = { shardId: v.record.shardId, key, inputs: [], records: [] };
      byShopper.set(groupKey, group);
    }
    group.inputs.push({
      recordId: v.recordId,
      event: v.event,
      categories: v.event.itemId === undefined ? [] : (categories.get(v.event.itemId) ?? []),
    });
    group.records.push(v);
  }
  const outcomes = new Map<string, EventOutcome>();
  await mapWithConcurrency([...byShopper.values()], concurrency, async (group) => {
    writes += 1;
    try {
      for (const outcome of await applyShopperRecords(group.shardId, group.key, group.inputs, deps)) {
        outcomes.set(outcome.recordId, outcome);
      }
    } catch (error) {
      errors.push(error);
      for (const r of group.records) failed.add(r.record.sequenceNumber);
    }
  });

  // Phase 2, on each shard's prefix before its first failure.
  const firstFailure = new Map<string, string>();
  for (const v of valid) {
    if (!failed.has(v.record.sequenceNumber)) continue;
    const key = sequenceKey(v.record.sequenceNumber);
    const current = firstFailure.get(v.record.shardId);
    if (current === undefined || key < current) firstFailure.set(v.record.shardId, key);
  }
  const beforeFailure = (r: StreamRecord) => {
    const limit = firstFailure.get(r.shardId);
    return limit === undefined || sequenceKey(r.sequenceNumber) < limit;
  };
  for (const v of valid) if (!beforeFailure(v.record)) failed.add(v.record.sequenceNumber);
  const counted = valid.filter((v) => beforeFailure(v.record) && outcomes.get(v.recordId)?.status !== 'duplicate');
  const buckets = itemContributions(counted, outcomes);
  const attributed = attributionUpdates(
    counted.map((v) => ({ shardId: v.record.shardId, sequenceNumber: v.record.sequenceNumber, event: v.event })),
    served,
    dayBucket,
  );
  const phase2: { sequenceNumbers: string[]; run: () => Promise<void> }[] = [
    ...[...buckets.values()].map(({ shardId, itemId, day, contributions }) => ({
      sequenceNumbers: contributions.map((c) => c.sequenceNumber),
      run: () => deps.items.applyItemActivity(shardId, { itemId, day, contributions }),
    })),
    ...attributed.map(({ shardId, update }) => ({
      sequenceNumbers: update.contributions.map((c) => c.sequenceNumber),
      run: () => deps.attribution?.applyAttribution(shardId, update) ?? Promise.resolve(),
    })),
  ];
  await mapWithConcurrency(phase2, concurrency, async (write) => {
    writes += 1;
    try {
      await write.run();
    } catch (error) {
      errors.push(error);
      for (const sequenceNumber of write.sequenceNumbers) failed.add(sequenceNumber);
    }
  });

  const duplicates = [...outcomes.values()].filter((o) => o.status === 'duplicate').length;
  const applied = records.length - failed.size;
  return { failedSequenceNumbers: failed, applied, poisoned: poison.length, duplicates, writes, errors };
}
