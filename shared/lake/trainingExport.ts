import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { dataLake, ITEM_EVENT_TYPES } from '../config/index.ts';
import { shopperKey, streamEventSchema, type StreamEvent } from '../events/schema.ts';
import type { ShopperKeyHash } from '../privacy/erasureHash.ts';

const itemEventTypes: ReadonlySet<string> = new Set(ITEM_EVENT_TYPES);

/** Every `*.jsonl.gz` object under a lake folder (any depth), in name order; none for a missing folder. */
export async function lakeFiles(root: string): Promise<string[]> {
  const entries = await readdir(root, { withFileTypes: true, recursive: true }).catch(
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return [];
      throw error;
    },
  );
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith(dataLake.objectExtension))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

/** Reads every `*.jsonl.gz` object under a lake folder (any depth), one event per line. */
export async function* readLakeEvents(root: string): AsyncGenerator<StreamEvent> {
  for (const file of await lakeFiles(root)) {
    const lines = createInterface({ input: createReadStream(file).pipe(createGunzip()), crlfDelay: Infinity });
    let lineNumber = 0;
    for await (const line of lines) {
      lineNumber += 1;
      if (line.trim() === '') continue;
      let json: unknown;
      try {
        json = JSON.parse(line);
      } catch (error) {
        throw new Error(`${file}:${lineNumber}: not JSON: ${(error as Error).message}`, { cause: error });
      }
      const parsed = streamEventSchema.safeParse(json);
      if (!parsed.success) {
        throw new Error(`${file}:${lineNumber}: not a stream event: ${parsed.error.issues[0]?.message}`);
      }
      yield parsed.data;
    }
  }
}

/**
 * True when the event belongs to a shopper erased after it was received: its shopper key, or its
 * anonymous id's, hashed with `hash` (the erasure log's keyed hash) is in `erased`.
 */
export function isErased(
  event: Pick<StreamEvent, 'userId' | 'anonymousId' | 'receivedAt'>,
  erased: ReadonlyMap<string, number>,
  hash: ShopperKeyHash,
): boolean {
  const keys = [shopperKey(event), ...(event.anonymousId === undefined ? [] : [`a:${event.anonymousId}`])];
  return keys.some((key) => {
    const erasedAt = erased.get(hash(key));
    return erasedAt !== undefined && event.receivedAt <= erasedAt;
  });
}

export interface ExportSummary {
  readonly written: number;
  readonly erasedSkipped: number;
  readonly notItemEvents: number;
}

/**
 * Lake events → Amazon Personalize interactions CSV (`USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE,EVENT_VALUE`),
 * the input of `reco train`. Events of erased shoppers are left out (GDPR Art. 17): `erased` is the
 * erasure log (keyed hash → erasure time, from `erasedShopperHashes` in `shared/privacy/erasureLog.ts`)
 * and `hash` the same keyed hash (`ErasureHasher.hashFunction`).
 */
export async function* interactionsCsv(
  events: AsyncIterable<StreamEvent>,
  erased: ReadonlyMap<string, number>,
  hash: ShopperKeyHash,
  summary: { written: number; erasedSkipped: number; notItemEvents: number } = {
    written: 0,
    erasedSkipped: 0,
    notItemEvents: 0,
  },
): AsyncGenerator<string> {
  const field = (value: string) => (/[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);
  yield 'USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE,EVENT_VALUE\n';
  for await (const event of events) {
    // Only what shoppers did to items trains: impressions (shown, not chosen) and page views are not item events.
    if (!itemEventTypes.has(event.type) || event.itemId === undefined) {
      summary.notItemEvents += 1;
      continue;
    }
    if (isErased(event, erased, hash)) {
      summary.erasedSkipped += 1;
      continue;
    }
    const user = event.userId ?? event.anonymousId ?? '';
    const seconds = Math.floor(event.timestamp / 1000);
    yield `${field(user)},${field(event.itemId)},${seconds},${event.type},${event.quantity ?? ''}\n`;
    summary.written += 1;
  }
}
