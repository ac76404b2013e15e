import { eventWeights, ITEM_EVENT_TYPES, type ItemEventType } from '../config/index.ts';
import { shopperKey, streamEventSchema, type StreamEvent } from '../events/schema.ts';
import type {
  Contribution,
  FeatureStore,
  PoisonRecord,
  PoisonSink,
  PopularityUpdate,
  RecentItem,
  RecentItemsUpdate,
} from '../ports/index.ts';
import { mapWithConcurrency } from './concurrency.ts';

/** A stream record as the processor receives it (Lambda's Kinesis record, reduced). */
export interface StreamRecord {
  readonly shardId: string;
  readonly sequenceNumber: string;
  /** Base64 of the JSON event. */
  readonly data: string;
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
  readonly features: FeatureStore;
  readonly poisonSink: PoisonSink;
  /** Parallel writes to the store per batch; DynamoDB round trips dominate, not CPU. */
  readonly writeConcurrency?: number;
}

export interface BatchOutcome {
  /** Sequence numbers of records whose effects were not all applied; Lambda retries them. */
  readonly failedSequenceNumbers: ReadonlySet<string>;
  readonly applied: number;
  readonly poisoned: number;
  /** Store writes issued for the batch (after coalescing). */
  readonly writes: number;
  readonly errors: readonly unknown[];
}

const itemEventTypes: ReadonlySet<string> = new Set(ITEM_EVENT_TYPES);

export function dayBucket(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 10);
}

interface PendingWrite {
  readonly sequenceNumbers: readonly string[];
  readonly run: () => Promise<void>;
}

/** Groups the batch's effects per feature item so each item is written once per batch. */
function coalesce(records: readonly (DecodedRecord & { ok: true })[], features: FeatureStore): PendingWrite[] {
  const popularity = new Map<string, { shardId: string; itemId: string; day: string; c: Contribution<number>[] }>();
  const recent = new Map<string, { shardId: string; shopperKey: string; c: Contribution<RecentItem>[] }>();
  for (const { record, event } of records) {
    if (!itemEventTypes.has(event.type) || event.itemId === undefined) continue;
    const type = event.type as ItemEventType;
    const weight = eventWeights[type];
    const day = dayBucket(event.timestamp);
    const sequenceNumber = record.sequenceNumber;

    const popularityKey = `${record.shardId}|${event.itemId}|${day}`;
    let item = popularity.get(popularityKey);
    if (!item) {
      item = { shardId: record.shardId, itemId: event.itemId, day, c: [] };
      popularity.set(popularityKey, item);
    }
    item.c.push({ sequenceNumber, value: weight });

    const shopper = shopperKey(event);
    const recentKey = `${record.shardId}|${shopper}`;
    let person = recent.get(recentKey);
    if (!person) {
      person = { shardId: record.shardId, shopperKey: shopper, c: [] };
      recent.set(recentKey, person);
    }
    person.c.push({
      sequenceNumber,
      value: { itemId: event.itemId, type, at: event.timestamp, weight, purchased: type === 'purchase' },
    });
  }
  const writes: PendingWrite[] = [];
  for (const { shardId, itemId, day, c } of popularity.values()) {
    const update: PopularityUpdate = { itemId, day, contributions: c };
    writes.push({
      sequenceNumbers: c.map((x) => x.sequenceNumber),
      run: () => features.applyPopularity(shardId, update),
    });
  }
  for (const { shardId, shopperKey: key, c } of recent.values()) {
    const update: RecentItemsUpdate = { shopperKey: key, contributions: c };
    writes.push({
      sequenceNumbers: c.map((x) => x.sequenceNumber),
      run: () => features.applyRecentItems(shardId, update),
    });
  }
  return writes;
}

/**
 * Turns a batch of stream records into feature updates.
 *
 * Poison records go to the poison sink and count as handled, so they never block the shard.
 * Every other record's effects are coalesced per feature item and applied idempotently; a
 * record is reported failed when any write it contributes to failed, and a retry of it
 * (with everything after it) changes nothing that was already applied.
 */
export async function applyEventBatch(records: readonly StreamRecord[], deps: FeatureDeps): Promise<BatchOutcome> {
  const decoded = records.map(decodeStreamRecord);
  const valid = decoded.filter((d): d is DecodedRecord & { ok: true } => d.ok);
  const poison = decoded.flatMap((d) => (d.ok ? [] : [d.poison]));
  const failed = new Set<string>();
  const errors: unknown[] = [];

  if (poison.length > 0) {
    try {
      await deps.poisonSink.send(poison);
    } catch (error) {
      // If they cannot be parked, they must be retried rather than lost.
      errors.push(error);
      for (const p of poison) failed.add(p.sequenceNumber);
    }
  }

  const writes = coalesce(valid, deps.features);
  await mapWithConcurrency(writes, deps.writeConcurrency ?? 16, async (write) => {
    try {
      await write.run();
    } catch (error) {
      errors.push(error);
      for (const sequenceNumber of write.sequenceNumbers) failed.add(sequenceNumber);
    }
  });

  const applied = valid.filter((v) => !failed.has(v.record.sequenceNumber)).length;
  return { failedSequenceNumbers: failed, applied, poisoned: poison.length, writes: writes.length, errors };
}
