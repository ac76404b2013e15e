import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { LocalStack } from '#local/stack.ts';
import { serving } from '#shared/config/index.ts';
import { drained, startFreshStack } from './freshStack.ts';

/*
 * Popularity lists through the local stack's HTTP API with no model deployed (a stack of its own:
 * the handlers' SDK clients and model endpoint are per process, so it cannot share one with a
 * model-backed stack): what the shop deletes leaves the next uncached list.
 */

const run = `lcb${Date.now().toString(36)}`;
let bare: LocalStack;

/** Views of each item by its own shoppers, `times` each, or by one shopper in one session; applied before it returns. */
async function viewed(itemIds: readonly string[], times: number, session?: string): Promise<void> {
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
  const response = await bare.serverFetch('/v1/events', { method: 'POST', body: JSON.stringify({ events }) });
  expect(response.status).toBe(200);
  await drained(bare);
}

/** Runs `read` once the live catalogue entries earlier lists read are past their reuse. */
async function afterReuse<T>(read: () => Promise<T>): Promise<T> {
  vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + serving.liveCatalogue.ttlMs + 1 });
  try {
    return await read();
  } finally {
    vi.useRealTimers();
  }
}

const ids = (served: { items: { itemId: string }[] }): string[] => served.items.map((item) => item.itemId);

describe('Local stack: popularity lists without a model on the live catalogue', () => {
  const kept = `${run}-bare-kept`;
  const gone = `${run}-bare-gone`;
  const shopper = `${run}-bare-shopper`;

  beforeAll(async () => {
    bare = await startFreshStack('live-catalogue-bare-key', 'reco-live-catalogue-bare-');
    const items = [kept, gone].map((itemId) => ({ itemId, categories: ['garden'], inStock: true }));
    const response = await bare.serverFetch('/v1/items', { method: 'PUT', body: JSON.stringify({ items }) });
    expect(response.status).toBe(200);
    await viewed([gone, kept], 3);
    await viewed([kept, gone], 1, `${run}-bare-session`);
  });

  afterAll(async () => {
    await bare?.stop();
  });

  const listOn = async (path: string): Promise<string[]> => {
    const response = await bare.serverFetch(path);
    expect(response.status).toBe(200);
    return ids((await response.json()) as { items: { itemId: string }[] });
  };

  it('returns personal, similar and trending lists without an item once DELETE /v1/items removed it', async () => {
    // Prepare: each list serves the item first.
    expect(await listOn(`/v1/users/${shopper}/recommendations?count=10`)).toContain(gone);
    expect(await listOn(`/v1/items/${kept}/similar?count=10`)).toContain(gone);
    expect(await listOn('/v1/trending?window=1h&count=10')).toContain(gone);

    // Act
    const response = await bare.serverFetch(`/v1/items/${gone}`, { method: 'DELETE' });
    const [personal, similar, trending] = await afterReuse(() =>
      Promise.all([
        listOn(`/v1/users/${shopper}/recommendations?count=9`),
        listOn(`/v1/items/${kept}/similar?count=9`),
        listOn('/v1/trending?window=1h&count=9'),
      ]),
    );

    // Assess
    expect(response.status).toBe(200);
    expect(personal).toContain(kept);
    expect(personal).not.toContain(gone);
    expect(similar).not.toContain(gone);
    expect(trending).toContain(kept);
    expect(trending).not.toContain(gone);
  });
});
