import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api } from '#shared/config/index.ts';
import type { LocalStack } from '#local/stack.ts';
import { startFreshStack, drained } from './freshStack.ts';
import {
  createRecoClient,
  memoryStorage,
  RecoApiError,
  type DeliveryNotice,
  type RecoClient,
  type RejectedEvent,
} from '../../sdk/index.ts';

/*
 * The storefront SDK against the real local stack (real handlers, stand-ins for DynamoDB and
 * Kinesis), through the real global fetch.
 */

let stack: LocalStack;
const run = `sdk${Date.now().toString(36)}`;
const hot = `${run}-hot`;
const warm = `${run}-warm`;
const clients: RecoClient[] = [];

/** What a shop's backend does for its page: mints a user token through the server API, signed with SigV4. */
async function userTokenFor(userId: string): Promise<string> {
  const response = await stack.serverFetch(api.routes.userTokens, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ userId }),
  });
  const body = (await response.json()) as { token?: string };
  if (!response.ok || typeof body.token !== 'string') {
    throw new Error(`minting a token for ${userId}: ${response.status} ${JSON.stringify(body)}`);
  }
  return body.token;
}

/** A shopper's client on its own storage (so its own anonymous id), flushed only on demand. */
function shopper(
  options: {
    endpoint?: string;
    apiKey?: string;
    userToken?: string;
    onTokenExpired?: () => Promise<string>;
    onRejected?: (r: readonly RejectedEvent[]) => void;
  } = {},
) {
  const notices: { error: Error; notice: DeliveryNotice }[] = [];
  const { apiKey = stack.apiKey, endpoint = stack.url, ...rest } = options;
  const client = createRecoClient({
    endpoint,
    apiKey,
    storage: memoryStorage(),
    flushIntervalMs: 60_000,
    onError: (error, notice) => notices.push({ error, notice }),
    ...rest,
  });
  clients.push(client);
  return { client, notices };
}

beforeAll(async () => {
  stack = await startFreshStack('sdk-integration-key', 'reco-sdk-');
});

afterAll(async () => {
  for (const client of clients) await client.close();
  await stack?.stop();
});

describe('SDK against the local stack', () => {
  it('delivers tracked events, which then shape recommendations, trending, similar items and rankings', async () => {
    // Prepare
    const shoppers = Array.from({ length: 6 }, () => shopper().client);
    const before = stack.stats.eventsAccepted;
    // Act
    shoppers.forEach((client, i) => {
      client.track.view(hot);
      if (i < 2) client.track.view(warm);
    });
    shoppers[0]?.track.addToCart(hot, { quantity: 1, price: 12.5, currency: 'EUR' });
    shoppers[1]?.track.search('red shoes');
    const results = await Promise.all(shoppers.map((client) => client.flush()));
    await drained(stack);
    const me = shopper().client;
    me.identify(`${run}-user`, { userToken: await userTokenFor(`${run}-user`) });
    await me.flush();
    await drained(stack);
    const personal = await me.recommendations({ count: 2 });
    const trending = await me.trending({ count: 5, window: '24h' });
    const similar = await me.similar(hot, { count: 3 });
    const ranked = await me.rank([warm, `${run}-unknown`, hot]);
    // Assess
    expect(results.reduce((sum, r) => sum + r.accepted, 0)).toBe(10);
    expect(results.every((r) => r.pending === 0 && r.rejected.length === 0 && r.dropped === 0)).toBe(true);
    expect(stack.stats.eventsAccepted - before).toBe(11);
    expect(personal).toMatchObject({ degraded: false, recommendationId: expect.any(String) });
    expect(personal.items.map((i) => i.itemId)).toEqual([hot, warm]);
    expect(['HIT', 'MISS', 'BYPASS']).toContain(personal.cache);
    expect(trending.items[0]?.itemId).toBe(hot);
    expect(similar).toMatchObject({ recommendationId: expect.any(String), modelVersion: expect.any(String) });
    expect(Array.isArray(similar.items)).toBe(true);
    expect(ranked.items.map((i) => i.itemId)).toEqual([hot, warm, `${run}-unknown`]);
  });

  it('sends attribution clicks and reports events the API rejects, with their reason', async () => {
    // Prepare
    const rejected: RejectedEvent[] = [];
    const { client, notices } = shopper({ onRejected: (list) => rejected.push(...list) });
    const list = await client.trending({ count: 1 });
    // Act
    client.trackRecommendationClick(list.recommendationId, hot);
    const stale = client.track.view(hot, { timestamp: Date.now() - 8 * 24 * 60 * 60 * 1000 });
    const result = await client.flush();
    // Assess
    expect(result).toMatchObject({ accepted: 1, pending: 0, dropped: 0 });
    expect(rejected.map((r) => [r.event.eventId, r.reason, r.field])).toEqual([
      [stale, 'timestamp_too_old', 'timestamp'],
    ]);
    expect(notices).toEqual([]);
  });

  it('turns a bad API key into RecoApiError 403 for reads, and a configuration-error notice for writes', async () => {
    // Prepare
    const { client, notices } = shopper({ apiKey: 'not-the-key' });
    // Act
    const error = await client.recommendations().catch((e: unknown) => e);
    client.track.view(hot);
    const result = await client.flush();
    // Assess
    expect(error).toBeInstanceOf(RecoApiError);
    expect(error).toMatchObject({ status: 403, reason: 'invalid_api_key' });
    expect(result).toMatchObject({ accepted: 0, dropped: 1, pending: 0 });
    expect(notices.map((n) => [n.notice.kind, (n.error as RecoApiError).status])).toEqual([
      ['configuration_error', 403],
    ]);
  });
  it('reports a wrong route as a configuration error once, and refuses an endpoint ending in /v1 up front', async () => {
    // Prepare
    const { client, notices } = shopper({ endpoint: `${stack.url}/not-a-stage` });
    // Act
    client.track.view(hot);
    const result = await client.flush();
    // Assess
    expect(result).toMatchObject({ accepted: 0, dropped: 1, pending: 0 });
    expect(notices.map((n) => [n.notice.kind, (n.error as RecoApiError).status])).toEqual([
      ['configuration_error', 404],
    ]);
    expect(() => shopper({ endpoint: `${stack.url}/v1` })).toThrow(/endpoint must not end in \/v1/);
  });

  it('refreshes an expired user token through onTokenExpired and delivers the same events, then reads as the user', async () => {
    // Prepare
    const user = `${run}-returning`;
    const expired = (await stack.mintUserToken(user, 0)).token;
    let refreshes = 0;
    const { client, notices } = shopper({
      userToken: expired,
      onTokenExpired: async () => {
        refreshes += 1;
        return userTokenFor(user);
      },
    });
    const before = stack.stats.eventsAccepted;
    // Act
    client.identify(user);
    client.track.view(hot);
    const result = await client.flush();
    const list = await client.recommendations({ count: 2 });
    // Assess
    expect(result).toMatchObject({ accepted: 2, rejected: [], dropped: 0, pending: 0 });
    expect(stack.stats.eventsAccepted - before).toBe(2);
    expect(refreshes).toBe(1);
    expect(notices).toEqual([]);
    expect(list).toMatchObject({ recommendationId: expect.any(String) });
  });

  it('keeps events queued and rejects reads with 401 invalid_user_token when an expired token cannot be renewed', async () => {
    // Prepare
    const user = `${run}-stale`;
    const { client, notices } = shopper({ userToken: (await stack.mintUserToken(user, 0)).token });
    // Act
    client.identify(user);
    const result = await client.flush();
    const error = await client.recommendations().catch((e: unknown) => e);
    // Assess
    expect(result).toMatchObject({ accepted: 0, dropped: 0, pending: 1 });
    expect(
      notices.map((n) => [n.notice.kind, (n.error as RecoApiError).status, (n.error as RecoApiError).reason]),
    ).toEqual([['user_token_expired', 401, 'invalid_user_token']]);
    expect(error).toBeInstanceOf(RecoApiError);
    expect(error).toMatchObject({ status: 401, reason: 'invalid_user_token' });
  });
});
