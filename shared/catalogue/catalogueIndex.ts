import { featureTable } from '../config/index.ts';
import type { CatalogueEntry } from './item.ts';

/**
 * Partitions of the `byCatalogue` index. Every catalogue entry lands on one, so a bulk upsert
 * spreads its index writes over this many partition keys (each takes about 1,000 writes/s), and
 * a reader lists the catalogue as that many queries, in parallel.
 */
export const CATALOGUE_SHARDS = 8;

const [, , catalogueIndex] = featureTable.globalSecondaryIndexes;

/** The `byCatalogue` index of the feature table, from the config. */
export const catalogueIndexSpec = catalogueIndex;

/** FNV-1a over the UTF-16 code units, so an item stays on its shard across processes and releases. */
export function catalogueShardNumber(itemId: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < itemId.length; i++) {
    hash ^= itemId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % CATALOGUE_SHARDS;
}

/** The index partition key of a shard: `CAT#<n>`. */
export const catalogueShardKey = (shard: number): string => `CAT#${shard}`;

/** The `catalogueShard` attribute every `META` write carries (live entries and tombstones alike). */
export const catalogueShardOf = (itemId: string): string => catalogueShardKey(catalogueShardNumber(itemId));

/**
 * The whole live catalogue, tombstones included, for training exports: no scan of the table,
 * one paged query per shard of the `byCatalogue` index. Entries come in no particular order.
 */
export interface CatalogueSource {
  listCatalogue(): AsyncIterable<CatalogueEntry>;
}
