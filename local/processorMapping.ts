import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { join } from 'node:path';
import { EventSourceMapping, type MappingStats, type StreamHandler, type StreamMapping } from './eventSourceMapping.ts';
import { FilePoisonSink } from './filePoisonSink.ts';
import type { ProcessorWorkerData } from './processorShared.ts';
import { ProcessorThread } from './processorThread.ts';

export interface ProcessorMappingOptions {
  /** See `LocalStackOptions.processor`. */
  readonly where: 'thread' | 'in-process';
  readonly env: NodeJS.ProcessEnv;
  /** The stack's own Kinesis client, for a mapping on this thread. */
  readonly kinesis: KinesisClient;
  readonly endpoints: { readonly dynamodbEndpoint: string; readonly kinesisEndpoint: string };
  readonly streamName: string;
  readonly region: string;
  /** Where the poison records and the on-failure batches go. */
  readonly dataDir: string;
  readonly batchingWindowMs?: number;
  /** The processor's parallel store writes per batch (`FeatureDeps.writeConcurrency`). @default the function's */
  readonly writeConcurrency?: number;
  /**
   * Told the mapping's counters: after each batch on this thread; sampled every
   * {@link THREAD_SAMPLE_MS} from a mapping on its own thread, whose counters live in shared memory.
   */
  readonly onProgress?: (stats: Readonly<MappingStats>) => void;
}

/** How often the counters of a mapping on its own thread are sampled for `onProgress`, ms. */
export const THREAD_SAMPLE_MS = 1_000;

/** `thread`, with its counters sampled for `onProgress` until it stops. */
function sampled(thread: StreamMapping, onProgress: (stats: Readonly<MappingStats>) => void): StreamMapping {
  const timer = setInterval(() => onProgress(thread.stats), THREAD_SAMPLE_MS);
  timer.unref();
  return {
    get stats() {
      return thread.stats;
    },
    get idle() {
      return thread.idle;
    },
    resetMaxLag: () => thread.resetMaxLag(),
    stop: async () => {
      clearInterval(timer);
      await thread.stop();
      onProgress(thread.stats);
    },
  };
}

/**
 * The processor function behind an event source mapping on the event stream, as Lambda runs it:
 * on a worker thread of its own or on this one.
 */
export async function startProcessorMapping(options: ProcessorMappingOptions): Promise<StreamMapping> {
  const { streamName, region, dataDir } = options;
  const mapping: ProcessorWorkerData['mapping'] = {
    streamName,
    streamArn: `arn:aws:kinesis:${region}:000000000000:stream/${streamName}`,
    region,
    onFailurePath: join(dataDir, 'processor-on-failure.jsonl'),
    // An idle shard is polled less and less often, down to 4 times a second: a new event waits at
    // most 250 ms more to be seen (freshness p95 stays well under its 2 s target).
    maxIdlePollIntervalMs: 250,
    ...(options.batchingWindowMs === undefined ? {} : { batchingWindowMs: options.batchingWindowMs }),
  };
  const poisonPath = join(dataDir, 'poison-records.jsonl');
  if (options.where === 'thread') {
    const thread = await ProcessorThread.start({
      mapping,
      endpoints: options.endpoints,
      poisonPath,
      ...(options.writeConcurrency === undefined ? {} : { writeConcurrency: options.writeConcurrency }),
    });
    return options.onProgress ? sampled(thread, options.onProgress) : thread;
  }
  const processor = await import('#functions/processor/app.ts');
  const handler = processor.createHandler(
    processor.createDeps(options.env, {
      poisonSink: new FilePoisonSink(poisonPath),
      ...(options.writeConcurrency === undefined ? {} : { writeConcurrency: options.writeConcurrency }),
    }),
  );
  const { onProgress } = options;
  const inProcess = new EventSourceMapping({
    ...mapping,
    kinesis: options.kinesis,
    handler: handler as StreamHandler,
    ...(onProgress ? { onProgress: (stats: Readonly<MappingStats>) => onProgress(stats) } : {}),
  });
  await inProcess.start();
  return inProcess;
}
