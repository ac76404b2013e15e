/** The DynamoDB tables: their key schemas, the access patterns they serve, and how long their items live. */

export interface KeyAttribute {
  readonly name: string;
  readonly type: 'S' | 'N';
}

export interface TableSpec {
  /** Logical id in CDK and the table name in the local stack. */
  readonly logicalName: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey: KeyAttribute;
  /** Attribute holding an epoch-seconds expiry; DynamoDB TTL deletes the item after it. */
  readonly ttlAttribute: string;
  readonly globalSecondaryIndexes: readonly {
    readonly indexName: string;
    readonly partitionKey: KeyAttribute;
    readonly sortKey: KeyAttribute;
  }[];
}

/**
 * The feature store is a single table. Access patterns (all by key, no scans on hot paths):
 * - a shopper's profile (recent items, category affinities, seen event ids; a tombstone with
 *   `erasedAt` once erased):              pk=`U#<shopperKey>`  sk=`PROFILE`
 * - an anonymous history linked to a user: pk=`U#u:<userId>`  sk=`ALIAS#<shopperKey>`
 * - an item's activity for one UTC day (popularity, trend, viewed/bought-together counts):
 *                                        pk=`I#<itemId>`      sk=`DAY#<yyyy-mm-dd>`
 * - an item's catalogue entry (a tombstone `deleted`, `deletedAt` with a TTL once deleted):
 *                                        pk=`I#<itemId>`      sk=`META`
 * - the day's most popular items:        GSI `byScore`, board=`POP#<day>#<shard>`, score descending
 * - the day's trending items:            GSI `byTrend`, trendBoard=`TREND#<day>#<shard>`, trend descending
 * - the whole catalogue, for training exports: GSI `byCatalogue`, catalogueShard=`CAT#<shard>` on each `META`
 *   entry (live and deleted), sorted by pk
 * - served lists (for attribution):        pk=`REC#<recommendationId>` sk=`REC`
 * - attributed events per model and day:  pk=`ATTR#<modelVersion>` sk=`<day>#<kind>`
 * - erased shoppers (left out of training): pk=`ERASED`      sk=`<keyed hash of the shopperKey>`
 * - an erasure's audit record:            pk=`AUDIT#<day>`      sk=`<time>#<erasureId>`
 * Boards are write-sharded (`featureLimits.boardShards`) so one day's board is not one hot
 * GSI partition; readers query every shard and merge.
 */
export const featureTable = {
  logicalName: 'FeatureTable',
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: { name: 'sk', type: 'S' },
  ttlAttribute: 'expiresAt',
  globalSecondaryIndexes: [
    {
      indexName: 'byScore',
      partitionKey: { name: 'board', type: 'S' },
      sortKey: { name: 'score', type: 'N' },
    },
    {
      indexName: 'byTrend',
      partitionKey: { name: 'trendBoard', type: 'S' },
      sortKey: { name: 'trend', type: 'N' },
    },
    {
      indexName: 'byCatalogue',
      partitionKey: { name: 'catalogueShard', type: 'S' },
      sortKey: { name: 'pk', type: 'S' },
    },
  ],
} as const satisfies TableSpec;

/**
 * The model registry, a table of its own so the pipeline's roles touch nothing of the shoppers':
 * - a model version (metrics, data window, hyperparameters, parent, status):
 *                                   pk=`VERSIONS`  sk=`<version>` (versions sort by creation time)
 * - the version the endpoint serves: pk=`LIVE`      sk=`LIVE`
 * - the lock of the running pipeline: pk=`LOCK`      sk=`TRAINING` (with an expiry)
 */
export const registryTable = {
  logicalName: 'ModelRegistry',
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: { name: 'sk', type: 'S' },
  ttlAttribute: 'expiresAt',
  globalSecondaryIndexes: [],
} as const satisfies TableSpec;

export const ttls = {
  /** Everything derived from a person expires after this (privacy by default). */
  userFeaturesSeconds: 90 * 24 * 60 * 60,
  /** Day buckets of item counters expire after this. */
  itemBucketSeconds: 14 * 24 * 60 * 60,
  /** Attribution counters (per model version, list kind and day) are kept this long. */
  attributionSeconds: 400 * 24 * 60 * 60,
  /**
   * An erasure's audit record: 3 years, the usual limitation period in which a shopper or a
   * supervisory authority may ask whether an erasure was done. It holds keyed hashes and counts only.
   */
  erasureAuditSeconds: 3 * 365 * 24 * 60 * 60,
  /**
   * A deleted item's tombstone: longer than a model's retraining interval, so no list serves a
   * deleted item while a model trained before the deletion is live.
   */
  deletedItemSeconds: 30 * 24 * 60 * 60,
} as const;
