import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { featureTable, ttls } from '../config/index.ts';
import { mergeRecentItems } from '../features/recentItems.ts';
import { highWaterMarkAttribute, sequenceRange, unapplied } from '../features/sequence.ts';
import type {
  Clock,
  FeatureStore,
  PopularItem,
  PopularityUpdate,
  RecentItem,
  RecentItemsUpdate,
  ShopperFeatures,
} from '../ports/index.ts';

const { partitionKey: pk, sortKey: sk, ttlAttribute } = featureTable;
const scoreIndex = featureTable.globalSecondaryIndexes[0];

/** Key layout of the feature table; see `featureTable` in the config for the access patterns. */
export const featureKeys = {
  recentItems: (shopperKey: string) => ({ [pk.name]: `U#${shopperKey}`, [sk.name]: 'RECENT' }),
  popularity: (itemId: string, day: string) => ({ [pk.name]: `I#${itemId}`, [sk.name]: `POP#${day}` }),
  popularityBoard: (day: string) => `POP#${day}`,
};

/** Conditional writes race only with redeliveries of the same shard; a few rounds settle them. */
const MAX_ATTEMPTS = 8;

export class DynamoFeatureStore implements FeatureStore {
  private readonly documents: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
    private readonly clock: Clock,
  ) {
    this.documents = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  async applyPopularity(shardId: string, update: PopularityUpdate): Promise<void> {
    const key = featureKeys.popularity(update.itemId, update.day);
    const hwm = highWaterMarkAttribute(shardId);
    let pending = update.contributions;
    for (let attempt = 0; attempt < MAX_ATTEMPTS && pending.length > 0; attempt++) {
      const { min, max } = sequenceRange(pending);
      const weight = pending.reduce((sum, c) => sum + c.value, 0);
      const dayStartSeconds = Date.parse(`${update.day}T00:00:00Z`) / 1000;
      try {
        await this.documents.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: key,
            UpdateExpression:
              'SET #hwm = :max, #board = :board, itemId = :itemId, #ttl = if_not_exists(#ttl, :expires) ADD #score :weight',
            ConditionExpression: 'attribute_not_exists(#hwm) OR #hwm < :min',
            ExpressionAttributeNames: {
              '#hwm': hwm,
              '#board': scoreIndex.partitionKey.name,
              '#score': scoreIndex.sortKey.name,
              '#ttl': ttlAttribute,
            },
            ExpressionAttributeValues: {
              ':max': max,
              ':min': min,
              ':board': featureKeys.popularityBoard(update.day),
              ':itemId': update.itemId,
              ':weight': weight,
              ':expires': dayStartSeconds + ttls.itemBucketSeconds,
            },
          }),
        );
        return;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        // Some of these were applied before (a redelivery): keep only what is newer.
        const stored = await this.get(key);
        pending = unapplied(pending, stored?.[hwm] as string | undefined);
      }
    }
    if (pending.length > 0) throw new Error(`popularity of ${update.itemId} kept conflicting; will retry`);
  }

  async applyRecentItems(shardId: string, update: RecentItemsUpdate): Promise<void> {
    const key = featureKeys.recentItems(update.shopperKey);
    const hwm = highWaterMarkAttribute(shardId);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const stored = await this.get(key);
      const pending = unapplied(update.contributions, stored?.[hwm] as string | undefined);
      if (pending.length === 0) return;
      const version = (stored?.featureVersion as number | undefined) ?? 0;
      const recentItems = mergeRecentItems(
        (stored?.recentItems as RecentItem[] | undefined) ?? [],
        pending.map((c) => c.value),
      );
      try {
        await this.documents.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: key,
            UpdateExpression: 'SET recentItems = :items, featureVersion = :next, #hwm = :max, #ttl = :expires',
            ConditionExpression: version === 0 ? 'attribute_not_exists(featureVersion)' : 'featureVersion = :version',
            ExpressionAttributeNames: { '#hwm': hwm, '#ttl': ttlAttribute },
            ExpressionAttributeValues: {
              ':items': recentItems,
              ':next': version + 1,
              ':max': sequenceRange(pending).max,
              ':expires': Math.floor(this.clock.now() / 1000) + ttls.userFeaturesSeconds,
              ...(version === 0 ? {} : { ':version': version }),
            },
          }),
        );
        return;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    }
    throw new Error(`recent items of ${update.shopperKey} kept conflicting; will retry`);
  }

  async getShopperFeatures(shopperKey: string): Promise<ShopperFeatures | undefined> {
    const stored = await this.get(featureKeys.recentItems(shopperKey), false);
    if (stored === undefined) return undefined;
    return {
      recentItems: (stored.recentItems as RecentItem[] | undefined) ?? [],
      featureVersion: (stored.featureVersion as number | undefined) ?? 0,
    };
  }

  async topPopular(day: string, limit: number): Promise<readonly PopularItem[]> {
    const result = await this.documents.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: scoreIndex.indexName,
        KeyConditionExpression: '#board = :board',
        ExpressionAttributeNames: { '#board': scoreIndex.partitionKey.name },
        ExpressionAttributeValues: { ':board': featureKeys.popularityBoard(day) },
        ScanIndexForward: false,
        Limit: limit,
      }),
    );
    return (result.Items ?? []).map((item) => ({ itemId: item.itemId as string, score: item.score as number }));
  }

  private async get(key: Record<string, string>, consistent = true): Promise<Record<string, unknown> | undefined> {
    const result = await this.documents.send(
      new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: consistent }),
    );
    return result.Item;
  }
}
