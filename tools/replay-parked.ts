/**
 * `npm run replay:parked -- --queue-url <ProcessorFailureQueueUrl> --stream <EventStreamName>`:
 * once the cause of parked records is fixed, puts their events back on the stream and removes
 * them from the queue, with an operator's AWS credentials (`sqs:ReceiveMessage`,
 * `sqs:DeleteMessage` on the queue, `kinesis:PutRecords` on the stream, `kms:GenerateDataKey` on
 * its key). Locally, `--file .local-data/poison-records.jsonl --stream reco-local-events` with
 * `AWS_ENDPOINT_URL_KINESIS` at the running stack's Kinesis stand-in. `--dry-run` only counts.
 * Running it twice is harmless: see `shared/features/replayParked.ts`.
 */
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { SQSClient } from '@aws-sdk/client-sqs';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { parseArgs } from 'node:util';
import { FilePoisonSink } from '#local/filePoisonSink.ts';
import { KinesisEventStream } from '#shared/adapters/kinesisEventStream.ts';
import { SqsParkedRecords } from '#shared/adapters/sqsParkedRecords.ts';
import { replayParked, type ReplayReport } from '#shared/features/replayParked.ts';
import type { EventStream, ParkedRecords } from '#shared/ports/index.ts';

/** A bad command line. */
export class ReplayUsageError extends Error {
  override readonly name = 'ReplayUsageError';
}

export interface ReplayClients {
  readonly sqs?: () => SQSClient;
  readonly kinesis?: () => KinesisClient;
}

// HTTP/1.1: the SDK's default Kinesis handler is HTTP/2, which the local stand-in does not speak.
const defaultKinesis = () => new KinesisClient({ requestHandler: new NodeHttpHandler() });

/** Runs the replay the arguments describe and returns its report. */
export async function replayParkedCommand(args: readonly string[], clients: ReplayClients = {}): Promise<ReplayReport> {
  const { values } = parseArgs({
    args: [...args],
    options: {
      'queue-url': { type: 'string' },
      file: { type: 'string' },
      stream: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
    },
    strict: true,
  });
  const queueUrl = values['queue-url'];
  const { file, stream: streamName } = values;
  const dryRun = values['dry-run'];
  if ((queueUrl === undefined) === (file === undefined)) {
    throw new ReplayUsageError('give one of --queue-url (the ProcessorFailureQueueUrl output) or --file');
  }
  if (!dryRun && (streamName === undefined || streamName === '')) {
    throw new ReplayUsageError('--stream is required: the EventStreamName output of the stack');
  }
  const parked: ParkedRecords =
    queueUrl === undefined
      ? new FilePoisonSink(file as string)
      : new SqsParkedRecords((clients.sqs ?? (() => new SQSClient({})))(), queueUrl);
  const stream: EventStream = dryRun
    ? { putEvents: () => Promise.reject(new Error('a dry run puts nothing')) }
    : new KinesisEventStream((clients.kinesis ?? defaultKinesis)(), streamName as string);
  return replayParked(parked, stream, { dryRun });
}

if (import.meta.main) {
  replayParkedCommand(process.argv.slice(2)).then(
    (report) => console.log(JSON.stringify(report)),
    (error: unknown) => {
      console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
      process.exitCode = error instanceof ReplayUsageError ? 2 : 1;
    },
  );
}
