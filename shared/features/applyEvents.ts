import { shopperKey, streamEventSchema, type StreamEvent } from '../events/schema.ts';
import type { AttributionUpdate, PoisonRecord, RecommendationRecord } from '../ports/index.ts';
import { servedListId } from '../recommendationIds.ts';
import { attributionUpdates } from './attribution.ts';
import { mapWithConcurrency } from './concurrency.ts';
import type { FeatureDeps, StreamRecord, ValidRecord } from './deps.ts';
import { dayBucket, itemContributions, type ItemBucket } from './itemActivity.ts';
import type { EventOutcome, ShopperEventInput } from './profile.ts';
import { sequenceKey } from './sequence.ts';
import { applyShopperRecords, type ShopperGroup } from './shopperRecords.ts';

export type { ErasureLookup, FeatureDeps, StreamRecord } from './deps.ts';
export { countsOf, dayBucket, trendIncrement } from './itemActivity.ts';

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

export interface BatchOutcome {
  /** Sequence numbers of records whose effects were not all applied; Lambda retries them. */
  readonly failedSequenceNumbers: ReadonlySet<string>;
  /** Records fully handled (including duplicates and parked poison). */
  readonly applied: number;
  /** Records parked by this delivery: undecodable ones, and those their profile can never take. */
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

interface AttributionWrite {
  readonly kind: 'attribution';
  readonly shardId: string;
  readonly update: AttributionUpdate;
}

/**
 * Turns a batch of stream records into features, exactly once, with writes coalesced.
 *
 * 1. Records that do not decode go to the poison sink and count as handled, so they never block
 *    the shard.
 * 2. Phase 1, per shopper: fold their events into their profile (recent items, affinities,
 *    searches, identity stitching, client-retry dedup by `eventId`), one conditional write each.
 *    A record the profile can never take is parked alone (see `applyShopperRecords`) and counts
 *    as handled too; the shopper's other records and everyone else's go on.
 * 3. Phase 2, per item and day: add popularity, trend and co-occurrence counts, one idempotent
 *    write each. Only records before the shard's first phase-1 failure take part: Lambda retries
 *    from that record, and a later record must not move an item's high-water mark past it.
 * A record is reported failed when any write it needs failed for a reason retrying can cure
 * (throttling, an outage); retrying it changes nothing that was already applied.
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
  const byShopper = new Map<string, ShopperGroup & { inputs: ShopperEventInput[]; records: ValidRecord[] }>();
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
  let parked = 0;
  await mapWithConcurrency([...byShopper.values()], concurrency, async (group) => {
    writes += 1;
    try {
      const result = await applyShopperRecords(group, deps);
      for (const outcome of result.outcomes) outcomes.set(outcome.recordId, outcome);
      parked += result.parked;
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
    else {
      const status = outcomes.get(v.recordId)?.status;
      if (status !== 'duplicate' && status !== 'parked') counted.push(v);
    }
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
  const poisoned = poison.length + parked;
  return { failedSequenceNumbers: failed, applied, poisoned, duplicates, linksRefused, writes, errors };
}
