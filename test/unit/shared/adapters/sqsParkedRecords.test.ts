import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
  type DeleteMessageBatchCommandInput,
  type ReceiveMessageCommandInput,
  type SendMessageBatchCommandInput,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { ParkedMessagesNotRemovedError, SqsParkedRecords } from '#shared/adapters/sqsParkedRecords.ts';
import { SqsPoisonSink } from '#shared/adapters/sqsPoisonSink.ts';
import { parkedRecordsContract } from '../../../contract/parkedRecords.contract.ts';
import { poisonRecord } from '../../../contract/poisonSink.contract.ts';

const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/processor-failures';

/**
 * A queue behind a mocked client, with SQS's rules for what a replay does: a received message is
 * hidden (until deleted here: a run never outlasts its visibility timeout), at most 10 per
 * receive, a delete by the receipt handle of its receive, at most 10 per batch.
 */
class FakeQueue {
  readonly client = new SQSClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  readonly messages: { id: string; body: string; receipt?: string }[] = [];
  readonly receives: ReceiveMessageCommandInput[] = [];
  #next = 0;

  /** Messages received and not deleted are visible again. */
  visibilityTimeoutPasses(): void {
    for (const message of this.messages) delete message.receipt;
  }

  constructor(readonly options: { readonly refuseDelete?: boolean } = {}) {
    const mock = mockClient(this.client);
    mock.on(SendMessageBatchCommand).callsFake((input: SendMessageBatchCommandInput) => {
      for (const entry of input.Entries ?? [])
        this.messages.push({ id: `m${(this.#next += 1)}`, body: entry.MessageBody ?? '' });
      return {
        Successful: (input.Entries ?? []).map((entry) => ({ Id: entry.Id, MessageId: 'x', MD5OfMessageBody: 'x' })),
        Failed: [],
      };
    });
    mock.on(ReceiveMessageCommand).callsFake((input: ReceiveMessageCommandInput) => {
      this.receives.push(input);
      if (input.QueueUrl !== QUEUE_URL) throw new Error(`no queue ${input.QueueUrl}`);
      const visible = this.messages.filter((message) => message.receipt === undefined);
      const taken = visible.slice(0, Math.min(10, input.MaxNumberOfMessages ?? 1));
      for (const message of taken) message.receipt = `r-${message.id}-${(this.#next += 1)}`;
      return {
        Messages: taken.map((message) => ({
          MessageId: message.id,
          ReceiptHandle: message.receipt,
          Body: message.body,
        })),
      };
    });
    mock.on(DeleteMessageBatchCommand).callsFake((input: DeleteMessageBatchCommandInput) => {
      const entries = input.Entries ?? [];
      if (entries.length === 0 || entries.length > 10) throw new Error(`${entries.length} entries`);
      const Failed = [];
      const Successful = [];
      for (const entry of entries) {
        const index = this.messages.findIndex((message) => message.receipt === entry.ReceiptHandle);
        if (this.options.refuseDelete || index === -1) {
          Failed.push({ Id: entry.Id, SenderFault: true, Code: 'ReceiptHandleIsInvalid', Message: 'no such receipt' });
        } else {
          this.messages.splice(index, 1);
          Successful.push({ Id: entry.Id });
        }
      }
      return { Successful, Failed };
    });
  }
}

parkedRecordsContract('SQS, mocked client', async () => {
  const queue = new FakeQueue();
  return {
    sink: new SqsPoisonSink(queue.client, QUEUE_URL, { retryDelayMs: 0 }),
    parked: new SqsParkedRecords(queue.client, QUEUE_URL),
    timePasses: () => queue.visibilityTimeoutPasses(),
  };
});

describe('Class: SqsParkedRecords', () => {
  describe('Method: read', () => {
    it('returns pages of up to 10, each message hidden for the visibility timeout, until a read finds none', async () => {
      // Prepare
      const queue = new FakeQueue();
      await new SqsPoisonSink(queue.client, QUEUE_URL).send(Array.from({ length: 23 }, (_, i) => poisonRecord(i)));

      // Act
      const pages: number[] = [];
      for await (const page of new SqsParkedRecords(queue.client, QUEUE_URL).read()) pages.push(page.length);

      // Assess
      expect(pages).toEqual([10, 10, 3]);
      expect(queue.receives.at(-1)).toMatchObject({
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 900,
        WaitTimeSeconds: 1,
      });
    });
  });

  describe('Method: remove', () => {
    it('rejects with the count of messages SQS did not delete, after trying them all', async () => {
      // Prepare
      const queue = new FakeQueue({ refuseDelete: true });
      await new SqsPoisonSink(queue.client, QUEUE_URL).send(Array.from({ length: 12 }, (_, i) => poisonRecord(i)));
      const parked = new SqsParkedRecords(queue.client, QUEUE_URL);
      const read = [];
      for await (const page of parked.read()) read.push(...page);

      // Act
      const attempt = parked.remove(read);

      // Assess
      await expect(attempt).rejects.toBeInstanceOf(ParkedMessagesNotRemovedError);
      await expect(attempt).rejects.toMatchObject({ failed: 12 });
    });
  });
});
