import { dataLake, eventWeights, featureLimits, ITEM_EVENT_TYPES, ttls, type ItemEventType } from '../config/index.ts';
import { shopperKey, streamEventSchema, type StreamEvent } from '../events/schema.ts';
import type { ErasureHasher } from '../privacy/erasureHash.ts';
import type {
  AliasStore,
  AttributionStore,
  AttributionUpdate,
  Clock,
  RecommendationLog,
  RecommendationRecord,
  Contribution,
  ErasureLog,
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
import { servedListId } from '../recommendationIds.ts';

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

function poisonOf(record: StreamRecord, reason: string, message: string): DecodedRecord {
  return {
    ok: false,
    poison: { shardId: record.shardId, sequenceNumber: record.sequenceNumber, reason, message, data: record.data },
  };
}

/** Decodes and validates one record; a record that fails here will fail forever (poison). */
export function decodeStreamRecord(record: StreamRecord): DecodedRecord {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(record.data, 'base64').toString('utf8'));
  } catch (error) {
    return poisonOf(record, 'invalid_json', `record data is not JSON: ${(error as Error).message}`);
  }
  const parsed = streamEventSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join('.') ?? '';
    return poisonOf(record, 'invalid_event', `${field ? `${field}: ` : ''}${issue?.message ?? 'invalid event'}`);
  }
  return { ok: true, record, event: parsed.data };
}

/** What tells whether an anonymous id was erased, after its tombstone has expired. */
export interface ErasureLookup {
  readonly log: Pick<ErasureLog, 'erasedAt'>;
  readonly hasher: ErasureHasher;
}

export interface FeatureDeps {
  /** Profiles, and the alias items `identify` writes. */
  readonly shoppers: ShopperStore & AliasStore;
  readonly items: ItemActivityStore;
  readonly catalogue: CatalogueLookup;
  readonly poisonSink: PoisonSink;
  readonly clock: Clock;
  /** Counts clicks, add-to-carts and purchases on served lists (events with `recommendationId`). */
  readonly attribution?: AttributionStore & Pick<RecommendationLog, 'getRecommendations'>;
  /**
   * The erasure log, so `identify` never links an erased anonymous id again (one point read per
   * new link). Without it only the anonymous id's tombstone shows an erasure, and that expires.
   */
  readonly erasures?: ErasureLookup;
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
  /**
   * `identify` events that changed nothing: their anonymous id was linked to another shopper
   * first, or erased (the first link wins).
   */
  readonly linksRefused: number;
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

/**
 * Links and their merge markers live as long as the raw events in the data lake that show the
 * link: erasure must find every alias whose events training could still read.
 */
const linkExpiry = (clock: Clock): number => Math.floor(clock.now() / 1000) + dataLake.retentionDays * 24 * 60 * 60;

/** Whether a profile still holds a history to absorb: a claimed profile keeps it until absorbed. */
const hasHistory = (profile: ShopperProfile): boolean =>
  profile.recentItems.length > 0 ||
  profile.recentQueries.length > 0 ||
  Object.keys(profile.categoryAffinities).length > 0;

/** What became of one `identify` link: made for this shopper, with the history still to absorb, or refused. */
type Link = { readonly status: 'linked'; readonly history?: ShopperProfile } | { readonly status: 'refused' };

/**
 * Claims an anonymous id for `intoKey`: sets its profile's `mergedInto` unless it is set already
 * (the first link wins) or the id was erased. The history stays on the anonymous profile until the
 * shopper's profile has absorbed it (see {@link finishLink}), so a failure in between loses nothing.
 */
async function claimLink(deps: FeatureDeps, anonymousKey: string, intoKey: string): Promise<Link> {
  let erasedBefore: boolean | undefined;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const stored = await deps.shoppers.readShopper(anonymousKey);
    const profile = stored?.profile;
    if (profile?.mergedInto === intoKey)
      return { status: 'linked', ...(hasHistory(profile) ? { history: profile } : {}) };
    // Linked before, or erased (an erased alias's link is gone, but it was made): never again.
    if (profile?.mergedInto !== undefined || profile?.erasedAt !== undefined) return { status: 'refused' };
    if (erasedBefore === undefined && deps.erasures) {
      const { log, hasher } = deps.erasures;
      erasedBefore = (await log.erasedAt(await hasher.hash(anonymousKey))) !== undefined;
    }
    if (erasedBefore === true) return { status: 'refused' };
    const written = await deps.shoppers.writeShopper(anonymousKey, {
      profile: { ...(profile ?? emptyProfile), mergedInto: intoKey },
      expectedVersion: stored?.featureVersion ?? 0,
      expiresAt: linkExpiry(deps.clock),
    });
    if (written) return { status: 'linked', ...(profile && hasHistory(profile) ? { history: profile } : {}) };
  }
  throw new ShopperConflictError(anonymousKey);
}

/**
 * After the shopper's profile absorbed an anonymous history: drops that history from the
 * anonymous profile, keeping the link and the seen event ids (a late client retry of an anonymous
 * event is still recognised). Does nothing for a link that is not `intoKey`'s or already finished.
 */
async function finishLink(deps: FeatureDeps, anonymousKey: string, intoKey: string): Promise<void> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const stored = await deps.shoppers.readShopper(anonymousKey);
    if (stored === undefined || stored.profile.mergedInto !== intoKey || !hasHistory(stored.profile)) return;
    const written = await deps.shoppers.writeShopper(anonymousKey, {
      profile: { ...emptyProfile, seenEvents: stored.profile.seenEvents, mergedInto: intoKey },
      expectedVersion: stored.featureVersion,
      expiresAt: linkExpiry(deps.clock),
    });
    if (written) return;
  }
  throw new ShopperConflictError(anonymousKey);
}

/** One shopper's records of a batch, in stream order (`inputs[i]` is built from `records[i]`). */
interface ShopperGroup {
  readonly shardId: string;
  readonly key: string;
  readonly inputs: ShopperEventInput[];
  readonly records: ValidRecord[];
}

const anonymousKeyOf = (event: StreamEvent): string | undefined =>
  event.type === 'identify' && event.anonymousId !== undefined ? `a:${event.anonymousId}` : undefined;

/**
 * The links the pending `identify` events make, claimed before the fold so it knows what to
 * absorb and what was refused. Skipped, as the fold skips them: events received before the
 * shopper's erasure, and client retries (an event id seen before).
 */
async function claimLinks(
  deps: FeatureDeps,
  key: string,
  profile: ShopperProfile,
  pending: readonly ShopperEventInput[],
): Promise<Map<string, Link>> {
  const links = new Map<string, Link>();
  if (!pending.some((input) => anonymousKeyOf(input.event) !== undefined)) return links;
  const seen = new Set(profile.seenEvents.map((s) => s.eventId));
  for (const { event } of pending) {
    if (profile.erasedAt !== undefined && event.receivedAt <= profile.erasedAt) continue;
    const anonymousKey = anonymousKeyOf(event);
    if (seen.has(event.eventId)) continue;
    seen.add(event.eventId);
    if (anonymousKey === undefined || links.has(anonymousKey)) continue;
    const link = await claimLink(deps, anonymousKey, key);
    // The alias item before the profile absorbs the history: an erasure from then on finds it.
    if (link.status === 'linked') await deps.shoppers.putAlias(key, anonymousKey, linkExpiry(deps.clock));
    links.set(anonymousKey, link);
  }
  return links;
}

/**
 * Phase 1: one shopper's records, in order, folded into their profile exactly once. Records at
 * or below the profile's high-water mark for this shard were applied before; their outcome is
 * recomputed from the stored profile so phase 2 can finish what a failed attempt left undone.
 * Returns the outcome of each input, by position.
 */
async function applyShopperRecords(group: ShopperGroup, deps: FeatureDeps): Promise<EventOutcome[]> {
  const { shardId, inputs, records } = group;
  let key = group.key;
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
    // Without a mark every record is new; otherwise the ones at or below it are replays.
    let pending: readonly ShopperEventInput[] = inputs;
    let lastPending = records.at(-1);
    let outcomes: (EventOutcome | undefined)[] | undefined;
    if (mark !== undefined) {
      const stillPending: ShopperEventInput[] = [];
      outcomes = new Array<EventOutcome | undefined>(inputs.length);
      lastPending = undefined;
      for (let i = 0; i < inputs.length; i++) {
        const input = inputs[i] as ShopperEventInput;
        const record = records[i] as ValidRecord;
        if (sequenceKey(record.record.sequenceNumber) > mark) {
          stillPending.push(input);
          lastPending = record;
        } else {
          outcomes[i] = replayedOutcome(profile, input);
          // An earlier attempt absorbed this link's history and may have failed before finishing
          // it: finish it now, before a later identify of the same id could absorb it again.
          const anonymousKey = anonymousKeyOf(input.event);
          if (anonymousKey !== undefined) await finishLink(deps, anonymousKey, key);
        }
      }
      pending = stillPending;
    }

    let links = new Map<string, Link>();
    if (pending.length > 0) {
      links = await claimLinks(deps, key, profile, pending);
      const absorbed = new Map<string, ShopperProfile>();
      const refused = new Set<string>();
      for (const [anonymousKey, link] of links) {
        if (link.status === 'refused') refused.add(anonymousKey);
        else if (link.history) absorbed.set(anonymousKey, link.history);
      }
      const folded = foldShopperEvents(profile, pending, absorbed, refused);
      const written = await deps.shoppers.writeShopper(key, {
        profile: folded.profile,
        expectedVersion: stored?.featureVersion ?? 0,
        mark: { shardId, sequenceKey: sequenceKey(lastPending?.record.sequenceNumber ?? '0') },
        expiresAt: Math.floor(deps.clock.now() / 1000) + ttls.userFeaturesSeconds,
      });
      if (!written) continue;
      if (outcomes === undefined) outcomes = folded.outcomes;
      else {
        // Pending inputs fill the gaps between replays, in order.
        let next = 0;
        for (let i = 0; i < outcomes.length; i++) {
          if (outcomes[i] === undefined) outcomes[i] = folded.outcomes[next++];
        }
      }
    }
    for (const [anonymousKey, link] of links) {
      if (link.status === 'linked') await finishLink(deps, anonymousKey, key);
    }
    // Events of a linked anonymous id keep its alias item alive as long as the lake keeps them.
    if (key !== group.key) await deps.shoppers.putAlias(key, group.key, linkExpiry(deps.clock));
    return outcomes as EventOutcome[];
  }
  throw new ShopperConflictError(key);
}

/**
 * Phase 2 input: how often each item occurs in `itemIds`, keys in order of first occurrence.
 *
 * The object has no prototype, which V8 keeps as a hash table from the start: an ordinary object
 * gets a new hidden class for every new combination of keys, and with item ids as keys nearly
 * every event's partners are a new combination (that made counting the processor's hot spot).
 * Each key is also written once, with its final count, found by scanning the short list.
 */
export function countsOf(itemIds: readonly string[]): Record<string, number> {
  const counts = Object.create(null) as Record<string, number>;
  if (itemIds.length > 32) {
    for (const itemId of itemIds) counts[itemId] = (counts[itemId] ?? 0) + 1;
    return counts;
  }
  for (let i = 0; i < itemIds.length; i++) {
    const itemId = itemIds[i] as string;
    let repeat = false;
    for (let j = 0; j < i && !repeat; j++) repeat = itemIds[j] === itemId;
    if (repeat) continue;
    let count = 1;
    for (let j = i + 1; j < itemIds.length; j++) if (itemIds[j] === itemId) count += 1;
    counts[itemId] = count;
  }
  return counts;
}

const onesByItem = new Map<string, Readonly<Record<string, number>>>();

/**
 * `{ [itemId]: 1 }`, what an event adds to each partner's co-occurrence counts, frozen and shared
 * (memoised like day names: a new object per event and partner was most of the batch's garbage).
 */
function countOfOne(itemId: string): Readonly<Record<string, number>> {
  let one = onesByItem.get(itemId);
  if (one === undefined) {
    one = Object.freeze({ [itemId]: 1 });
    if (onesByItem.size >= 50_000) onesByItem.clear();
    onesByItem.set(itemId, one);
  }
  return one;
}

/** The contributions of a batch to one item's day bucket, from one shard. */
interface ItemBucket {
  readonly kind: 'item';
  readonly shardId: string;
  readonly update: { readonly itemId: string; readonly day: string; contributions: Contribution<ItemActivity>[] };
}

interface AttributionWrite {
  readonly kind: 'attribution';
  readonly shardId: string;
  readonly update: AttributionUpdate;
}

type MutableItemActivity = { -readonly [K in keyof ItemActivity]: ItemActivity[K] };

/**
 * Item buckets in the order they are first touched. Buckets are found by shard, day and item in
 * nested maps (no composite key string per contribution), and an event's partner contributions
 * are one shared, read-only object per kind rather than one per partner.
 */
function itemContributions(records: readonly ValidRecord[], outcomes: ReadonlyMap<string, EventOutcome>): ItemBucket[] {
  const buckets: ItemBucket[] = [];
  const byShardAndDay = new Map<string, Map<string, Map<string, ItemBucket>>>();
  let lastShardId: string | undefined;
  let lastDay: string | undefined;
  let byItem = new Map<string, ItemBucket>();
  const add = (shardId: string, itemId: string, day: string, contribution: Contribution<ItemActivity>) => {
    let bucket = byItem.get(itemId);
    if (bucket === undefined) {
      bucket = { kind: 'item', shardId, update: { itemId, day, contributions: [] } };
      byItem.set(itemId, bucket);
      buckets.push(bucket);
    }
    bucket.update.contributions.push(contribution);
  };
  for (const { record, recordId, event } of records) {
    const outcome = outcomes.get(recordId);
    if (!outcome || outcome.status === 'duplicate') continue;
    if (!itemEventTypes.has(event.type) || event.itemId === undefined) continue;
    const weight = eventWeights[event.type as ItemEventType];
    const day = dayBucket(event.timestamp);
    const { shardId, sequenceNumber } = record;
    if (shardId !== lastShardId || day !== lastDay) {
      let byDay = byShardAndDay.get(shardId);
      if (byDay === undefined) {
        byDay = new Map();
        byShardAndDay.set(shardId, byDay);
      }
      let items = byDay.get(day);
      if (items === undefined) {
        items = new Map();
        byDay.set(day, items);
      }
      byItem = items;
      lastShardId = shardId;
      lastDay = day;
    }
    const { viewedWith, boughtWith } = outcome;
    const value: MutableItemActivity = { weight, trend: trendIncrement(weight, event.timestamp) };
    if (viewedWith.length > 0) value.viewedWith = countsOf(viewedWith);
    if (boughtWith.length > 0) value.boughtWith = countsOf(boughtWith);
    add(shardId, event.itemId, day, { sequenceNumber, value });
    if (viewedWith.length === 0 && boughtWith.length === 0) continue;
    // Co-occurrence is symmetric: the partner's bucket counts this item too.
    const self = countOfOne(event.itemId);
    let viewedOnly: Contribution<ItemActivity> | undefined;
    let viewedAndBought: Contribution<ItemActivity> | undefined;
    const bought = boughtWith.length > 0 ? new Set(boughtWith) : undefined;
    for (const partner of viewedWith) {
      if (bought?.delete(partner) === true) {
        viewedAndBought ??= { sequenceNumber, value: { weight: 0, trend: 0, viewedWith: self, boughtWith: self } };
        add(shardId, partner, day, viewedAndBought);
      } else {
        viewedOnly ??= { sequenceNumber, value: { weight: 0, trend: 0, viewedWith: self } };
        add(shardId, partner, day, viewedOnly);
      }
    }
    if (bought === undefined || bought.size === 0) continue;
    const boughtOnly: Contribution<ItemActivity> = { sequenceNumber, value: { weight: 0, trend: 0, boughtWith: self } };
    for (const partner of bought) add(shardId, partner, day, boughtOnly);
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
  const valid: ValidRecord[] = [];
  const poison: PoisonRecord[] = [];
  for (const record of records) {
    const decoded = decodeStreamRecord(record);
    if (decoded.ok)
      valid.push({ record, recordId: `${record.shardId}:${record.sequenceNumber}`, event: decoded.event });
    else poison.push(decoded.poison);
  }
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
    const itemIds = new Set<string>();
    const recommendationIds = new Set<string>();
    for (const { event } of valid) {
      if (event.itemId !== undefined) itemIds.add(event.itemId);
      if (event.recommendationId !== undefined) recommendationIds.add(servedListId(event.recommendationId));
    }
    [categories, served] = await Promise.all([
      deps.catalogue.categoriesOf([...itemIds]),
      deps.attribution && recommendationIds.size > 0
        ? deps.attribution.getRecommendations([...recommendationIds])
        : Promise.resolve(new Map<string, RecommendationRecord>()),
    ]);
  } catch (error) {
    return {
      failedSequenceNumbers: new Set(records.map((r) => r.sequenceNumber)),
      applied: 0,
      poisoned: poison.length,
      duplicates: 0,
      linksRefused: 0,
      writes,
      errors: [...errors, error],
    };
  }

  // Phase 1
  const byShopper = new Map<string, ShopperGroup>();
  const noCategories: readonly string[] = [];
  for (const v of valid) {
    const { event } = v;
    const key = shopperKey(event);
    const groupKey = `${v.record.shardId}|${key}`;
    let group = byShopper.get(groupKey);
    if (!group) {
      group = { shardId: v.record.shardId, key, inputs: [], records: [] };
      byShopper.set(groupKey, group);
    }
    group.inputs.push({
      recordId: v.recordId,
      event,
      categories: event.itemId === undefined ? noCategories : (categories.get(event.itemId) ?? noCategories),
    });
    group.records.push(v);
  }
  const outcomes = new Map<string, EventOutcome>();
  await mapWithConcurrency([...byShopper.values()], concurrency, async (group) => {
    writes += 1;
    try {
      for (const outcome of await applyShopperRecords(group, deps)) outcomes.set(outcome.recordId, outcome);
    } catch (error) {
      errors.push(error);
      for (const r of group.records) failed.add(r.record.sequenceNumber);
    }
  });

  // Phase 2, on each shard's prefix before its first failure.
  const firstFailure = new Map<string, string>();
  if (failed.size > 0) {
    for (const v of valid) {
      if (!failed.has(v.record.sequenceNumber)) continue;
      const key = sequenceKey(v.record.sequenceNumber);
      const current = firstFailure.get(v.record.shardId);
      if (current === undefined || key < current) firstFailure.set(v.record.shardId, key);
    }
  }
  const beforeFailure = (r: StreamRecord) => {
    const limit = firstFailure.get(r.shardId);
    return limit === undefined || sequenceKey(r.sequenceNumber) < limit;
  };
  const counted: ValidRecord[] = [];
  for (const v of valid) {
    if (firstFailure.size > 0 && !beforeFailure(v.record)) failed.add(v.record.sequenceNumber);
    else if (outcomes.get(v.recordId)?.status !== 'duplicate') counted.push(v);
  }
  const phase2: (ItemBucket | AttributionWrite)[] = itemContributions(counted, outcomes);
  // Without served lists nothing is attributed.
  if (served.size > 0) {
    const attributed = attributionUpdates(
      counted.map((v) => ({ shardId: v.record.shardId, sequenceNumber: v.record.sequenceNumber, event: v.event })),
      served,
      dayBucket,
    );
    for (const { shardId, update } of attributed) phase2.push({ kind: 'attribution', shardId, update });
  }
  await mapWithConcurrency(phase2, concurrency, async (write) => {
    writes += 1;
    try {
      if (write.kind === 'item') await deps.items.applyItemActivity(write.shardId, write.update);
      else await (deps.attribution?.applyAttribution(write.shardId, write.update) ?? Promise.resolve());
    } catch (error) {
      errors.push(error);
      for (const { sequenceNumber } of write.update.contributions) failed.add(sequenceNumber);
    }
  });

  let duplicates = 0;
  let linksRefused = 0;
  for (const outcome of outcomes.values()) {
    if (outcome.status === 'duplicate') duplicates += 1;
    else if (outcome.status === 'refused') linksRefused += 1;
  }
  const applied = records.length - failed.size;
  return { failedSequenceNumbers: failed, applied, poisoned: poison.length, duplicates, linksRefused, writes, errors };
}
