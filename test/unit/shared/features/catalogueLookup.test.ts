import { describe, expect, it } from 'vitest';
import { MemoryFeatureStore } from '#shared/adapters/memoryFeatureStore.ts';
import { featureLimits } from '#shared/config/index.ts';
import { CachedCatalogueLookup } from '#shared/features/catalogueLookup.ts';
import type { CatalogueItem, CatalogueStore } from '#shared/ports/index.ts';

const T = Date.parse('2026-01-10T00:00:00.000Z');

/** A catalogue that records every read, so cache hits and misses are observable. */
class RecordingCatalogue extends MemoryFeatureStore {
  readonly reads: string[][] = [];
  failWith: Error | undefined;
  override async getItems(itemIds: readonly string[]): Promise<ReadonlyMap<string, CatalogueItem>> {
    this.reads.push([...itemIds]);
    if (this.failWith) throw this.failWith;
    return super.getItems(itemIds);
  }
}

const item = (itemId: string, categories: string[]): CatalogueItem => ({
  itemId,
  categories,
  inStock: true,
  updatedAt: T,
});

async function setup(ttlMs?: number, maxEntries?: number) {
  const store = new RecordingCatalogue();
  await store.putItems([item('a', ['shoes']), item('b', ['bags', 'leather']), item('c', ['hats'])]);
  const clock = { time: T, now: () => clock.time };
  const lookup = new CachedCatalogueLookup(store, clock, ttlMs, maxEntries);
  return { store, clock, lookup };
}

describe('Function: CachedCatalogueLookup.categoriesOf', () => {
  it('returns the categories of each item, reading the store once for a batch', async () => {
    // Prepare
    const { store, lookup } = await setup();

    // Act
    const result = await lookup.categoriesOf(['a', 'b']);

    // Assess
    expect(result).toEqual(
      new Map([
        ['a', ['shoes']],
        ['b', ['bags', 'leather']],
      ]),
    );
    expect(store.reads).toEqual([['a', 'b']]);
  });

  it('returns cached categories within the TTL without reading the store again', async () => {
    // Prepare
    const { store, clock, lookup } = await setup(1_000);
    await lookup.categoriesOf(['a']);
    await store.putItems([item('a', ['changed'])]);
    clock.time = T + 999;

    // Act
    const result = await lookup.categoriesOf(['a']);

    // Assess
    expect(result.get('a')).toEqual(['shoes']);
    expect(store.reads).toEqual([['a']]);
  });

  it('returns fresh categories once the TTL has passed', async () => {
    // Prepare
    const { store, clock, lookup } = await setup(1_000);
    await lookup.categoriesOf(['a']);
    await store.putItems([item('a', ['changed'])]);
    clock.time = T + 1_000;

    // Act
    const result = await lookup.categoriesOf(['a']);

    // Assess
    expect(result.get('a')).toEqual(['changed']);
    expect(store.reads).toEqual([['a'], ['a']]);
  });

  it('returns a mixed batch with only the uncached items read from the store', async () => {
    // Prepare
    const { store, lookup } = await setup();
    await lookup.categoriesOf(['a']);

    // Act
    const result = await lookup.categoriesOf(['a', 'c']);

    // Assess
    expect(result).toEqual(
      new Map([
        ['a', ['shoes']],
        ['c', ['hats']],
      ]),
    );
    expect(store.reads).toEqual([['a'], ['c']]);
  });

  it('returns no categories for an unknown item, and caches that too', async () => {
    // Prepare
    const { store, lookup } = await setup();

    // Act
    const first = await lookup.categoriesOf(['ghost']);
    const second = await lookup.categoriesOf(['ghost']);

    // Assess
    expect(first.get('ghost')).toEqual([]);
    expect(second.get('ghost')).toEqual([]);
    expect(store.reads).toEqual([['ghost']]);
  });

  it('returns an empty map without reading the store for no items', async () => {
    // Prepare
    const { store, lookup } = await setup();

    // Act
    const result = await lookup.categoriesOf([]);

    // Assess
    expect(result.size).toBe(0);
    expect(store.reads).toEqual([]);
  });

  it('returns the oldest entry evicted once more than maxEntries are cached', async () => {
    // Prepare
    const { store, lookup } = await setup(60_000, 2);
    await lookup.categoriesOf(['a']);
    await lookup.categoriesOf(['b']);
    await lookup.categoriesOf(['c']);

    // Act
    await lookup.categoriesOf(['b', 'c']);
    await lookup.categoriesOf(['a']);

    // Assess
    expect(store.reads).toEqual([['a'], ['b'], ['c'], ['a']]);
  });

  it('returns the least recently used entry evicted, keeping one that was just read from the cache', async () => {
    // Prepare
    const { store, lookup } = await setup(60_000, 2);
    await lookup.categoriesOf(['a']);
    await lookup.categoriesOf(['b']);
    await lookup.categoriesOf(['a']);
    await lookup.categoriesOf(['c']);

    // Act: a was used after b, so b is the one an LRU cache evicts.
    await lookup.categoriesOf(['a']);

    // Assess
    expect(store.reads).toEqual([['a'], ['b'], ['c']]);
  });

  it('returns the error of a failed store read, caching nothing', async () => {
    // Prepare
    const { store, lookup } = await setup();
    store.failWith = new Error('ProvisionedThroughputExceededException');

    // Act
    const attempt = lookup.categoriesOf(['a']);

    // Assess
    await expect(attempt).rejects.toThrow('ProvisionedThroughputExceededException');
    store.failWith = undefined;
    expect((await lookup.categoriesOf(['a'])).get('a')).toEqual(['shoes']);
    expect(store.reads).toEqual([['a'], ['a']]);
  });

  it('returns a cache with the configured default TTL when none is given', async () => {
    // Prepare
    const store: Pick<CatalogueStore, 'getItems'> & { reads: number } = {
      reads: 0,
      async getItems() {
        this.reads += 1;
        return new Map();
      },
    };
    const clock = { time: T, now: () => clock.time };
    const lookup = new CachedCatalogueLookup(store, clock);
    await lookup.categoriesOf(['a']);

    // Act
    clock.time = T + featureLimits.catalogueCacheSeconds * 1000 - 1;
    await lookup.categoriesOf(['a']);
    const withinTtl = store.reads;
    clock.time = T + featureLimits.catalogueCacheSeconds * 1000;
    await lookup.categoriesOf(['a']);

    // Assess
    expect(withinTtl).toBe(1);
    expect(store.reads).toBe(2);
  });
});
