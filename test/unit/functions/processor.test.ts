import { DynamoDBServiceException, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Context, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { erasureHash } from '#shared/privacy/erasureHash.ts';
import { captureStdout, metricValues } from './emf.ts';

const POISON_QUEUE_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/processor-on-failure';
process.env.FEATURE_TABLE_NAME = 'features-test';
process.env.POISON_QUEUE_URL = POISON_QUEUE_URL;
const ERASURE_HASH_KEY = 'processor-test-erasure-hash-key-0123456789';
process.env.ERASURE_HASH_KEY = ERASURE_HASH_KEY;
process.env.AWS_REGION = 'us-east-1';
process.env.AWS_ACCESS_KEY_ID = 'test';
process.env.AWS_SECRET_ACCESS_KEY = 'test';
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED = 'false';

// The document client sends through its own stack, so it is the one to mock.
const dynamo = mockClient(DynamoDBDocumentClient);
const sqs = mockClient(SQSClient);
let handler: (
  event: KinesisStreamEvent,
  context: Context,
) => Promise<{ batchItemFailures: { itemIdentifier: string }[] }>;

beforeAll(async () => {
  ({ handler } = await import('#functions/processor/handler.ts'));
});

const NOW = Date.now();
let sequence = 5000;
function kinesisRecord(payload: unknown): KinesisStreamRecord {
  sequence += 1;
  return {
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey: 'p',
      sequenceNumber: String(sequence),
      data: Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload)).toString('base64'),
      approximateArrivalTimestamp: NOW / 1000,
    },
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `shardId-000000000000:${sequence}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: 'arn:aws:iam::123456789012:role/x',
    awsRegion: 'us-east-1',
    eventSourceARN: 'arn:aws:kinesis:us-east-1:123456789012:stream/events',
  };
}
const view = (userId: string, itemId: string) =>
  kinesisRecord({ eventId: `e${sequence}`, type: 'view', userId, itemId, timestamp: NOW, receivedAt: NOW });
const context = { awsRequestId: 'test', getRemainingTimeInMillis: () => 30_000 } as unknown as Context;

describe('Handler: processor', () => {
  /** stdout, where the handler's metrics go; captured in every test so none reaches the console. */
  let stdout: ReturnType<typeof captureStdout>;

  afterEach(() => {
    stdout.restore();
  });

  beforeEach(() => {
    stdout = captureStdout();
    dynamo.reset();
    sqs.reset();
    sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
    dynamo.on(GetCommand).resolves({});
    dynamo.on(BatchGetCommand).resolves({ Responses: {} });
    dynamo.on(UpdateCommand).resolves({});
  });

  it('returns no failures when every write succeeds', async () => {
    // Prepare
    const event = { Records: [view('u1', 'sku-1'), view('u2', 'sku-1')] };
    // Act
    const response = await handler(event, context);
    // Assess: sku-1 coalesced into one write, plus one per shopper.
    expect(response.batchItemFailures).toEqual([]);
    expect(dynamo.commandCalls(UpdateCommand)).toHaveLength(3);
  });

  it('reports the throttled records and the rest of the shard after them, and writes the records before', async () => {
    // Prepare
    dynamo
      .on(UpdateCommand, { Key: { pk: 'U#u:u2', sk: 'PROFILE' } })
      .rejects(new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} }));
    const records = [view('u1', 'sku-1'), view('u2', 'sku-2'), view('u3', 'sku-3'), view('u2', 'sku-4')];
    // Act
    const response = await handler({ Records: records }, context);
    // Assess
    // Lambda retries from the first failure, so item counts of later records wait for it.
    expect(response.batchItemFailures).toEqual(
      records.slice(1).map((r) => ({ itemIdentifier: r.kinesis.sequenceNumber })),
    );
    const itemWrites = dynamo
      .commandCalls(UpdateCommand)
      .map((call) => call.args[0].input.Key?.pk as string)
      .filter((pk) => pk.startsWith('I#'));
    expect(itemWrites).toEqual(['I#sku-1']);
  });

  it('parks a poison record on the on-failure queue with its reason and processes the rest', async () => {
    // Prepare
    const poison = kinesisRecord('{"eventId": "p1", "type": "teleport"}');
    // Act
    const response = await handler({ Records: [view('u1', 'sku-1'), poison] }, context);
    // Assess
    expect(response.batchItemFailures).toEqual([]);
    const sent = sqs.commandCalls(SendMessageBatchCommand).map((call) => call.args[0].input);
    expect(sent.map((input) => input.QueueUrl)).toEqual([POISON_QUEUE_URL]);
    const parked = (sent[0]?.Entries ?? []).map((entry) => JSON.parse(entry.MessageBody ?? '') as unknown);
    expect(parked).toContainEqual(
      expect.objectContaining({ sequenceNumber: poison.kinesis.sequenceNumber, reason: 'invalid_event' }),
    );
  });
  it('parks only the record whose profile DynamoDB refuses, with its data and reason, and writes the rest', async () => {
    // Prepare: DynamoDB refuses any profile of u2 that holds sku-bad, as it refuses an item it can never take.
    dynamo
      .on(UpdateCommand, { Key: { pk: 'U#u:u2', sk: 'PROFILE' } })
      .callsFake((input: { ExpressionAttributeValues: Record<string, { recentItems: { itemId: string }[] }> }) => {
        if (input.ExpressionAttributeValues[':profile']?.recentItems.some((item) => item.itemId === 'sku-bad')) {
          throw new DynamoDBServiceException({
            name: 'ValidationException',
            $fault: 'client',
            message: 'One or more parameter values were invalid',
            $metadata: {},
          });
        }
        return {};
      });
    const bad = view('u2', 'sku-bad');
    const records = [view('u1', 'sku-1'), bad, view('u3', 'sku-3'), view('u2', 'sku-4')];
    // Act
    const response = await handler({ Records: records }, context);
    // Assess
    expect(response.batchItemFailures).toEqual([]);
    const parked = sqs
      .commandCalls(SendMessageBatchCommand)
      .flatMap((call) => call.args[0].input.Entries ?? [])
      .map((entry) => JSON.parse(entry.MessageBody ?? '') as unknown);
    expect(parked).toEqual([
      {
        shardId: 'shardId-000000000000',
        sequenceNumber: bad.kinesis.sequenceNumber,
        reason: 'item_rejected',
        message: 'profile u:u2: One or more parameter values were invalid',
        data: bad.kinesis.data,
      },
    ]);
    const itemWrites = dynamo
      .commandCalls(UpdateCommand)
      .map((call) => call.args[0].input.Key?.pk as string)
      .filter((pk) => pk.startsWith('I#'))
      .sort();
    expect(itemWrites).toEqual(['I#sku-1', 'I#sku-3', 'I#sku-4']);
    expect(metricValues(stdout.emf()[0])).toMatchObject({ EventsProcessed: 3, PoisonRecords: 1, FailedRecords: 0 });
  });

  describe('metrics', () => {
    it('writes EventsProcessed, PoisonRecords and FailedRecords once per batch', async () => {
      // Prepare
      const poison = kinesisRecord('{"eventId": "p2", "type": "teleport"}');
      // Act
      await handler({ Records: [view('u1', 'sku-1'), poison, view('u2', 'sku-2')] }, context);
      // Assess
      const lines = stdout.emf();
      expect(lines).toHaveLength(1);
      expect(metricValues(lines[0])).toEqual({
        EventsProcessed: 2,
        PoisonRecords: 1,
        FailedRecords: 0,
        IdentifyLinksRefused: 0,
      });
      expect(lines[0]?._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([['service']]);
    });

    it('counts the records reported back as batch item failures', async () => {
      // Prepare
      dynamo
        .on(UpdateCommand, { Key: { pk: 'U#u:u2', sk: 'PROFILE' } })
        .rejects(new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} }));
      const records = [view('u1', 'sku-1'), view('u2', 'sku-2'), view('u3', 'sku-3'), view('u2', 'sku-4')];
      // Act
      const response = await handler({ Records: records }, context);
      // Assess
      expect(response.batchItemFailures).toHaveLength(3);
      expect(stdout.emf().map(metricValues)).toEqual([
        { EventsProcessed: 1, PoisonRecords: 0, FailedRecords: 3, IdentifyLinksRefused: 0 },
      ]);
    });
  });

  describe('identify', () => {
    const identify = (userId: string, anonymousId: string) =>
      kinesisRecord({
        eventId: `e${sequence}`,
        type: 'identify',
        userId,
        anonymousId,
        timestamp: NOW,
        receivedAt: NOW,
      });

    it('returns no failure and counts IdentifyLinksRefused for an anonymous id linked to someone else first', async () => {
      // Prepare
      dynamo.on(GetCommand, { Key: { pk: 'U#a:anon-1', sk: 'PROFILE' } }).resolves({
        Item: {
          featureVersion: 2,
          profile: {
            recentItems: [],
            recentQueries: [],
            categoryAffinities: {},
            seenEvents: [],
            mergedInto: 'u:victim',
          },
        },
      });
      // Act
      const response = await handler({ Records: [identify('attacker', 'anon-1')] }, context);
      // Assess
      expect(response.batchItemFailures).toEqual([]);
      expect(metricValues(stdout.emf()[0])).toMatchObject({ IdentifyLinksRefused: 1 });
      expect(dynamo.commandCalls(PutCommand)).toHaveLength(0);
      const anonymousWrites = dynamo
        .commandCalls(UpdateCommand)
        .filter((call) => call.args[0].input.Key?.pk === 'U#a:anon-1');
      expect(anonymousWrites).toHaveLength(0);
    });

    it('returns a new link refused when the keyed hash of the anonymous key is in the erasure log', async () => {
      // Prepare
      const keyHash = erasureHash(ERASURE_HASH_KEY, 'a:anon-2');
      dynamo.on(GetCommand, { Key: { pk: 'ERASED', sk: keyHash } }).resolves({ Item: { erasedAt: NOW - 1 } });
      // Act
      const response = await handler({ Records: [identify('someone', 'anon-2')] }, context);
      // Assess
      expect(response.batchItemFailures).toEqual([]);
      expect(metricValues(stdout.emf()[0])).toMatchObject({ IdentifyLinksRefused: 1 });
      const erasureReads = dynamo
        .commandCalls(GetCommand)
        .map((call) => call.args[0].input.Key)
        .filter((key) => key?.pk === 'ERASED');
      expect(erasureReads).toEqual([{ pk: 'ERASED', sk: keyHash }]);
    });

    it('returns a first link claimed, its alias item written under the user', async () => {
      // Act
      const response = await handler({ Records: [identify('u5', 'anon-5')] }, context);
      // Assess
      expect(response.batchItemFailures).toEqual([]);
      expect(dynamo.commandCalls(PutCommand).map((call) => call.args[0].input.Item)).toEqual([
        expect.objectContaining({ pk: 'U#u:u5', sk: 'ALIAS#a:anon-5', alias: 'a:anon-5' }),
      ]);
      const claim = dynamo.commandCalls(UpdateCommand).find((call) => call.args[0].input.Key?.pk === 'U#a:anon-5');
      expect(claim?.args[0].input.ExpressionAttributeValues?.[':profile']).toMatchObject({ mergedInto: 'u:u5' });
    });
  });
});
