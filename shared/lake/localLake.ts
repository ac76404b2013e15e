import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import type {
  LakeEvent,
  LakeReader,
  LakeReadStats,
  NewDataCount,
  NewDataCounter,
  TimeRange,
} from '../training/ports.ts';
import { emptyReadStats, GUNZIP_CHUNK_BYTES, lakeDayPrefixes, lakeEventBatches } from './lakeLines.ts';
import { lakeFiles } from './trainingExport.ts';

/** A lake file's events, decompressed; a read or gzip error names the file. */
async function* fileBatches(file: string, range: TimeRange, stats: LakeReadStats): AsyncGenerator<LakeEvent[]> {
  const raw = createReadStream(file, { highWaterMark: GUNZIP_CHUNK_BYTES });
  const gunzip = createGunzip({ chunkSize: GUNZIP_CHUNK_BYTES });
  raw.on('error', (error) => gunzip.destroy(error));
  try {
    yield* lakeEventBatches(raw.pipe(gunzip), { source: file, range, stats });
  } catch (error) {
    throw new Error(`cannot read lake file ${file}: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * The local lake (`local/dataLake.ts`) read day by day over the window, as the S3 adapter reads
 * the bucket: the events folder holds `dt=<day>/*.jsonl.gz`.
 */
export class LocalLakeReader implements LakeReader {
  /** @param eventsDir - the lake's events folder (`<lake>/events/`), as `s3://<bucket>/events/` in AWS */
  constructor(private readonly eventsDir: string) {}

  async *events(range: TimeRange, stats: LakeReadStats): AsyncGenerator<LakeEvent[]> {
    for (const prefix of lakeDayPrefixes(range, '')) {
      for (const file of await lakeFiles(join(this.eventsDir, prefix))) yield* fileBatches(file, range, stats);
    }
  }
}

/** The guard's count of new events in the local lake: exact, by reading the days of the range. */
export class LocalNewDataCounter implements NewDataCounter {
  constructor(private readonly reader: LakeReader) {}

  async countEvents(range: TimeRange): Promise<NewDataCount> {
    let events = 0;
    for await (const batch of this.reader.events(range, emptyReadStats())) events += batch.length;
    return { events, estimated: false };
  }
}
