import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { startStandIns, ensureFeatureTable, type StandIns } from '#local/standins.ts';

/** Starts fresh in-process stand-ins (never the user's endpoints) for one test file. */
export async function startTestStandIns(): Promise<StandIns> {
  return startStandIns({});
}

export async function featureTableOn(standIns: StandIns, tableName = `features-${Date.now()}`) {
  const client = new DynamoDBClient({
    endpoint: standIns.dynamodbEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  await ensureFeatureTable(client, tableName);
  return { client, tableName };
}
