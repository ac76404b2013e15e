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
import { SqsPoisonSink } from '#shared/adapters/sqsPoisonSink.ts';
import type { PoisonRecord } from '#shared/ports/index.ts';
import { poisonRecord, poisonSinkContract } from '../../../contract/poisonSink.contract.ts';

const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/processor-failures';

/** Characters SQS takes in a message body (SendMessage / SendMessageBatch API reference). */
const SQS_BODY = /^[\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]*$/u;

/**
 * A queue behind a mocked client that holds SQS's documented rules for a batch: 1 to 10 entries
 * with distinct ids, bodies of allowed characters only, and the bodies together at most the
 * queue's maximum message size (1 MiB, SQS's default and largest; it was 256 KiB before 2025).
 * `failEntry` makes SQS report chosen entries in `Failed[]`, as it does for internal errors.
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

poisonSinkContract(
  'SQS, mocked client',
  async () => {
    const queue = new FakeQueue();
    return { sink: new SqsPoisonSink(queue.client, QUEUE_URL), readBack: async () => queue.records() };
  },
  {
    refusing: async () => {
      const queue = new FakeQueue({ failEntry: () => true });
      return new SqsPoisonSink(queue.client, QUEUE_URL);
    },
  },
);

describe('Class: SqsPoisonSink', () => {
  describe('Method: send', () => {
    it('returns after sending 25 records in batches of 10, 10 and 5 to the queue, ids distinct per batch', async () => {
      // Prepare
      const queue = new FakeQueue();
      const records = Array.from({ length: 25 }, (_, i) => poisonRecord(i));

      // Act
      await new SqsPoisonSink(queue.client, QUEUE_URL).send(records);

      // Assess
      expect(queue.batches.map((batch) => batch.Entries?.length)).toEqual([10, 10, 5]);
      expect(queue.batches.every((batch) => batch.QueueUrl === QUEUE_URL)).toBe(true);
      expect(queue.records()).toEqual(records);
    });

    it('returns without calling SQS for no records', async () => {
      // Prepare
      const queue = new FakeQueue();

      // Act
      await new SqsPoisonSink(queue.client, QUEUE_URL).send([]);

      // Assess
      expect(queue.batches).toEqual([]);
    });

    it('returns each record as one message body holding the whole record as JSON', async () => {
      // Prepare
      const queue = new FakeQueue();
      const record = poisonRecord(7, { message: 'line 1\nline 2 "quoted" \u0001' });

      // Act
      await new SqsPoisonSink(queue.client, QUEUE_URL).send([record]);

      // Assess
      expect(queue.batches[0]?.Entries?.map((entry) => entry.MessageBody)).toEqual([JSON.stringify(record)]);
    });

    it('rejects naming the count and SQS message when SQS reports entries in Failed[]', async () => {
      // Prepare: SQS takes entries 0-7 of the batch and fails 8 and 9.
      const queue = new FakeQueue({ failEntry: (_call, id) => id === '8' || id === '9' });
      const records = Array.from({ length: 10 }, (_, i) => poisonRecord(i));

      // Act
      const attempt = new SqsPoisonSink(queue.client, QUEUE_URL).send(records);

      // Assess
      await expect(attempt).rejects.toThrow(/refused 2 message\(s\): We encountered an internal error/);
    });

    it('rejects on a failed batch without sending the batches after it', async () => {
      // Prepare: the second of three batches has one entry failed.
      const queue = new FakeQueue({ failEntry: (call, id) => call === 2 && id === '0' });
      const records = Array.from({ length: 25 }, (_, i) => poisonRecord(i));

      // Act
      const attempt = new SqsPoisonSink(queue.client, QUEUE_URL).send(records);

      // Assess
      await expect(attempt).rejects.toThrow(/refused 1 message/);
      expect(queue.batches).toHaveLength(2);
    });

    it('rejects when the call itself fails', async () => {
      // Prepare
      const queue = new FakeQueue({
        failCall: () => Object.assign(new Error('slow down'), { name: 'RequestThrottled' }),
      });

      // Act
      const attempt = new SqsPoisonSink(queue.client, QUEUE_URL).send([poisonRecord(1)]);

      // Assess
      await expect(attempt).rejects.toThrow('slow down');
    });

    it('returns on a retried send with every record parked, those parked by the failed attempt twice', async () => {
      // Prepare: the processor retries the whole batch when send rejects; SQS delivery is at least once.
      let failing = true;
      const queue = new FakeQueue({ failEntry: (_call, id) => failing && id === '3' });
      const sink = new SqsPoisonSink(queue.client, QUEUE_URL);
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
