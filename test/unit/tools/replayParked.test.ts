import { KinesisClient, PutRecordsCommand, type PutRecordsCommandInput } from '@aws-sdk/client-kinesis';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { replayParkedCommand, ReplayUsageError } from '../../../tools/replay-parked.ts';

const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/processor-failures';
const credentials = { accessKeyId: 'x', secretAccessKey: 'x' };
const event = { eventId: 'e-1', type: 'view', userId: 'u1', itemId: 'sku', timestamp: 1, receivedAt: 1 };
const parked = {
  shardId: 'shardId-000000000000',
  sequenceNumber: '49650000000000000000000000000000000000000000000000000001',
  reason: 'item_rejected',
  message: 'profile u:u1: One or more parameter values were invalid',
  data: Buffer.from(JSON.stringify(event)).toString('base64'),
};
const description = {
  requestContext: { condition: 'RetryAttemptsExhausted' },
  KinesisBatchInfo: { shardId: 'shardId-000000000000', startSequenceNumber: '1', endSequenceNumber: '9' },
};

describe('Command: replay:parked', () => {
  it.each([
    [[], 'give one of --queue-url'],
    [['--queue-url', QUEUE_URL, '--file', 'x.jsonl', '--stream', 's'], 'give one of --queue-url'],
    [['--queue-url', QUEUE_URL], '--stream is required'],
  ])('rejects %j with a usage error', async (args, message) => {
    // Act
    const attempt = replayParkedCommand(args);
    // Assess
    await expect(attempt).rejects.toBeInstanceOf(ReplayUsageError);
    await expect(attempt).rejects.toThrow(message);
  });

  it('returns the queue’s parked event put on the stream and deleted, and Lambda’s batch description left', async () => {
    // Prepare
    const sqs = new SQSClient({ region: 'eu-west-1', credentials });
    const kinesis = new KinesisClient({ region: 'eu-west-1', credentials });
    const sqsMock = mockClient(sqs);
    sqsMock
      .on(ReceiveMessageCommand)
      .resolvesOnce({
        Messages: [
          { ReceiptHandle: 'r-1', Body: JSON.stringify(parked) },
          { ReceiptHandle: 'r-2', Body: JSON.stringify(description) },
        ],
      })
      .resolves({ Messages: [] });
    sqsMock.on(DeleteMessageBatchCommand).resolves({ Successful: [{ Id: '0' }], Failed: [] });
    const kinesisMock = mockClient(kinesis);
    kinesisMock.on(PutRecordsCommand).callsFake((input: PutRecordsCommandInput) => ({
      Records: (input.Records ?? []).map(() => ({ SequenceNumber: '2', ShardId: 'shardId-000000000000' })),
    }));
    // Act
    const report = await replayParkedCommand(['--queue-url', QUEUE_URL, '--stream', 'reco-events'], {
      sqs: () => sqs,
      kinesis: () => kinesis,
    });
    // Assess
    expect(report).toMatchObject({ replayed: 1, batchDescriptions: 1, notAccepted: 0 });
    const put = kinesisMock.commandCalls(PutRecordsCommand)[0]?.args[0].input;
    expect(put?.StreamName).toBe('reco-events');
    expect(put?.Records?.map((r) => [r.PartitionKey, JSON.parse(Buffer.from(r.Data ?? []).toString())])).toEqual([
      ['u:u1', event],
    ]);
    expect(sqsMock.commandCalls(DeleteMessageBatchCommand)[0]?.args[0].input.Entries).toEqual([
      { Id: '0', ReceiptHandle: 'r-1' },
    ]);
  });

  it('returns a dry run’s count without a stream, putting and deleting nothing', async () => {
    // Prepare
    const sqs = new SQSClient({ region: 'eu-west-1', credentials });
    const sqsMock = mockClient(sqs);
    sqsMock
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [{ ReceiptHandle: 'r-1', Body: JSON.stringify(parked) }] })
      .resolves({ Messages: [] });
    // Act
    const report = await replayParkedCommand(['--queue-url', QUEUE_URL, '--dry-run'], { sqs: () => sqs });
    // Assess
    expect(report).toMatchObject({ replayed: 1 });
    expect(sqsMock.commandCalls(DeleteMessageBatchCommand)).toEqual([]);
  });
});
