import { isDeleted } from '../catalogue/item.ts';
import { featureTable, ttls } from '../config/index.ts';
import type { CatalogueSource } from '../catalogue/catalogueIndex.ts';
import { highWaterMarkAttribute, sequenceKey, sequenceRange, unapplied } from '../features/sequence.ts';
import { noCounts, sumCounts } from '../features/attribution.ts';
import type {
  AttributionDay,
  AttributionUpdate,
  CatalogueEntry,
  CatalogueItem,
  DeletedItem,
  ErasureAuditRecord,
  FeatureStore,
  ItemActivityUpdate,
  ItemDay,
  ScoredItem,
  RecommendationRecord,
  ShopperWrite,
  StoredShopper,
} from '../ports/index.ts';
import { checkItem, shopperItemKey, storedProfile } from './profileItem.ts';
import { compareIds } from '../compareIds.ts';

interface MutableItemDay {
  itemId: string;
  day: string;
  score: number;
  trend: number;
  // Maps, not objects: an object that keeps getting new item ids as keys gets a new hidden class
  // for each, and counting co-occurrences that way was the processor benchmark's hot spot.
  viewedWith: Map<string, number>;
  boughtWith: Map<string, number>;
  marks: Map<string, string>;
}

const addCounts = (target: Map<string, number>, counts: Readonly<Record<string, number>> | undefined) => {
  if (counts === undefined) return;
  for (const key in counts) target.set(key, (target.get(key) ?? 0) + (counts[key] as number));
};

/** Keyed by item id, outside data: no prototype, so `__proto__` is a key like any other. */
const countsObject = (counts: ReadonlyMap<string, number>): Record<string, number> => {
  const object = Object.create(null) as Record<string, number>;
  for (const [key, count] of counts) object[key] = count;
  return object;
};

/** In-memory feature store with the same semantics as the DynamoDB one (tests, benchmarks). */
export class MemoryFeatureStore implements FeatureStore, CatalogueSource {
  private readonly shoppers = new Map<string, StoredShopper>();
  private readonly itemDayBuckets = new Map<string, MutableItemDay>();
  private readonly catalogue = new Map<string, CatalogueEntry>();
  private readonly erasures = new Map<string, number>();
  /** Entries written before the log held hashes, by raw shopper key (seeded by tests). */
  private readonly legacy = new Map<string, number>();
  /** userKey → aliasKey → expiresAt */
  private readonly aliases = new Map<string, Map<string, number>>();
  private readonly audits: ErasureAuditRecord[] = [];
  private readonly recommendations = new Map<string, RecommendationRecord>();
  private readonly attributions = new Map<string, AttributionDay & { marks: Map<string, string> }>();
  /** Sizes of the parts of profiles measured so far: profiles never change once built. */
  private readonly profileSizes = new WeakMap<object, number>();

  // Profiles are immutable values (the domain builds new ones, typed readonly), so they are
  // stored and returned as they are: copying them was most of the processor benchmark's time.
  async readShopper(shopperKey: string): Promise<StoredShopper | undefined> {
    return this.shoppers.get(shopperKey);
  }

  async writeShopper(shopperKey: string, write: ShopperWrite): Promise<boolean> {
    const current = this.shoppers.get(shopperKey);
    if ((current?.featureVersion ?? 0) !== write.expectedVersion) return false;
    const marks = Object.assign(Object.create(null) as Record<string, string>, current?.marks);
    if (write.mark) marks[write.mark.shardId] = write.mark.sequenceKey;
    // The item as the DynamoDB store would hold it, refused as DynamoDB would refuse it.
    checkItem(
      {
        ...shopperItemKey(shopperKey),
        profile: storedProfile(write.profile),
        featureVersion: write.expectedVersion + 1,
        [featureTable.ttlAttribute]: write.expiresAt,
        ...Object.fromEntries(Object.entries(marks).map(([shardId, mark]) => [highWaterMarkAttribute(shardId), mark])),
      },
      `profile ${shopperKey}`,
      this.profileSizes,
    );
    this.shoppers.set(shopperKey, {
      profile: write.profile,
      featureVersion: write.expectedVersion + 1,
      marks,
    });
    return true;
  }

  async applyItemActivity(shardId: string, update: ItemActivityUpdate): Promise<void> {
    const key = `${update.itemId}|${update.day}`;
    const bucket = this.itemDayBuckets.get(key) ?? {
      itemId: update.itemId,
      day: update.day,
      score: 0,
      trend: 0,
      viewedWith: new Map<string, number>(),
      boughtWith: new Map<string, number>(),
      marks: new Map<string, string>(),
    };
    const { contributions } = update;
    const mark = bucket.marks.get(shardId);
    // Every sequence number is checked before anything changes (as the DynamoDB store does); this
    // one pass finds the new high-water mark and whether all contributions are new.
    let max: string | undefined;
    let allPending = true;
    for (const { sequenceNumber } of contributions) {
      const sequence = sequenceKey(sequenceNumber);
      if (mark !== undefined && sequence <= mark) allPending = false;
      else if (max === undefined || sequence > max) max = sequence;
    }
    if (max === undefined) return;
    for (const { sequenceNumber, value } of contributions) {
      if (!allPending && sequenceKey(sequenceNumber) <= (mark as string)) continue;
      bucket.score += value.weight;
      bucket.trend += value.trend;
      addCounts(bucket.viewedWith, value.viewedWith);
      addCounts(bucket.boughtWith, value.boughtWith);
    }
    bucket.marks.set(shardId, max);
    this.itemDayBuckets.set(key, bucket);
  }

  async topPopular(day: string, limit: number): Promise<readonly ScoredItem[]> {
    return this.rank(day, limit, (bucket) => bucket.score);
  }

  async topTrending(day: string, limit: number): Promise<readonly ScoredItem[]> {
    return this.rank(day, limit, (bucket) => bucket.trend);
  }

  async itemDays(itemId: string, fromDay: string, toDay: string): Promise<readonly ItemDay[]> {
    return [...this.itemDayBuckets.values()]
      .filter((b) => b.itemId === itemId && b.day >= fromDay && b.day <= toDay)
      .sort((a, b) => a.day.localeCompare(b.day))
      .map(({ itemId: id, day, score, trend, viewedWith, boughtWith }) => ({
        itemId: id,
        day,
        score,
        trend,
        viewedWith: countsObject(viewedWith),
        boughtWith: countsObject(boughtWith),
      }));
  }

  async putItems(items: readonly CatalogueItem[]): Promise<void> {
    for (const item of items) this.catalogue.set(item.itemId, structuredClone(item));
  }

  // Reads keep tombstones past their expiry (nothing in memory lives that long); a delete treats an expired one as
  // gone, as the DynamoDB store's conditional write does.
  async deleteItem(itemId: string, deletedAt: number): Promise<boolean> {
    const entry = this.catalogue.get(itemId);
    const expired = (tombstone: DeletedItem) =>
      Math.floor(tombstone.deletedAt / 1000) + ttls.deletedItemSeconds < Math.floor(deletedAt / 1000);
    if (entry !== undefined && isDeleted(entry) && !expired(entry)) return false;
    this.catalogue.set(itemId, { itemId, deleted: true, deletedAt });
    return entry !== undefined && !isDeleted(entry);
  }

  async getItems(itemIds: readonly string[]): Promise<ReadonlyMap<string, CatalogueItem>> {
    const found = new Map<string, CatalogueItem>();
    for (const [itemId, entry] of await this.getEntries(itemIds)) if (!isDeleted(entry)) found.set(itemId, entry);
    return found;
  }

  async getEntries(itemIds: readonly string[]): Promise<ReadonlyMap<string, CatalogueEntry>> {
    const found = new Map<string, CatalogueEntry>();
    for (const itemId of itemIds) {
      const entry = this.catalogue.get(itemId);
      if (entry) found.set(itemId, structuredClone(entry));
    }
    return found;
  }

  async *listCatalogue(): AsyncGenerator<CatalogueEntry> {
    // A copy of the ids first: the caller may write to the catalogue while it reads.
    for (const itemId of [...this.catalogue.keys()]) {
      const entry = this.catalogue.get(itemId);
      if (entry !== undefined) yield structuredClone(entry);
    }
  }

  async putAlias(userKey: string, aliasKey: string, expiresAt: number): Promise<void> {
    let links = this.aliases.get(userKey);
    if (links === undefined) {
      links = new Map();
      this.aliases.set(userKey, links);
    }
    links.set(aliasKey, expiresAt);
  }

  async aliasesOf(userKey: string): Promise<readonly string[]> {
    return [...(this.aliases.get(userKey)?.keys() ?? [])].sort();
  }

  async deleteAliases(userKey: string, aliasKeys: readonly string[]): Promise<number> {
    const links = this.aliases.get(userKey);
    let deleted = 0;
    for (const aliasKey of new Set(aliasKeys)) if (links?.delete(aliasKey) === true) deleted += 1;
    return deleted;
  }

  async recordErasure(keyHash: string, erasedAt: number): Promise<void> {
    this.erasures.set(keyHash, erasedAt);
  }

  async erasedShoppers(): Promise<ReadonlyMap<string, number>> {
    return new Map(this.erasures);
  }

  async erasedAt(keyHash: string): Promise<number | undefined> {
    return this.erasures.get(keyHash);
  }

  /** Adds an entry as the log held them before it held hashes: by raw shopper key. */
  seedLegacyErasure(shopperKey: string, erasedAt: number): void {
    this.legacy.set(shopperKey, erasedAt);
  }

  async legacyErasures(): Promise<ReadonlyMap<string, number>> {
    return new Map(this.legacy);
  }

  async deleteLegacyErasure(shopperKey: string): Promise<void> {
    this.legacy.delete(shopperKey);
  }

  async recordAudit(record: ErasureAuditRecord): Promise<void> {
    this.audits.push(structuredClone(record));
  }

  async auditsOf(day: string): Promise<readonly ErasureAuditRecord[]> {
    return this.audits
      .filter((record) => new Date(record.erasedAt).toISOString().slice(0, 10) === day)
      .sort((a, b) => a.erasedAt - b.erasedAt || a.erasureId.localeCompare(b.erasureId))
      .map((record) => structuredClone(record));
  }

  async recordRecommendation(record: RecommendationRecord): Promise<void> {
    // Field by field, as the DynamoDB store writes it: nothing beyond the record's type is kept.
    const { recommendationId, kind, modelVersion, itemIds, servedAt } = record;
    this.recommendations.set(
      recommendationId,
      structuredClone({ recommendationId, kind, modelVersion, itemIds, servedAt }),
    );
  }

  async getRecommendations(recommendationIds: readonly string[]): Promise<ReadonlyMap<string, RecommendationRecord>> {
    const found = new Map<string, RecommendationRecord>();
    for (const id of recommendationIds) {
      const record = this.recommendations.get(id);
      if (record) found.set(id, structuredClone(record));
    }
    return found;
  }

  async applyAttribution(shardId: string, update: AttributionUpdate): Promise<void> {
    const key = `${update.modelVersion}|${update.day}|${update.kind}`;
    const entry = this.attributions.get(key) ?? {
      modelVersion: update.modelVersion,
      kind: update.kind,
      day: update.day,
      counts: noCounts,
      marks: new Map<string, string>(),
    };
    const pending = unapplied(update.contributions, entry.marks.get(shardId));
    if (pending.length === 0) return;
    entry.marks.set(shardId, sequenceRange(pending).max);
    this.attributions.set(key, { ...entry, counts: sumCounts([entry.counts, ...pending.map((c) => c.value)]) });
  }

  async attribution(modelVersion: string, fromDay: string, toDay: string): Promise<readonly AttributionDay[]> {
    return [...this.attributions.values()]
      .filter((a) => a.modelVersion === modelVersion && a.day >= fromDay && a.day <= toDay)
      .sort((a, b) => a.day.localeCompare(b.day) || a.kind.localeCompare(b.kind))
      .map(({ marks: _marks, ...day }) => structuredClone(day));
  }

  private rank(day: string, limit: number, scoreOf: (bucket: MutableItemDay) => number): ScoredItem[] {
    return [...this.itemDayBuckets.values()]
      .filter((bucket) => bucket.day === day)
      .map((bucket) => ({ itemId: bucket.itemId, score: scoreOf(bucket) }))
      .sort((a, b) => b.score - a.score || compareIds(a.itemId, b.itemId))
      .slice(0, limit);
  }
}
