import type { StreamEvent } from '../events/schema.ts';
import type { EventStream, ParkedMessage, ParkedRecords, PoisonRecord } from '../ports/index.ts';
import { decodeStreamRecord } from './applyEvents.ts';

/** What a replay did with each message it read. */
export interface ReplayReport {
  /** Parked events put back on the stream, their messages removed. */
  readonly replayed: number;
  /** Messages of a record already replayed in this run (parked twice): removed, not put again. */
  readonly repeats: number;
  /** Parked records whose data still does not decode: left parked. */
  readonly stillInvalid: number;
  /** Parked records holding only the start of their data (too large for a message): left parked. */
  readonly truncated: number;
  /** Lambda's descriptions of batches that ran out of retries (no payload): left for the operator. */
  readonly batchDescriptions: number;
  /** Messages that are neither: left. */
  readonly unrecognised: number;
  /** Events the stream did not take: left parked for the next run. */
  readonly notAccepted: number;
}

export interface ReplayOptions {
  /** Read and classify only: nothing is put on the stream or removed. @default false */
  readonly dryRun?: boolean;
}

type Classified =
  | { readonly kind: 'event'; readonly recordId: string; readonly event: StreamEvent }
  | { readonly kind: Exclude<keyof ReplayReport, 'replayed' | 'repeats' | 'notAccepted'> };

const isString = (value: unknown): value is string => typeof value === 'string';

function classify(body: string): Classified {
  let message: unknown;
  try {
    message = JSON.parse(body);
  } catch {
    return { kind: 'unrecognised' };
  }
  if (typeof message !== 'object' || message === null) return { kind: 'unrecognised' };
  if ('KinesisBatchInfo' in message) return { kind: 'batchDescriptions' };
  const record = message as Partial<PoisonRecord> & { dataTruncated?: unknown };
  if (!isString(record.shardId) || !isString(record.sequenceNumber) || !isString(record.data)) {
    return { kind: 'unrecognised' };
  }
  if (record.dataTruncated === true) return { kind: 'truncated' };
  const decoded = decodeStreamRecord({
    shardId: record.shardId,
    sequenceNumber: record.sequenceNumber,
    data: record.data,
  });
  if (!decoded.ok) return { kind: 'stillInvalid' };
  return { kind: 'event', recordId: `${record.shardId}:${record.sequenceNumber}`, event: decoded.event };
}

/**
 * Puts parked events back on the stream, once their cause is fixed, and removes their messages.
 * Each event goes back as it was received (same `eventId`, same `receivedAt`), so the processor
 * applies it like any new record, and applying it twice is harmless: a parked record changed
 * nothing, and the shopper's profile remembers its event id once applied (the last
 * `featureLimits.seenEventsPerUser` events), so a second replay, or a replay interrupted between
 * the put and the removal and run again, is dropped as a client retry. Messages that cannot be
 * replayed stay where they are, counted in the report.
 */
export async function replayParked(
  parked: ParkedRecords,
  stream: EventStream,
  options: ReplayOptions = {},
): Promise<ReplayReport> {
  const report = {
    replayed: 0,
    repeats: 0,
    stillInvalid: 0,
    truncated: 0,
    batchDescriptions: 0,
    unrecognised: 0,
    notAccepted: 0,
  };
  const seen = new Set<string>();
  for await (const page of parked.read()) {
    const events: StreamEvent[] = [];
    const eventMessages: ParkedMessage[] = [];
    const repeats: ParkedMessage[] = [];
    for (const message of page) {
      const classified = classify(message.body);
      if (classified.kind !== 'event') {
        report[classified.kind] += 1;
      } else if (seen.has(classified.recordId)) {
        repeats.push(message);
      } else {
        seen.add(classified.recordId);
        events.push(classified.event);
        eventMessages.push(message);
      }
    }
    report.repeats += repeats.length;
    if (options.dryRun === true) {
      report.replayed += events.length;
      continue;
    }
    const { failed } = events.length > 0 ? await stream.putEvents(events) : { failed: [] };
    const refused = new Set(failed.map((failure) => failure.index));
    const done = [...eventMessages.filter((_, i) => !refused.has(i)), ...repeats];
    report.replayed += events.length - refused.size;
    report.notAccepted += refused.size;
    if (done.length > 0) await parked.remove(done);
  }
  return report;
}
