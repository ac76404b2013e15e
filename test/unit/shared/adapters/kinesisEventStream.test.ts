import {
  InternalFailureException,
  KinesisClient,
  ProvisionedThroughputExceededException,
  PutRecordsCommand,
  type PutRecordsCommandOutput,
  type PutRecordsRequestEntry,
  type PutRecordsResultEntry,
} from '@aws-sdk/client-kinesis';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { KinesisEventStream, type KinesisEventStreamOptions } from '#shared/adapters/kinesisEventStream.ts';
import type { StreamEvent } from '#shared/events/schema.ts';

const NOW = Date.parse('2025-03-10T12:00:00.000Z');
const STREAM = 'test-stream';
const THROTTLED = 'ProvisionedThroughputExceededException';

const kinesisMock = mockClient(KinesisClient);
const client = new KinesisClient({
  region: 'us-east-1',
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
});

const event = (
  eventId: string,
  ids: { userId?: string; anonymousId?: string } = { userId: 'user-1' },
): StreamEvent => ({
  eventId,
  type: 'view',
  itemId: `sku-${eventId}`,
  timestamp: NOW - 1_000,
  receivedAt: NOW,
  ...ids,
});

const ok = (n: number): PutRecordsResultEntry => ({ SequenceNumber: String(n), ShardId: 'shardId-000000000000' });
const throttled: PutRecordsResultEntry = { ErrorCode: THROTTLED, ErrorMessage: 'Rate exceeded for shard' };

const response = (records: PutRecordsResultEntry[]): PutRecordsCommandOutput => ({
  Records: records,
  FailedRecordCount: records.filter((r) => r.ErrorCode !== undefined).length,
  $metadata: {},
});

/** What each PutRecords call sent. */
const sentRecords = (): PutRecordsRequestEntry[][] =>
  kinesisMock.commandCalls(PutRecordsCommand).map((call) => call.args[0].input.Records ?? []);

const decode = (entry: PutRecordsRequestEntry | undefined): unknown =>
  JSON.parse(Buffer.from(entry?.Data ?? new Uint8Array()).toString('utf8'));

/** A stream whose sleep returns at once and records the delays it was asked for. */
function newStream(options: Omit<KinesisEventStreamOptions, 'sleep'> = {}) {
  const delays: number[] = [];
  const stream = new KinesisEventStream(client, STREAM, {
    ...options,
    sleep: async (ms) => {
      delays.push(ms);
    },
  });
  return { stream, delays };
}

describe('Class: KinesisEventStream', () => {
  beforeEach(() => {
    kinesisMock.reset();
  });

  afterEach(() => {
    vi.restoreAllMocks();
  });

  describe('records', () => {
    it('returns no failures and sends one PutRecords call to the named stream', async () => {
      // Prepare
      kinesisMock.on(PutRecordsCommand).resolves(response([ok(1), ok(2)]));
      const { stream, delays } = newStream();

      // Act
      const result = await stream.putEvents([event('e1'), event('e2')]);

      // Assess
      expect(result).toEqual({ failed: [] });
      expect(kinesisMock.commandCalls(PutRecordsCommand)).toHaveLength(1);
      expect(kinesisMock.commandCalls(PutRecordsCommand)[0]?.args[0].input.StreamName).toBe(STREAM);
      expect(delays).toEqual([]);
    });

    it('returns the partition key u:<userId> or a:<anonymousId>, the user id winning', async () => {
      // Prepare
      kinesisMock.on(PutRecordsCommand).resolves(response([ok(1), ok(2), ok(3)]));
      const { stream } = newStream();
      const events = [
        event('e1', { userId: 'user-1' }),
        event('e2', { anonymousId: 'anon-1' }),
        event('e3', { userId: 'user-3', anonymousId: 'anon-3' }),
      ];

      // Act
      await stream.putEvents(events);

      // Assess
      expect(sentRecords()[0]?.map((r) => r.PartitionKey)).toEqual(['u:user-1', 'a:anon-1', 'u:user-3']);
    });

    it('returns the JSON of each event as the record data, in order', async () => {
      // Prepare
      kinesisMock.on(PutRecordsCommand).resolves(response([ok(1), ok(2)]));
      const { stream } = newStream();
      const events = [event('e1'), { ...event('e2'), type: 'purchase' as const, price: 5, currency: 'EUR' }];

      // Act
      await stream.putEvents(events);

      // Assess
      expect(sentRecords()[0]?.map(decode)).toEqual(events);
    });

    it('returns no call at all for no events', async () => {
      // Prepare
      const { stream } = newStream();

      // Act
      const result = await stream.putEvents([]);

      // Assess
      expect(result).toEqual({ failed: [] });
      expect(kinesisMock.commandCalls(PutRecordsCommand)).toHaveLength(0);
    });
  });

  describe('partial failures', () => {
    it('returns no failures when the throttled records succeed on the retry, resending only them', async () => {
      // Prepare
      kinesisMock
        .on(PutRecordsCommand)
        .resolvesOnce(response([ok(1), throttled, ok(3), throttled]))
        .resolvesOnce(response([ok(4), ok(5)]));
      const { stream, delays } = newStream();
      const events = [
        event('e0', { userId: 'user-0' }),
        event('e1', { userId: 'user-1' }),
        event('e2', { userId: 'user-2' }),
        event('e3', { anonymousId: 'anon-3' }),
      ];

      // Act
      const result = await stream.putEvents(events);

      // Assess
      expect(result).toEqual({ failed: [] });
      const calls = sentRecords();
      expect(calls).toHaveLength(2);
      expect(calls[1]?.map((r) => r.PartitionKey)).toEqual(['u:user-1', 'a:anon-3']);
      expect(calls[1]?.map(decode)).toEqual([events[1], events[3]]);
      expect(delays).toHaveLength(1);
    });

    it('returns the failures with the ErrorCode and original indexes after maxAttempts calls', async () => {
      // Prepare: the first record always succeeds on its first call, the others never do.
      kinesisMock
        .on(PutRecordsCommand)
        .resolvesOnce(response([ok(1), throttled, throttled]))
        .resolves(response([throttled, throttled]));
      const { stream, delays } = newStream();

      // Act
      const result = await stream.putEvents([event('e0'), event('e1'), event('e2')]);

      // Assess
      expect(kinesisMock.commandCalls(PutRecordsCommand)).toHaveLength(4);
      expect(delays).toHaveLength(3);
      expect(result.failed).toEqual([
        { index: 1, message: expect.stringContaining(THROTTLED) },
        { index: 2, message: expect.stringContaining(THROTTLED) },
      ]);
      expect(result.failed[0]?.message).toContain('Rate exceeded for shard');
    });

    it('returns failures after the configured maxAttempts calls', async () => {
      // Prepare
      kinesisMock.on(PutRecordsCommand).resolves(response([throttled]));
      const { stream, delays } = newStream({ maxAttempts: 2 });

      // Act
      const result = await stream.putEvents([event('e0')]);

      // Assess
      expect(kinesisMock.commandCalls(PutRecordsCommand)).toHaveLength(2);
      expect(delays).toHaveLength(1);
      expect(result.failed).toEqual([{ index: 0, message: expect.stringContaining(THROTTLED) }]);
    });

    it('returns the latest error code of a record that failed differently on each attempt', async () => {
      // Prepare
      kinesisMock
        .on(PutRecordsCommand)
        .resolvesOnce(response([throttled]))
        .resolves(response([{ ErrorCode: 'InternalFailure', ErrorMessage: 'Internal service failure.' }]));
      const { stream } = newStream({ maxAttempts: 2 });

      // Act
      const result = await stream.putEvents([event('e0')]);

      // Assess
      expect(result.failed).toEqual([{ index: 0, message: 'InternalFailure: Internal service failure.' }]);
    });

    it('returns a record the response says nothing about as failed and retries it', async () => {
      // Prepare: responses with fewer Records than were sent.
      kinesisMock
        .on(PutRecordsCommand)
        .resolvesOnce(response([ok(1)]))
        .resolves({ $metadata: {} });
      const { stream } = newStream({ maxAttempts: 2 });

      // Act
      const result = await stream.putEvents([event('e0'), event('e1')]);

      // Assess
      expect(sentRecords()[1]?.map(decode)).toEqual([event('e1')]);
      expect(result.failed).toEqual([{ index: 1, message: expect.stringContaining('NoResult') }]);
    });
  });

  describe('call failures', () => {
    it('returns no failures when the call throws once and then succeeds', async () => {
      // Prepare
      kinesisMock
        .on(PutRecordsCommand)
        .rejectsOnce(new ProvisionedThroughputExceededException({ message: 'Rate exceeded', $metadata: {} }))
        .resolves(response([ok(1), ok(2)]));
      const { stream, delays } = newStream();

      // Act
      const result = await stream.putEvents([event('e0'), event('e1')]);

      // Assess
      expect(result).toEqual({ failed: [] });
      expect(sentRecords().map((records) => records.length)).toEqual([2, 2]);
      expect(delays).toHaveLength(1);
    });

    it('returns every record failed with the error name and message when every call throws', async () => {
      // Prepare
      kinesisMock
        .on(PutRecordsCommand)
        .rejects(new ProvisionedThroughputExceededException({ message: 'Rate exceeded', $metadata: {} }));
      const { stream, delays } = newStream();

      // Act
      const result = await stream.putEvents([event('e0'), event('e1')]);

      // Assess
      expect(kinesisMock.commandCalls(PutRecordsCommand)).toHaveLength(4);
      expect(delays).toHaveLength(3);
      expect(result.failed).toEqual([
        { index: 0, message: `${THROTTLED}: Rate exceeded` },
        { index: 1, message: `${THROTTLED}: Rate exceeded` },
      ]);
    });

    it('returns the record-level error when a thrown call is followed by a partial failure', async () => {
      // Prepare
      kinesisMock
        .on(PutRecordsCommand)
        .rejectsOnce(new InternalFailureException({ message: 'boom', $metadata: {} }))
        .resolves(response([ok(1), throttled]));
      const { stream } = newStream({ maxAttempts: 2 });

      // Act
      const result = await stream.putEvents([event('e0'), event('e1')]);

      // Assess
      expect(result.failed).toEqual([{ index: 1, message: expect.stringContaining(THROTTLED) }]);
    });
  });

  describe('backoff', () => {
    it('returns exponentially growing delays from backoffBaseMs with the jitter at its lowest', async () => {
      // Prepare
      vi.spyOn(Math, 'random').mockReturnValue(0);
      kinesisMock.on(PutRecordsCommand).resolves(response([throttled]));
      const { stream, delays } = newStream({ backoffBaseMs: 100 });

      // Act
      await stream.putEvents([event('e0')]);

      // Assess
      expect(delays).toEqual([50, 100, 200]);
    });

    it('returns delays within [half, full] of the exponential step, each longer than the last', async () => {
      // Prepare
      kinesisMock.on(PutRecordsCommand).resolves(response([throttled]));
      const { stream, delays } = newStream({ maxAttempts: 5 });

      // Act
      await stream.putEvents([event('e0')]);

      // Assess
      expect(delays).toHaveLength(4);
      delays.forEach((delay, i) => {
        const step = 50 * 2 ** i;
        expect(delay).toBeGreaterThanOrEqual(step / 2);
        expect(delay).toBeLessThanOrEqual(step);
        if (i > 0) expect(delay).toBeGreaterThan(delays[i - 1] ?? Infinity);
      });
    });
  });

  describe('chunking', () => {
    it('returns failures of a later chunk at their index in the whole input', async () => {
      // Prepare: PutRecords takes at most 500 records; 502 events need two calls.
      const events = Array.from({ length: 502 }, (_, i) => event(`e${i}`));
      kinesisMock.on(PutRecordsCommand).callsFake((input: { Records: PutRecordsRequestEntry[] }) => {
        const records = input.Records.map((entry, i) =>
          (decode(entry) as StreamEvent).eventId === 'e501' ? throttled : ok(i),
        );
        return Promise.resolve(response(records));
      });
      const { stream } = newStream({ maxAttempts: 1 });

      // Act
      const result = await stream.putEvents(events);

      // Assess
      expect(sentRecords().map((records) => records.length)).toEqual([500, 2]);
      expect(result.failed).toEqual([{ index: 501, message: expect.stringContaining(THROTTLED) }]);
    });
  });
});
