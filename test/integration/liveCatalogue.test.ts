import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { LocalStack } from '#local/stack.ts';
import { startModelStack } from '../support/modelStack.ts';
import type { CatalogueItem, Interaction } from '#shared/recommender/model.ts';
import { api, serving } from '#shared/config/index.ts';
import { drained } from './freshStack.ts';

/*
 * Model-served lists through the local stack's HTTP API, with a model trained on a small shop:
 * what the shop changes in its live catalogue after training shows in the next uncached list.
 */

const run = `lc${Date.now().toString(36)}`;
const KITCHEN = ['knife', 'pan', 'whisk', 'kettle', 'grater', 'scale'].map((name) => `${run}-kitchen-${name}`);
const GARDEN = ['hose', 'rake', 'spade', 'gloves', 'shears', 'seeds'].map((name) => `${run}-garden-${name}`);
/** In the model's training catalogue, never upserted into the live one: a shop that loaded part of its catalogue. */
const NEVER_LOADED = GARDEN[5] as string;

const CATALOGUE: CatalogueItem[] = [
  ...KITCHEN.map((itemId, n) => ({
    itemId,
    title: `Kitchen ${itemId.split('-').pop() ?? ''}`,
    description: 'Cooking utensil: stainless steel, dishwasher safe, for baking and meals.',
    categories: ['kitchen'],
    price: 20 + n,
    inStock: true,
  })),
  ...GARDEN.map((itemId, n) => ({
    itemId,
    title: `Garden ${itemId.split('-').pop() ?? ''}`,
    description: 'Outdoor tool for soil, plants, lawn and flower beds.',
    categories: ['garden'],
    price: 10 + n,
    inStock: true,
  })),
];

/** Cooks view kitchen items, gardeners garden items, each four of six on a rotating window. */
function interactions(): Interaction[] {
  const all: Interaction[] = [];
  for (const [cluster, prefix] of [
    [KITCHEN, 'cook'],
    [GARDEN, 'gardener'],
  ] as const) {
    for (let s = 0; s < 10; s++) {
      for (let n = 0; n < 4; n++) {
        all.push({
          userId: `${run}-${prefix}-${s}`,
          itemId: cluster[(s + n) % cluster.length] as string,
          timestamp: 1_700_000_000 + s * 100 + n,
          eventType: 'view',
        });
      }
    }
  }
  return all;
}

let stack: LocalStack;

/** What the model itself answers, straight from its server. */
async function askModel(body: object): Promise<string[]> {
  const response = await fetch(`${stack.model?.url}/invocations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return ((await response.json()) as { items: { itemId: string }[] }).items.map((item) => item.itemId);
}

async function list(
  path: string,
): Promise<{ status: number; cache: string | null; items: { itemId: string; reason: string }[] }> {
  const response = await stack.serverFetch(path);
  const body = (await response.json()) as { items: { itemId: string; reason: string }[] };
  return { status: response.status, cache: response.headers.get(api.cacheStatusHeader), items: body.items };
}

async function putItems(items: readonly CatalogueItem[], on: LocalStack = stack): Promise<void> {
  const response = await on.serverFetch('/v1/items', { method: 'PUT', body: JSON.stringify({ items }) });
  expect(response.status).toBe(200);
}

/** Views of each item by its own shoppers, `times` each, in one session per shopper; applied before it returns. */
async function viewed(on: LocalStack, itemIds: readonly string[], times: number, session?: string): Promise<void> {
  const at = Date.now();
  const events = itemIds.flatMap((itemId, i) =>
    Array.from({ length: times }, (_, n) => ({
      eventId: `${run}-${itemId}-${n}-${session ?? 'v'}`,
      type: 'view',
      userId: session ?? `${run}-fan-${n}`,
      itemId,
      timestamp: at + i * times + n,
      ...(session === undefined ? {} : { sessionId: session }),
    })),
  );
  const response = await on.serverFetch('/v1/events', { method: 'POST', body: JSON.stringify({ events }) });
  expect(response.status).toBe(200);
  await drained(on);
}

/** How far the clock of {@link afterReuse} runs ahead: further on each call, so no later read reuses an earlier one. */
let skewMs = 0;

/** Runs `read` once the live catalogue entries earlier lists read are past their reuse. */
async function afterReuse<T>(read: () => Promise<T>): Promise<T> {
  skewMs += serving.liveCatalogue.ttlMs + 1;
  vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + skewMs });
  try {
    return await read();
  } finally {
    vi.useRealTimers();
  }
}

const ids = (served: { items: { itemId: string }[] }): string[] => served.items.map((item) => item.itemId);

beforeAll(async () => {
  // A model of the fixture's clusters: the stack serves it and records it live.
  stack = await startModelStack({
    name: 'live-catalogue',
    apiKey: 'live-catalogue-key',
    data: () => ({ interactions: interactions(), catalogue: CATALOGUE }),
  });
  await putItems(CATALOGUE.filter((item) => item.itemId !== NEVER_LOADED));
});

afterAll(async () => {
  await stack?.stop();
});

describe('Local stack: model lists on the live catalogue', () => {
  it('returns personal, similar and trending lists without an item once DELETE /v1/items removed it', async () => {
    // Prepare: an item the model ranks for the shopper and as similar to a garden item, and trending.
    const gardener = `${run}-gardener-1`;
    const ranked = await askModel({ userId: gardener, count: 10 });
    const deleted = ranked.find((itemId) => GARDEN.includes(itemId) && itemId !== NEVER_LOADED) as string;
    const anchor = GARDEN.find((itemId) => itemId !== deleted && itemId !== NEVER_LOADED) as string;
    expect(await askModel({ similarTo: anchor, count: 10 })).toContain(deleted);
    await viewed(stack, [deleted, anchor], 3);
    expect(ids(await list('/v1/trending?window=1h&count=20'))).toContain(deleted);

    // Act
    const response = await stack.serverFetch(`/v1/items/${deleted}`, { method: 'DELETE' });
    const [personal, similar, trending] = await afterReuse(() =>
      Promise.all([
        list(`/v1/users/${gardener}/recommendations?count=5`),
        list(`/v1/items/${anchor}/similar?count=5`),
        list('/v1/trending?window=1h&count=19'),
      ]),
    );

    // Assess
    expect(response.status).toBe(200);
    expect(personal.status).toBe(200);
    expect(personal.items.length).toBeGreaterThan(0);
    expect(personal.items.map((item) => item.itemId)).not.toContain(deleted);
    expect(similar.items.length).toBeGreaterThan(0);
    expect(similar.items.map((item) => item.itemId)).not.toContain(deleted);
    expect(ids(trending)).toEqual([anchor]);
  });

  it('returns a model item the live catalogue never had in a personal list', async () => {
    // Prepare: the model ranks it for the shopper.
    const gardener = `${run}-gardener-4`;
    expect(await askModel({ userId: gardener, count: 10 })).toContain(NEVER_LOADED);

    // Act
    const personal = await list(`/v1/users/${gardener}/recommendations?count=10`);

    // Assess
    expect(personal.status).toBe(200);
    expect(ids(personal)).toContain(NEVER_LOADED);
  });

  it('returns no item that the live catalogue has out of stock or over maxPrice under inStock=true&maxPrice=100', async () => {
    // Prepare
    const cook = `${run}-cook-2`;
    const ranked = await askModel({ userId: cook, count: 10, filters: { inStockOnly: true, maxPrice: 100 } });
    const changed = ranked[0] as string;
    const entry = CATALOGUE.find((item) => item.itemId === changed) as CatalogueItem;
    await putItems([{ ...entry, inStock: false, price: 999 }]);

    // Act
    const served = await afterReuse(() => list(`/v1/users/${cook}/recommendations?inStock=true&maxPrice=100`));

    // Assess
    expect(served.status).toBe(200);
    expect(served.items.length).toBeGreaterThan(0);
    expect(served.items.map((item) => item.itemId)).not.toContain(changed);
  });

  it('returns items similar to an item upserted after training from its own text, not popular ones', async () => {
    // Prepare
    const added = `${run}-kitchen-ladle`;
    await putItems([
      {
        itemId: added,
        title: 'Ladle',
        description: 'Stainless steel cooking utensil, dishwasher safe.',
        categories: [],
        price: 15,
        inStock: true,
      },
    ]);

    // Act
    const similar = await list(`/v1/items/${added}/similar?count=4`);

    // Assess
    expect(similar.status).toBe(200);
    expect(similar.items).toHaveLength(4);
    expect(similar.items.every((item) => KITCHEN.includes(item.itemId))).toBe(true);
    expect(similar.items.every((item) => item.reason === `similar to ${added}`)).toBe(true);
  });

  it('returns personal and similar lists without a model item the live catalogue never had once DELETE /v1/items tombstoned it', async () => {
    // Prepare: a shopper's list and a live garden item's similar list serve the item on the model's word. Last in
    // this file, since the delete takes the item out of every later list.
    const gardener = `${run}-gardener-7`;
    const personalBefore = await list(`/v1/users/${gardener}/recommendations?count=9`);
    let anchor: string | undefined;
    for (const candidate of GARDEN.filter((itemId) => itemId !== NEVER_LOADED)) {
      if (ids(await list(`/v1/items/${candidate}/similar?count=9`)).includes(NEVER_LOADED)) {
        anchor = candidate;
        break;
      }
    }
    expect(ids(personalBefore)).toContain(NEVER_LOADED);
    expect(anchor).toBeDefined();

    // Act
    const response = await stack.serverFetch(`/v1/items/${NEVER_LOADED}`, { method: 'DELETE' });
    const [personal, similar] = await afterReuse(() =>
      Promise.all([
        list(`/v1/users/${gardener}/recommendations?count=10`),
        list(`/v1/items/${anchor ?? ''}/similar?count=10`),
      ]),
    );

    // Assess
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ itemId: NEVER_LOADED, deleted: true, wasLive: false });
    // Computed afresh: MISS, or BYPASS when the cache missed its 20 ms budget on a loaded machine.
    expect([personal.status, similar.status]).toEqual([200, 200]);
    expect([personal.cache, similar.cache]).not.toContain('HIT');
    expect(personal.items.length).toBeGreaterThan(0);
    expect(ids(personal)).not.toContain(NEVER_LOADED);
    expect(similar.items.length).toBeGreaterThan(0);
    expect(ids(similar)).not.toContain(NEVER_LOADED);
  });
});
