/**
 * Shared set-up of the ServingService tests: a MemoryFeatureStore filled through its write
 * methods, a GuardedCache over the in-process LRU, an optional fake model behind a real
 * ModelGateway, a settable clock and predictable recommendation ids.
 */
import { expect, vi } from 'vitest';
import { MemoryRecommendationCache } from '#shared/adapters/memoryCache.ts';
import { MemoryFeatureStore } from '#shared/adapters/memoryFeatureStore.ts';
import { dayBucket, trendIncrement } from '#shared/features/applyEvents.ts';
import { emptyProfile } from '#shared/features/profile.ts';
import type {
  CatalogueItem,
  ItemActivity,
  ModelClient,
  ModelRequest,
  ModelResponse,
  RecentItem,
  RecommendationCache,
  ShopperProfile,
} from '#shared/ports/index.ts';
import { GuardedCache, ModelGateway } from '#shared/serving/guards.ts';
import {
  parseListOptions,
  SIMILAR_PARAMETERS,
  TRENDING_PARAMETERS,
  USER_LIST_PARAMETERS,
  type ListOptions,
} from '#shared/serving/params.ts';
import type { ServingDeps, ServingService } from '#shared/serving/service.ts';

export const NOW = Date.parse('2025-03-10T12:00:00.000Z');
export const HOUR_MS = 60 * 60 * 1000;
export const DAY_MS = 24 * HOUR_MS;
export const TODAY = dayBucket(NOW);
export const YESTERDAY = dayBucket(NOW - DAY_MS);
export const TWO_DAYS_AGO = dayBucket(NOW - 2 * DAY_MS);
export const FALLBACK_VERSION = 'popularity-v1';
/** Small enough that a slow fake model costs the test little. */
export const MODEL_BUDGET_MS = 20;

export const userOptions = (query: Record<string, string> = {}): ListOptions =>
  parseListOptions(query, USER_LIST_PARAMETERS);
export const similarOptions = (query: Record<string, string> = {}): ListOptions =>
  parseListOptions(query, SIMILAR_PARAMETERS);
export const trendingOptions = (query: Record<string, string> = {}): ListOptions =>
  parseListOptions(query, TRENDING_PARAMETERS);

let sequence = 0;

/** Adds one contribution to an item's day bucket (a fresh sequence number every time). */
export async function addActivity(
  store: MemoryFeatureStore,
  itemId: string,
  day: string,
  value: Partial<ItemActivity>,
): Promise<void> {
  sequence += 1;
  await store.applyItemActivity('shard-0', {
    itemId,
    day,
    contributions: [{ sequenceNumber: String(sequence), value: { weight: 0, trend: 0, ...value } }],
  });
}

/** An event of `weight` on `itemId` at `at`, as the processor counts it (popularity and trend). */
export const addEvent = (store: MemoryFeatureStore, itemId: string, weight: number, at: number) =>
  addActivity(store, itemId, dayBucket(at), { weight, trend: trendIncrement(weight, at) });

/** Writes a shopper's profile over whatever is stored, bumping its feature version. */
export async function writeProfile(
  store: MemoryFeatureStore,
  shopperKey: string,
  profile: Partial<ShopperProfile>,
): Promise<void> {
  const current = await store.readShopper(shopperKey);
  const written = await store.writeShopper(shopperKey, {
    profile: { ...emptyProfile, ...profile },
    expectedVersion: current?.featureVersion ?? 0,
    expiresAt: Math.floor(NOW / 1000) + 3600,
  });
  if (!written) throw new Error(`could not write ${shopperKey}`);
}

export const recent = (itemId: string, overrides: Partial<RecentItem> = {}): RecentItem => ({
  itemId,
  type: 'view',
  at: NOW - HOUR_MS,
  weight: 1,
  purchased: false,
  ...overrides,
});

export const catalogueItem = (itemId: string, overrides: Partial<CatalogueItem> = {}): CatalogueItem => ({
  itemId,
  categories: [],
  inStock: true,
  updatedAt: NOW - DAY_MS,
  ...overrides,
});

/**
 * The standard shop: today a 10, b 6, c 2; yesterday d 14, b 4 (half weight: d 7, b +2); two
 * days ago e 100 (outside the popularity window). Ranked: a 10, b 8, d 7, c 2.
 * Catalogue: a shoes 50 in stock, b shoes 120 sold out, d hats 20 in stock; c is unknown.
 */
export async function seedShop(store: MemoryFeatureStore): Promise<void> {
  await addActivity(store, 'sku-a', TODAY, { weight: 10 });
  await addActivity(store, 'sku-b', TODAY, { weight: 6 });
  await addActivity(store, 'sku-c', TODAY, { weight: 2 });
  await addActivity(store, 'sku-d', YESTERDAY, { weight: 14 });
  await addActivity(store, 'sku-b', YESTERDAY, { weight: 4 });
  await addActivity(store, 'sku-e', TWO_DAYS_AGO, { weight: 100 });
  await store.putItems([
    catalogueItem('sku-a', { categories: ['shoes'], price: 50, inStock: true }),
    catalogueItem('sku-b', { categories: ['shoes'], price: 120, inStock: false }),
    catalogueItem('sku-d', { categories: ['hats'], price: 20, inStock: true }),
  ]);
}

/** A fake model: `invoke` is a spy; by default it answers an empty list. */
export function fakeModel(impl?: ModelClient['invoke']) {
  const invoke = vi.fn<ModelClient['invoke']>(impl ?? (async () => ({ modelVersion: 'hybrid-test', items: [] })));
  const requests = (): ModelRequest[] => invoke.mock.calls.map(([request]) => request);
  return { client: { invoke } satisfies ModelClient, invoke, requests };
}

export const modelAnswer = (items: ModelResponse['items'], modelVersion = 'hybrid-test') =>
  (async () => ({ modelVersion, items })) satisfies ModelClient['invoke'];

/** A model that only answers by rejecting with the abort reason once its signal is aborted. */
export const slowModel: ModelClient['invoke'] = (_request, signal) =>
  new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason as Error)));

export const failingModel: ModelClient['invoke'] = async () => {
  throw new Error('ModelError: the endpoint answered 500');
};

export interface Fixture {
  readonly store: MemoryFeatureStore;
  readonly service: ServingService;
  readonly clock: { now: number };
  readonly onError: ReturnType<typeof vi.fn<NonNullable<ServingDeps['onError']>>>;
  readonly gateway?: ModelGateway;
}

const gateways: ModelGateway[] = [];

/** Stops every breaker made by {@link makeFixture}; call in afterEach. */
export function shutdownGateways(): void {
  for (const gateway of gateways.splice(0)) gateway.shutdown();
}

/**
 * A ServingService over a fresh store. `Service` is the class under test.
 */
export function makeFixture(
  Service: typeof ServingService,
  options: {
    model?: ModelClient;
    gateway?: { budgetMs?: number; failureThreshold?: number; resetMs?: number };
    cache?: RecommendationCache;
    store?: MemoryFeatureStore;
    liveModel?: ServingDeps['liveModel'];
  } = {},
): Fixture {
  const store = options.store ?? new MemoryFeatureStore();
  const clock = { now: NOW };
  const onError = vi.fn<NonNullable<ServingDeps['onError']>>();
  let ids = 0;
  const gateway = options.model
    ? new ModelGateway(options.model, { budgetMs: MODEL_BUDGET_MS, resetMs: 60_000, ...options.gateway })
    : undefined;
  if (gateway) gateways.push(gateway);
  const service = new Service({
    features: store,
    cache: new GuardedCache(options.cache ?? new MemoryRecommendationCache(), (error) => onError('cache', error)),
    ...(gateway ? { model: gateway } : {}),
    log: store,
    clock: { now: () => clock.now },
    newId: () => `rec-${++ids}`,
    fallbackVersion: FALLBACK_VERSION,
    onError,
    ...(options.liveModel ? { liveModel: options.liveModel } : {}),
  });
  return { store, service, clock, onError, ...(gateway ? { gateway } : {}) };
}

/** The item ids of a served list, in order. */
export const idsOf = (served: { body: { items: readonly { itemId: string }[] } }) =>
  served.body.items.map((item) => item.itemId);

/** The id of an answer served from the cached list `listId`: that id, a dot, and a suffix of its own. */
export const answerOf = (listId: string) =>
  expect.stringMatching(new RegExp(`^${listId.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.[^.]+$`));
