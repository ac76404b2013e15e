import { DynamoDBClient, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { DynamoModelRegistry } from '#shared/adapters/dynamoModelRegistry.ts';
import { UnknownVersionError } from '#shared/training/errors.ts';

// dynalite has no TransactWriteItems, so the transaction is checked here, against the documented API.
const documents = mockClient(DynamoDBDocumentClient);
const client = new DynamoDBClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
const request = {
  version: 'v20260502030000-00000002',
  modelDataUrl: 's3://artifacts/models/v2/model.tar.gz',
  endpointName: 'reco-endpoint',
  since: '2026-05-02T04:00:00.000Z',
};
const pointerOf = (version: string) => ({ Item: { pk: 'LIVE', sk: 'LIVE', version } });
const cancelled = (codes: string[]) =>
  new TransactionCanceledException({
    message: 'Transaction cancelled',
    $metadata: {},
    CancellationReasons: codes.map((Code) => ({ Code })),
  });

afterEach(() => {
  documents.reset();
});

describe('Class: DynamoModelRegistry', () => {
  describe('Method: setLive', () => {
    it('writes the new status, the retirement and the pointer in one transaction conditioned on the pointer read', async () => {
      // Prepare
      documents.on(GetCommand).resolves(pointerOf('v20260501030000-00000001'));
      documents.on(TransactWriteCommand).resolves({});
      const registry = new DynamoModelRegistry(client, 'registry');
      // Act
      const result = await registry.setLive(request);
      // Assess
      expect(result).toEqual({ previous: 'v20260501030000-00000001' });
      const [call] = documents.commandCalls(TransactWriteCommand);
      const items = call?.args[0].input.TransactItems ?? [];
      expect(items.map((item) => Object.keys(item)[0])).toEqual(['Update', 'Update', 'Put']);
      expect(items[0]?.Update).toMatchObject({
        Key: { pk: 'VERSIONS', sk: request.version },
        ConditionExpression: 'attribute_exists(#pk)',
        ExpressionAttributeValues: { ':status': 'live', ':url': request.modelDataUrl },
      });
      expect(items[1]?.Update).toMatchObject({
        Key: { pk: 'VERSIONS', sk: 'v20260501030000-00000001' },
        ExpressionAttributeValues: { ':status': 'retired' },
      });
      expect(items[2]?.Put).toMatchObject({
        Item: { pk: 'LIVE', sk: 'LIVE', version: request.version, endpointName: 'reco-endpoint' },
        ConditionExpression: '#version = :previous',
        ExpressionAttributeValues: { ':previous': 'v20260501030000-00000001' },
      });
    });

    it('writes the first live version with the pointer conditioned on its absence', async () => {
      // Prepare
      documents.on(GetCommand).resolves({});
      documents.on(TransactWriteCommand).resolves({});
      // Act
      const result = await new DynamoModelRegistry(client, 'registry').setLive(request);
      // Assess
      expect(result).toEqual({});
      const items = documents.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? [];
      expect(items).toHaveLength(2);
      expect(items[1]?.Put?.ConditionExpression).toBe('attribute_not_exists(#pk)');
    });

    it('reads the pointer again and retries when another run moved it in between', async () => {
      // Prepare
      documents
        .on(GetCommand)
        .resolvesOnce(pointerOf('v20260501030000-00000001'))
        .resolves(pointerOf('v20260501120000-00000003'));
      documents
        .on(TransactWriteCommand)
        .rejectsOnce(cancelled(['None', 'None', 'ConditionalCheckFailed']))
        .resolves({});
      // Act
      const result = await new DynamoModelRegistry(client, 'registry').setLive(request);
      // Assess
      expect(result).toEqual({ previous: 'v20260501120000-00000003' });
      expect(documents.commandCalls(TransactWriteCommand)).toHaveLength(2);
    });

    it('throws UnknownVersionError when the version’s own condition fails', async () => {
      // Prepare
      documents.on(GetCommand).resolves(pointerOf('v20260501030000-00000001'));
      documents.on(TransactWriteCommand).rejects(cancelled(['ConditionalCheckFailed', 'None', 'None']));
      // Act
      const attempt = new DynamoModelRegistry(client, 'registry').setLive(request);
      // Assess
      await expect(attempt).rejects.toBeInstanceOf(UnknownVersionError);
    });
  });
});
