/**
 * The cold-start floor: the least a function of this stack does on its first invocation, one
 * DynamoDB client and one `GetItem` against the same stand-in as the handlers. Bundled exactly as
 * the handlers are (`bundleLikeCdk`), so the AWS SDK's own start-up cost is in the floor too and
 * a handler's ratio to it is what its own code and dependencies add.
 */
import { DynamoDBClient, GetItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';

export interface FloorEvent {
  readonly tableName: string;
  readonly key: Record<string, AttributeValue>;
}

const client = new DynamoDBClient({});

export const handler = async (event: FloorEvent) => {
  const { Item } = await client.send(new GetItemCommand({ TableName: event.tableName, Key: event.key }));
  return { statusCode: 200, body: JSON.stringify({ found: Item !== undefined }) };
};
