import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { setTimeout as sleep } from 'node:timers/promises';
import { ttls } from '../../config/index.ts';
import { isDeleted } from '../../catalogue/item.ts';
import {
  CATALOGUE_SHARDS,
  catalogueIndexSpec,
  catalogueShardKey,
  catalogueShardOf,
} from '../../catalogue/catalogueIndex.ts';
import type { CatalogueEntry, CatalogueItem } from '../../ports/index.ts';
import { featureKeys, pk, sk, ttlAttribute } from './keys.ts';
import { MAX_ATTEMPTS, type FeatureTable } from './table.ts';

/** The `byCatalogue` index attribute of an item's `META` entry. */
const catalogueIndexKey = (itemId: string) => ({ [catalogueIndexSpec.partitionKey.name]: catalogueShardOf(itemId) });

/** A stored `META` item as the catalogue entry it holds, without the table's own attributes. */
function catalogueEntryOf(item: Record<string, unknown>): CatalogueEntry {
  const {
    [pk.name]: _pk,
    [sk.name]: _sk,
    [ttlAttribute]: _expires,
    [catalogueIndexSpec.partitionKey.name]: _shard,
    ...entry
  } = item;
  return entry as unknown as CatalogueEntry;
}

export async function putItems(table: FeatureTable, items: readonly CatalogueItem[]): Promise<void> {
  for (let start = 0; start < items.length; start += 25) {
    let requests = items.slice(start, start + 25).map((item) => ({
      PutRequest: { Item: { ...featureKeys.catalogueItem(item.itemId), ...item, ...catalogueIndexKey(item.itemId) } },
    }));
    for (let attempt = 0; requests.length > 0; attempt++) {
      if (attempt >= MAX_ATTEMPTS) throw new Error(`catalogue write kept being throttled (${requests.length} left)`);
      if (attempt > 0) await sleep(Math.min(1_000, 25 * 2 ** attempt));
      const result = await table.documents.send(new BatchWriteCommand({ RequestItems: { [table.name]: requests } }));
      requests = (result.UnprocessedItems?.[table.name] ?? []) as typeof requests;
    }
  }
}

export async function deleteItem(table: FeatureTable, itemId: string, deletedAt: number): Promise<boolean> {
  const now = Math.floor(deletedAt / 1000);
  try {
    // One conditional write, ordered against racing writes: a later upsert replaces the tombstone, a later delete
    // keeps it. A tombstone past its expiry is replaced, since DynamoDB's removal of it would bring the item back.
    const { Attributes: previous } = await table.documents.send(
      new PutCommand({
        TableName: table.name,
        Item: {
          ...featureKeys.catalogueItem(itemId),
          itemId,
          deleted: true,
          deletedAt,
          [ttlAttribute]: now + ttls.deletedItemSeconds,
          ...catalogueIndexKey(itemId),
        },
        ConditionExpression: 'attribute_not_exists(#deleted) OR #expires < :now',
        ExpressionAttributeNames: { '#deleted': 'deleted', '#expires': ttlAttribute },
        ExpressionAttributeValues: { ':now': now },
        ReturnValues: 'ALL_OLD',
      }),
    );
    return previous !== undefined && previous.deleted !== true;
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return false;
    throw error;
  }
}

export async function getItems(
  table: FeatureTable,
  itemIds: readonly string[],
): Promise<ReadonlyMap<string, CatalogueItem>> {
  const found = new Map<string, CatalogueItem>();
  for (const [itemId, entry] of await getEntries(table, itemIds)) if (!isDeleted(entry)) found.set(itemId, entry);
  return found;
}

export async function getEntries(
  table: FeatureTable,
  itemIds: readonly string[],
): Promise<ReadonlyMap<string, CatalogueEntry>> {
  const found = new Map<string, CatalogueEntry>();
  const unique = [...new Set(itemIds)];
  const batches = [];
  for (let start = 0; start < unique.length; start += 100) batches.push(unique.slice(start, start + 100));
  // The batches (100 keys each, BatchGetItem's most) go out together: a ranked list reads the
  // entries of every candidate, a few hundred, which in turn would cost a round trip per batch.
  await Promise.all(
    batches.map(async (batch) => {
      let keys = batch.map(featureKeys.catalogueItem);
      for (let attempt = 0; keys.length > 0; attempt++) {
        if (attempt >= MAX_ATTEMPTS) throw new Error(`catalogue read kept being throttled (${keys.length} left)`);
        if (attempt > 0) await sleep(Math.min(1_000, 25 * 2 ** attempt));
        const result = await table.documents.send(
          new BatchGetCommand({ RequestItems: { [table.name]: { Keys: keys } } }),
        );
        for (const item of result.Responses?.[table.name] ?? []) {
          const entry = catalogueEntryOf(item);
          found.set(entry.itemId, entry);
        }
        keys = (result.UnprocessedKeys?.[table.name]?.Keys ?? []) as typeof keys;
      }
    }),
  );
  return found;
}

export async function* listCatalogue(table: FeatureTable): AsyncGenerator<CatalogueEntry> {
  for (let shard = 0; shard < CATALOGUE_SHARDS; shard++) {
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await table.documents.send(
        new QueryCommand({
          TableName: table.name,
          IndexName: catalogueIndexSpec.indexName,
          KeyConditionExpression: '#shard = :shard',
          ExpressionAttributeNames: { '#shard': catalogueIndexSpec.partitionKey.name },
          ExpressionAttributeValues: { ':shard': catalogueShardKey(shard) },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) yield catalogueEntryOf(item);
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  }
}

/**
 * Once, after deploying the catalogue index: gives every `META` entry written before it its
 * `catalogueShard`, so the index lists the whole catalogue. A scan of the table (the one place
 * this store scans); entries that have the attribute are skipped, so a second run is cheap and
 * an interrupted one is finished by the next. Returns how many entries it changed.
 */
export async function backfillCatalogueIndex(table: FeatureTable): Promise<number> {
  let updated = 0;
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await table.documents.send(
      new ScanCommand({
        TableName: table.name,
        FilterExpression: '#sk = :meta AND attribute_not_exists(#shard)',
        ExpressionAttributeNames: { '#sk': sk.name, '#shard': catalogueIndexSpec.partitionKey.name },
        ExpressionAttributeValues: { ':meta': 'META' },
        ExclusiveStartKey: startKey,
      }),
    );
    for (const item of page.Items ?? []) {
      const itemId = item.itemId as string;
      try {
        await table.documents.send(
          new UpdateCommand({
            TableName: table.name,
            Key: featureKeys.catalogueItem(itemId),
            UpdateExpression: 'SET #shard = :shard',
            // An entry deleted (or expired) since the scan read it stays gone.
            ConditionExpression: 'attribute_exists(#pk)',
            ExpressionAttributeNames: { '#pk': pk.name, '#shard': catalogueIndexSpec.partitionKey.name },
            ExpressionAttributeValues: { ':shard': catalogueShardOf(itemId) },
          }),
        );
        updated += 1;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return updated;
}
