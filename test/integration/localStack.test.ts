import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiLimits, envVars } from '#shared/config/index.ts';
import { InlineErasureHashKey } from '#shared/adapters/erasureHashKey.ts';
import { ErasureHasher } from '#shared/privacy/erasureHash.ts';
import { erasedShopperHashes } from '#shared/privacy/erasureLog.ts';
import type { LocalStack } from '#local/stack.ts';
import { startFreshStack, drained } from './freshStack.ts';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoFeatureStore } from '#shared/adapters/dynamoFeatureStore.ts';
import { interactionsCsv, readLakeEvents } from '#shared/lake/trainingExport.ts';

/*
 * The real handlers, the real AWS SDK clients and the real wire protocols, on in-process
 * stand-ins: events posted over HTTP change features in DynamoDB and then recommendations. The
 * pipeline is driven as the shop's backend drives it, on the server API (SigV4), which may act for
 * any shopper; the storefront's own rules are test/integration/access.test.ts's.
 */

let stack: LocalStack;
const headers = () => ({ 'x-api-key': stack.apiKey, 'content-type': 'application/json' });
const json = { 'content-type': 'application/json' };
const run = `r${Date.now().toString(36)}`;
let counter = 0;

const view = (userId: string, itemId: string) => ({
  eventId: `${run}-${++counter}`,
  type: 'view',
  userId,
  itemId,
  timestamp: Date.now(),
});

async function postEvents(events: unknown[]) {
  const response = await stack.serverFetch('/v1/events', {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ events }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function recommendations(userId: string, query = '') {
  const response = await stack.serverFetch(`/v1/users/${encodeURIComponent(userId)}/recommendations${query}`);
  return { status: response.status, body: (await response.json()) as { items: { itemId: string }[]; reason?: string } };
}

beforeAll(async () => {
  stack = await startFreshStack('integration-key', 'reco-int-');
});

afterAll(async () => {
  await stack?.stop();
});

describe('Local stack: events → features → recommendations', () => {
  it('answers an unknown shopper with 200 and no error before any traffic', async () => {
    // Act
    const { status, body } = await recommendations('nobody-yet');
    // Assess
    expect(status).toBe(200);
    expect(body).toMatchObject({ degraded: false, items: [] });
  });

  it('ranks an item first once shoppers view it most, and stops recommending it to its buyer', async () => {
    // Prepare
    const hot = `${run}-hot`;
    const warm = `${run}-warm`;
    const events = [
      ...Array.from({ length: 12 }, (_, i) => view(`shopper-${i}`, hot)),
      ...Array.from({ length: 5 }, (_, i) => view(`shopper-${i}`, warm)),
    ];
    // Act
    const posted = await postEvents(events);
    await drained(stack);
    const before = await recommendations('buyer', '?count=2');
    await postEvents([
      {
        eventId: `${run}-buy`,
        type: 'purchase',
        userId: 'buyer',
        itemId: hot,
        quantity: 1,
        price: 19.9,
        currency: 'EUR',
        timestamp: Date.now(),
      },
    ]);
    await drained(stack);
    const buyerAfter = await recommendations('buyer', '?count=2');
    const otherAfter = await recommendations('someone-else', '?count=2');
    // Assess
    expect(posted).toEqual({ status: 200, body: { accepted: 17, rejected: [] } });
    expect(before.body.items.map((i) => i.itemId)).toEqual([hot, warm]);
    expect(buyerAfter.body.items.map((i) => i.itemId)).not.toContain(hot);
    expect(otherAfter.body.items[0]?.itemId).toBe(hot);
  });

  it('accepts the valid events of a mixed batch and names the field of each rejected one', async () => {
    // Prepare
    const good = view('mixed', `${run}-m`);
    // Act
    const { status, body } = await postEvents([
      good,
      { ...view('mixed', 'x'), itemID: 'typo' },
      { ...view('mixed', 'y'), timestamp: 'yesterday' },
    ]);
    // Assess
    expect(status).toBe(200);
    expect(body.accepted).toBe(1);
    expect(body.rejected).toEqual([
      expect.objectContaining({ index: 1, reason: 'unknown_field', field: 'itemID' }),
      expect.objectContaining({ index: 2, reason: 'invalid_field', field: 'timestamp' }),
    ]);
  });
});

describe('Local stack: bad requests', () => {
  it.each([
    ['no key', {}, 'invalid_api_key'],
    ['a wrong key', { 'x-api-key': 'nope' }, 'invalid_api_key'],
  ])('rejects %s with 403', async (_label, extraHeaders, reason) => {
    // Act
    const response = await fetch(`${stack.url}/v1/users/u1/recommendations`, { headers: extraHeaders });
    // Assess
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ reason });
  });

  it('serves health without a key', async () => {
    const response = await fetch(`${stack.url}/v1/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'ok' });
  });

  it.each([
    ['invalid JSON', '{"events": [', 400, 'invalid_json'],
    ['an empty body', '', 400, 'empty_body'],
    ['no events array', '{"event": []}', 400, 'missing_events'],
    [
      'too many events',
      JSON.stringify({ events: Array.from({ length: apiLimits.maxEventsPerRequest + 1 }, () => ({})) }),
      413,
      'too_many_events',
    ],
    [
      'a body over the limit',
      JSON.stringify({ events: [], pad: 'x'.repeat(apiLimits.maxBodyBytes) }),
      413,
      'body_too_large',
    ],
  ])('rejects %s on POST /v1/events', async (_label, body, status, reason) => {
    // Prepare
    const acceptedBefore = stack.stats.eventsAccepted;
    // Act
    const response = await fetch(`${stack.url}/v1/events`, { method: 'POST', headers: headers(), body });
    // Assess
    expect(response.status).toBe(status);
    expect(await response.json()).toMatchObject({ reason });
    expect(stack.stats.eventsAccepted).toBe(acceptedBefore);
  });

  it.each([
    ['0', 'invalid_count'],
    ['1000', 'invalid_count'],
    ['abc', 'invalid_count'],
  ])('rejects count=%s', async (count, reason) => {
    const { status, body } = await recommendations('u1', `?count=${count}`);
    expect(status).toBe(400);
    expect(body.reason).toBe(reason);
  });

  it('rejects a userId over the id length limit', async () => {
    const { status, body } = await recommendations('u'.repeat(apiLimits.maxIdChars + 1));
    expect(status).toBe(400);
    expect(body.reason).toBe('invalid_user_id');
  });

  it('answers 404 route_not_found for an unknown route and for a wrong method, as the storefront API does', async () => {
    const missing = await fetch(`${stack.url}/v1/nothing`, { headers: headers() });
    const wrongMethod = await fetch(`${stack.url}/v1/events`, { headers: headers() });
    expect([missing.status, wrongMethod.status]).toEqual([404, 404]);
    expect(await wrongMethod.json()).toMatchObject({ reason: 'route_not_found' });
  });
});

describe('Local stack: catalogue, identity and erasure', () => {
  const store = () =>
    new DynamoFeatureStore(
      new DynamoDBClient({
        endpoint: stack.standIns.dynamodbEndpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      }),
      stack.names.table,
    );

  async function send(method: string, path: string, body?: unknown) {
    const response = await stack.serverFetch(path, {
      method,
      headers: json,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  it('upserts catalogue items, rejects bad ones by field, and deletes any id, again or never upserted, with a 200', async () => {
    // Act
    const put = await send('PUT', '/v1/items', {
      items: [
        {
          itemId: `${run}-pan`,
          title: 'Cast iron pan',
          categories: ['kitchen', 'cookware'],
          price: 39.9,
          currency: 'EUR',
        },
        { itemId: `${run}-bad`, categories: 'kitchen' },
        { itemId: `${run}-typo`, titel: 'x' },
      ],
    });
    const stored = await store().getItems([`${run}-pan`]);
    const deleted = await send('DELETE', `/v1/items/${run}-pan`);
    const deletedAgain = await send('DELETE', `/v1/items/${run}-pan`);
    const neverUpserted = await send('DELETE', `/v1/items/${run}-csv-only`);
    const tombstones = await store().getEntries([`${run}-pan`, `${run}-csv-only`]);
    // Assess
    expect(put.status).toBe(200);
    expect(put.body.upserted).toBe(1);
    expect(put.body.rejected).toEqual([
      expect.objectContaining({ index: 1, reason: 'invalid_field', field: 'categories' }),
      expect.objectContaining({ index: 2, reason: 'unknown_field', field: 'titel' }),
    ]);
    expect(stored.get(`${run}-pan`)).toMatchObject({ categories: ['kitchen', 'cookware'], inStock: true });
    expect([deleted.status, deletedAgain.status, neverUpserted.status]).toEqual([200, 200, 200]);
    expect([deleted.body, deletedAgain.body, neverUpserted.body]).toEqual([
      { itemId: `${run}-pan`, deleted: true, wasLive: true },
      { itemId: `${run}-pan`, deleted: true, wasLive: false },
      { itemId: `${run}-csv-only`, deleted: true, wasLive: false },
    ]);
    expect(Object.fromEntries(tombstones)).toEqual({
      [`${run}-pan`]: { itemId: `${run}-pan`, deleted: true, deletedAt: expect.any(Number) },
      [`${run}-csv-only`]: { itemId: `${run}-csv-only`, deleted: true, deletedAt: expect.any(Number) },
    });
  });

  it('builds category affinities from the catalogue and stitches an anonymous history on identify', async () => {
    // Prepare
    const anonymousId = `${run}-anon`;
    const userId = `${run}-signed-in`;
    await send('PUT', '/v1/items', { items: [{ itemId: `${run}-tent`, categories: ['outdoor'] }] });
    // Act
    await postEvents([
      { eventId: `${run}-a1`, type: 'view', anonymousId, itemId: `${run}-tent`, timestamp: Date.now() },
    ]);
    await drained(stack);
    await postEvents([{ eventId: `${run}-a2`, type: 'identify', userId, anonymousId, timestamp: Date.now() }]);
    await drained(stack);
    // Assess
    const profile = (await store().readShopper(`u:${userId}`))?.profile;
    expect(profile?.recentItems.map((r) => r.itemId)).toEqual([`${run}-tent`]);
    expect(profile?.categoryAffinities.outdoor?.score).toBeGreaterThan(0);
    expect(await store().aliasesOf(`u:${userId}`)).toEqual([`a:${anonymousId}`]);
  });

  it('merges every anonymous view on sign-in, sent with the identify in one request or back to back', async () => {
    // Prepare: the view (key a:…) and the identify (key u:…) land on either of the 2 shards.
    const browsed = `${run}-browsed`;
    const shoppers = Array.from({ length: 24 }, (_, i) => ({
      anonymousId: `${run}-visitor-${i}`,
      userId: `${run}-member-${i}`,
      together: i % 2 === 0,
    }));
    const eventsOf = (s: (typeof shoppers)[number]) => [
      {
        eventId: `${s.anonymousId}-v`,
        type: 'view',
        anonymousId: s.anonymousId,
        itemId: browsed,
        timestamp: Date.now(),
      },
      {
        eventId: `${s.anonymousId}-i`,
        type: 'identify',
        userId: s.userId,
        anonymousId: s.anonymousId,
        timestamp: Date.now(),
      },
    ];
    // Act
    await Promise.all(
      shoppers.map(async (s) => {
        const [viewed, identified] = eventsOf(s);
        if (s.together) return postEvents([viewed, identified]);
        await postEvents([viewed]);
        return postEvents([identified]);
      }),
    );
    await drained(stack);
    // Assess
    const merged = await Promise.all(
      shoppers.map(async (s) => (await store().readShopper(`u:${s.userId}`))?.profile.recentItems.map((r) => r.itemId)),
    );
    expect(merged).toEqual(shoppers.map(() => [browsed]));
    const stranger = await recommendations(`${run}-stranger`, '?exclude=viewed&count=50');
    expect(stranger.body.items.map((i) => i.itemId)).toContain(browsed);
    const members = await Promise.all(shoppers.map((s) => recommendations(s.userId, '?exclude=viewed&count=50')));
    expect(members.filter((m) => m.body.items.some((i) => i.itemId === browsed))).toEqual([]);
  });

  it('erases a user with 202, drops their features, and leaves them out of the training export', async () => {
    // Prepare
    const userId = `${run}-leaving`;
    const other = `${run}-staying`;
    await postEvents([
      { eventId: `${run}-l1`, type: 'view', userId, itemId: `${run}-x`, timestamp: Date.now() },
      { eventId: `${run}-s1`, type: 'view', userId: other, itemId: `${run}-x`, timestamp: Date.now() },
    ]);
    await drained(stack);
    // Act
    const erased = await send('DELETE', `/v1/users/${userId}`);
    await waitFor(() => stack.dataLake.written >= stack.stats.eventsAccepted);
    const csv: string[] = [];
    const hasher = new ErasureHasher(new InlineErasureHashKey(process.env[envVars.erasureHashKey] ?? ''));
    const erasedHashes = await erasedShopperHashes(store(), hasher);
    for await (const line of interactionsCsv(
      readLakeEvents(stack.dataLake.root),
      erasedHashes,
      await hasher.hashFunction(),
    )) {
      csv.push(line);
    }
    // Assess
    expect(erased.status).toBe(202);
    expect(erased.body).toMatchObject({ userId, profilesErased: [`u:${userId}`], excludedFromTraining: true });
    expect((await store().readShopper(`u:${userId}`))?.profile.recentItems).toEqual([]);
    expect(csv.some((line) => line.startsWith(`${other},`))).toBe(true);
    expect(csv.some((line) => line.startsWith(`${userId},`))).toBe(false);
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(50);
  }
}

describe('Local stack: serving routes and attribution', () => {
  const store = () =>
    new DynamoFeatureStore(
      new DynamoDBClient({
        endpoint: stack.standIns.dynamodbEndpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      }),
      stack.names.table,
    );

  async function get(path: string) {
    const response = await stack.serverFetch(path);
    return {
      status: response.status,
      cache: response.headers.get('x-cache'),
      body: (await response.json()) as {
        recommendationId: string;
        modelVersion: string;
        items: { itemId: string; reason: string }[];
        degraded: boolean;
        reason?: string;
      },
    };
  }

  it('answers from the cache the second time, and misses after the shopper acts', async () => {
    // Prepare
    const shopper = `${run}-cached`;
    // Act
    const first = await get(`/v1/users/${shopper}/recommendations?count=3`);
    const second = await get(`/v1/users/${shopper}/recommendations?count=3`);
    await postEvents([view(shopper, `${run}-something`)]);
    await drained(stack);
    const third = await get(`/v1/users/${shopper}/recommendations?count=3`);
    // Assess
    expect([first.cache, second.cache, third.cache]).toEqual(['MISS', 'HIT', 'MISS']);
    expect(second.body.items).toEqual(first.body.items);
    // Its own answer id, naming the cached list it came from.
    expect(second.body.recommendationId).toMatch(new RegExp(`^${first.body.recommendationId}\\.[0-9a-f-]+$`));
  });

  it('serves similar items from co-occurrence, trending, and full rankings', async () => {
    // Prepare
    const session = `${run}-session`;
    const a = `${run}-boots`;
    const b = `${run}-socks`;
    await postEvents([
      { ...view(`${run}-hiker`, a), sessionId: session },
      { ...view(`${run}-hiker`, b), sessionId: session, timestamp: Date.now() + 1 },
    ]);
    await drained(stack);
    // Act
    const similar = await get(`/v1/items/${a}/similar?count=3`);
    const trending = await get('/v1/trending?window=1h&count=5');
    const ranking = await stack.serverFetch('/v1/rankings', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ userId: `${run}-hiker`, itemIds: ['never-seen', a, b] }),
    });
    const ranked = (await ranking.json()) as { items: { itemId: string }[] };
    // Assess
    expect(similar.status).toBe(200);
    expect(similar.body.items[0]).toEqual({ itemId: b, score: 1, reason: `viewed together with ${a}` });
    expect(trending.status).toBe(200);
    expect(trending.body.items.length).toBeGreaterThan(0);
    expect(ranking.status).toBe(200);
    expect(ranked.items.map((i) => i.itemId).sort()).toEqual(['never-seen', a, b].sort());
    expect(ranked.items.at(-1)?.itemId).toBe('never-seen');
  });

  it.each([
    ['/v1/users/u1/recommendations?exclude=everything', 'invalid_exclude'],
    ['/v1/users/u1/recommendations?colour=red', 'unknown_parameter'],
    ['/v1/trending?window=7d', 'invalid_window'],
    ['/v1/items/x/similar?count=1000', 'invalid_count'],
  ])('rejects %s with 400 %s', async (path, reason) => {
    const { status, body } = await get(path);
    expect(status).toBe(400);
    expect(body.reason).toBe(reason);
  });

  it('attributes a click and a purchase carrying the recommendationId to the model version and list kind', async () => {
    // Prepare
    const shopper = `${run}-attributed`;
    const served = await get(`/v1/users/${shopper}/recommendations?count=2`);
    const item = served.body.items[0]?.itemId ?? '';
    const common = {
      userId: shopper,
      itemId: item,
      recommendationId: served.body.recommendationId,
      timestamp: Date.now(),
    };
    // Act
    await postEvents([
      { ...common, eventId: `${run}-c1`, type: 'click' },
      { ...common, eventId: `${run}-p1`, type: 'purchase', quantity: 2, price: 12.5, currency: 'EUR' },
    ]);
    await drained(stack);
    const today = new Date().toISOString().slice(0, 10);
    const counts = await store().attribution(served.body.modelVersion, today, today);
    // Assess
    expect(item).not.toBe('');
    expect(counts.find((c) => c.kind === 'personal')?.counts).toMatchObject({ clicks: 1, purchases: 1, revenue: 25 });
  });
});
