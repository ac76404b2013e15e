import { StringDecoder } from 'node:string_decoder';
import { apiLimits, dataLake, EVENT_TYPES, ITEM_EVENT_TYPES } from '../config/index.ts';
import type { LakeEvent, LakeReadStats, TimeRange } from '../training/ports.ts';

/**
 * Lake objects (gzipped JSON lines under `events/dt=<day>/`) as batches of the fields a training
 * export reads. Shared by the S3 and the local lake adapters, so both read a line the same way.
 */

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * How long after its `receivedAt` an event may land in the lake: stream latency plus the delivery
 * buffer (`dataLake.bufferingIntervalSeconds`) and retries. The day partitions are arrival days,
 * so a range is read from the partition of its start to the one of its end plus this.
 */
export const ARRIVAL_SLACK_MS = 60 * 60 * 1000;

/** Examples of bad lines a read keeps. */
const MAX_EXAMPLES = 5;

/** `events/dt=<yyyy-MM-dd>/` of every arrival day that may hold events received in `range`. */
export function lakeDayPrefixes(range: TimeRange, eventsPrefix: string = dataLake.eventsPrefix): string[] {
  const prefixes: string[] = [];
  if (range.to <= range.from) return prefixes;
  const first = Math.floor(range.from / DAY_MS);
  const last = Math.floor((range.to - 1 + ARRIVAL_SLACK_MS) / DAY_MS);
  for (let day = first; day <= last; day++) {
    prefixes.push(`${eventsPrefix}dt=${new Date(day * DAY_MS).toISOString().slice(0, 10)}/`);
  }
  return prefixes;
}

const eventTypes: ReadonlySet<string> = new Set(EVENT_TYPES);
const itemEventTypes: ReadonlySet<string> = new Set(ITEM_EVENT_TYPES);
/** 2100-01-01, as the dataset reader's latest timestamp: later values are not epoch ms of real events. */
const MAX_EPOCH_MS = 4_102_444_800_000;

/** The stream schema's largest quantity. */
const MAX_QUANTITY = 10_000;

const isId = (value: unknown): value is string =>
  typeof value === 'string' && value.length > 0 && value.length <= apiLimits.maxIdChars;
const isEpochMs = (value: unknown): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value > 0 && value <= MAX_EPOCH_MS;

/** Decompression buffer: large chunks mean few callbacks (the default 16 KiB costs a third of a read). */
export const GUNZIP_CHUNK_BYTES = 256 * 1024;

/**
 * One lake line → the event with the fields the export reads checked, or what is wrong with it. The stream's schema
 * was checked on ingest; this checks again every field it uses, cheaply (a full schema parse
 * costs five times the JSON parse, hours at 900M events): the lake is outside data too.
 */
export function parseLakeLine(line: string): LakeEvent | string {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    return 'not JSON';
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return 'not a JSON object';
  const { type, userId, anonymousId, itemId, quantity, timestamp, receivedAt } = json as Record<string, unknown>;
  if (typeof type !== 'string' || !eventTypes.has(type)) return 'type is not an event type';
  if (userId !== undefined && !isId(userId)) return 'userId is not an id';
  if (anonymousId !== undefined && !isId(anonymousId)) return 'anonymousId is not an id';
  if (userId === undefined && anonymousId === undefined) return 'neither userId nor anonymousId';
  if (itemId !== undefined && !isId(itemId)) return 'itemId is not an id';
  if (itemId === undefined && itemEventTypes.has(type)) return `itemId is missing from a ${type} event`;
  if (!isEpochMs(timestamp)) return 'timestamp is not epoch ms';
  if (!isEpochMs(receivedAt)) return 'receivedAt is not epoch ms';
  if (
    quantity !== undefined &&
    !(Number.isInteger(quantity) && (quantity as number) >= 1 && (quantity as number) <= MAX_QUANTITY)
  ) {
    return `quantity is not an integer from 1 to ${MAX_QUANTITY}`;
  }
  // The parsed object itself, not a copy: one allocation less per event, at 900M events a lot of GC.
  return json as LakeEvent;
}

/** A fresh count of bad lines. */
export const emptyReadStats = (): LakeReadStats => ({ invalidLines: 0, examples: [] });

/**
 * The events of one decompressed object received in `range`, a batch per chunk read (one async
 * step per chunk, not per line: at 900M lines a step per line is minutes). Bad lines go to `stats`.
 */
export async function* lakeEventBatches(
  chunks: AsyncIterable<Buffer | string>,
  options: { readonly source: string; readonly range: TimeRange; readonly stats: LakeReadStats },
): AsyncGenerator<LakeEvent[]> {
  const { source, range, stats } = options;
  const decoder = new StringDecoder('utf8');
  let rest = '';
  let lineNumber = 0;
  const parse = (lines: readonly string[]): LakeEvent[] => {
    const batch: LakeEvent[] = [];
    for (const line of lines) {
      lineNumber += 1;
      if (line.length === 0 || line.trim() === '') continue;
      const event = parseLakeLine(line);
      if (typeof event === 'string') {
        stats.invalidLines += 1;
        if (stats.examples.length < MAX_EXAMPLES) stats.examples.push(`${source}:${lineNumber}: ${event}`);
      } else if (event.receivedAt >= range.from && event.receivedAt < range.to) {
        batch.push(event);
      }
    }
    return batch;
  };
  for await (const chunk of chunks) {
    const lines = (rest + (typeof chunk === 'string' ? chunk : decoder.write(chunk))).split('\n');
    rest = lines.pop() as string;
    const batch = parse(lines);
    if (batch.length > 0) yield batch;
  }
  const last = parse([rest + decoder.end()]);
  if (last.length > 0) yield last;
}
