/**
 * Benchmark inputs built from the seeded storefront simulator, so the mix of event types, ids,
 * properties and shoppers is the one the local stack produces, and every run sees the same events.
 */
import { apiLimits } from '#shared/config/index.ts';
import type { StorefrontEventInput } from '#shared/events/schema.ts';
import type { StreamRecord } from '#shared/features/applyEvents.ts';
import { createCatalogue, createShoppers, createTrafficSimulator } from '#local/simulator/index.ts';

export const SIMULATOR_SEED = 7;
/** Simulated time of the first event (fixed, so runs are reproducible). */
export const SIMULATION_START_MS = Date.UTC(2025, 0, 15, 12, 0, 0);
/** Simulated clock advance per event: 20,000 events span 100 s. */
export const EVENT_SPACING_MS = 5;

/** `count` simulator events with timestamps from {@link SIMULATION_START_MS} on. */
export function simulatorEvents(count: number, seed = SIMULATOR_SEED): StorefrontEventInput[] {
  const catalogue = createCatalogue({ seed });
  const shoppers = createShoppers({ seed, catalogue });
  let clock = SIMULATION_START_MS;
  const now = (): number => (clock += EVENT_SPACING_MS);
  return createTrafficSimulator({ seed, catalogue, shoppers, now }).nextEvents(count);
}

/** An event timestamp (ISO 8601 or epoch ms) as epoch ms. */
export function toEpochMs(timestamp: string | number): number {
  const ms = typeof timestamp === 'number' ? timestamp : Date.parse(timestamp);
  if (!Number.isInteger(ms)) throw new RangeError(`not a usable timestamp: ${String(timestamp)}`);
  return ms;
}

/** The latest timestamp among the events, in epoch ms. */
export function latestTimestamp(events: readonly StorefrontEventInput[]): number {
  return events.reduce((latest, event) => Math.max(latest, toEpochMs(event.timestamp)), 0);
}

export function chunk<T>(items: readonly T[], size: number): T[][] {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`chunk size must be a positive integer, got ${size}`);
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}

/** `POST /v1/events` bodies as the API receives them: `{"events": [...]}` with `perRequest` events each. */
export function requestBodies(events: readonly StorefrontEventInput[], perRequest: number): string[] {
  if (perRequest > apiLimits.maxEventsPerRequest) {
    throw new RangeError(`at most ${apiLimits.maxEventsPerRequest} events fit in one request`);
  }
  return chunk(events, perRequest).map((batch) => JSON.stringify({ events: batch }));
}

/**
 * A Kinesis sequence number of realistic length (56 digits); later records get larger numbers,
 * as on one shard.
 */
export const FIRST_SEQUENCE_NUMBER = 49_590_338_271_490_256_608_559_692_538_361_571_095_921_575_989_136_588_898n;

export interface StreamRecordOptions {
  readonly shardId: string;
  readonly firstSequenceNumber?: bigint;
  /** Server receive time minus event time, in ms. */
  readonly receiveLagMs?: number;
}

/**
 * The records the processor reads: each event as the ingest API writes it to the stream
 * (`timestamp` normalised to epoch ms, `receivedAt` added), JSON, base64, with increasing
 * sequence numbers on one shard.
 */
export function streamRecords(events: readonly StorefrontEventInput[], options: StreamRecordOptions): StreamRecord[] {
  const { shardId, firstSequenceNumber = FIRST_SEQUENCE_NUMBER, receiveLagMs = 40 } = options;
  return events.map((event, i) => {
    const timestamp = toEpochMs(event.timestamp);
    const streamEvent = { ...event, timestamp, receivedAt: timestamp + receiveLagMs };
    return {
      shardId,
      sequenceNumber: (firstSequenceNumber + BigInt(i)).toString(),
      data: Buffer.from(JSON.stringify(streamEvent), 'utf8').toString('base64'),
    };
  });
}
