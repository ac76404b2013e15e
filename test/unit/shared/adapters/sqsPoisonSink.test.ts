import {
  BatchEntryIdsNotDistinct,
  BatchRequestTooLong,
  EmptyBatchRequest,
  InvalidMessageContents,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
  TooManyEntriesInBatchRequest,
  type BatchResultErrorEntry,
  type SendMessageBatchCommandInput,
  type SendMessageBatchResultEntry,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import {
  messageBodyOf,
  PoisonRecordsNotParkedError,
  SqsPoisonSink,
  type SqsPoisonSinkOptions,
  type TruncatedPoisonRecord,
} from '#shared/adapters/sqsPoisonSink.ts';
import type { PoisonRecord } from '#shared/ports/index.ts';
import { poisonRecord, poisonSinkContract } from '../../../contract/poisonSink.contract.ts';

const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/processor-failures';

/** Characters SQS takes in a message body (SendMessage / SendMessageBatch API reference). */
const SQS_BODY = /^[\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]*$/u;

/**
 * A queue behind a mocked client that holds SQS's documented rules for a batch: 1 to 10 entries
 * with distinct ids, bodies of allowed characters only, and the bodies together at most the
 * queue's maximum message size (1 MiB, SQS's default and largest; it was 256 KiB before 2025).
 * `failEntry` makes SQS report chosen entries in `Failed[]`, as it does for internal errors;
 * `refuseEntry` reports them as the sender's fault, as it does for an invalid parameter.
 */
class FakeQueue {
  readonly client = new SQSClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  /** Bodies SQS took, in order. */
  readonly bodies: string[] = [];
  readonly batches: SendMessageBatchCommandInput[] = [];

  constructor(
    readonly options: {
      readonly maxBytes?: number;
      readonly failEntry?: (call: number, id: string) => boolean;
      readonly refuseEntry?: (call: number, id: string) => boolean;
      readonly failCall?: (call: number) => Error | undefined;
    } = {},
  ) {
    const mock = mockClient(this.client);
    mock.on(SendMessageBatchCommand).callsFake((input: SendMessageBatchCommandInput) => this.sendBatch(input));
    mock.on(SendMessageCommand).callsFake((input: { QueueUrl?: string; MessageBody?: string }) => {
      const result = this.sendBatch({
        QueueUrl: input.QueueUrl,
        Entries: [{ Id: 'single', MessageBody: input.MessageBody }],
      });
      const failure = result.Failed[0];
      if (failure) throw new InvalidMessageContents({ message: failure.Message ?? '', $metadata: {} });
      return { MessageId: result.Successful[0]?.MessageId };
    });
  }

  records(): PoisonRecord[] {
    return this.bodies.map((body) => JSON.parse(body) as PoisonRecord);
  }

  private sendBatch(input: SendMessageBatchCommandInput) {
    const call = this.batches.push(input);
    const thrown = this.options.failCall?.(call);
    if (thrown) throw thrown;
    const entries = input.Entries ?? [];
    const $metadata = {};
    if (input.QueueUrl !== QUEUE_URL) throw new Error(`no queue ${input.QueueUrl}`);
    if (entries.length === 0) throw new EmptyBatchRequest({ message: 'no entries', $metadata });
    if (entries.length > 10)
      throw new TooManyEntriesInBatchRequest({ message: `${entries.length} entries`, $metadata });
    if (new Set(entries.map((entry) => entry.Id)).size !== entries.length) {
      throw new BatchEntryIdsNotDistinct({ message: 'ids repeat', $metadata });
    }
    const bytes = entries.reduce((sum, entry) => sum + Buffer.byteLength(entry.MessageBody ?? ''), 0);
    if (bytes > (this.options.maxBytes ?? 1_048_576)) {
      throw new BatchRequestTooLong({ message: `batch of ${bytes} bytes`, $metadata });
    }
    const Successful: SendMessageBatchResultEntry[] = [];
    const Failed: BatchResultErrorEntry[] = [];
    for (const entry of entries) {
      const body = entry.MessageBody ?? '';
      if (!SQS_BODY.test(body)) {
        Failed.push({ Id: entry.Id, SenderFault: true, Code: 'InvalidMessageContents', Message: 'invalid characters' });
      } else if (this.options.refuseEntry?.(call, entry.Id ?? '')) {
        Failed.push({ Id: entry.Id, SenderFault: true, Code: 'InvalidParameterValue', Message: 'refused' });
      } else if (this.options.failEntry?.(call, entry.Id ?? '')) {
        Failed.push({
          Id: entry.Id,
          SenderFault: false,
          Code: 'InternalError',
          Message: 'We encountered an internal error',
        });
      } else {
        this.bodies.push(body);
        Successful.push({ Id: entry.Id, MessageId: `m-${this.bodies.length}`, MD5OfMessageBody: 'x' });
      }
    }
    return { Successful, Failed };
  }
}

/** A sink on the fake queue that retries without waiting. */
const sinkOn = (queue: FakeQueue, options: SqsPoisonSinkOptions = {}): SqsPoisonSink =>
  new SqsPoisonSink(queue.client, QUEUE_URL, { retryDelayMs: 0, ...options });

const bySequence = (records: readonly PoisonRecord[]): PoisonRecord[] =>
  [...records].sort((a, b) => a.sequenceNumber.localeCompare(b.sequenceNumber));

poisonSinkContract(
  'SQS, mocked client',
  async () => {
    const queue = new FakeQueue();
    return { sink: sinkOn(queue), readBack: async () => queue.records() };
  },
  {
    refusing: async () => sinkOn(new FakeQueue({ failEntry: () => true })),
  },
);

describe('Function: messageBodyOf', () => {
  it('returns the JSON of the record with only the characters SQS refuses escaped, parsing back to it', () => {
    // Prepare
    const refused = poisonRecord(1, { message: 'a\uFFFFb\uFFFEc\uD800d\uDC00e\u0000f 😀 é' });
    const taken = poisonRecord(2, { message: 'line 1\nline 2 "quoted" \\ \u0001 \uD7FF \uE000 \uFFFD 😀' });

    // Act
    const bodies = [messageBodyOf(refused), messageBodyOf(taken)];

    // Assess
    expect(bodies[0]).toContain('a\\uffffb\\ufffec\\ud800d\\udc00e\\u0000f 😀 é');
    expect(bodies[0]).toMatch(SQS_BODY);
    expect(JSON.parse(bodies[0] ?? '')).toEqual(refused);
    expect(bodies[1]).toBe(JSON.stringify(taken));
  });
});

describe('Class: SqsPoisonSink', () => {
  describe('Method: send', () => {
    it('returns after sending 25 records in batches of 10, 10 and 5 to the queue, ids distinct per batch', async () => {
      // Prepare
      const queue = new FakeQueue();
      const records = Array.from({ length: 25 }, (_, i) => poisonRecord(i));

      // Act
      await sinkOn(queue).send(records);

      // Assess
      expect(queue.batches.map((batch) => batch.Entries?.length)).toEqual([10, 10, 5]);
      expect(queue.batches.every((batch) => batch.QueueUrl === QUEUE_URL)).toBe(true);
      expect(queue.records()).toEqual(records);
    });

    it('returns without calling SQS for no records', async () => {
      // Prepare
      const queue = new FakeQueue();

      // Act
      await sinkOn(queue).send([]);

      // Assess
      expect(queue.batches).toEqual([]);
    });

    it('returns each record as one message body holding the whole record as JSON', async () => {
      // Prepare
      const queue = new FakeQueue();
      const record = poisonRecord(7, { message: 'line 1\nline 2 "quoted" \u0001' });

      // Act
      await sinkOn(queue).send([record]);

      // Assess
      expect(queue.batches[0]?.Entries?.map((entry) => entry.MessageBody)).toEqual([JSON.stringify(record)]);
    });

    describe('characters SQS refuses', () => {
      it.each([
        ['U+FFFF, as V8 quotes it in a JSON parse error', `record data is not JSON: Unexpected token '\uFFFF'`],
        ['U+FFFE', 'Unexpected token \uFFFE in JSON'],
      ])('returns with a record whose message holds %s parked whole', async (_name, message) => {
        // Prepare
        const queue = new FakeQueue();
        const record = poisonRecord(1, { reason: 'invalid_json', message });

        // Act
        await sinkOn(queue).send([record]);

        // Assess
        expect(queue.records()).toEqual([record]);
      });
    });

    describe('batch size in bytes', () => {
      it('returns with ten 200 KiB records parked in batches under the 1 MiB batch limit', async () => {
        // Prepare: a record not written by ingest (which caps events at 8 KiB) can be up to 1 MiB.
        const queue = new FakeQueue();
        const records = Array.from({ length: 10 }, (_, i) =>
          poisonRecord(i, { data: Buffer.from('z'.repeat(150 * 1024)).toString('base64') }),
        );

        // Act
        await sinkOn(queue).send(records);

        // Assess
        expect(queue.records()).toEqual(records);
        expect(queue.batches.map((batch) => batch.Entries?.length)).toEqual([5, 5]);
      });

      it('returns with batches cut at maxPayloadBytes for a queue with a smaller MaximumMessageSize', async () => {
        // Prepare: 60 KiB records on a queue that takes 256 KiB.
        const queue = new FakeQueue({ maxBytes: 262_144 });
        const records = Array.from({ length: 10 }, (_, i) =>
          poisonRecord(i, { data: Buffer.from('q'.repeat(45 * 1024)).toString('base64') }),
        );

        // Act
        await sinkOn(queue, { maxPayloadBytes: 262_144 }).send(records);

        // Assess
        expect(queue.records()).toEqual(records);
        expect(queue.batches.map((batch) => batch.Entries?.length)).toEqual([4, 4, 2]);
      });
    });

    describe('a record too large for one message', () => {
      it('returns with its metadata parked and its data cut to fit, marked with the original length', async () => {
        // Prepare: 900 KiB of data is 1.2 MiB of base64.
        const queue = new FakeQueue();
        const data = Buffer.from('w'.repeat(900 * 1024)).toString('base64');
        const large = poisonRecord(1, { data });

        // Act
        await sinkOn(queue).send([poisonRecord(0), large, poisonRecord(2)]);

        // Assess
        const [before, parked, after] = queue.records() as TruncatedPoisonRecord[];
        expect([before, after]).toEqual([poisonRecord(0), poisonRecord(2)]);
        expect(parked).toEqual({ ...large, data: parked?.data, dataTruncated: true, dataLength: data.length });
        expect(data.startsWith(parked?.data ?? 'x')).toBe(true);
        expect((parked?.data.length ?? 0) % 4).toBe(0);
        expect(parked?.data.length).toBeGreaterThan(1_048_576 - 400);
        expect(queue.batches.map((batch) => batch.Entries?.length)).toEqual([1, 1, 1]);
      });

      it('returns with a message too large on its own cut as well, on a character boundary', async () => {
        // Prepare: a message of 4-byte characters, larger than the queue takes.
        const queue = new FakeQueue({ maxBytes: 4096 });
        const message = '😀'.repeat(2000);
        const large = poisonRecord(1, { message });

        // Act
        await sinkOn(queue, { maxPayloadBytes: 4096 }).send([large]);

        // Assess
        const [parked] = queue.records() as TruncatedPoisonRecord[];
        expect(parked).toMatchObject({ ...large, message: parked?.message, data: '', messageTruncated: true });
        expect(message.startsWith(parked?.message ?? 'x')).toBe(true);
        expect(Buffer.byteLength(queue.bodies[0] ?? '')).toBeGreaterThan(4096 - 4);
      });
    });

    describe('entries SQS reports in Failed[]', () => {
      it('returns once a transiently failed entry is sent again alone and parked', async () => {
        // Prepare: SQS fails entry 3 of the first call with an internal error, which may be retried.
        const queue = new FakeQueue({ failEntry: (call, id) => call === 1 && id === '3' });
        const records = Array.from({ length: 5 }, (_, i) => poisonRecord(i));

        // Act
        await sinkOn(queue).send(records);

        // Assess
        expect(queue.batches.map((batch) => batch.Entries?.map((entry) => entry.Id))).toEqual([
          ['0', '1', '2', '3', '4'],
          ['3'],
        ]);
        expect(bySequence(queue.records())).toEqual(records);
      });

      it('rejects naming the count and SQS message when entries still fail after maxAttempts', async () => {
        // Prepare: SQS takes entries 0-7 of the batch and fails 8 and 9 every time.
        const queue = new FakeQueue({ failEntry: (_call, id) => id === '8' || id === '9' });
        const records = Array.from({ length: 10 }, (_, i) => poisonRecord(i));

        // Act
        const attempt = sinkOn(queue, { maxAttempts: 3 }).send(records);

        // Assess
        await expect(attempt).rejects.toThrow(PoisonRecordsNotParkedError);
        await expect(attempt).rejects.toThrow(/refused 2 message\(s\): We encountered an internal error/);
        await expect(attempt).rejects.toMatchObject({ failed: 2 });
        expect(queue.batches.map((batch) => batch.Entries?.length)).toEqual([10, 2, 2]);
        expect(queue.records()).toEqual(records.slice(0, 8));
      });

      it("rejects without resending an entry SQS refused as the sender's fault", async () => {
        // Prepare
        const queue = new FakeQueue({ refuseEntry: (_call, id) => id === '1' });
        const records = Array.from({ length: 3 }, (_, i) => poisonRecord(i));

        // Act
        const attempt = sinkOn(queue).send(records);

        // Assess
        await expect(attempt).rejects.toThrow(/refused 1 message\(s\): refused \(InvalidParameterValue\)/);
        expect(queue.batches).toHaveLength(1);
        expect(queue.records()).toEqual([records[0], records[2]]);
      });

      it('rejects only after sending the batches after a failed one, every other record parked', async () => {
        // Prepare: entry 0 of the second batch (record 10) fails on that call and both retries.
        const queue = new FakeQueue({ failEntry: (call, id) => call >= 2 && call <= 4 && id === '0' });
        const records = Array.from({ length: 25 }, (_, i) => poisonRecord(i));

        // Act
        const attempt = sinkOn(queue).send(records);

        // Assess
        await expect(attempt).rejects.toThrow(/refused 1 message\(s\).*24 of 25 parked/);
        expect(queue.batches.map((batch) => batch.Entries?.length)).toEqual([10, 10, 1, 1, 5]);
        expect(queue.records()).toEqual(records.filter((_, i) => i !== 10));
      });
    });

    describe('calls that fail', () => {
      it('rejects when the call itself fails', async () => {
        // Prepare
        const queue = new FakeQueue({
          failCall: () => Object.assign(new Error('slow down'), { name: 'RequestThrottled' }),
        });

        // Act
        const attempt = sinkOn(queue).send([poisonRecord(1)]);

        // Assess
        await expect(attempt).rejects.toThrow('slow down');
        await expect(attempt).rejects.toMatchObject({ cause: expect.objectContaining({ name: 'RequestThrottled' }) });
      });

      it('rejects only after sending the batches after a failed call, their records parked', async () => {
        // Prepare
        const queue = new FakeQueue({ failCall: (call) => (call === 1 ? new Error('slow down') : undefined) });
        const records = Array.from({ length: 25 }, (_, i) => poisonRecord(i));

        // Act
        const attempt = sinkOn(queue).send(records);

        // Assess
        await expect(attempt).rejects.toThrow(/refused 10 message\(s\): slow down; 15 of 25 parked/);
        expect(queue.records()).toEqual(records.slice(10));
      });
    });

    it('returns on a retried send with every record parked, those parked by the failed attempt twice', async () => {
      // Prepare: the processor retries the whole batch when send rejects; SQS delivery is at least once.
      let failing = true;
      const queue = new FakeQueue({ failEntry: (_call, id) => failing && id === '3' });
      const sink = sinkOn(queue);
      const records = Array.from({ length: 5 }, (_, i) => poisonRecord(i));
      await sink.send(records).catch(() => undefined);
      failing = false;

      // Act
      await sink.send(records);

      // Assess
      expect(queue.records()).toEqual([...records.filter((_, i) => i !== 3), ...records]);
    });
  });
});
