import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { LazySqsPoisonSink } from '#functions/lib/lazySqsPoisonSink.ts';
import { messageBodyOf } from '#shared/adapters/sqsPoisonSink.ts';
import { poisonRecord } from '../../../contract/poisonSink.contract.ts';

const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/processor-failures';
const sqs = mockClient(SQSClient);

describe('Class: LazySqsPoisonSink', () => {
  afterEach(() => {
    sqs.reset();
  });

  describe('Method: send', () => {
    it('parks the records on the queue through the SQS poison sink, loading it on the first call', async () => {
      // Prepare
      sqs.on(SendMessageBatchCommand).callsFake((input: { Entries: { Id: string }[] }) => ({
        Successful: input.Entries.map((entry) => ({ Id: entry.Id, MessageId: `m-${entry.Id}` })),
        Failed: [],
      }));
      const sink = new LazySqsPoisonSink(QUEUE_URL);
      const records = [poisonRecord(0), poisonRecord(1)];

      // Act
      await sink.send(records);
      await sink.send([poisonRecord(2)]);

      // Assess
      const calls = sqs.commandCalls(SendMessageBatchCommand);
      expect(calls.map((call) => call.args[0].input.QueueUrl)).toEqual([QUEUE_URL, QUEUE_URL]);
      expect(calls[0]?.args[0].input.Entries?.map((entry) => entry.MessageBody)).toEqual(
        records.map((record) => messageBodyOf(record)),
      );
    });

    it('rejects as the SQS poison sink does when the queue refuses the batch', async () => {
      // Prepare
      sqs.on(SendMessageBatchCommand).rejects(new Error('queue gone'));
      const sink = new LazySqsPoisonSink(QUEUE_URL);

      // Act
      const sent = sink.send([poisonRecord(0)]);

      // Assess
      await expect(sent).rejects.toThrow();
    });
  });
});
