import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { join } from 'node:path';
import { EventSourceMapping, type StreamHandler, type StreamMapping } from './eventSourceMapping.ts';
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
    return ProcessorThread.start({
      mapping,
      endpoints: options.endpoints,
      poisonPath,
      ...(options.writeConcurrency === undefined ? {} : { writeConcurrency: options.writeConcurrency }),
    });
  }
  const processor = await import('#functions/processor/app.ts');
  const handler = processor.createHandler(
    processor.createDeps(options.env, {
      poisonSink: new FilePoisonSink(poisonPath),
      ...(options.writeConcurrency === undefined ? {} : { writeConcurrency: options.writeConcurrency }),
    }),
  );
  const inProcess = new EventSourceMapping({ ...mapping, kinesis: options.kinesis, handler: handler as StreamHandler });
  await inProcess.start();
  return inProcess;
}
