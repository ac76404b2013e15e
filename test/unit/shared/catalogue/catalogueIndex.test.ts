import { describe, expect, it } from 'vitest';
import {
  CATALOGUE_SHARDS,
  catalogueIndexSpec,
  catalogueShardNumber,
  catalogueShardOf,
} from '#shared/catalogue/catalogueIndex.ts';

describe('Function: catalogueShardOf', () => {
  it('returns CAT#<n> with n the same for an id in every process (FNV-1a modulo the shard count)', () => {
    // Act
    const shards = ['sku-1', 'sku-2', '__proto__', 'constructor', 'Ä-ß'].map(catalogueShardOf);
    // Assess
    expect(shards).toEqual(['CAT#4', 'CAT#5', 'CAT#5', 'CAT#7', 'CAT#7']);
  });

  it('spreads ids over every shard', () => {
    // Prepare
    const counts = new Array<number>(CATALOGUE_SHARDS).fill(0);
    // Act
    for (let i = 0; i < 8_000; i++) {
      const shard = catalogueShardNumber(`item-${i}`);
      counts[shard] = (counts[shard] as number) + 1;
    }
    // Assess
    for (const count of counts) expect(count).toBeGreaterThan(800);
  });
});

describe('Constant: catalogueIndexSpec', () => {
  it('is the byCatalogue index of the feature table, keyed by catalogueShard and pk', () => {
    expect(catalogueIndexSpec).toEqual({
      indexName: 'byCatalogue',
      partitionKey: { name: 'catalogueShard', type: 'S' },
      sortKey: { name: 'pk', type: 'S' },
    });
  });
});
