/**
 * Processor throughput: `applyEventBatch` over 1,000-record batches of simulator events from one
 * shard, with the feature store and poison sink answered in-process, so decoding, validation,
 * coalescing and the idempotent merge are on the clock and DynamoDB round trips are not.
 * Floor: decoding the same records (base64, JSON.parse, streamEventSchema.safeParse) and nothing else.
 */
import { ITEM_EVENT_TYPES } from '#shared/config/index.ts';
import { MemoryPoisonSink } from '#shared/adapters/memoryPoisonSink.ts';
import { MemoryFeatureStore } from '#shared/adapters/memoryFeatureStore.ts';
import { streamEventSchema } from '#shared/events/schema.ts';
import {
  applyEventBatch,
  type BatchOutcome,
  type FeatureDeps,
  type StreamRecord,
} from '#shared/features/applyEvents.ts';
import { CachedCatalogueLookup } from '#shared/features/catalogueLookup.ts';
import { chunk, simulatorEvents, streamRecords } from '../lib/fixtures.ts';
import { atLeast, below, measurePair, type BenchResult } from '../lib/harness.ts';

export const name = 'processor';
export const description =
  'applyEventBatch on 20 batches of 1,000 stream records (simulator events, one shard) into a fresh MemoryFeatureStore per round; floor: base64 + JSON.parse + streamEventSchema.safeParse of the same records.';

const BATCH_SIZE = 1_000;
const BATCHES = 20;
const SHARD_ID = 'shardId-000000000000';
const WARMUP_ROUNDS = 3;
const ROUNDS = 20;
/** From the issue tracker. */
const TARGET_EVENTS_PER_SECOND = 20_000;
const TARGET_SHARE_OF_FLOOR = 0.25;
const TARGET_WRITES_PER_EVENT = 1;

/** The batches in shard order into one new store, as one processor instance would see them. */
async function processAll(batches: readonly StreamRecord[][]): Promise<BatchOutcome[]> {
  const store = new MemoryFeatureStore();
  const clock = { now: () => Date.now() };
  const deps: FeatureDeps = {
    shoppers: store,
    items: store,
    catalogue: new CachedCatalogueLookup(store, clock),
    poisonSink: new MemoryPoisonSink(),
    clock,
  };
  const outcomes: BatchOutcome[] = [];
  for (const batch of batches) outcomes.push(await applyEventBatch(batch, deps));
  return outcomes;
}

export async function run(): Promise<BenchResult> {
  const eventCount = BATCH_SIZE * BATCHES;
  const events = simulatorEvents(eventCount);
  const records = streamRecords(events, { shardId: SHARD_ID });
  const batches = chunk(records, BATCH_SIZE);

  // Check the workload before timing it: nothing poisoned, nothing failed.
  const outcomes = await processAll(batches);
  const sum = (pick: (o: BatchOutcome) => number): number => outcomes.reduce((total, o) => total + pick(o), 0);
  const applied = sum((o) => o.applied);
  const poisoned = sum((o) => o.poisoned);
  const failed = sum((o) => o.failedSequenceNumbers.size);
  if (applied !== eventCount || poisoned !== 0 || failed !== 0) {
    throw new Error(`expected ${eventCount} applied, got ${applied} applied, ${poisoned} poisoned, ${failed} failed`);
  }
  const writes = sum((o) => o.writes);
  const itemTypes: ReadonlySet<string> = new Set(ITEM_EVENT_TYPES);
  const itemEvents = events.filter((e) => itemTypes.has(e.type));

  let decoded = 0;
  const measurement = await measurePair(
    {
      label: 'applyEventBatch',
      units: eventCount,
      run: () => processAll(batches),
    },
    {
      label: 'decode + safeParse',
      units: eventCount,
      run: () => {
        for (const record of records) {
          const json: unknown = JSON.parse(Buffer.from(record.data, 'base64').toString('utf8'));
          if (streamEventSchema.safeParse(json).success) decoded++;
        }
      },
    },
    { warmupRounds: WARMUP_ROUNDS, rounds: ROUNDS },
  );
  if (decoded !== eventCount * (WARMUP_ROUNDS + ROUNDS))
    throw new Error('floor decoded an unexpected number of records');

  const writesPerEvent = writes / eventCount;
  return {
    unit: 'events',
    ...measurement,
    metrics: {
      events: eventCount,
      batches: BATCHES,
      batchSize: BATCH_SIZE,
      storeWrites: writes,
      writesPerEvent,
      writesPerBatchMean: writes / BATCHES,
      itemEventShare: itemEvents.length / eventCount,
      batchesPerSecondMedian: measurement.subject.medianPerSecond / BATCH_SIZE,
    },
    targets: [
      atLeast(
        'throughput, 1,000-record batches, one core',
        measurement.subject.medianPerSecond,
        TARGET_EVENTS_PER_SECOND,
        'events/s',
      ),
      atLeast('share of the decode floor', measurement.ratio, TARGET_SHARE_OF_FLOOR, '%'),
      below('store writes per event', writesPerEvent, TARGET_WRITES_PER_EVENT, ''),
    ],
  };
}
