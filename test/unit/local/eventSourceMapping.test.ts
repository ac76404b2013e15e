import type { KinesisClient, _Record as KinesisRecord } from '@aws-sdk/client-kinesis';
import type { KinesisStreamEvent } from 'aws-lambda';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { EventSourceMapping } from '#local/eventSourceMapping.ts';

/**
 * One shard; GetRecords hands out what `put` queued (at most `Limit`, and at most `pageSize`,
 * with `MillisBehindLatest` above 0 while records are left) and notes when it was asked.
 */
function fakeKinesis(options: { pageSize?: number } = {}) {
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
        case 'GetRecordsCommand': {
          polls.push(performance.now());
          const limit = Math.min(
            (command as { input?: { Limit?: number } }).input?.Limit ?? 10_000,
            options.pageSize ?? 10_000,
          );
          const Records = queued.splice(0, limit);
          return { Records, NextShardIterator: 'iterator', MillisBehindLatest: queued.length > 0 ? 1_000 : 0 };
        }
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

  function start(
    kinesis: KinesisClient,
    options: { pollIntervalMs: number; maxIdlePollIntervalMs?: number; batchingWindowMs?: number; batchSize?: number },
  ) {
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

  it('reads a filling batch once per poll interval, not once per round trip', async () => {
    // Prepare: records trickle in for the whole batching window.
    const kinesis = fakeKinesis();
    const { batches, started } = start(kinesis.client, { pollIntervalMs: 50, batchingWindowMs: 400 });
    await started;
    const trickle = setInterval(() => kinesis.put(), 2);

    // Act
    const deadline = performance.now() + 3_000;
    while (batches.length === 0 && performance.now() < deadline) await sleep(5);
    clearInterval(trickle);
    const pollsForBatch = kinesis.polls.length;

    // Assess: one batch after the window, gathered by about 400 / 50 = 8 reads (timers run late,
    // never early); reading on after every answer would have made hundreds.
    expect(batches).toHaveLength(1);
    expect(batches[0]?.Records.length).toBeGreaterThan(10);
    expect(pollsForBatch).toBeLessThanOrEqual(12);
  });

  it('reads on without waiting while the shard says it is behind', async () => {
    // Prepare: a backlog of three batches, handed out 4 records a page with MillisBehindLatest
    // above 0 while more wait, and a poll interval longer than the test's deadline.
    const kinesis = fakeKinesis({ pageSize: 4 });
    for (let i = 0; i < 30; i++) kinesis.put();
    const { batches, started } = start(kinesis.client, {
      pollIntervalMs: 1_000,
      batchingWindowMs: 10_000,
      batchSize: 10,
    });

    // Act
    await started;
    const deadline = performance.now() + 900;
    while (batches.length < 3 && performance.now() < deadline) await sleep(5);

    // Assess: three full batches before a single poll interval passed.
    expect(batches.map((batch) => batch.Records.length)).toEqual([10, 10, 10]);
  });
});
