import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  type KinesisClient,
  type _Record as KinesisRecord,
} from '@aws-sdk/client-kinesis';
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { streamProcessing } from '#shared/config/index.ts';
import { lambdaContext } from './lambdaContext.ts';

export type StreamHandler = (event: KinesisStreamEvent, context: Context) => Promise<KinesisStreamBatchResponse>;

export interface EventSourceMappingOptions {
  readonly kinesis: KinesisClient;
  readonly streamName: string;
  readonly streamArn: string;
  readonly region: string;
  readonly handler: StreamHandler;
  /** Where batches that exhausted their retries are recorded (Lambda's on-failure destination). */
  readonly onFailurePath: string;
  /** @default streamProcessing.batchSize */
  readonly batchSize?: number;
  /** @default streamProcessing.maxBatchingWindowSeconds * 1000 */
  readonly batchingWindowMs?: number;
  /** @default streamProcessing.retryAttempts */
  readonly retryAttempts?: number;
  /**
   * Wait between empty polls, and between short reads while a batch fills (unless the shard is
   * behind). @default 100
   */
  readonly pollIntervalMs?: number;
  /**
   * While a shard stays empty the wait doubles, from `pollIntervalMs` up to this (Lambda polls an
   * idle shard about once a second); the first record found brings it back to `pollIntervalMs`.
   * @default pollIntervalMs (no backoff)
   */
  readonly maxIdlePollIntervalMs?: number;
  /** Called whenever {@link EventSourceMapping.stats} or {@link EventSourceMapping.idle} may have changed. */
  readonly onProgress?: (stats: Readonly<MappingStats>, idle: boolean) => void;
}

/** What the stack and its callers read of a mapping, wherever its poller runs. */
export interface StreamMapping {
  readonly stats: Readonly<MappingStats>;
  /** True when every shard's buffer is empty and the last poll found nothing new. */
  readonly idle: boolean;
  /** Starts a new window for `stats.maxLagMs`. */
  resetMaxLag(): void;
  stop(): Promise<void>;
}

export interface MappingStats {
  /** Records whose processing succeeded (counted once, even if retried first). */
  processed: number;
  /** Handler invocations. */
  invocations: number;
  /** Records handed back for retry by partial batch responses or errors. */
  retriedRecords: number;
  /** Records given up on after the retry limit and sent to the on-failure file. */
  discarded: number;
  /** Age of the newest record when it was processed, in ms. */
  lagMs: number;
  /** The largest {@link lagMs} seen: the oldest any record was when processed (see `resetMaxLag`). */
  maxLagMs: number;
}

interface ShardReader {
  readonly shardId: string;
  iterator: string | undefined;
  buffer: KinesisStreamRecord[];
  attemptsOfHead: number;
}

/**
 * Imitates a Lambda event source mapping for Kinesis: one poller per shard, batches of up to
 * `batchSize` gathered for up to the batching window, partial batch responses honoured by
 * retrying from the lowest failed sequence number, and batches that keep failing recorded
 * to the on-failure file after `retryAttempts` retries.
 */
export class EventSourceMapping implements StreamMapping {
  readonly stats: MappingStats = {
    processed: 0,
    invocations: 0,
    retriedRecords: 0,
    discarded: 0,
    lagMs: 0,
    maxLagMs: 0,
  };
  private readonly batchSize: number;
  private readonly batchingWindowMs: number;
  private readonly retryAttempts: number;
  private readonly pollIntervalMs: number;
  private readonly maxIdlePollIntervalMs: number;
  private running = false;
  private loops: Promise<void>[] = [];

  constructor(private readonly options: EventSourceMappingOptions) {
    this.batchSize = options.batchSize ?? streamProcessing.batchSize;
    this.batchingWindowMs = options.batchingWindowMs ?? streamProcessing.maxBatchingWindowSeconds * 1000;
    this.retryAttempts = options.retryAttempts ?? streamProcessing.retryAttempts;
    this.pollIntervalMs = options.pollIntervalMs ?? 100;
    this.maxIdlePollIntervalMs = Math.max(this.pollIntervalMs, options.maxIdlePollIntervalMs ?? this.pollIntervalMs);
  }

  async start(): Promise<void> {
    const { Shards } = await this.options.kinesis.send(new ListShardsCommand({ StreamName: this.options.streamName }));
    this.running = true;
    this.loops = (Shards ?? []).map((shard) => this.pollShard(shard.ShardId ?? ''));
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  resetMaxLag(): void {
    this.stats.maxLagMs = 0;
    this.options.onProgress?.(this.stats, this.idle);
  }

  /** True when every shard's buffer is empty and the last poll found nothing new. */
  get idle(): boolean {
    return this.idleShards === this.loops.length;
  }
  private idleShards = 0;

  private async pollShard(shardId: string): Promise<void> {
    const reader: ShardReader = { shardId, iterator: undefined, buffer: [], attemptsOfHead: 0 };
    reader.iterator = await this.iterator(shardId);
    let windowStarted: number | undefined;
    let idle = false;
    let idleWaitMs = this.pollIntervalMs;
    const setIdle = (value: boolean) => {
      if (value === idle) return;
      this.idleShards += value ? 1 : -1;
      idle = value;
      this.options.onProgress?.(this.stats, this.idle);
    };
    while (this.running) {
      try {
        const fetched = await this.fetch(reader);
        if (reader.buffer.length === 0) {
          setIdle(fetched.records === 0);
          windowStarted = undefined;
          await sleep(idleWaitMs);
          idleWaitMs = Math.min(idleWaitMs * 2, this.maxIdlePollIntervalMs);
          continue;
        }
        idleWaitMs = this.pollIntervalMs;
        setIdle(false);
        windowStarted ??= Date.now();
        const windowLeftMs = this.batchingWindowMs - (Date.now() - windowStarted);
        if (reader.buffer.length < this.batchSize && windowLeftMs > 0) {
          // A full page may have more behind it: read on. A short one emptied the shard, and more
          // comes only with time: wait a poll interval (or what is left of the window) first, so
          // a filling batch costs one GetRecords per interval, not one per round trip.
          if (!fetched.drained) continue;
          await sleep(Math.min(this.pollIntervalMs, windowLeftMs));
          continue;
        }
        await this.invoke(reader);
        windowStarted = reader.buffer.length > 0 ? Date.now() : undefined;
      } catch (error) {
        if (!this.running) break;
        // A stand-in restart or a transient error: back off and start again where we were.
        console.error(`[event-source-mapping] ${shardId}: ${(error as Error).message}`);
        await sleep(500);
        reader.iterator = await this.iterator(shardId, reader).catch(() => undefined);
      }
    }
    setIdle(false);
  }

  private async iterator(shardId: string, reader?: ShardReader): Promise<string | undefined> {
    const last = reader?.buffer.at(-1)?.kinesis.sequenceNumber;
    const { ShardIterator } = await this.options.kinesis.send(
      new GetShardIteratorCommand({
        StreamName: this.options.streamName,
        ShardId: shardId,
        ...(last
          ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: last }
          : { ShardIteratorType: 'TRIM_HORIZON' }),
      }),
    );
    return ShardIterator;
  }

  /**
   * Reads up to what the batch still takes; `drained` when the page was short and the shard is
   * not behind (`MillisBehindLatest`: Kinesis may return a short page with more records after it).
   */
  private async fetch(reader: ShardReader): Promise<{ records: number; drained: boolean }> {
    if (reader.buffer.length >= this.batchSize || reader.iterator === undefined) return { records: 0, drained: true };
    const limit = this.batchSize - reader.buffer.length;
    const result = await this.options.kinesis.send(
      new GetRecordsCommand({ ShardIterator: reader.iterator, Limit: limit }),
    );
    reader.iterator = result.NextShardIterator;
    const records = (result.Records ?? []).map((record) => this.toLambdaRecord(reader.shardId, record));
    reader.buffer.push(...records);
    return { records: records.length, drained: records.length < limit && !(result.MillisBehindLatest ?? 0) };
  }

  private toLambdaRecord(shardId: string, record: KinesisRecord): KinesisStreamRecord {
    const sequenceNumber = record.SequenceNumber ?? '';
    return {
      kinesis: {
        kinesisSchemaVersion: '1.0',
        partitionKey: record.PartitionKey ?? '',
        sequenceNumber,
        data: Buffer.from(record.Data ?? new Uint8Array()).toString('base64'),
        approximateArrivalTimestamp: (record.ApproximateArrivalTimestamp?.getTime() ?? Date.now()) / 1000,
      },
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventID: `${shardId}:${sequenceNumber}`,
      eventName: 'aws:kinesis:record',
      invokeIdentityArn: 'arn:aws:iam::000000000000:role/local-processor',
      awsRegion: this.options.region,
      eventSourceARN: this.options.streamArn,
    };
  }

  private async invoke(reader: ShardReader): Promise<void> {
    const batch = reader.buffer.slice(0, this.batchSize);
    this.stats.invocations += 1;
    let firstFailed: number;
    try {
      const response = await this.options.handler({ Records: batch }, lambdaContext('processor'));
      const failedSequences = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
      firstFailed = batch.findIndex((record) => failedSequences.has(record.kinesis.sequenceNumber));
    } catch (error) {
      // A thrown handler fails the whole batch, as in Lambda.
      console.error(`[event-source-mapping] processor threw: ${(error as Error).message}`);
      firstFailed = 0;
    }
    const succeeded = firstFailed === -1 ? batch.length : firstFailed;
    this.stats.processed += succeeded;
    const newest = batch[succeeded - 1];
    if (newest) {
      this.stats.lagMs = Date.now() - newest.kinesis.approximateArrivalTimestamp * 1000;
      // The batch's oldest record waited longest.
      const oldest = Date.now() - (batch[0]?.kinesis.approximateArrivalTimestamp ?? 0) * 1000;
      this.stats.maxLagMs = Math.max(this.stats.maxLagMs, oldest);
    }
    reader.buffer.splice(0, succeeded);
    this.options.onProgress?.(this.stats, this.idle);
    if (firstFailed === -1) {
      reader.attemptsOfHead = 0;
      return;
    }
    this.stats.retriedRecords += batch.length - succeeded;
    reader.attemptsOfHead = succeeded > 0 ? 1 : reader.attemptsOfHead + 1;
    if (reader.attemptsOfHead > this.retryAttempts) {
      const discarded = reader.buffer.splice(0, batch.length - succeeded);
      this.stats.discarded += discarded.length;
      reader.attemptsOfHead = 0;
      this.options.onProgress?.(this.stats, this.idle);
      await this.recordFailure(reader.shardId, discarded);
      return;
    }
    await sleep(Math.min(2 ** reader.attemptsOfHead * 50, 2_000));
  }

  /** Like Lambda's on-failure destination: metadata of the failed batch, not the records' data. */
  private async recordFailure(shardId: string, records: readonly KinesisStreamRecord[]): Promise<void> {
    await mkdir(dirname(this.options.onFailurePath), { recursive: true });
    const first = records[0]?.kinesis.sequenceNumber;
    const last = records.at(-1)?.kinesis.sequenceNumber;
    const entry = {
      timestamp: new Date().toISOString(),
      condition: 'RetryAttemptsExhausted',
      KinesisBatchInfo: { shardId, startSequenceNumber: first, endSequenceNumber: last, batchSize: records.length },
    };
    await appendFile(this.options.onFailurePath, `${JSON.stringify(entry)}\n`);
  }
}
