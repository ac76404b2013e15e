import { afterEach, describe, expect, it, vi } from 'vitest';
import { MemoryFeatureStore } from '#shared/adapters/memoryFeatureStore.ts';
import { catalogueItemSchema } from '#shared/catalogue/schema.ts';
import { deleteItem, upsertItems, type CatalogueDeps } from '#shared/catalogue/upsertItems.ts';
import { apiLimits } from '#shared/config/index.ts';
import { InvalidRequestError, PayloadTooLargeError } from '#shared/errors.ts';
import type { CatalogueItem } from '#shared/ports/index.ts';

const NOW = Date.parse('2026-02-03T04:05:06.000Z');

/** A catalogue store that counts writes, so "writes nothing" is observable. */
class CountingStore extends MemoryFeatureStore {
  putCalls = 0;
  override async putItems(items: readonly CatalogueItem[]): Promise<void> {
    this.putCalls += 1;
    return super.putItems(items);
  }
}

function setup(now = NOW): { store: CountingStore; deps: CatalogueDeps } {
  const store = new CountingStore();
  return { store, deps: { catalogue: store, clock: { now: () => now } } };
}

const body = (items: unknown): string => JSON.stringify({ items });

async function stored(store: MemoryFeatureStore, ...itemIds: string[]): Promise<Record<string, CatalogueItem>> {
  return Object.fromEntries(await store.getItems(itemIds));
}

describe('Function: upsertItems', () => {
  describe('valid items', () => {
    it('returns the count and stores every item with updatedAt from the clock', async () => {
      // Prepare
      const { store, deps } = setup();
      const items = [
        {
          itemId: 'sku-1',
          title: 'Trail shoe',
          description: 'Light and grippy',
          categories: ['shoes', 'outdoor'],
          price: 89.9,
          currency: 'EUR',
          inStock: false,
          attributes: { colour: 'red', size: 42, vegan: true },
        },
        { itemId: 'sku-2', categories: ['socks'] },
      ];

      // Act
      const result = await upsertItems(body(items), deps);

      // Assess
      expect(result).toEqual({ upserted: 2, rejected: [] });
      expect(await stored(store, 'sku-1', 'sku-2')).toEqual({
        'sku-1': { ...items[0], updatedAt: NOW },
        'sku-2': { itemId: 'sku-2', categories: ['socks'], inStock: true, updatedAt: NOW },
      });
    });

    it('returns items with defaults applied: no categories and in stock', async () => {
      // Prepare
      const { store, deps } = setup();

      // Act
      await upsertItems(body([{ itemId: 'bare' }]), deps);

      // Assess
      expect((await stored(store, 'bare')).bare).toEqual({
        itemId: 'bare',
        categories: [],
        inStock: true,
        updatedAt: NOW,
      });
    });

    it('returns the item replaced as a whole when it is upserted again', async () => {
      // Prepare
      const store = new CountingStore();
      await upsertItems(body([{ itemId: 'sku-1', title: 'Old', price: 10, categories: ['a'] }]), {
        catalogue: store,
        clock: { now: () => NOW },
      });

      // Act
      await upsertItems(body([{ itemId: 'sku-1', categories: ['b'], inStock: false }]), {
        catalogue: store,
        clock: { now: () => NOW + 60_000 },
      });

      // Assess: title and price are gone, not merged.
      expect((await stored(store, 'sku-1'))['sku-1']).toEqual({
        itemId: 'sku-1',
        categories: ['b'],
        inStock: false,
        updatedAt: NOW + 60_000,
      });
    });

    it('returns the exact limits accepted: maxItemsPerRequest items, maxCategoriesPerItem categories', async () => {
      // Prepare
      const { store, deps } = setup();
      const categories = Array.from({ length: apiLimits.maxCategoriesPerItem }, (_, i) => `c${i}`);
      const items = Array.from({ length: apiLimits.maxItemsPerRequest }, (_, i) => ({
        itemId: `sku-${i}`,
        title: 't'.repeat(apiLimits.maxTitleChars),
        categories,
      }));

      // Act
      const result = await upsertItems(body(items), deps);

      // Assess
      expect(result).toEqual({ upserted: apiLimits.maxItemsPerRequest, rejected: [] });
      expect((await stored(store, 'sku-99'))['sku-99']?.categories).toEqual(categories);
    });
  });

  describe('rejected items', () => {
    const cases: { name: string; item: unknown; expected: Record<string, unknown> }[] = [
      {
        name: 'an unknown field',
        item: { itemId: 'x', colour: 'red' },
        expected: { itemId: 'x', reason: 'unknown_field', field: 'colour' },
      },
      {
        name: 'a missing itemId',
        item: { title: 'No id' },
        expected: { reason: 'missing_field', field: 'itemId', message: 'itemId is required' },
      },
      {
        name: 'an empty itemId',
        item: { itemId: '' },
        expected: { itemId: '', reason: 'invalid_field', field: 'itemId' },
      },
      {
        name: 'categories that are not an array',
        item: { itemId: 'x', categories: 'shoes' },
        expected: { itemId: 'x', reason: 'invalid_field', field: 'categories' },
      },
      {
        name: 'more than maxCategoriesPerItem categories',
        item: {
          itemId: 'x',
          categories: Array.from({ length: apiLimits.maxCategoriesPerItem + 1 }, (_, i) => `c${i}`),
        },
        expected: { itemId: 'x', reason: 'invalid_field', field: 'categories' },
      },
      {
        name: 'a title that is too long',
        item: { itemId: 'x', title: 't'.repeat(apiLimits.maxTitleChars + 1) },
        expected: { itemId: 'x', reason: 'invalid_field', field: 'title' },
      },
      {
        name: 'a currency that is not an ISO 4217 code',
        item: { itemId: 'x', price: 1, currency: 'eur' },
        expected: { itemId: 'x', reason: 'invalid_field', field: 'currency' },
      },
      {
        name: 'a negative price',
        item: { itemId: 'x', price: -0.01 },
        expected: { itemId: 'x', reason: 'invalid_field', field: 'price' },
      },
      {
        name: 'attributes with too many keys',
        item: {
          itemId: 'x',
          attributes: Object.fromEntries(
            Array.from({ length: apiLimits.maxPropertyKeys + 1 }, (_, i) => [`k${i}`, i] as const),
          ),
        },
        expected: { itemId: 'x', reason: 'invalid_field', field: 'attributes' },
      },
      {
        name: 'an attribute with a nested value',
        item: { itemId: 'x', attributes: { size: { eu: 42 } } },
        expected: { itemId: 'x', reason: 'invalid_field', field: 'attributes.size' },
      },
      {
        name: 'an itemId no URL can address (..)',
        item: { itemId: '..' },
        expected: { itemId: '..', reason: 'invalid_field', field: 'itemId' },
      },
      {
        name: 'an itemId with a control character',
        item: { itemId: 'sku\u0007' },
        expected: { itemId: 'sku\u0007', reason: 'invalid_field', field: 'itemId' },
      },
      {
        name: 'recommendable that is not a boolean',
        item: { itemId: 'x', recommendable: 'no' },
        expected: { itemId: 'x', reason: 'invalid_field', field: 'recommendable' },
      },
      {
        name: 'inStock that is not a boolean',
        item: { itemId: 'x', inStock: 'yes' },
        expected: { itemId: 'x', reason: 'invalid_field', field: 'inStock' },
      },
    ];

    it.each(cases)('returns $name rejected alone, naming the field, while the rest is upserted', async (c) => {
      // Prepare
      const { store, deps } = setup();

      // Act
      const result = await upsertItems(body([{ itemId: 'good-1' }, c.item, { itemId: 'good-2' }]), deps);

      // Assess
      expect(result.upserted).toBe(2);
      expect(result.rejected).toEqual([{ index: 1, message: expect.any(String), ...c.expected }]);
      expect(Object.keys(await stored(store, 'good-1', 'good-2', 'x'))).toEqual(['good-1', 'good-2']);
    });

    it.each([
      ['a number', 42],
      ['a string', 'sku-1'],
      ['null', null],
      ['an array', [{ itemId: 'sku-1' }]],
    ])('returns %s entry rejected as not_an_object', async (_name, entry) => {
      // Prepare
      const { deps } = setup();

      // Act
      const result = await upsertItems(body([entry, { itemId: 'ok' }]), deps);

      // Assess
      expect(result).toEqual({
        upserted: 1,
        rejected: [{ index: 0, reason: 'not_an_object', message: 'each item must be a JSON object' }],
      });
    });

    it('returns a later duplicate itemId rejected as duplicate_in_batch and keeps the first', async () => {
      // Prepare
      const { store, deps } = setup();

      // Act
      const result = await upsertItems(
        body([{ itemId: 'sku-1', title: 'First' }, { itemId: 'sku-2' }, { itemId: 'sku-1', title: 'Second' }]),
        deps,
      );

      // Assess
      expect(result).toEqual({
        upserted: 2,
        rejected: [
          {
            index: 2,
            itemId: 'sku-1',
            reason: 'duplicate_in_batch',
            field: 'itemId',
            message: 'itemId already appears earlier in this request',
          },
        ],
      });
      expect((await stored(store, 'sku-1'))['sku-1']?.title).toBe('First');
    });

    it('returns nothing written when every item is rejected', async () => {
      // Prepare
      const { store, deps } = setup();

      // Act
      const result = await upsertItems(body([{ nope: true }, 7]), deps);

      // Assess
      expect(result.upserted).toBe(0);
      expect(result.rejected.map((r) => r.index)).toEqual([0, 1]);
      expect(store.putCalls).toBe(0);
    });
  });

  describe('names of Object.prototype members inside an item', () => {
    afterEach(() => {
      vi.restoreAllMocks();
    });

    it('returns attributes named toString, hasOwnProperty, valueOf and prototype stored as any others', async () => {
      // Prepare
      const { store, deps } = setup();
      const attributes = '{"toString": "red", "hasOwnProperty": 1, "valueOf": true, "prototype": "p"}';

      // Act
      const result = await upsertItems(`{"items": [{"itemId": "a", "attributes": ${attributes}}]}`, deps);

      // Assess
      expect(result).toEqual({ upserted: 1, rejected: [] });
      const { a } = await stored(store, 'a');
      expect(a?.attributes).toEqual(JSON.parse(attributes));
      expect(Object.keys(a?.attributes ?? {})).toEqual(['toString', 'hasOwnProperty', 'valueOf', 'prototype']);
    });

    it.each([
      [
        'an attribute named constructor',
        '"attributes": {"constructor": "x"}',
        'invalid_field',
        'attributes.constructor',
      ],
      ['an attribute named __proto__', '"attributes": {"__proto__": "x"}', 'invalid_field', 'attributes.__proto__'],
      ['__proto__ as a field of the item', '"__proto__": {"inStock": false}', 'unknown_field', '__proto__'],
      ['constructor as a field of the item', '"constructor": "x"', 'unknown_field', 'constructor'],
      [
        'attributes nested 5,000 deep',
        `"attributes": ${'{"a": '.repeat(5_000)}1${'}'.repeat(5_000)}`,
        'too_deep',
        'attributes.a.a.a.a.a.a.a',
      ],
    ])(
      'returns the item with %s rejected alone and the others of the batch upserted',
      async (_name, extra, reason, field) => {
        // Prepare
        const { store, deps } = setup();
        const input = `{"items": [{"itemId": "a"}, {"itemId": "b", ${extra}}, {"itemId": "c"}]}`;

        // Act
        const result = await upsertItems(input, deps);

        // Assess
        expect(result).toMatchObject({ upserted: 2, rejected: [{ index: 1, itemId: 'b', reason, field }] });
        expect(Object.keys(await stored(store, 'a', 'b', 'c'))).toEqual(['a', 'c']);
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      },
    );

    it('returns the reason for an attribute the catalogue cannot store in the message', async () => {
      // Prepare
      const { deps } = setup();

      // Act
      const result = await upsertItems('{"items": [{"itemId": "b", "attributes": {"constructor": "x"}}]}', deps);

      // Assess
      expect(result.rejected[0]?.message).toBe(
        'attributes.constructor: the catalogue cannot store an attribute named constructor; rename it',
      );
    });

    it('returns an item nested too deep rejected before validation', async () => {
      // Prepare
      const { deps } = setup();
      const safeParse = vi.spyOn(catalogueItemSchema, 'safeParse');
      const deep = `{"itemId": "b", "attributes": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`;

      // Act
      await upsertItems(`{"items": [{"itemId": "a"}, ${deep}]}`, deps);

      // Assess
      expect(safeParse.mock.calls.map(([raw]) => (raw as { itemId: string }).itemId)).toEqual(['a']);
    });
  });

  describe('whole-body errors', () => {
    const tooManyItems = body(
      Array.from({ length: apiLimits.maxItemsPerRequest + 1 }, (_, i) => ({ itemId: `s${i}` })),
    );
    // Fewer characters than the byte limit, but more bytes: the limit is in UTF-8 bytes.
    const tooManyBytes = body([{ itemId: 'big', description: '€'.repeat(Math.ceil(apiLimits.maxBodyBytes / 3) + 10) }]);
    const cases: [
      string,
      string | null | undefined,
      typeof InvalidRequestError | typeof PayloadTooLargeError,
      string,
    ][] = [
      ['a null body', null, InvalidRequestError, 'empty_body'],
      ['an undefined body', undefined, InvalidRequestError, 'empty_body'],
      ['a blank body', '  \n ', InvalidRequestError, 'empty_body'],
      ['invalid JSON', '{"items": [', InvalidRequestError, 'invalid_json'],
      ['a body without items', '{"products": []}', InvalidRequestError, 'missing_items'],
      ['items that is not an array', '{"items": {"itemId": "a"}}', InvalidRequestError, 'missing_items'],
      ['a JSON array body', '[{"itemId": "a"}]', InvalidRequestError, 'missing_items'],
      ['empty items', '{"items": []}', InvalidRequestError, 'no_items'],
      ['more than maxItemsPerRequest items', tooManyItems, PayloadTooLargeError, 'too_many_items'],
      ['a body over maxBodyBytes', tooManyBytes, PayloadTooLargeError, 'body_too_large'],
    ];

    it.each(cases)('returns %s rejected as a whole, writing nothing', async (_name, input, errorClass, reason) => {
      // Prepare
      const { store, deps } = setup();

      // Act
      const attempt = upsertItems(input, deps);

      // Assess
      await expect(attempt).rejects.toBeInstanceOf(errorClass);
      await expect(attempt).rejects.toMatchObject({ reason });
      expect(store.putCalls).toBe(0);
    });

    it.each([
      ['__proto__ around the items', '{"__proto__": {"items": [{"itemId": "a"}]}}', 'missing_items'],
      ['a byte order mark', '\uFEFF{"items": [{"itemId": "a"}]}', 'invalid_encoding'],
    ])('returns a body with %s rejected as a 400, writing nothing', async (_name, input, reason) => {
      // Prepare
      const { store, deps } = setup();

      // Act
      const attempt = upsertItems(input, deps);

      // Assess
      await expect(attempt).rejects.toBeInstanceOf(InvalidRequestError);
      await expect(attempt).rejects.toMatchObject({ reason, status: 400 });
      expect(store.putCalls).toBe(0);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });

    it('returns the items of a body with constructor beside them upserted, the other field unread', async () => {
      // Prepare
      const { store, deps } = setup();

      // Act
      const result = await upsertItems('{"items": [{"itemId": "a"}], "constructor": {"prototype": {}}}', deps);

      // Assess
      expect(result).toEqual({ upserted: 1, rejected: [] });
      expect(Object.keys(await stored(store, 'a'))).toEqual(['a']);
    });

    it('returns 413 for too_many_items and body_too_large', async () => {
      // Prepare
      const { deps } = setup();

      // Act
      const errors = await Promise.all(
        [tooManyItems, tooManyBytes].map((input) => upsertItems(input, deps).catch((error: unknown) => error)),
      );

      // Assess
      expect(errors.map((e) => (e as PayloadTooLargeError).status)).toEqual([413, 413]);
    });
  });
});

describe('Function: deleteItem', () => {
  it('returns {itemId, deleted: true, wasLive: true} and removes a live item', async () => {
    // Prepare
    const { store, deps } = setup();
    await upsertItems(body([{ itemId: 'sku-1' }, { itemId: 'sku-2' }]), deps);

    // Act
    const result = await deleteItem('sku-1', deps);

    // Assess
    expect(result).toEqual({ itemId: 'sku-1', deleted: true, wasLive: true });
    expect(Object.keys(await stored(store, 'sku-1', 'sku-2'))).toEqual(['sku-2']);
  });

  it('leaves a tombstone deleted at the clock’s time', async () => {
    // Prepare
    const { store, deps } = setup();
    await upsertItems(body([{ itemId: 'sku-1' }]), deps);

    // Act
    await deleteItem('sku-1', deps);

    // Assess
    expect(await store.getEntries(['sku-1'])).toEqual(
      new Map([['sku-1', { itemId: 'sku-1', deleted: true, deletedAt: NOW }]]),
    );
  });

  it('returns {itemId, deleted: true, wasLive: false} and leaves a tombstone for an item the catalogue never had', async () => {
    // Prepare
    const { store, deps } = setup();

    // Act
    const result = await deleteItem('ghost', deps);

    // Assess
    expect(result).toEqual({ itemId: 'ghost', deleted: true, wasLive: false });
    expect(await store.getEntries(['ghost'])).toEqual(
      new Map([['ghost', { itemId: 'ghost', deleted: true, deletedAt: NOW }]]),
    );
  });

  it('returns wasLive: false on a second delete of the same item and keeps the first deletedAt', async () => {
    // Prepare
    const { store, deps } = setup();
    await upsertItems(body([{ itemId: 'sku-1' }]), deps);
    await deleteItem('sku-1', deps);

    // Act
    const again = await deleteItem('sku-1', { ...deps, clock: { now: () => NOW + 60_000 } });

    // Assess
    expect(again).toEqual({ itemId: 'sku-1', deleted: true, wasLive: false });
    expect(await store.getEntries(['sku-1'])).toEqual(
      new Map([['sku-1', { itemId: 'sku-1', deleted: true, deletedAt: NOW }]]),
    );
  });
});
