import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTable, type StandIns } from '#local/standins.ts';
import { DynamoModelRegistry } from '#shared/adapters/dynamoModelRegistry.ts';
import { registryTable } from '#shared/config/index.ts';
import { modelRegistryContract } from '../contract/modelRegistry.contract.ts';
import { startTestStandIns } from './standins.ts';

let standIns: StandIns;
let client: DynamoDBClient;
let tables = 0;

/**
 * A fresh registry table, keyed as the CDK app keys it (`registryTable`), once it is ACTIVE: the
 * stand-in answers ResourceNotFound to writes on a table still CREATING.
 */
async function registryTableOn(): Promise<string> {
  tables += 1;
  const tableName = `registry-${Date.now()}-${tables}`;
  await ensureTable(client, registryTable, tableName);
  return tableName;
}

beforeAll(async () => {
  standIns = await startTestStandIns();
  client = new DynamoDBClient({
    endpoint: standIns.dynamodbEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
});

afterAll(async () => {
  client.destroy();
  await standIns.stop();
});

// dynalite has no TransactWriteItems: the stand-in runs the ordered writes (the transaction is unit-tested).
modelRegistryContract(
  'DynamoDB on dynalite',
  async () => new DynamoModelRegistry(client, await registryTableOn(), { atomicWrites: 'ordered' }),
);

describe('Class: DynamoModelRegistry', () => {
  describe('Method: takeLock', () => {
    it('stores the lock under LOCK/TRAINING with its expiry in the TTL attribute', async () => {
      // Prepare
      const tableName = await registryTableOn();
      const registry = new DynamoModelRegistry(client, tableName);
      // Act
      await registry.takeLock({ holder: 'exec-1', now: 1_700_000_000_500, ttlSeconds: 3_600 });
      const { Item } = await DynamoDBDocumentClient.from(client).send(
        new GetCommand({ TableName: tableName, Key: { pk: 'LOCK', sk: 'TRAINING' } }),
      );
      // Assess
      expect(Item).toEqual({
        pk: 'LOCK',
        sk: 'TRAINING',
        holder: 'exec-1',
        takenAt: 1_700_000_000_500,
        [registryTable.ttlAttribute]: 1_700_000_000 + 3_600,
      });
    });
  });
});
