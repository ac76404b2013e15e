import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryFeatureStore } from '#shared/adapters/memoryFeatureStore.ts';
import { MemoryLake } from '#shared/adapters/memoryLake.ts';
import { erasureHash } from '#shared/privacy/erasureHash.ts';
import { readCatalogue, readInteractions } from '#shared/recommender/io/dataset.ts';
import { ExportError } from '#shared/training/errors.ts';
import { exportDataset, exportFiles, type ExportDeps } from '#shared/training/export.ts';
import type { LakeEvent, LakeReader } from '#shared/training/ports.ts';

const KEY = 'export-test-erasure-hash-key-0123456789';
const hash = (shopperKey: string) => erasureHash(KEY, shopperKey);
const T0 = Date.parse('2026-03-01T00:00:00.000Z');
const HOUR = 3_600_000;
const window = {
  from: new Date(T0).toISOString(),
  holdoutFrom: new Date(T0 + 10 * HOUR).toISOString(),
  to: new Date(T0 + 12 * HOUR).toISOString(),
};

const event = (overrides: Partial<LakeEvent> & { at: number }): LakeEvent => {
  const { at, ...fields } = overrides;
  return { type: 'view', userId: 'alice', itemId: 'sku-1', timestamp: at - 1_000, receivedAt: at, ...fields };
};

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'export-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const file = (name: string) => readFileSync(join(dir, name), 'utf8');
const lines = (name: string) => file(name).trimEnd().split('\n');

async function catalogueWith(...items: Parameters<MemoryFeatureStore['putItems']>[0]) {
  const store = new MemoryFeatureStore();
  await store.putItems(items);
  return store;
}

function deps(lake: LakeReader, catalogue: MemoryFeatureStore, erased: [string, number][] = []): ExportDeps {
  return { lake, catalogue, erased: new Map(erased.map(([key, at]) => [hash(key), at])), hash };
}

describe('Function: exportDataset', () => {
  it('aggregates the training part to one row per shopper, item and type, and writes the holdout as plain rows', async () => {
    // Prepare
    const lake = new MemoryLake().add(
      event({ at: T0 + HOUR }),
      event({ at: T0 + 3 * HOUR }),
      event({ at: T0 + 2 * HOUR }),
      event({ at: T0 + HOUR, type: 'purchase', quantity: 2 }),
      event({ at: T0 + 4 * HOUR, type: 'purchase', quantity: 3 }),
      event({ at: T0 + 5 * HOUR, type: 'search', itemId: undefined }),
      event({ at: T0 + 5 * HOUR, userId: undefined, anonymousId: 'anon-1', itemId: 'sku-2', type: 'click' }),
      event({ at: T0 + 10 * HOUR, itemId: 'sku-2', type: 'add_to_cart', quantity: 1 }),
      event({ at: T0 + 11 * HOUR }),
      event({ at: T0 + 12 * HOUR }),
      event({ at: T0 - 1 }),
    );
    const catalogue = await catalogueWith(
      { itemId: 'sku-1', categories: ['kitchen'] },
      { itemId: 'sku-2', categories: [] },
    );
    // Act
    const summary = await exportDataset({ window, outputDir: dir }, deps(lake, catalogue));
    // Assess
    const s = (hours: number) => (T0 + hours * HOUR - 1_000) / 1000;
    expect(lines(exportFiles.interactions)).toEqual([
      'USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE,EVENT_VALUE,EVENT_COUNT',
      `alice,sku-1,${s(3)},view,,3`,
      `alice,sku-1,${s(4)},purchase,5,2`,
      `anon-1,sku-2,${s(5)},click,,1`,
    ]);
    expect(lines(exportFiles.holdout)).toEqual([
      'USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE,EVENT_VALUE',
      `alice,sku-2,${s(10)},add_to_cart,1`,
      `alice,sku-1,${s(11)},view,`,
    ]);
    expect(summary).toMatchObject({
      window,
      eventsRead: 9,
      notItemEvents: 1,
      eventsWritten: 8,
      pairs: 3,
      shoppers: 2,
      holdoutRows: 2,
      items: 2,
      itemsFromInteractions: false,
    });
    expect(JSON.parse(file(exportFiles.summary))).toEqual(summary);
    expect(file(exportFiles.noLiveModel)).toMatch(/^no live model/);
    const read = await readInteractions(join(dir, exportFiles.interactions));
    expect(read.interactions).toHaveLength(read.report.rows);
  });

  it('leaves erased shoppers out of both parts, by user and by anonymous id, until their erasure', async () => {
    // Prepare
    const lake = new MemoryLake().add(
      event({ at: T0 + HOUR, userId: 'erin' }),
      event({ at: T0 + 11 * HOUR, userId: 'erin' }),
      event({ at: T0 + HOUR, userId: undefined, anonymousId: 'anon-e' }),
      event({ at: T0 + 2 * HOUR, userId: 'frank', anonymousId: 'anon-e' }),
      event({ at: T0 + 6 * HOUR, userId: 'gina' }),
      event({ at: T0 + 8 * HOUR, userId: 'gina' }),
    );
    const erased: [string, number][] = [
      ['u:erin', T0 + 11 * HOUR],
      ['a:anon-e', T0 + 3 * HOUR],
      ['u:gina', T0 + 7 * HOUR],
    ];
    // Act
    const summary = await exportDataset({ window, outputDir: dir }, deps(lake, await catalogueWith(), erased));
    // Assess
    expect(summary.erasedSkipped).toBe(5);
    expect(lines(exportFiles.interactions).slice(1)).toEqual([`gina,sku-1,${(T0 + 8 * HOUR - 1_000) / 1000},view,,1`]);
    expect(lines(exportFiles.holdout)).toHaveLength(1);
  });

  it('drops deleted items; keeps recommendable: false items in the interactions and out of the holdout', async () => {
    // Prepare
    const catalogue = await catalogueWith(
      { itemId: 'sku-1', title: 'Pan, "cast" iron\nlarge', categories: ['kitchen', 'pans'], price: 30, inStock: true },
      { itemId: 'postage', categories: [], recommendable: false },
      { itemId: 'gone', categories: [] },
    );
    await catalogue.deleteItem('gone', T0);
    const lake = new MemoryLake().add(
      event({ at: T0 + HOUR, itemId: 'gone' }),
      event({ at: T0 + 11 * HOUR, itemId: 'gone' }),
      event({ at: T0 + HOUR, itemId: 'postage', type: 'purchase' }),
      event({ at: T0 + 11 * HOUR, itemId: 'postage', type: 'purchase' }),
      event({ at: T0 + 11 * HOUR, itemId: 'never-in-catalogue' }),
    );
    // Act
    const summary = await exportDataset({ window, outputDir: dir }, deps(lake, catalogue));
    // Assess
    expect(summary).toMatchObject({
      deletedItemSkipped: 2,
      holdoutNotRecommendableSkipped: 1,
      items: 2,
      notRecommendableItems: 1,
      deletedItems: 1,
    });
    expect(
      lines(exportFiles.interactions)
        .slice(1)
        .map((l) => l.split(',')[1]),
    ).toEqual(['postage']);
    expect(
      lines(exportFiles.holdout)
        .slice(1)
        .map((l) => l.split(',')[1]),
    ).toEqual(['never-in-catalogue']);
    const { catalogue: items } = await readCatalogue(join(dir, exportFiles.items));
    expect(items).toEqual([
      {
        itemId: 'sku-1',
        title: 'Pan, "cast" iron\nlarge',
        categories: ['kitchen', 'pans'],
        price: 30,
        inStock: true,
      },
      { itemId: 'postage', categories: [], recommendable: false },
    ]);
  });

  it('lists the interactions’ items by id when the live catalogue is empty, and quotes hostile ids', async () => {
    // Prepare
    const lake = new MemoryLake().add(
      event({ at: T0 + HOUR, userId: '__proto__', itemId: 'a,"b"' }),
      event({ at: T0 + HOUR, userId: 'constructor', itemId: 'toString' }),
    );
    // Act
    const summary = await exportDataset({ window, outputDir: dir }, deps(lake, await catalogueWith()));
    // Assess
    expect(summary).toMatchObject({ items: 2, itemsFromInteractions: true });
    const { catalogue: items } = await readCatalogue(join(dir, exportFiles.items));
    expect(items.map((item) => item.itemId)).toEqual(['a,"b"', 'toString']);
    const { interactions } = await readInteractions(join(dir, exportFiles.interactions));
    expect(interactions.map((i) => [i.userId, i.itemId])).toEqual([
      ['__proto__', 'a,"b"'],
      ['constructor', 'toString'],
    ]);
  });

  it('writes header-only files for an empty window', async () => {
    // Act
    const summary = await exportDataset({ window, outputDir: dir }, deps(new MemoryLake(), await catalogueWith()));
    // Assess
    expect(summary).toMatchObject({ eventsRead: 0, pairs: 0, holdoutRows: 0, items: 0 });
    expect(lines(exportFiles.interactions)).toEqual(['USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE,EVENT_VALUE,EVENT_COUNT']);
  });

  it('throws ExportError when more than 1 % of the lake’s lines are not events', async () => {
    // Prepare
    const lake: LakeReader = {
      async *events(_range, stats) {
        stats.invalidLines += 2;
        stats.examples.push('s3://lake/events/dt=2026-03-01/a.jsonl.gz:7: not JSON');
        yield [event({ at: T0 + HOUR })];
      },
    };
    // Act
    const attempt = exportDataset({ window, outputDir: dir }, deps(lake, await catalogueWith()));
    // Assess
    await expect(attempt).rejects.toThrow(ExportError);
    await expect(attempt).rejects.toThrow(/2 of 3 lake lines are not events .*a\.jsonl\.gz:7: not JSON/);
  });

  it('throws ExportError for a window whose holdout starts outside it', async () => {
    // Act
    const attempt = exportDataset(
      { window: { ...window, holdoutFrom: window.from.replace('03-01', '02-01') }, outputDir: dir },
      deps(new MemoryLake(), await catalogueWith()),
    );
    // Assess
    await expect(attempt).rejects.toThrow(expect.objectContaining({ reason: 'invalid_window' }));
  });
});
