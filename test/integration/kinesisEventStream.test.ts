import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  ListShardsCommand,
  type PutRecordsInput,
  type PutRecordsOutput,
  type PutRecordsResultEntry,
} from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { afterAll, beforeAll } from 'vitest';
import { KinesisEventStream } from '#shared/adapters/kinesisEventStream.ts';
import { ensureEventStream, type StandIns } from '#local/standins.ts';
import type { ReadRecord } from '../contract/eventStream.contract.ts';
import { eventStreamContract, type EventStreamFaults } from '../contract/eventStream.contract.ts';
import { startTestStandIns } from './standins.ts';

let standIns: StandIns;
const clients: KinesisClient[] = [];

beforeAll(async () => {
  standIns = await startTestStandIns();
});

afterAll(async () => {
  for (const client of clients) client.destroy();
  await standIns.stop();
});

/** A client for kinesalite: the SDK's default HTTP/2 handler fails against it (PLATFORM.md). */
function kinesisClient(): KinesisClient {
  const client = new KinesisClient({
    endpoint: standIns.kinesisEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    requestHandler: new NodeHttpHandler(),
  });
  clients.push(client);
  return client;
}

/**
 * Makes the client's PutRecords calls behave as Kinesis does when it throttles single records:
 * refused records are left out of the call to kinesalite and reported back in place with an
 * ErrorCode, the rest are written.
 */
function injectFaults(client: KinesisClient, faults: EventStreamFaults): void {
  const attempts = new Map<string, number>();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if ((context as { commandName?: string }).commandName !== 'PutRecordsCommand') return next(args);
      const input = args.input as PutRecordsInput;
      const records = input.Records ?? [];
      const refused = records.map((record) => {
        const { eventId } = JSON.parse(Buffer.from(record.Data ?? new Uint8Array()).toString('utf8')) as {
          eventId: string;
        };
        const attempt = (attempts.get(eventId) ?? 0) + 1;
        attempts.set(eventId, attempt);
        return faults.refuse(eventId, attempt);
      });
      const kept = records.filter((_, i) => !refused[i]);
      const result =
        kept.length > 0
          ? await next({ ...args, input: { ...input, Records: kept } })
          : { output: { Records: [], $metadata: {} }, response: {} };
      const taken = [...((result.output as PutRecordsOutput).Records ?? [])];
      const merged: PutRecordsResultEntry[] = refused.map((isRefused) =>
        isRefused
          ? { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'Rate exceeded for shard (injected)' }
          : (taken.shift() ?? {}),
      );
      const failedCount = merged.filter((entry) => entry.ErrorCode !== undefined).length;
      return { ...result, output: { ...result.output, Records: merged, FailedRecordCount: failedCount } };
    },
    { step: 'initialize', name: 'injectPutRecordsFaults' },
  );
}

/** Every record of the stream, shard by shard, each shard in sequence order. */
async function readStream(client: KinesisClient, streamName: string): Promise<ReadRecord[]> {
  const { Shards = [] } = await client.send(new ListShardsCommand({ StreamName: streamName }));
  const records: ReadRecord[] = [];
  for (const shard of Shards) {
    let { ShardIterator: iterator } = await client.send(
      new GetShardIteratorCommand({
        StreamName: streamName,
        ShardId: shard.ShardId,
        ShardIteratorType: 'TRIM_HORIZON',
      }),
    );
    while (iterator) {
      const page = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1_000 }));
      for (const record of page.Records ?? []) {
        records.push({
          partitionKey: record.PartitionKey ?? '',
          event: JSON.parse(Buffer.from(record.Data ?? new Uint8Array()).toString('utf8')),
        });
      }
      if ((page.Records ?? []).length === 0) break;
      iterator = page.NextShardIterator;
    }
  }
  return records;
}

const noWait = { sleep: async () => undefined };

eventStreamContract(
  'Kinesis on kinesalite',
  async (faults) => {
    const client = kinesisClient();
    const streamName = `events-${Math.random().toString(36).slice(2, 10)}`;
    await ensureEventStream(client, streamName);
    if (faults) injectFaults(client, faults);
    return {
      stream: new KinesisEventStream(client, streamName, { maxAttempts: 3, ...noWait }),
      readBack: () => readStream(client, streamName),
    };
  },
  { unavailable: async () => new KinesisEventStream(kinesisClient(), 'no-such-stream', { maxAttempts: 2, ...noWait }) },
);
