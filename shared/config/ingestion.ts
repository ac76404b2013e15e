/** The event stream, how the processor reads it, and the raw-event data lake it is delivered to. */

export const eventStream = {
  logicalName: 'EventStream',
  /** Shard count for the local stand-in; in AWS the stream is on-demand. */
  localShardCount: 2,
  retentionHours: 24,
} as const;

/** How the processor Lambda reads the stream (also what the local poller imitates). */
export const streamProcessing = {
  batchSize: 500,
  maxBatchingWindowSeconds: 1,
  retryAttempts: 5,
  maxRecordAgeSeconds: 6 * 60 * 60,
  parallelizationFactor: 1,
} as const;

/** The raw-event data lake: Firehose → S3 in AWS, `local/dataLake.ts` locally. */
export const dataLake = {
  /**
   * Days a raw event object stays in the lake before the lifecycle rule deletes it: 13 months,
   * so training can compare a month with the same month a year earlier (seasonality). This is
   * also how long erased shoppers' raw events stay on disk: training exports leave out the keys
   * recorded under `ERASED`, and the lifecycle rule is what finally deletes the records.
   */
  retentionDays: 395,
  /** Key prefix of delivered events (Firehose appends `dt=<yyyy-MM-dd>/`). */
  eventsPrefix: 'events/',
  /**
   * Extension of the delivered objects: newline-delimited JSON, gzipped; what the training export
   * (`shared/lake/trainingExport.ts`) and the local lake (`local/dataLake.ts`) read and write.
   */
  objectExtension: '.jsonl.gz',
  /** Key prefix of records Firehose could not deliver (it appends the error type and `dt=`). */
  errorsPrefix: 'errors/',
  /** Firehose flushes a file after this many seconds or {@link dataLake.bufferingSizeMiB}, whichever comes first. */
  bufferingIntervalSeconds: 60,
  /** Buffer size in MiB (Firehose allows 1..128 without dynamic partitioning or format conversion). */
  bufferingSizeMiB: 64,
  /** Days the S3 server access logs of the lake are kept. */
  accessLogRetentionDays: 395,
} as const;
