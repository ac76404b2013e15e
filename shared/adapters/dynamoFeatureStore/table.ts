import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';

/**
 * Rounds before a write or read gives up: conditional writes race only with redeliveries of the
 * same shard, and throttled batches back off between rounds; a few rounds settle either.
 */
export const MAX_ATTEMPTS = 8;

/** The feature table and the one document client every part of the store sends through. */
export class FeatureTable {
  readonly documents: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    readonly name: string,
  ) {
    this.documents = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  async queryAll(input: QueryCommandInput): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.documents.send(new QueryCommand({ ...input, ExclusiveStartKey: startKey }));
      items.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return items;
  }

  async get(key: Record<string, string>, consistent: boolean): Promise<Record<string, unknown> | undefined> {
    const result = await this.documents.send(
      new GetCommand({ TableName: this.name, Key: key, ConsistentRead: consistent }),
    );
    return result.Item;
  }
}
