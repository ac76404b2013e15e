import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { appendFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { dataLake } from '#shared/config/index.ts';

/**
 * The local stand-in for Firehose → S3: a second consumer of the event stream that appends raw
 * events as gzipped JSON lines under `events/dt=<yyyy-mm-dd>/` (arrival date, as in the CDK
 * delivery stream's prefix). Each batch is one gzip member; concatenated members are valid gzip.
 */
export class LocalDataLake {
  written = 0;
  private readonly runId = new Date().toISOString().replace(/[:.]/g, '-');

  constructor(readonly root: string) {}

  readonly handler = async (event: KinesisStreamEvent): Promise<KinesisStreamBatchResponse> => {
    const byDay = new Map<string, string[]>();
    for (const record of event.Records) {
      const day = new Date(record.kinesis.approximateArrivalTimestamp * 1000).toISOString().slice(0, 10);
      const lines = byDay.get(day) ?? [];
      lines.push(Buffer.from(record.kinesis.data, 'base64').toString('utf8'));
      byDay.set(day, lines);
    }
    for (const [day, lines] of byDay) {
      const dir = join(this.root, dataLake.eventsPrefix, `dt=${day}`);
      await mkdir(dir, { recursive: true });
      await appendFile(join(dir, `part-${this.runId}${dataLake.objectExtension}`), gzipSync(`${lines.join('\n')}\n`));
    }
    this.written += event.Records.length;
    return { batchItemFailures: [] };
  };
}
