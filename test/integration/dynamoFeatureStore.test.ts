import { afterAll, beforeAll } from 'vitest';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoFeatureStore } from '#shared/adapters/dynamoFeatureStore.ts';
import type { StandIns } from '#local/standins.ts';
import { featureStoreContract } from '../contract/featureStore.contract.ts';
import { featureTableOn, startTestStandIns } from './standins.ts';

let standIns: StandIns;
let table: { client: DynamoDBClient; tableName: string };

beforeAll(async () => {
  standIns = await startTestStandIns();
  table = await featureTableOn(standIns);
});

afterAll(async () => {
  table.client.destroy();
  await standIns.stop();
});

featureStoreContract('DynamoDB on dynalite', async () => new DynamoFeatureStore(table.client, table.tableName), {
  // As the privacy function wrote entries before the log held keyed hashes.
  seedLegacyErasure: async (_store, shopperKey, erasedAt) => {
    await DynamoDBDocumentClient.from(table.client).send(
      new PutCommand({
        TableName: table.tableName,
        Item: { pk: 'ERASED', sk: shopperKey, shopperKey, erasedAt },
      }),
    );
  },
});
