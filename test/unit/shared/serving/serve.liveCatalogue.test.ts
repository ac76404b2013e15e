import { afterEach, describe, expect, it, vi } from 'vitest';
import { MemoryFeatureStore } from '#shared/adapters/memoryFeatureStore.ts';
import { LiveCatalogue } from '#shared/serving/liveCatalogue.ts';
import { fallbackMetric } from '#shared/serving/failures.ts';
import { ServingService } from '#shared/serving/service.ts';
import { serving } from '#shared/config/index.ts';
import {
  addActivity,
  catalogueItem,
  fakeModel,
  idsOf,
  makeFixture,
  modelAnswer,
  NOW,
  seedShop,
  shutdownGateways,
  similarOptions,
  TODAY,
  userOptions,
  trendingOptions,
} from './fixtures.ts';

/** What the model ranks, best first: its training-time view of the shop. */
const MODEL_LIST = [
  { itemId: 'sku-gone', score: 0.9 },
  { itemId: 'sku-b', score: 0.8 },
  { itemId: 'sku-a', score: 0.7 },
  { itemId: 'sku-d', score: 0.6 },
];

describe('Class: ServingService (model lists on the live catalogue)', () => {
  afterEach(() => {
    shutdownGateways();
  });

  describe('Method: forShopper', () => {
    it('returns no deleted item, and tops the list up with a popular item the live catalogue never had', async () => {
      // Prepare
      const model = fakeModel(modelAnswer(MODEL_LIST));
      const { store, service } = makeFixture(ServingService, { model: model.client });
      await seedShop(store);
      await store.putItems([catalogueItem('sku-gone')]);
      await store.deleteItem('sku-gone', NOW);

      // Act
      const served = await service.forShopper('alice', userOptions());

      // Assess
      expect(idsOf(served)).toEqual(['sku-b', 'sku-a', 'sku-d', 'sku-c']);
      expect(served.body.modelVersion).toBe('hybrid-test');
    });

    it('returns a model item the live catalogue never had while it holds the others', async () => {
      // Prepare: the shop loaded sku-a, sku-b and sku-d only; the model was trained on sku-gone too.
      const model = fakeModel(modelAnswer(MODEL_LIST));
      const { store, service } = makeFixture(ServingService, { model: model.client });
      await seedShop(store);

      // Act
      const served = await service.forShopper('alice', userOptions());

      // Assess
      expect(idsOf(served)).toEqual(['sku-gone', 'sku-b', 'sku-a', 'sku-d']);
    });

    it('returns only items in stock and within the price by their live entries, not the filters sent to the model', async () => {
      // Prepare: sku-b is out of stock at 999 now, whatever the model was trained on.
      const model = fakeModel(modelAnswer(MODEL_LIST));
      const { store, service } = makeFixture(ServingService, { model: model.client });
      await seedShop(store);
      await store.putItems([catalogueItem('sku-b', { categories: ['shoes'], price: 999, inStock: false })]);

      // Act
      const served = await service.forShopper('alice', userOptions({ inStock: 'true', maxPrice: '100' }));

      // Assess
      expect(idsOf(served)).toEqual(['sku-a', 'sku-d']);
      expect(model.requests()[0]?.filters).toEqual({ excludePurchased: true });
    });

    it('returns no item marked recommendable: false, from the model or from the popularity top-up', async () => {
      // Prepare: sku-b is postage, which the shop never wants recommended.
      const model = fakeModel(modelAnswer(MODEL_LIST));
      const { store, service } = makeFixture(ServingService, { model: model.client });
      await seedShop(store);
      await store.putItems([catalogueItem('sku-b', { categories: ['shoes'], recommendable: false })]);

      // Act
      const served = await service.forShopper('alice', userOptions());
      const trending = await service.trending('24h', trendingOptions());

      // Assess
      expect(idsOf(served)).not.toContain('sku-b');
      expect(idsOf(trending)).not.toContain('sku-b');
      expect(idsOf(trending).length).toBeGreaterThan(0);
    });

    it('returns only items of the category by their live entries', async () => {
      // Prepare
      const model = fakeModel(modelAnswer(MODEL_LIST));
      const { store, service } = makeFixture(ServingService, { model: model.client });
      await seedShop(store);

      // Act
      const served = await service.forShopper('alice', userOptions({ category: 'shoes', count: '2' }));

      // Assess
      expect(idsOf(served)).toEqual(['sku-b', 'sku-a']);
    });

    it('returns the model items as ranked when the live catalogue holds none of them, unless a filter needs one', async () => {
      // Prepare: a shop serving a model without loading its catalogue into the live store.
      const model = fakeModel(modelAnswer([{ itemId: 'sku-x', score: 0.9 }]));
      const { service } = makeFixture(ServingService, { model: model.client });

      // Act
      const unfiltered = await service.forShopper('alice', userOptions());
      const inStock = await service.forShopper('alice', userOptions({ inStock: 'true' }));

      // Assess
      expect(idsOf(unfiltered)).toEqual(['sku-x']);
      expect(idsOf(inStock)).toEqual([]);
    });

    it('returns the list topped up with popular items under the same filters when the live catalogue drops too many', async () => {
      // Prepare: of the model's items only sku-a is still on offer; sku-c (popular) has no entry.
      const model = fakeModel(
        modelAnswer([
          { itemId: 'sku-gone', score: 0.9 },
          { itemId: 'sku-a', score: 0.7 },
        ]),
      );
      const { store, service } = makeFixture(ServingService, { model: model.client });
      await seedShop(store);

      // Act
      const served = await service.forShopper('alice', userOptions({ count: '3', maxPrice: '100' }));

      // Assess: sku-b (popular, 120) is over the price; sku-a is not served twice.
      expect(served.body.items).toEqual([
        { itemId: 'sku-a', score: 0.7, reason: 'recommended for you' },
        { itemId: 'sku-d', score: 7, reason: 'popular' },
      ]);
      expect(served.body.degraded).toBe(false);
    });

    it('returns a deleted item while its entry was read at most serving.liveCatalogue.ttlMs ago, and not after', async () => {
      // Prepare
      const model = fakeModel(modelAnswer(MODEL_LIST));
      const { store, service, clock } = makeFixture(ServingService, { model: model.client });
      await seedShop(store);
      await store.putItems([catalogueItem('sku-gone')]);
      await service.forShopper('alice', userOptions({ count: '1' }));
      await store.deleteItem('sku-gone', NOW);

      // Act: each count is a list the recommendation cache has not seen.
      clock.now = NOW + serving.liveCatalogue.ttlMs;
      const withinTtl = await service.forShopper('alice', userOptions({ count: '2' }));
      clock.now = NOW + serving.liveCatalogue.ttlMs + 1;
      const afterTtl = await service.forShopper('alice', userOptions({ count: '3' }));

      // Assess
      expect(idsOf(withinTtl)).toEqual(['sku-gone', 'sku-b']);
      expect(idsOf(afterTtl)).toEqual(['sku-b', 'sku-a', 'sku-d']);
    });

    it('returns the model list after one catalogue read for all its candidates', async () => {
      // Prepare
      const model = fakeModel(modelAnswer(MODEL_LIST.slice(1)));
      const store = new MemoryFeatureStore();
      await seedShop(store);
      const getEntries = vi.spyOn(store, 'getEntries');
      const { service } = makeFixture(ServingService, { model: model.client, store });

      // Act
      await service.forShopper('alice', userOptions());

      // Assess
      expect(getEntries.mock.calls).toEqual([[['sku-b', 'sku-a', 'sku-d']]]);
    });

    it('returns a degraded list and counts a feature store failure, not the model, when the catalogue read fails', async () => {
      // Prepare
      const model = fakeModel(modelAnswer(MODEL_LIST.slice(1)));
      const store = new MemoryFeatureStore();
      await seedShop(store);
      vi.spyOn(store, 'getEntries').mockRejectedValueOnce(new Error('ProvisionedThroughputExceededException'));
      const { service, onError } = makeFixture(ServingService, { model: model.client, store });

      // Act
      const served = await service.forShopper('alice', userOptions());

      // Assess
      expect(served.body.degraded).toBe(true);
      expect(onError.mock.calls.map(([dependency, error]) => [dependency, (error as Error).name])).toEqual([
        ['feature store', 'FeatureStoreReadError'],
      ]);
      expect(fallbackMetric('feature store', onError.mock.calls[0]?.[1])).toBe('FeatureStoreFailure');
    });
  });

  describe('Method: similarTo', () => {
    it('returns no deleted item, and sends the item’s live text with the request', async () => {
      // Prepare
      const model = fakeModel(modelAnswer(MODEL_LIST));
      const { store, service } = makeFixture(ServingService, { model: model.client });
      await seedShop(store);
      await store.putItems([
        catalogueItem('sku-new', {
          title: 'Trail shoe',
          description: 'Grippy sole',
          categories: ['shoes'],
          price: 80,
          attributes: { colour: 'green' },
        }),
      ]);

      // Act
      const served = await service.similarTo('sku-new', similarOptions({ count: '2', inStock: 'true' }));

      // Assess
      expect(model.requests()).toEqual([
        {
          similarTo: 'sku-new',
          count: 16,
          similarToText: {
            title: 'Trail shoe',
            description: 'Grippy sole',
            categories: ['shoes'],
            attributes: { colour: 'green' },
          },
        },
      ]);
      expect(served.body.items).toEqual([
        { itemId: 'sku-a', score: 0.7, reason: 'similar to sku-new' },
        { itemId: 'sku-d', score: 0.6, reason: 'similar to sku-new' },
      ]);
    });

    it('returns no text with the request for an item the live catalogue does not have', async () => {
      // Prepare
      const model = fakeModel(modelAnswer([{ itemId: 'sku-y', score: 1 }]));
      const { service } = makeFixture(ServingService, { model: model.client });

      // Act
      await service.similarTo('sku-x', similarOptions());

      // Assess
      expect(model.requests()).toEqual([{ similarTo: 'sku-x', count: 40 }]);
    });

    it('returns a notice for an item not in the catalogue or deleted, and none for a live one', async () => {
      // Prepare
      const { store, service } = makeFixture(ServingService);
      await seedShop(store);
      await store.putItems([catalogueItem('sku-gone')]);
      await store.deleteItem('sku-gone', NOW);

      // Act
      const [live, unknown, deleted] = [
        await service.similarTo('sku-a', similarOptions()),
        await service.similarTo('sku-never', similarOptions()),
        await service.similarTo('sku-gone', similarOptions()),
      ];

      // Assess
      expect(live.body).not.toHaveProperty('notice');
      expect(unknown.body.notice).toEqual({ reason: 'unknown_item', message: expect.stringContaining('sku-never') });
      expect(deleted.body.notice).toEqual({ reason: 'deleted_item', message: expect.stringContaining('sku-gone') });
    });

    it('returns the item itself never, even from the popularity top-up', async () => {
      // Prepare
      const model = fakeModel(
        modelAnswer([
          { itemId: 'sku-gone', score: 1 },
          { itemId: 'sku-b', score: 0.5 },
        ]),
      );
      const { store, service } = makeFixture(ServingService, { model: model.client });
      await seedShop(store);
      await store.putItems([catalogueItem('sku-gone')]);
      await store.deleteItem('sku-gone', NOW);
      await addActivity(store, 'sku-a', TODAY, { weight: 50 });

      // Act
      const served = await service.similarTo('sku-a', similarOptions({ count: '2' }));

      // Assess
      expect(idsOf(served)).toEqual(['sku-b', 'sku-d']);
    });
  });
});

describe('Class: LiveCatalogue', () => {
  describe('Method: entries', () => {
    it('returns entries and absences read once, reusing both for the TTL, and reads again after', async () => {
      // Prepare
      const store = new MemoryFeatureStore();
      await store.putItems([catalogueItem('sku-a')]);
      const getEntries = vi.spyOn(store, 'getEntries');
      const clock = { now: NOW };
      const live = new LiveCatalogue(store, { now: () => clock.now }, { ttlMs: 1_000, maxEntries: 10 });

      // Act
      const first = await live.entries(['sku-a', 'sku-x']);
      const reused = await live.entries(['sku-x', 'sku-a']);
      clock.now += 1_001;
      await live.entries(['sku-a', 'sku-x', 'sku-y']);

      // Assess
      expect(first.get('sku-a')).toMatchObject({ itemId: 'sku-a' });
      expect(first.has('sku-x') && first.get('sku-x') === undefined).toBe(true);
      expect(reused).toEqual(first);
      expect(getEntries.mock.calls).toEqual([[['sku-a', 'sku-x']], [['sku-a', 'sku-x', 'sku-y']]]);
    });
  });
});
