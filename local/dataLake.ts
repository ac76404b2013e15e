import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { appendFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import { dataLake } from '#shared/config/index.ts';
import type { StreamEvent } from '#shared/events/schema.ts';

// On libuv's thread pool: a batch's compression does not hold up the API's event loop.
const gzip = promisify(gzipCallback);

/**
 * The local stand-in for Firehose → S3: a second consumer of the event stream that appends raw
 * events as gzipped JSON lines under `events/dt=<yyyy-mm-dd>/` (arrival date, as in the CDK
 * delivery stream's prefix). Each batch is one gzip member; concatenated members are valid gzip.
 */
export class LocalDataLake {
  /** Stream records written (the history is not counted). */
  written = 0;
  private readonly runId = new Date().toISOString().replace(/[:.]/g, '-');

  constructor(readonly root: string) {}

  readonly handler = async (event: KinesisStreamEvent): Promise<KinesisStreamBatchResponse> => {
    await this.append(
      event.Records.map((record) => ({
        arrivedAt: record.kinesis.approximateArrivalTimestamp * 1000,
        line: Buffer.from(record.kinesis.data, 'base64').toString('utf8'),
      })),
    );
    this.written += event.Records.length;
    return { batchItemFailures: [] };
  };

  /**
   * Stream events as if they had arrived when they were received: the simulated history a
   * local model starts from, so a retrain reads it beside the live traffic.
   */
  appendHistory(events: readonly StreamEvent[]): Promise<void> {
    return this.append(events.map((event) => ({ arrivedAt: event.receivedAt, line: JSON.stringify(event) })));
  }

  private async append(records: readonly { arrivedAt: number; line: string }[]): Promise<void> {
    const byDay = new Map<string, string[]>();
    for (const { arrivedAt, line } of records) {
      const day = new Date(arrivedAt).toISOString().slice(0, 10);
      const lines = byDay.get(day) ?? [];
      lines.push(line);
      byDay.set(day, lines);
    }
    for (const [day, lines] of byDay) {
      const dir = join(this.root, dataLake.eventsPrefix, `dt=${day}`);
      await mkdir(dir, { recursive: true });
      await appendFile(join(dir, `part-${this.runId}${dataLake.objectExtension}`), await gzip(`${lines.join('\n')}\n`));
    }
  }
}
