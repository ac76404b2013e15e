import { featureLimits, featureTable } from '../../config/index.ts';
import { shopperItemKey } from '../profileItem.ts';

export const { partitionKey: pk, sortKey: sk, ttlAttribute } = featureTable;
export const [scoreIndex, trendIndex] = featureTable.globalSecondaryIndexes;

export const ALIAS_PREFIX = 'ALIAS#';
export const AUDIT_PREFIX = 'AUDIT#';
export const ERASED_PARTITION = 'ERASED';

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
