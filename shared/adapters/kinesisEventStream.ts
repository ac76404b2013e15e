import { PutRecordsCommand, type KinesisClient, type PutRecordsRequestEntry } from '@aws-sdk/client-kinesis';
import { setTimeout as sleep } from 'node:timers/promises';
import { shopperKey, type StreamEvent } from '../events/schema.ts';
import type { EventStream, PutEventsResult } from '../ports/index.ts';

export interface KinesisEventStreamOptions {
  /** PutRecords calls per batch, the first included. @default 4 */
  readonly maxAttempts?: number;
  /** Base of the exponential backoff between attempts, in ms. @default 50 */
  readonly backoffBaseMs?: number;
  /** Injected for tests. @default node:timers/promises setTimeout */
  readonly sleep?: (ms: number) => Promise<unknown>;
}

const MAX_RECORDS_PER_CALL = 500;

/**
 * Writes events to Kinesis, partitioned by shopper so one shopper's events stay in order.
 * Records the stream rejects (throttling, internal errors) are retried with jittered
 * exponential backoff; what still fails is returned, never dropped silently.
 */
export class KinesisEventStream implements EventStream {
  private readonly maxAttempts: number;
  private readonly backoffBaseMs: number;
  private readonly sleep: (ms: number) => Promise<unknown>;

  constructor(
    private readonly client: KinesisClient,
    private readonly streamName: string,
    options: KinesisEventStreamOptions = {},
  ) {
    this.maxAttempts = options.maxAttempts ?? 4;
    this.backoffBaseMs = options.backoffBaseMs ?? 50;
    this.sleep = options.sleep ?? sleep;
  }

  async putEvents(events: readonly StreamEvent[]): Promise<PutEventsResult> {
    const failed: { index: number; message: string }[] = [];
    for (let start = 0; start < events.length; start += MAX_RECORDS_PER_CALL) {
      const chunk = events.slice(start, start + MAX_RECORDS_PER_CALL);
      for (const failure of await this.putChunk(chunk)) {
        failed.push({ index: start + failure.index, message: failure.message });
      }
    }
    return { failed };
  }

  private async putChunk(events: readonly StreamEvent[]): Promise<{ index: number; message: string }[]> {
    let pending = events.map((event, index) => ({
      index,
      entry: {
        Data: Buffer.from(JSON.stringify(event)),
        PartitionKey: shopperKey(event),
      } satisfies PutRecordsRequestEntry,
      message: '',
    }));
    for (let attempt = 1; pending.length > 0; attempt++) {
      try {
        const result = await this.client.send(
          new PutRecordsCommand({ StreamName: this.streamName, Records: pending.map((p) => p.entry) }),
        );
        const records = result.Records ?? [];
        pending = pending.flatMap((p, i) => {
          const outcome = records[i];
          if (outcome?.SequenceNumber !== undefined && outcome.ErrorCode === undefined) return [];
          return [{ ...p, message: `${outcome?.ErrorCode ?? 'NoResult'}: ${outcome?.ErrorMessage ?? ''}`.trim() }];
        });
      } catch (error) {
        const message = `${(error as Error).name}: ${(error as Error).message}`;
        pending = pending.map((p) => ({ ...p, message }));
      }
      if (pending.length === 0 || attempt >= this.maxAttempts) break;
      await this.sleep(this.backoffBaseMs * 2 ** (attempt - 1) * (0.5 + Math.random() / 2));
    }
    return pending.map(({ index, message }) => ({ index, message }));
  }
}
