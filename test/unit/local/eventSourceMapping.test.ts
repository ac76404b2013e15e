import type { KinesisClient, _Record as KinesisRecord } from '@aws-sdk/client-kinesis';
import type { KinesisStreamEvent } from 'aws-lambda';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { EventSourceMapping } from '#local/eventSourceMapping.ts';

/** One shard; GetRecords hands out what `put` queued and notes when it was asked. */
function fakeKinesis() {
  const queued: KinesisRecord[] = [];
  const polls: number[] = [];
  let sequence = 0;
  const client = {
    send: async (command: { constructor: { name: string } }) => {
      switch (command.constructor.name) {
        case 'ListShardsCommand':
          return { Shards: [{ ShardId: 'shard-0' }] };
        case 'GetShardIteratorCommand':
          return { ShardIterator: 'iterator' };
        case 'GetRecordsCommand':
          polls.push(performance.now());
          return { Records: queued.splice(0), NextShardIterator: 'iterator' };
        default:
          throw new Error(`unexpected ${command.constructor.name}`);
      }
    },
  } as unknown as KinesisClient;
  const put = () =>
    queued.push({
      SequenceNumber: String(++sequence).padStart(10, '0'),
      PartitionKey: 'p',
      Data: new TextEncoder().encode('{}'),
      ApproximateArrivalTimestamp: new Date(),
    });
  return { client, polls, put };
}

describe('Class: EventSourceMapping', () => {
  let mapping: EventSourceMapping | undefined;
  afterEach(async () => {
    await mapping?.stop();
    mapping = undefined;
  });

  function start(kinesis: KinesisClient, options: { pollIntervalMs: number; maxIdlePollIntervalMs?: number }) {
    const batches: KinesisStreamEvent[] = [];
    mapping = new EventSourceMapping({
      kinesis,
      streamName: 'stream',
      streamArn: 'arn:aws:kinesis:us-east-1:000000000000:stream/stream',
      region: 'us-east-1',
      handler: async (event) => {
        batches.push(event);
        return { batchItemFailures: [] };
      },
      onFailurePath: '/dev/null',
      batchingWindowMs: 0,
      ...options,
    });
    return { batches, started: mapping.start() };
  }

  it('polls an idle shard at the poll interval when no backoff is set', async () => {
    // Prepare
    const kinesis = fakeKinesis();
    await start(kinesis.client, { pollIntervalMs: 10 }).started;

    // Act
    await sleep(300);

    // Assess: about 30 polls (timers run late on a busy machine, never early).
    expect(kinesis.polls.length).toBeGreaterThan(12);
  });

  it('doubles the wait while the shard stays empty, up to the cap, and polls fast again after records', async () => {
    // Prepare
    const kinesis = fakeKinesis();
    const { batches, started } = start(kinesis.client, { pollIntervalMs: 10, maxIdlePollIntervalMs: 200 });
    await started;
    await sleep(400);
    const idlePolls = kinesis.polls.length;

    // Act
    kinesis.put();
    const deadline = performance.now() + 2_000;
    while (batches.length === 0 && performance.now() < deadline) await sleep(5);
    const handledAt = performance.now();
    await sleep(100);

    // Assess: 10, 20, 40, 80, 160, then 200 ms waits: about 6 polls in 400 ms instead of 40.
    expect(idlePolls).toBeLessThanOrEqual(8);
    expect(idlePolls).toBeGreaterThanOrEqual(3);
    expect(batches).toHaveLength(1);
    // Back to the short interval (10, 20, 40 ms): at the cap there would be at most one poll in 100 ms.
    expect(kinesis.polls.filter((at) => at > handledAt).length).toBeGreaterThanOrEqual(3);
  });
});
