import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { CatalogueSource } from '../catalogue/catalogueIndex.ts';
import type {
  AttributionDay,
  AttributionUpdate,
  CatalogueEntry,
  CatalogueItem,
  ErasureAuditRecord,
  FeatureStore,
  ItemActivityUpdate,
  ItemDay,
  RecommendationRecord,
  ScoredItem,
  ShopperWrite,
  StoredShopper,
} from '../ports/index.ts';
import * as attribution from './dynamoFeatureStore/attribution.ts';
import * as catalogue from './dynamoFeatureStore/catalogue.ts';
import * as erasures from './dynamoFeatureStore/erasures.ts';
import * as itemActivity from './dynamoFeatureStore/itemActivity.ts';
import * as shoppers from './dynamoFeatureStore/shoppers.ts';
import { FeatureTable } from './dynamoFeatureStore/table.ts';

export { boardShard, featureKeys } from './dynamoFeatureStore/keys.ts';

/**
 * The feature store and catalogue on one DynamoDB table. Each concern (shoppers, item activity
 * and boards, attribution, catalogue, aliases and erasures) lives in its own module under
 * `dynamoFeatureStore/`; this class is the one port the handlers see.
 */
export class DynamoFeatureStore implements FeatureStore, CatalogueSource {
  private readonly table: FeatureTable;

  constructor(client: DynamoDBClient, tableName: string) {
    this.table = new FeatureTable(client, tableName);
  }

  readShopper(shopperKey: string): Promise<StoredShopper | undefined> {
    return shoppers.readShopper(this.table, shopperKey);
  }

  writeShopper(shopperKey: string, write: ShopperWrite): Promise<boolean> {
    return shoppers.writeShopper(this.table, shopperKey, write);
  }

  applyItemActivity(shardId: string, update: ItemActivityUpdate): Promise<void> {
    return itemActivity.applyItemActivity(this.table, shardId, update);
  }

  applyAttribution(shardId: string, update: AttributionUpdate): Promise<void> {
    return attribution.applyAttribution(this.table, shardId, update);
  }

  attribution(modelVersion: string, fromDay: string, toDay: string): Promise<readonly AttributionDay[]> {
    return attribution.attribution(this.table, modelVersion, fromDay, toDay);
  }

  topPopular(day: string, limit: number): Promise<readonly ScoredItem[]> {
    return itemActivity.topPopular(this.table, day, limit);
  }

  topTrending(day: string, limit: number): Promise<readonly ScoredItem[]> {
    return itemActivity.topTrending(this.table, day, limit);
  }

  itemDays(itemId: string, fromDay: string, toDay: string): Promise<readonly ItemDay[]> {
    return itemActivity.itemDays(this.table, itemId, fromDay, toDay);
  }

  putItems(items: readonly CatalogueItem[]): Promise<void> {
    return catalogue.putItems(this.table, items);
  }

  deleteItem(itemId: string, deletedAt: number): Promise<boolean> {
    return catalogue.deleteItem(this.table, itemId, deletedAt);
  }

  getItems(itemIds: readonly string[]): Promise<ReadonlyMap<string, CatalogueItem>> {
    return catalogue.getItems(this.table, itemIds);
  }

  getEntries(itemIds: readonly string[]): Promise<ReadonlyMap<string, CatalogueEntry>> {
    return catalogue.getEntries(this.table, itemIds);
  }

  listCatalogue(): AsyncGenerator<CatalogueEntry> {
    return catalogue.listCatalogue(this.table);
  }

  /** See `backfillCatalogueIndex` in `dynamoFeatureStore/catalogue.ts`: run once after deploying the index. */
  backfillCatalogueIndex(): Promise<number> {
    return catalogue.backfillCatalogueIndex(this.table);
  }

  putAlias(userKey: string, aliasKey: string, expiresAt: number): Promise<void> {
    return erasures.putAlias(this.table, userKey, aliasKey, expiresAt);
  }

  aliasesOf(userKey: string): Promise<readonly string[]> {
    return erasures.aliasesOf(this.table, userKey);
  }

  deleteAliases(userKey: string, aliasKeys: readonly string[]): Promise<number> {
    return erasures.deleteAliases(this.table, userKey, aliasKeys);
  }

  recordErasure(keyHash: string, erasedAt: number): Promise<void> {
    return erasures.recordErasure(this.table, keyHash, erasedAt);
  }

  erasedShoppers(): Promise<ReadonlyMap<string, number>> {
    return erasures.erasedShoppers(this.table);
  }

  erasedAt(keyHash: string): Promise<number | undefined> {
    return erasures.erasedAt(this.table, keyHash);
  }

  legacyErasures(): Promise<ReadonlyMap<string, number>> {
    return erasures.legacyErasures(this.table);
  }

  deleteLegacyErasure(shopperKey: string): Promise<void> {
    return erasures.deleteLegacyErasure(this.table, shopperKey);
  }

  recordAudit(record: ErasureAuditRecord): Promise<void> {
    return erasures.recordAudit(this.table, record);
  }

  auditsOf(day: string): Promise<readonly ErasureAuditRecord[]> {
    return erasures.auditsOf(this.table, day);
  }

  recordRecommendation(record: RecommendationRecord): Promise<void> {
    return attribution.recordRecommendation(this.table, record);
  }

  getRecommendations(recommendationIds: readonly string[]): Promise<ReadonlyMap<string, RecommendationRecord>> {
    return attribution.getRecommendations(this.table, recommendationIds);
  }
}
