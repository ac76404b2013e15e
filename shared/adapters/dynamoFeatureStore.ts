import {
  ConditionalCheckFailedException,
  DynamoDBServiceException,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  UpdateCommand,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { setTimeout as sleep } from 'node:timers/promises';
import { featureLimits, featureTable, serving, ttls } from '../config/index.ts';
import { isDeleted } from '../catalogue/item.ts';
import {
  CATALOGUE_SHARDS,
  catalogueIndexSpec,
  catalogueShardKey,
  catalogueShardOf,
  type CatalogueSource,
} from '../catalogue/catalogueIndex.ts';
import { highWaterMarkAttribute, sequenceRange, unapplied } from '../features/sequence.ts';
import { ATTRIBUTED_COUNTERS, sumCounts } from '../features/attribution.ts';
import { FeatureItemRejectedError } from '../features/errors.ts';
import { checkItem, profileFromStored, shopperItemKey, storedProfile } from './profileItem.ts';
import type {
  CatalogueEntry,
  CatalogueItem,
  Contribution,
  FeatureStore,
  ItemActivity,
  ItemActivityUpdate,
  ItemDay,
  AttributionCounts,
  AttributionDay,
  AttributionUpdate,
  ErasureAuditRecord,
  ScoredItem,
  RecommendationRecord,
  ShopperWrite,
  StoredShopper,
} from '../ports/index.ts';
import { compareIds } from '../compareIds.ts';

const { partitionKey: pk, sortKey: sk, ttlAttribute } = featureTable;
const [scoreIndex, trendIndex] = featureTable.globalSecondaryIndexes;

const HWM_PREFIX = highWaterMarkAttribute('');
const ALIAS_PREFIX = 'ALIAS#';
const AUDIT_PREFIX = 'AUDIT#';
const ERASED_PARTITION = 'ERASED';
/** Legacy erasure-log entries are keyed by the raw shopper key; a keyed hash (hex) has no colon. */
const LEGACY_ERASURE_PREFIXES = ['u:', 'a:'] as const;
const isLegacyErasure = (sortKey: string) => LEGACY_ERASURE_PREFIXES.some((prefix) => sortKey.startsWith(prefix));
const VIEWED_WITH_PREFIX = 'cv:';
const BOUGHT_WITH_PREFIX = 'cb:';
/** Keeps an update expression well inside DynamoDB's 4 KB expression limit. */
const MAX_PARTNERS_PER_WRITE = 200;

/** FNV-1a, so an item always lands on the same board shard. */
export function boardShard(itemId: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < itemId.length; i++) {
    hash ^= itemId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % featureLimits.boardShards;
}

/** Key layout of the feature table; see `featureTable` in the config for the access patterns. */
export const featureKeys = {
  shopper: shopperItemKey,
  itemDay: (itemId: string, day: string) => ({ [pk.name]: `I#${itemId}`, [sk.name]: `DAY#${day}` }),
  catalogueItem: (itemId: string) => ({ [pk.name]: `I#${itemId}`, [sk.name]: 'META' }),
  /** An anonymous history linked to a signed-in shopper: one item per link, next to the profile. */
  alias: (userKey: string, aliasKey: string) => ({
    [pk.name]: `U#${userKey}`,
    [sk.name]: `${ALIAS_PREFIX}${aliasKey}`,
  }),
  /** An erased shopper, by the keyed hash of their shopper key (legacy entries: by the key itself). */
  erasure: (keyHash: string) => ({ [pk.name]: ERASED_PARTITION, [sk.name]: keyHash }),
  /** One erasure's audit record, in the partition of its UTC day. */
  erasureAudit: (erasedAt: number, erasureId: string) => {
    const time = new Date(erasedAt).toISOString();
    return { [pk.name]: `${AUDIT_PREFIX}${time.slice(0, 10)}`, [sk.name]: `${time}#${erasureId}` };
  },
  recommendation: (recommendationId: string) => ({ [pk.name]: `REC#${recommendationId}`, [sk.name]: 'REC' }),
  attribution: (modelVersion: string, day: string, kind: string) => ({
    [pk.name]: `ATTR#${modelVersion}`,
    [sk.name]: `${day}#${kind}`,
  }),
  popularityBoard: (day: string, shard: number) => `POP#${day}#${shard}`,
  trendBoard: (day: string, shard: number) => `TREND#${day}#${shard}`,
};

/** Conditional writes race only with redeliveries of the same shard; a few rounds settle them. */
const MAX_ATTEMPTS = 8;

const isItemTooLarge = (error: unknown) =>
  (error as Error).name === 'ValidationException' && /item size/i.test((error as Error).message);

/** Sums contributions into one set of counter increments, keeping the strongest partners. */
function sumActivity(contributions: readonly Contribution<ItemActivity>[], withPartners: boolean) {
  let weight = 0;
  let trend = 0;
  const viewedWith = new Map<string, number>();
  const boughtWith = new Map<string, number>();
  for (const { value } of contributions) {
    weight += value.weight;
    trend += value.trend;
    if (!withPartners) continue;
    for (const [item, n] of Object.entries(value.viewedWith ?? {}))
      viewedWith.set(item, (viewedWith.get(item) ?? 0) + n);
    for (const [item, n] of Object.entries(value.boughtWith ?? {}))
      boughtWith.set(item, (boughtWith.get(item) ?? 0) + n);
  }
  const partners = [
    ...[...viewedWith].map(([item, n]) => [`${VIEWED_WITH_PREFIX}${item}`, n] as const),
    ...[...boughtWith].map(([item, n]) => [`${BOUGHT_WITH_PREFIX}${item}`, n] as const),
  ]
    .sort((a, b) => b[1] - a[1])
    .slice(0, MAX_PARTNERS_PER_WRITE);
  return { weight, trend, partners };
}

/** The fields of a served list, and only those. */
const servedList = (record: RecommendationRecord): RecommendationRecord => ({
  recommendationId: record.recommendationId,
  kind: record.kind,
  modelVersion: record.modelVersion,
  itemIds: record.itemIds,
  servedAt: record.servedAt,
});

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

export class DynamoFeatureStore implements FeatureStore, CatalogueSource {
  private readonly documents: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.documents = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  async readShopper(shopperKey: string): Promise<StoredShopper | undefined> {
    const key = featureKeys.shopper(shopperKey);
    const stored = await this.get(key, true);
    if (stored === undefined) return undefined;
    const marks = Object.create(null) as Record<string, string>;
    for (const [name, value] of Object.entries(stored)) {
      if (name.startsWith(HWM_PREFIX)) marks[name.slice(HWM_PREFIX.length)] = value as string;
    }
    return {
      profile: profileFromStored(stored.profile as Record<string, unknown>),
      featureVersion: (stored.featureVersion as number | undefined) ?? 0,
      marks,
    };
  }

  async writeShopper(shopperKey: string, write: ShopperWrite): Promise<boolean> {
    const first = write.expectedVersion === 0;
    const profile = storedProfile(write.profile);
    // What this write sets; marks of other shards already on the item are not known here, and
    // DynamoDB answers for those (ValidationException below).
    checkItem(
      {
        ...featureKeys.shopper(shopperKey),
        profile,
        featureVersion: write.expectedVersion + 1,
        [ttlAttribute]: write.expiresAt,
        ...(write.mark ? { [highWaterMarkAttribute(write.mark.shardId)]: write.mark.sequenceKey } : {}),
      },
      `profile ${shopperKey}`,
    );
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: featureKeys.shopper(shopperKey),
          UpdateExpression: `SET profile = :profile, featureVersion = :next, #ttl = :expires${write.mark ? ', #hwm = :mark' : ''}`,
          ConditionExpression: first ? 'attribute_not_exists(featureVersion)' : 'featureVersion = :version',
          ExpressionAttributeNames: {
            '#ttl': ttlAttribute,
            ...(write.mark ? { '#hwm': highWaterMarkAttribute(write.mark.shardId) } : {}),
          },
          ExpressionAttributeValues: {
            ':profile': profile,
            ':next': write.expectedVersion + 1,
            ':expires': write.expiresAt,
            ...(write.mark ? { ':mark': write.mark.sequenceKey } : {}),
            ...(first ? {} : { ':version': write.expectedVersion }),
          },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      // DynamoDB's code for a request it will refuse however often it is sent (no class of its own).
      if (error instanceof DynamoDBServiceException && error.name === 'ValidationException') {
        throw new FeatureItemRejectedError('item_rejected', `profile ${shopperKey}: ${error.message}`, {
          cause: error,
        });
      }
      throw error;
    }
  }

  async applyItemActivity(shardId: string, update: ItemActivityUpdate): Promise<void> {
    const shard = boardShard(update.itemId);
    const dayStartSeconds = Date.parse(`${update.day}T00:00:00Z`) / 1000;
    const sets = {
      [scoreIndex.partitionKey.name]: featureKeys.popularityBoard(update.day, shard),
      [trendIndex.partitionKey.name]: featureKeys.trendBoard(update.day, shard),
      itemId: update.itemId,
      day: update.day,
    };
    let withPartners = true;
    await this.addOnce(featureKeys.itemDay(update.itemId, update.day), shardId, update.contributions, {
      counters: (pending) => {
        const { weight, trend, partners } = sumActivity(pending, withPartners);
        return [[scoreIndex.sortKey.name, weight], [trendIndex.sortKey.name, trend], ...partners];
      },
      sets,
      expiresAt: dayStartSeconds + ttls.itemBucketSeconds,
      // A day bucket full of co-occurrence counts must not block the shard: keep counting
      // popularity and trend, drop the new partner counts for this item and day.
      onTooLarge: () => {
        const retry = withPartners;
        withPartners = false;
        return retry;
      },
    });
  }

  async applyAttribution(shardId: string, update: AttributionUpdate): Promise<void> {
    const dayStartSeconds = Date.parse(`${update.day}T00:00:00Z`) / 1000;
    await this.addOnce(
      featureKeys.attribution(update.modelVersion, update.day, update.kind),
      shardId,
      update.contributions,
      {
        counters: (pending) => Object.entries(sumCounts(pending.map((c) => c.value))),
        sets: { modelVersion: update.modelVersion, day: update.day, kind: update.kind },
        expiresAt: dayStartSeconds + ttls.attributionSeconds,
      },
    );
  }

  async attribution(modelVersion: string, fromDay: string, toDay: string): Promise<readonly AttributionDay[]> {
    const items = await this.queryAll({
      TableName: this.tableName,
      KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
      ExpressionAttributeNames: { '#pk': pk.name, '#sk': sk.name },
      ExpressionAttributeValues: { ':pk': `ATTR#${modelVersion}`, ':from': `${fromDay}#`, ':to': `${toDay}#~` },
      ConsistentRead: true,
    });
    return items.map((item) => ({
      modelVersion,
      day: item.day as string,
      kind: item.kind as AttributionDay['kind'],
      counts: Object.fromEntries(
        ATTRIBUTED_COUNTERS.map((name) => [name, (item[name] as number | undefined) ?? 0]),
      ) as unknown as AttributionCounts,
    }));
  }

  /**
   * Adds counters to one item exactly once per stream record: the update carries the shard's
   * high-water mark and only applies if every contribution is newer than the stored mark; on a
   * conflict (a redelivery) the mark is read and only the newer contributions are retried.
   */
  private async addOnce<T>(
    key: Record<string, string>,
    shardId: string,
    contributions: readonly Contribution<T>[],
    update: {
      counters: (pending: readonly Contribution<T>[]) => readonly (readonly [string, number])[];
      sets: Readonly<Record<string, string>>;
      expiresAt: number;
      onTooLarge?: () => boolean;
    },
  ): Promise<void> {
    const hwm = highWaterMarkAttribute(shardId);
    let pending = contributions;
    for (let attempt = 0; attempt < MAX_ATTEMPTS && pending.length > 0; attempt++) {
      const { min, max } = sequenceRange(pending);
      const counters = update.counters(pending);
      const sets = Object.entries(update.sets);
      try {
        await this.documents.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: key,
            UpdateExpression:
              `SET #hwm = :max, #ttl = if_not_exists(#ttl, :expires)${sets.map((_, i) => `, #s${i} = :s${i}`).join('')} ` +
              `ADD ${counters.map((_, i) => `#c${i} :c${i}`).join(', ')}`,
            ConditionExpression: 'attribute_not_exists(#hwm) OR #hwm < :min',
            ExpressionAttributeNames: {
              '#hwm': hwm,
              '#ttl': ttlAttribute,
              ...Object.fromEntries(sets.map(([name], i) => [`#s${i}`, name])),
              ...Object.fromEntries(counters.map(([name], i) => [`#c${i}`, name])),
            },
            ExpressionAttributeValues: {
              ':max': max,
              ':min': min,
              ':expires': update.expiresAt,
              ...Object.fromEntries(sets.map(([, value], i) => [`:s${i}`, value])),
              ...Object.fromEntries(counters.map(([, value], i) => [`:c${i}`, value])),
            },
          }),
        );
        return;
      } catch (error) {
        if (isItemTooLarge(error) && update.onTooLarge?.()) {
          attempt -= 1;
          continue;
        }
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        // Some of these were applied before (a redelivery): keep only what is newer.
        const stored = await this.get(key, true);
        pending = unapplied(pending, stored?.[hwm] as string | undefined);
      }
    }
    if (pending.length > 0) throw new Error(`counters of ${key[pk.name]} ${key[sk.name]} kept conflicting`);
  }

  async topPopular(day: string, limit: number): Promise<readonly ScoredItem[]> {
    return this.topOfBoards(scoreIndex, (shard) => featureKeys.popularityBoard(day, shard), limit);
  }

  async topTrending(day: string, limit: number): Promise<readonly ScoredItem[]> {
    return this.topOfBoards(trendIndex, (shard) => featureKeys.trendBoard(day, shard), limit);
  }

  async itemDays(itemId: string, fromDay: string, toDay: string): Promise<readonly ItemDay[]> {
    const items = await this.queryAll({
      TableName: this.tableName,
      KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
      ExpressionAttributeNames: { '#pk': pk.name, '#sk': sk.name },
      ExpressionAttributeValues: { ':pk': `I#${itemId}`, ':from': `DAY#${fromDay}`, ':to': `DAY#${toDay}` },
      ConsistentRead: true,
    });
    return items.map((item) => {
      // Keyed by item id, outside data: no prototype, so `__proto__` is a key like any other.
      const viewedWith = Object.create(null) as Record<string, number>;
      const boughtWith = Object.create(null) as Record<string, number>;
      for (const [name, value] of Object.entries(item)) {
        if (name.startsWith(VIEWED_WITH_PREFIX)) viewedWith[name.slice(VIEWED_WITH_PREFIX.length)] = value as number;
        if (name.startsWith(BOUGHT_WITH_PREFIX)) boughtWith[name.slice(BOUGHT_WITH_PREFIX.length)] = value as number;
      }
      return {
        itemId,
        day: item.day as string,
        score: (item.score as number | undefined) ?? 0,
        trend: (item.trend as number | undefined) ?? 0,
        viewedWith,
        boughtWith,
      };
    });
  }

  async putItems(items: readonly CatalogueItem[]): Promise<void> {
    for (let start = 0; start < items.length; start += 25) {
      let requests = items.slice(start, start + 25).map((item) => ({
        PutRequest: { Item: { ...featureKeys.catalogueItem(item.itemId), ...item, ...catalogueIndexKey(item.itemId) } },
      }));
      for (let attempt = 0; requests.length > 0; attempt++) {
        if (attempt >= MAX_ATTEMPTS) throw new Error(`catalogue write kept being throttled (${requests.length} left)`);
        if (attempt > 0) await sleep(Math.min(1_000, 25 * 2 ** attempt));
        const result = await this.documents.send(
          new BatchWriteCommand({ RequestItems: { [this.tableName]: requests } }),
        );
        requests = (result.UnprocessedItems?.[this.tableName] ?? []) as typeof requests;
      }
    }
  }

  async deleteItem(itemId: string, deletedAt: number): Promise<boolean> {
    const now = Math.floor(deletedAt / 1000);
    try {
      // One conditional write, ordered against racing writes: a later upsert replaces the tombstone, a later delete
      // keeps it. A tombstone past its expiry is replaced, since DynamoDB's removal of it would bring the item back.
      const { Attributes: previous } = await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
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

  async getItems(itemIds: readonly string[]): Promise<ReadonlyMap<string, CatalogueItem>> {
    const found = new Map<string, CatalogueItem>();
    for (const [itemId, entry] of await this.getEntries(itemIds)) if (!isDeleted(entry)) found.set(itemId, entry);
    return found;
  }

  async getEntries(itemIds: readonly string[]): Promise<ReadonlyMap<string, CatalogueEntry>> {
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
          const result = await this.documents.send(
            new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: keys } } }),
          );
          for (const item of result.Responses?.[this.tableName] ?? []) {
            const entry = catalogueEntryOf(item);
            found.set(entry.itemId, entry);
          }
          keys = (result.UnprocessedKeys?.[this.tableName]?.Keys ?? []) as typeof keys;
        }
      }),
    );
    return found;
  }

  async *listCatalogue(): AsyncGenerator<CatalogueEntry> {
    for (let shard = 0; shard < CATALOGUE_SHARDS; shard++) {
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await this.documents.send(
          new QueryCommand({
            TableName: this.tableName,
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
  async backfillCatalogueIndex(): Promise<number> {
    let updated = 0;
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.documents.send(
        new ScanCommand({
          TableName: this.tableName,
          FilterExpression: '#sk = :meta AND attribute_not_exists(#shard)',
          ExpressionAttributeNames: { '#sk': sk.name, '#shard': catalogueIndexSpec.partitionKey.name },
          ExpressionAttributeValues: { ':meta': 'META' },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) {
        const itemId = item.itemId as string;
        try {
          await this.documents.send(
            new UpdateCommand({
              TableName: this.tableName,
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

  async putAlias(userKey: string, aliasKey: string, expiresAt: number): Promise<void> {
    await this.documents.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...featureKeys.alias(userKey, aliasKey), alias: aliasKey, [ttlAttribute]: expiresAt },
      }),
    );
  }

  async aliasesOf(userKey: string): Promise<readonly string[]> {
    const items = await this.queryAll({
      TableName: this.tableName,
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :alias)',
      ExpressionAttributeNames: { '#pk': pk.name, '#sk': sk.name },
      ExpressionAttributeValues: { ':pk': `U#${userKey}`, ':alias': ALIAS_PREFIX },
      ConsistentRead: true,
    });
    return items.map((item) => (item[sk.name] as string).slice(ALIAS_PREFIX.length));
  }

  async deleteAliases(userKey: string, aliasKeys: readonly string[]): Promise<number> {
    let deleted = 0;
    for (const aliasKey of new Set(aliasKeys)) {
      const result = await this.documents.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: featureKeys.alias(userKey, aliasKey),
          ReturnValues: 'ALL_OLD',
        }),
      );
      if (result.Attributes !== undefined) deleted += 1;
    }
    return deleted;
  }

  async recordErasure(keyHash: string, erasedAt: number): Promise<void> {
    await this.documents.send(
      new PutCommand({ TableName: this.tableName, Item: { ...featureKeys.erasure(keyHash), erasedAt } }),
    );
  }

  async erasedShoppers(): Promise<ReadonlyMap<string, number>> {
    const items = await this.queryAll({
      TableName: this.tableName,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': pk.name },
      ExpressionAttributeValues: { ':pk': ERASED_PARTITION },
      ConsistentRead: true,
    });
    const erased = new Map<string, number>();
    for (const item of items) {
      const keyHash = item[sk.name] as string;
      if (!isLegacyErasure(keyHash)) erased.set(keyHash, item.erasedAt as number);
    }
    return erased;
  }

  async erasedAt(keyHash: string): Promise<number | undefined> {
    if (isLegacyErasure(keyHash)) return undefined;
    const item = await this.get(featureKeys.erasure(keyHash), true);
    return item?.erasedAt as number | undefined;
  }

  async legacyErasures(): Promise<ReadonlyMap<string, number>> {
    const legacy = new Map<string, number>();
    // One query per prefix, together: every erasure and every training export starts with them.
    const byPrefix = await Promise.all(
      LEGACY_ERASURE_PREFIXES.map((prefix) =>
        this.queryAll({
          TableName: this.tableName,
          KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
          ExpressionAttributeNames: { '#pk': pk.name, '#sk': sk.name },
          ExpressionAttributeValues: { ':pk': ERASED_PARTITION, ':prefix': prefix },
          ConsistentRead: true,
        }),
      ),
    );
    for (const item of byPrefix.flat()) legacy.set(item[sk.name] as string, item.erasedAt as number);
    return legacy;
  }

  async deleteLegacyErasure(shopperKey: string): Promise<void> {
    if (!isLegacyErasure(shopperKey)) throw new Error(`${shopperKey} is not a legacy erasure-log key`);
    await this.documents.send(new DeleteCommand({ TableName: this.tableName, Key: featureKeys.erasure(shopperKey) }));
  }

  async recordAudit(record: ErasureAuditRecord): Promise<void> {
    const { erasureId, erasedAt, keyHashes, itemsRemoved, expiresAt } = record;
    await this.documents.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          ...featureKeys.erasureAudit(erasedAt, erasureId),
          erasureId,
          erasedAt,
          keyHashes,
          itemsRemoved,
          [ttlAttribute]: expiresAt,
        },
      }),
    );
  }

  async auditsOf(day: string): Promise<readonly ErasureAuditRecord[]> {
    const items = await this.queryAll({
      TableName: this.tableName,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': pk.name },
      ExpressionAttributeValues: { ':pk': `${AUDIT_PREFIX}${day}` },
      ConsistentRead: true,
    });
    return items.map((item) => ({
      erasureId: item.erasureId as string,
      erasedAt: item.erasedAt as number,
      keyHashes: item.keyHashes as string[],
      itemsRemoved: item.itemsRemoved as number,
      expiresAt: item[ttlAttribute] as number,
    }));
  }

  async recordRecommendation(record: RecommendationRecord): Promise<void> {
    // Field by field, so nothing beyond the record's type (such as a shopper key) is ever stored.
    const item = {
      ...featureKeys.recommendation(record.recommendationId),
      ...servedList(record),
      [ttlAttribute]: Math.floor(record.servedAt / 1000) + serving.attributionDays * 24 * 60 * 60,
    };
    await this.documents.send(new PutCommand({ TableName: this.tableName, Item: item }));
  }

  async getRecommendations(recommendationIds: readonly string[]): Promise<ReadonlyMap<string, RecommendationRecord>> {
    const found = new Map<string, RecommendationRecord>();
    const unique = [...new Set(recommendationIds)];
    for (let start = 0; start < unique.length; start += 100) {
      let keys = unique.slice(start, start + 100).map(featureKeys.recommendation);
      for (let attempt = 0; keys.length > 0; attempt++) {
        if (attempt >= MAX_ATTEMPTS) throw new Error(`recommendation read kept being throttled (${keys.length} left)`);
        if (attempt > 0) await sleep(Math.min(1_000, 25 * 2 ** attempt));
        const result = await this.documents.send(
          new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: keys } } }),
        );
        for (const item of result.Responses?.[this.tableName] ?? []) {
          // Records written before served lists stopped naming the shopper keep a `shopperKey`
          // until their TTL; it is not read.
          const record = servedList(item as unknown as RecommendationRecord);
          found.set(record.recommendationId, record);
        }
        keys = (result.UnprocessedKeys?.[this.tableName]?.Keys ?? []) as typeof keys;
      }
    }
    return found;
  }

  /**
   * The best `limit` items of a day's board, merged over its shards. An item's counts live on one
   * shard (`boardShard`), so each shard is read best first in pages of about 1.5 times its share of
   * `limit`, and read on (to `limit` items at most) only while its last item beats the best
   * `limit` read so far: the best `limit` by score from about half the items of reading `limit`
   * from every shard.
   */
  private async topOfBoards(
    index: { indexName: string; partitionKey: { name: string } },
    boardOf: (shard: number) => string,
    limit: number,
  ): Promise<ScoredItem[]> {
    const sortKey = index === scoreIndex ? scoreIndex.sortKey.name : trendIndex.sortKey.name;
    const pageSize = Math.ceil((limit / featureLimits.boardShards) * 1.5);
    // One entry per item: an index read is eventually consistent and may briefly hold a stale
    // copy of an item whose score just moved (seen with the local stand-in after a restart).
    const best = new Map<string, number>();
    let open = Array.from({ length: featureLimits.boardShards }, (_, shard) => ({
      shard,
      read: 0,
      startKey: undefined as Record<string, unknown> | undefined,
    }));
    while (open.length > 0) {
      const pages = await Promise.all(
        open.map(({ shard, read, startKey }) =>
          this.documents.send(
            new QueryCommand({
              TableName: this.tableName,
              IndexName: index.indexName,
              KeyConditionExpression: '#board = :board',
              // The index projects whole item days (co-occurrence counts included); a board needs
              // two attributes of each, which keeps the answer and its unmarshalling small.
              ProjectionExpression: '#item, #score',
              ExpressionAttributeNames: { '#board': index.partitionKey.name, '#item': 'itemId', '#score': sortKey },
              ExpressionAttributeValues: { ':board': boardOf(shard) },
              ScanIndexForward: false,
              Limit: Math.min(pageSize, limit - read),
              ExclusiveStartKey: startKey,
            }),
          ),
        ),
      );
      for (const item of pages.flatMap((page) => page.Items ?? [])) {
        const itemId = item.itemId as string;
        const score = item[sortKey] as number;
        if (score > (best.get(itemId) ?? -Infinity)) best.set(itemId, score);
      }
      // A shard's unread items score at most its last one read, so it is read on only while that
      // beats the `limit`-th best read; items tied with it are not looked for (ties are broken by
      // id among the items read, as with a fixed number per shard).
      const cutOff = best.size < limit ? -Infinity : ([...best.values()].sort((a, b) => b - a)[limit - 1] as number);
      open = open.flatMap(({ shard, read }, i) => {
        const page = pages[i];
        const items = page?.Items ?? [];
        const last = items.at(-1)?.[sortKey] as number | undefined;
        const more = page?.LastEvaluatedKey !== undefined && read + items.length < limit;
        return more && (last === undefined || last > cutOff)
          ? [{ shard, read: read + items.length, startKey: page.LastEvaluatedKey }]
          : [];
      });
    }
    return [...best]
      .map(([itemId, score]) => ({ itemId, score }))
      .sort((a, b) => b.score - a.score || compareIds(a.itemId, b.itemId))
      .slice(0, limit);
  }

  private async queryAll(input: QueryCommandInput): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.documents.send(new QueryCommand({ ...input, ExclusiveStartKey: startKey }));
      items.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return items;
  }

  private async get(key: Record<string, string>, consistent: boolean): Promise<Record<string, unknown> | undefined> {
    const result = await this.documents.send(
      new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: consistent }),
    );
    return result.Item;
  }
}
