import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { dataLake } from '../config/index.ts';
import { GUNZIP_CHUNK_BYTES, lakeDayPrefixes, lakeEventBatches } from '../lake/lakeLines.ts';
import { parseS3Uri } from '../training/plan.ts';
import type {
  LakeEvent,
  LakeReader,
  LakeReadStats,
  NewDataCount,
  NewDataCounter,
  TimeRange,
} from '../training/ports.ts';

/**
 * Gzipped lake bytes per event, to estimate a count from object sizes without reading them:
 * 39.97 measured on 200,000 simulator events (273 bytes of JSON each) with random UUIDs as event,
 * session and anonymous ids, as the SDK makes them, gzipped as one member, as Firehose writes an
 * object. Events with longer ids or more properties take more bytes, so the estimate errs low.
 */
export const LAKE_BYTES_PER_EVENT = 40;

interface LakeObject {
  readonly key: string;
  readonly size: number;
  readonly lastModified: number;
}

/** The lake in S3 (`s3://<bucket>/events/`), as Firehose writes it: `dt=<arrival day>/…jsonl.gz`. */
class S3Lake {
  readonly bucket: string;
  readonly prefix: string;

  /** @param lakeUri - `s3://<lake bucket>/events/` (`exportEnv.lakeUri`) */
  constructor(
    readonly s3: S3Client,
    lakeUri: string,
  ) {
    const { bucket, key } = parseS3Uri(lakeUri);
    this.bucket = bucket;
    this.prefix = key === '' || key.endsWith('/') ? key : `${key}/`;
  }

  /** The event objects of the days that may hold events received in `range`, day by day, in key order. */
  async *objects(range: TimeRange): AsyncGenerator<LakeObject> {
    for (const dayPrefix of lakeDayPrefixes(range, this.prefix)) {
      let token: string | undefined;
      do {
        const page = await this.s3.send(
          new ListObjectsV2Command({ Bucket: this.bucket, Prefix: dayPrefix, ContinuationToken: token }),
        );
        for (const object of page.Contents ?? []) {
          if (object.Key === undefined || !object.Key.endsWith(dataLake.objectExtension)) continue;
          yield { key: object.Key, size: object.Size ?? 0, lastModified: object.LastModified?.getTime() ?? 0 };
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token !== undefined);
    }
  }
}

/** Reads the window's objects one after the other, the next one's download started while this one is parsed. */
export class S3LakeReader implements LakeReader {
  private readonly lake: S3Lake;

  constructor(s3: S3Client, lakeUri: string) {
    this.lake = new S3Lake(s3, lakeUri);
  }

  async *events(range: TimeRange, stats: LakeReadStats): AsyncGenerator<LakeEvent[]> {
    let next: Promise<Readable> | undefined;
    let nextKey: string | undefined;
    const objects = this.lake.objects(range);
    const advance = async () => {
      const { value, done } = await objects.next();
      nextKey = done ? undefined : value.key;
      next = nextKey === undefined ? undefined : this.open(nextKey);
      // Awaited by the loop; a failed prefetch must not be an unhandled rejection meanwhile.
      next?.catch(() => undefined);
    };
    await advance();
    try {
      while (next !== undefined && nextKey !== undefined) {
        const [body, key] = [next, nextKey];
        await advance();
        yield* this.batches(await body, key, range, stats);
      }
    } finally {
      // A reader stopped early (an error downstream) leaves no download open.
      void next?.then(
        (body) => body.destroy(),
        () => undefined,
      );
    }
  }

  private async open(key: string): Promise<Readable> {
    const { Body } = await this.lake.s3.send(new GetObjectCommand({ Bucket: this.lake.bucket, Key: key }));
    if (Body === undefined) throw new Error(`lake object s3://${this.lake.bucket}/${key} has no body`);
    return Body as Readable;
  }

  private async *batches(body: Readable, key: string, range: TimeRange, stats: LakeReadStats) {
    const gunzip = createGunzip({ chunkSize: GUNZIP_CHUNK_BYTES });
    body.on('error', (error) => gunzip.destroy(error));
    try {
      yield* lakeEventBatches(body.pipe(gunzip), { source: `s3://${this.lake.bucket}/${key}`, range, stats });
    } catch (error) {
      throw new Error(`cannot read lake object s3://${this.lake.bucket}/${key}: ${(error as Error).message}`, {
        cause: error,
      });
    } finally {
      body.destroy();
    }
  }
}

/**
 * The guard's count of new lake events: the sizes of the objects delivered in the range (by their
 * `LastModified`), listed and not read, divided by {@link LAKE_BYTES_PER_EVENT}. A listing of 90
 * days is a few hundred requests at most; reading them would be the export's whole work.
 */
export class S3NewDataCounter implements NewDataCounter {
  private readonly lake: S3Lake;

  constructor(s3: S3Client, lakeUri: string) {
    this.lake = new S3Lake(s3, lakeUri);
  }

  async countEvents(range: TimeRange): Promise<NewDataCount> {
    let bytes = 0;
    for await (const object of this.lake.objects(range)) {
      if (object.lastModified >= range.from) bytes += object.size;
    }
    return { events: Math.round(bytes / LAKE_BYTES_PER_EVENT), estimated: true };
  }
}
