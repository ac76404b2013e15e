import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { InvalidRequestError } from '#shared/errors.ts';
import { HYBRID_PARAMS } from '#shared/recommender/algorithms/hybrid.ts';
import type { Model, ScoredItem } from '#shared/recommender/model.ts';
import { loadModel, trainerFor } from '#shared/recommender/registry.ts';
import { clusterData, GARDEN, KITCHEN } from '../shared/recommender/algorithms/fixtures.ts';
import {
  fieldPath,
  InvalidFieldError,
  invocationLimits,
  invoke,
  parseInvocation,
  type ServingModel,
} from '../../../model/lib/invocation.ts';

/** The error `parseInvocation` throws for `body`. */
function rejectionOf(body: string): InvalidRequestError {
  try {
    parseInvocation(body);
  } catch (error) {
    if (error instanceof InvalidRequestError) return error;
    throw error;
  }
  throw new Error(`expected ${body} to be rejected`);
}

function fakeModel(
  items: ScoredItem[],
): Model & { recommend: ReturnType<typeof vi.fn>; similarItems: ReturnType<typeof vi.fn> } {
  return {
    algorithm: 'item-knn',
    recommend: vi.fn(() => items),
    similarItems: vi.fn(() => items),
    save: vi.fn(async () => {}),
  };
}

describe('Entry point: serve', () => {
  describe('request validation', () => {
    it('returns the default count for an empty object', () => {
      // Act
      const request = parseInvocation('{}');

      // Assess
      expect(request).toEqual({ count: invocationLimits.defaultCount });
    });

    it('returns every field of a complete request', () => {
      // Prepare
      const body = {
        userId: 'u1',
        recentItems: [{ itemId: 'i1', eventType: 'view', timestamp: 1_700_000_000, weight: 2 }, { itemId: 'i2' }],
        count: 5,
        filters: {
          excludeSeen: true,
          excludePurchased: false,
          category: 'home',
          inStockOnly: true,
          minPrice: 1,
          maxPrice: 9.5,
          excludeItemIds: ['i3'],
        },
        candidates: ['i4', 'i5'],
      };

      // Act
      const request = parseInvocation(JSON.stringify(body));

      // Assess
      expect(request).toEqual(body);
    });

    it("returns a similar-items request with the item's text, categories defaulting to none", () => {
      // Act
      const request = parseInvocation(
        JSON.stringify({
          similarTo: 'new-1',
          count: 3,
          similarToText: {
            title: 'Garden trowel',
            description: 'Steel blade',
            attributes: { colour: 'green', size: 2 },
          },
        }),
      );

      // Assess
      expect(request).toEqual({
        similarTo: 'new-1',
        count: 3,
        similarToText: {
          title: 'Garden trowel',
          description: 'Steel blade',
          categories: [],
          attributes: { colour: 'green', size: 2 },
        },
      });
    });

    it('returns a similar-items request with metadata filters', () => {
      // Act
      const request = parseInvocation('{"similarTo": "i1", "count": 3, "filters": {"maxPrice": 10}}');

      // Assess
      expect(request).toEqual({ similarTo: 'i1', count: 3, filters: { maxPrice: 10 } });
    });

    it('returns the limits accepted: 500 items, 500 candidates, 100 recent items', () => {
      // Prepare
      const body = {
        count: invocationLimits.maxCount,
        candidates: Array.from({ length: invocationLimits.maxCandidates }, (_, n) => `i${n}`),
        recentItems: Array.from({ length: invocationLimits.maxRecentItems }, (_, n) => ({ itemId: `r${n}` })),
      };

      // Act
      const request = parseInvocation(JSON.stringify(body));

      // Assess
      expect(request.candidates).toHaveLength(500);
      expect(request.recentItems).toHaveLength(100);
    });

    it.each([
      ['count 0', { count: 0 }, 'invalid_field', 'count', 'count: must be an integer from 1 to 500'],
      ['count 501', { count: 501 }, 'invalid_field', 'count', 'count: must be an integer from 1 to 500'],
      ['count 2.5', { count: 2.5 }, 'invalid_field', 'count', 'count: must be an integer from 1 to 500'],
      ['count as a string', { count: '10' }, 'invalid_field', 'count', 'count: must be an integer from 1 to 500'],
      ['userId a number', { userId: 42 }, 'invalid_field', 'userId', 'userId: must be a string'],
      ['userId empty', { userId: '' }, 'invalid_field', 'userId', 'userId: must not be empty'],
      ['userId null', { userId: null }, 'invalid_field', 'userId', 'userId: must not be null; leave the field out'],
      ['userId too long', { userId: 'u'.repeat(129) }, 'invalid_field', 'userId', 'at most 128 characters'],
      ['an unknown field', { user: 'u1' }, 'unknown_field', 'user', 'unknown field user; valid fields: userId'],
      [
        'an unknown filter',
        { filters: { onSale: true } },
        'unknown_field',
        'filters.onSale',
        'unknown field filters.onSale',
      ],
      [
        'an unknown field of a recent item',
        { recentItems: [{ itemId: 'i1', when: 1 }] },
        'unknown_field',
        'recentItems[0].when',
        'unknown field recentItems[0].when',
      ],
      [
        'a recent item without itemId',
        { recentItems: [{ eventType: 'view' }] },
        'invalid_field',
        'recentItems[0].itemId',
        'recentItems[0].itemId: must be a string',
      ],
      [
        'a timestamp in milliseconds',
        { recentItems: [{ itemId: 'i1' }, { itemId: 'i2', timestamp: 1_700_000_000_000 }] },
        'invalid_field',
        'recentItems[1].timestamp',
        'milliseconds? divide by 1000',
      ],
      [
        'a negative weight as text',
        { recentItems: [{ itemId: 'i1', weight: '-1' }] },
        'invalid_field',
        'recentItems[0].weight',
        'must be a number',
      ],
      [
        'recentItems not an array',
        { recentItems: 'i1' },
        'invalid_field',
        'recentItems',
        'recentItems: must be an array',
      ],
      [
        '101 recent items',
        { recentItems: Array.from({ length: 101 }, (_, n) => ({ itemId: `r${n}` })) },
        'invalid_field',
        'recentItems',
        'at most 100 items',
      ],
      [
        '501 candidates',
        { candidates: Array.from({ length: 501 }, (_, n) => `i${n}`) },
        'invalid_field',
        'candidates',
        'at most 500 ids',
      ],
      ['an empty candidate id', { candidates: ['i1', ''] }, 'invalid_field', 'candidates[1]', 'must not be empty'],
      [
        'excludeSeen as a string',
        { filters: { excludeSeen: 'yes' } },
        'invalid_field',
        'filters.excludeSeen',
        'must be true or false',
      ],
      [
        'a negative minPrice',
        { filters: { minPrice: -1 } },
        'invalid_field',
        'filters.minPrice',
        'must not be negative',
      ],
      [
        'maxPrice below minPrice',
        { filters: { minPrice: 10, maxPrice: 5 } },
        'invalid_field',
        'filters.maxPrice',
        'must not be below minPrice',
      ],
      [
        'similarTo with userId',
        { similarTo: 'i1', userId: 'u1' },
        'invalid_field',
        'userId',
        'cannot be combined with similarTo',
      ],
      [
        'similarTo with candidates',
        { similarTo: 'i1', candidates: ['i2'] },
        'invalid_field',
        'candidates',
        'cannot be combined with similarTo',
      ],
      [
        'similarToText without similarTo',
        { userId: 'u1', similarToText: { title: 'Garden trowel' } },
        'invalid_field',
        'similarToText',
        'needs similarTo',
      ],
      [
        'a similarToText title not a string',
        { similarTo: 'i1', similarToText: { title: 7 } },
        'invalid_field',
        'similarToText.title',
        'similarToText.title: must be a string',
      ],
      [
        'an unknown similarToText field',
        { similarTo: 'i1', similarToText: { price: 7 } },
        'unknown_field',
        'similarToText.price',
        'unknown field similarToText.price',
      ],
      [
        'too many similarToText categories',
        { similarTo: 'i1', similarToText: { categories: Array.from({ length: 11 }, (_, n) => `c${n}`) } },
        'invalid_field',
        'similarToText.categories',
        'at most 10 categories',
      ],
      [
        'a similarToText attribute that is an object',
        { similarTo: 'i1', similarToText: { attributes: { colour: { name: 'green' } } } },
        'invalid_field',
        'similarToText.attributes.colour',
        'must be a string, number or boolean',
      ],
      [
        'similarTo with excludeSeen',
        { similarTo: 'i1', filters: { excludeSeen: true } },
        'invalid_field',
        'filters.excludeSeen',
        'cannot be combined with similarTo',
      ],
    ])('returns %s rejected naming the field', (_name, body, reason, field, message) => {
      // Act
      const error = rejectionOf(JSON.stringify(body));

      // Assess
      expect(error).toBeInstanceOf(InvalidFieldError);
      expect(error.status).toBe(400);
      expect(error.reason).toBe(reason);
      expect((error as InvalidFieldError).field).toBe(field);
      expect(error.message).toContain(message);
    });

    it.each([
      ['an empty body', '', 'empty_body'],
      ['a blank body', ' \n', 'empty_body'],
      ['text that is not JSON', 'userId=u1', 'invalid_json'],
      ['a JSON array', '[{"userId": "u1"}]', 'invalid_body'],
      ['JSON null', 'null', 'invalid_body'],
      ['a JSON string', '"u1"', 'invalid_body'],
    ])('returns %s rejected as a whole', (_name, body, reason) => {
      // Act
      const error = rejectionOf(body);

      // Assess
      expect(error.status).toBe(400);
      expect(error.reason).toBe(reason);
    });

    it('returns zod paths written the way a reader looks them up', () => {
      // Act
      const paths = [fieldPath(['recentItems', 2, 'timestamp']), fieldPath(['count']), fieldPath([])];

      // Assess
      expect(paths).toEqual(['recentItems[2].timestamp', 'count', '']);
    });
  });

  describe('invoke', () => {
    const serving = (model: Model): ServingModel => ({ model, algorithm: 'item-knn', modelVersion: 'v1' });

    it('returns the model ranking with version, algorithm and a reason on every item', () => {
      // Prepare
      const model = fakeModel([
        { itemId: 'a', score: 2, reason: 'because you viewed x' },
        { itemId: 'b', score: 1 },
      ]);
      const request = parseInvocation(
        '{"userId": "u1", "count": 2, "candidates": ["a", "b"], "filters": {"excludeSeen": true}}',
      );

      // Act
      const response = invoke(serving(model), request);

      // Assess
      expect(response).toEqual({
        modelVersion: 'v1',
        algorithm: 'item-knn',
        items: [
          { itemId: 'a', score: 2, reason: 'because you viewed x' },
          { itemId: 'b', score: 1, reason: null },
        ],
      });
      expect(model.recommend).toHaveBeenCalledWith({
        userId: 'u1',
        count: 2,
        candidates: ['a', 'b'],
        filters: { excludeSeen: true },
      });
      expect(model.similarItems).not.toHaveBeenCalled();
    });

    it('returns similar items for similarTo, with count and filters passed on', () => {
      // Prepare
      const model = fakeModel([{ itemId: 'b', score: 0.5, reason: 'often viewed with a' }]);
      const request = parseInvocation('{"similarTo": "a", "count": 4, "filters": {"inStockOnly": true}}');

      // Act
      const response = invoke(serving(model), request);

      // Assess
      expect(response.items).toEqual([{ itemId: 'b', score: 0.5, reason: 'often viewed with a' }]);
      expect(model.similarItems).toHaveBeenCalledWith('a', 4, { inStockOnly: true });
      expect(model.recommend).not.toHaveBeenCalled();
    });

    it("returns items similar to an item the hybrid model was not trained on from the item's text, not popular ones", async () => {
      // Prepare: the most popular items are a mix of kitchen and garden ones.
      const model = await trainerFor('hybrid').fit(clusterData());
      const request = parseInvocation(
        JSON.stringify({
          similarTo: 'ladle-new',
          count: 4,
          similarToText: { title: 'Ladle', description: 'Stainless steel utensil for cooking meals.', categories: [] },
        }),
      );

      // Act
      const response = invoke({ model, algorithm: 'hybrid', modelVersion: 'v1' }, request);

      // Assess
      expect(response.items).toHaveLength(4);
      expect(response.items.every((item) => KITCHEN.includes(item.itemId))).toBe(true);
      expect(response.items.every((item) => item.reason === 'similar to ladle-new')).toBe(true);
    });

    it("returns a hybrid's list with popularity in the shopper's categories in the blend, as saved and loaded", async () => {
      // Prepare: tuning sets the weight where category popularity helps on validation.
      const trained = await trainerFor('hybrid').fit(clusterData(), { [HYBRID_PARAMS.blend.popularityWeight]: 1 });
      const dir = await mkdtemp(join(tmpdir(), 'invocation-hybrid-'));
      await trained.save(dir);
      const model = await loadModel(dir);
      await rm(dir, { recursive: true, force: true });
      const request = parseInvocation(
        JSON.stringify({ count: 4, recentItems: [GARDEN[1], GARDEN[2]].map((itemId) => ({ itemId })) }),
      );

      // Act
      const response = invoke({ model, algorithm: 'hybrid', modelVersion: 'v1' }, request);

      // Assess
      expect(response.items).toEqual(
        invoke({ model: trained, algorithm: 'hybrid', modelVersion: 'v1' }, request).items,
      );
      expect(response.items.every((item) => GARDEN.includes(item.itemId))).toBe(true);
      expect(response.items[0]?.reason).toBe('popular in Garden');
    });

    it('returns the popular items of a model without content for an unknown item, text or not', async () => {
      // Prepare
      const model = await trainerFor('popularity').fit(clusterData());
      const request = parseInvocation(
        JSON.stringify({ similarTo: 'ladle-new', count: 2, similarToText: { title: 'Stainless steel ladle' } }),
      );

      // Act
      const response = invoke({ model, algorithm: 'popularity', modelVersion: 'v1' }, request);

      // Assess
      expect(response.items).toEqual(
        model.similarItems('ladle-new', 2).map((item) => ({ ...item, reason: item.reason ?? null })),
      );
      expect(response.items.every((item) => item.reason === 'popular')).toBe(true);
    });
  });
});
