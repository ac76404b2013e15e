import { describe, expect, it } from 'vitest';
import { api } from '#shared/config/index.ts';
import { RecoApiError, RecoValidationError } from '../../../sdk/index.ts';
import { FakeFetch, listBody } from './fakes.ts';
import { API_KEY, ENDPOINT, setup } from './helpers.ts';

const ok = (headers: Record<string, string> = { [api.cacheStatusHeader]: 'MISS' }) => ({
  status: 200,
  body: listBody,
  headers,
});

describe('SDK reading: requests', () => {
  it('asks for the anonymous shopper until one is identified, then for the user', async () => {
    // Prepare
    const fake = new FakeFetch(() => ok());
    const { client } = setup({ fake });
    // Act
    await client.recommendations();
    client.identify('user/1', { userToken: 'token-user-1' });
    await client.recommendations();
    await client.recommendations({ userId: 'someone' });
    // Assess
    expect(fake.calls.map((c) => c.url)).toEqual([
      `${ENDPOINT}/v1/users/${client.anonymousId}/recommendations`,
      `${ENDPOINT}/v1/users/user%2F1/recommendations`,
      `${ENDPOINT}/v1/users/someone/recommendations`,
    ]);
    expect(fake.calls[0]?.init).toMatchObject({ method: 'GET', headers: { [api.apiKeyHeader]: API_KEY } });
  });

  it('builds the query string from the defined options only, encoded', async () => {
    // Prepare
    const fake = new FakeFetch(() => ok());
    const { client } = setup({ fake });
    // Act
    await client.recommendations({
      userId: 'u1',
      count: 5,
      category: 'shoes & bags',
      exclude: ['purchased', 'viewed'],
      minPrice: 10,
      maxPrice: 50.5,
      inStock: true,
    });
    await client.recommendations({ userId: 'u1', exclude: [] });
    await client.similar('sku 1', { count: 3, inStock: false });
    await client.trending({ count: 20, category: 'toys', window: '1h' });
    await client.trending();
    // Assess
    expect(fake.calls.map((c) => c.url.slice(ENDPOINT.length))).toEqual([
      '/v1/users/u1/recommendations?count=5&category=shoes%20%26%20bags&exclude=purchased%2Cviewed&minPrice=10&maxPrice=50.5&inStock=true',
      '/v1/users/u1/recommendations?exclude=',
      '/v1/items/sku%201/similar?count=3&inStock=false',
      '/v1/trending?count=20&category=toys&window=1h',
      '/v1/trending',
    ]);
  });

  it('posts rankings for the current shopper', async () => {
    // Prepare
    const fake = new FakeFetch(() => ok());
    const { client } = setup({ fake });
    client.identify('u9', { userToken: 'token-u9' });
    // Act
    await client.rank(['a', 'b']);
    await client.rank(['c'], { userId: 'other' });
    // Assess
    const posts = fake.calls.filter((c) => c.url.endsWith(api.routes.rankings));
    expect(posts.map((c) => [c.init.method, c.json])).toEqual([
      ['POST', { userId: 'u9', itemIds: ['a', 'b'] }],
      ['POST', { userId: 'other', itemIds: ['c'] }],
    ]);
  });

  it('returns the typed list with recommendationId, degraded and the cache status', async () => {
    // Prepare
    const fake = new FakeFetch().answer(ok({ 'X-Cache': 'HIT' }), ok({}));
    const { client } = setup({ fake });
    // Act
    const hit = await client.trending();
    const none = await client.trending();
    // Assess
    expect(hit).toEqual({ ...listBody, cache: 'HIT' });
    expect(none.cache).toBeUndefined();
  });
});

describe('SDK reading: errors', () => {
  it('maps an error answer to RecoApiError with status, reason and message', async () => {
    // Prepare
    const fake = new FakeFetch().answer({ status: 403, body: api.gatewayErrors.invalidApiKey });
    const { client } = setup({ fake });
    // Act
    const error = await client.recommendations().catch((e: unknown) => e);
    // Assess
    expect(error).toBeInstanceOf(RecoApiError);
    expect(error).toMatchObject({
      status: 403,
      reason: 'invalid_api_key',
      message: api.gatewayErrors.invalidApiKey.message,
      retryable: false,
    });
  });

  it('gives a generic reason for an error answer that is not JSON', async () => {
    // Prepare
    const fake = new FakeFetch().answer({ status: 502, body: '<html>Bad gateway</html>' });
    const { client } = setup({ fake });
    // Act
    const error = await client.similar('a').catch((e: unknown) => e);
    // Assess
    expect(error).toMatchObject({ status: 502, reason: 'http_502', retryable: true });
  });

  const invalid: [string, (c: ReturnType<typeof setup>['client']) => Promise<unknown>, string][] = [
    ['similar without itemId', (c) => c.similar(''), 'itemId'],
    ['similar with a blank itemId', (c) => c.similar('  '), 'itemId'],
    ['rank without an array', (c) => c.rank(undefined as never), 'itemIds'],
    ['a misspelled option', (c) => c.recommendations({ cuont: 3 } as never), 'cuont'],
    ['an option of another read', (c) => c.trending({ exclude: [] } as never), 'exclude'],
  ];

  it('leaves the values of filters to the API, whose 400 rejects the read with its reason and field', async () => {
    // Prepare
    const answer = { reason: 'invalid_field', message: 'count must be at most 100' };
    const fake = new FakeFetch().answer({ status: 400, body: answer });
    const { client } = setup({ fake });
    // Act
    const error = await client.trending({ count: 101 }).catch((e: unknown) => e);
    // Assess
    expect(fake.calls[0]?.url).toBe(`${ENDPOINT}/v1/trending?count=101`);
    expect(error).toBeInstanceOf(RecoApiError);
    expect(error).toMatchObject({ status: 400, reason: 'invalid_field', message: answer.message });
  });

  it.each(invalid)('rejects with RecoValidationError for %s, without a request', async (_, call, field) => {
    // Prepare
    const fake = new FakeFetch(() => ok());
    const { client } = setup({ fake });
    // Act
    let pending: Promise<unknown> | undefined;
    expect(() => {
      pending = call(client);
    }).not.toThrow();
    const error = await pending?.catch((e: unknown) => e);
    // Assess
    expect(error).toBeInstanceOf(RecoValidationError);
    expect((error as Error).message).toContain(field);
    expect(fake.calls).toHaveLength(0);
  });
});

describe('SDK client options', () => {
  it('refuses a missing endpoint or api key and a maxBatch over the API maximum', () => {
    // Act / Assess
    expect(() => setup({ endpoint: '' })).toThrow(/endpoint/);
    expect(() => setup({ apiKey: '' })).toThrow(/apiKey/);
    expect(() => setup({ maxBatch: 101 })).toThrow(/maxBatch must be a whole number from 1 to 100/);
  });

  it('refuses a timeoutMs a timer cannot hold (over 2^31 - 1 ms, where every request would time out at once)', () => {
    // Act / Assess
    expect(() => setup({ timeoutMs: 1e12 })).toThrow(/timeoutMs must be a whole number from 1 to 2147483647/);
  });

  it.each([
    ['without a scheme', 'api.example.com', /endpoint must be an http\(s\) URL with its scheme/],
    ['with another scheme', 'ftp://api.example.com', /endpoint must be an http\(s\) URL/],
    [
      'ending in /v1',
      'https://api.example.com/prod/v1/',
      /endpoint must not end in \/v1.*"https:\/\/api.example.com\/prod"/,
    ],
  ])('refuses an endpoint %s with a message saying what to pass', (_, endpoint, message) => {
    // Act / Assess
    expect(() => setup({ endpoint })).toThrow(message);
  });

  it('refuses a misspelled option name, as the API refuses unknown fields', () => {
    // Act / Assess
    expect(() => setup({ flushIntervalMS: 10 } as never)).toThrow(/createRecoClient: flushIntervalMS is not an option/);
  });
});
