import { backfillCatalogueIndex } from '../../tools/backfill-catalogue-index.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoFeatureStore } from '#shared/adapters/dynamoFeatureStore.ts';
import { catalogueShardOf } from '#shared/catalogue/catalogueIndex.ts';
import { ttls } from '#shared/config/index.ts';
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

describe('Class: DynamoFeatureStore', () => {
  describe('Method: backfillCatalogueIndex', () => {
    it('gives entries written before the catalogue index their shard, so listCatalogue finds them', async () => {
      // Prepare
      const store = new DynamoFeatureStore(table.client, table.tableName);
      const documents = DynamoDBDocumentClient.from(table.client);
      const itemId = `t${Math.random().toString(36).slice(2, 10)}-old`;
      await documents.send(
        new PutCommand({
          TableName: table.tableName,
          Item: { pk: `I#${itemId}`, sk: 'META', itemId, categories: ['kitchen'], inStock: true },
        }),
      );
      const listed = async () => {
        const ids: string[] = [];
        for await (const entry of store.listCatalogue()) if (entry.itemId === itemId) ids.push(entry.itemId);
        return ids;
      };
      const before = await listed();
      // Act
      const updated = await backfillCatalogueIndex(['--table', table.tableName], table.client);
      const again = await store.backfillCatalogueIndex();
      // Assess
      expect(before).toEqual([]);
      expect(updated).toBeGreaterThanOrEqual(1);
      expect(again).toBe(0);
      expect(await listed()).toEqual([itemId]);
      expect((await store.getEntries([itemId])).get(itemId)).toEqual({
        itemId,
        categories: ['kitchen'],
        inStock: true,
      });
    });
  });

  describe('Method: deleteItem', () => {
    it('returns true and leaves a tombstone that expires after ttls.deletedItemSeconds, which an upsert replaces whole', async () => {
      // Prepare
      const store = new DynamoFeatureStore(table.client, table.tableName);
      const itemId = `t${Math.random().toString(36).slice(2, 10)}-ttl`;
      const raw = async () =>
        (
          await DynamoDBDocumentClient.from(table.client).send(
            new GetCommand({ TableName: table.tableName, Key: { pk: `I#${itemId}`, sk: 'META' } }),
          )
        ).Item;
      await store.putItems([{ itemId, categories: ['kitchen'], inStock: true }]);

      // Act
      const deleted = await store.deleteItem(itemId, 1_700_000_000_500);
      const tombstone = await raw();
      await store.putItems([{ itemId, categories: ['kitchen'], inStock: true }]);
      const upserted = await raw();

      // Assess
      expect(deleted).toBe(true);
      expect(tombstone).toEqual({
        pk: `I#${itemId}`,
        sk: 'META',
        itemId,
        deleted: true,
        deletedAt: 1_700_000_000_500,
        expiresAt: 1_700_000_000 + ttls.deletedItemSeconds,
        catalogueShard: catalogueShardOf(itemId),
      });
      expect(upserted).toEqual({
        pk: `I#${itemId}`,
        sk: 'META',
        itemId,
        categories: ['kitchen'],
        inStock: true,
        catalogueShard: catalogueShardOf(itemId),
      });
    });

    it('returns false and leaves the same tombstone, with its expiry and catalogue shard, for an id it never had', async () => {
      // Prepare
      const store = new DynamoFeatureStore(table.client, table.tableName);
      const itemId = `t${Math.random().toString(36).slice(2, 10)}-never`;

      // Act
      const deleted = await store.deleteItem(itemId, 1_700_000_000_500);
      const tombstone = (
        await DynamoDBDocumentClient.from(table.client).send(
          new GetCommand({ TableName: table.tableName, Key: { pk: `I#${itemId}`, sk: 'META' } }),
        )
      ).Item;

      // Assess
      expect(deleted).toBe(false);
      expect(tombstone).toEqual({
        pk: `I#${itemId}`,
        sk: 'META',
        itemId,
        deleted: true,
        deletedAt: 1_700_000_000_500,
        expiresAt: 1_700_000_000 + ttls.deletedItemSeconds,
        catalogueShard: catalogueShardOf(itemId),
      });
    });
  });
});
