import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '#local/stack.ts';
import { api } from '#shared/config/index.ts';
import { startFreshStack, drained } from './freshStack.ts';
import { createRecoClient, memoryStorage, RecoApiError, type FetchLike, type RecoClient } from '../../sdk/index.ts';

/*
 * CORS through the real local stack (local gateway, real handlers, stand-ins), as a browser on a
 * shop's page does it: a preflight OPTIONS with Origin and Access-Control-Request-*, then the
 * actual request with Origin, each answer checked the way the browser checks it. Two shop origins
 * are allowed, so listed origins are echoed (the `*` default is covered by the unit tests).
 */

const SHOP = 'https://shop.example';
const WWW = 'https://www.shop.example';
const EVIL = 'https://evil.example';

let stack: LocalStack;
const run = `cors${Date.now().toString(36)}`;
const clients: RecoClient[] = [];

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** One HTTP exchange with exactly these headers (node:http: `Origin` is a header like any other). */
function exchange(method: string, path: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  const url = new URL(path, stack.url);
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

const header = (answer: Answer, name: string): string | undefined => {
  const value = answer.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
};
const list = (value: string | undefined): string[] =>
  (value ?? '')
    .split(',')
    .map((item) => item.trim().toLowerCase())
    .filter((item) => item !== '');

/** Headers a browser lets a page read without Access-Control-Expose-Headers. */
const SAFELISTED_RESPONSE_HEADERS = [
  'cache-control',
  'content-language',
  'content-length',
  'content-type',
  'expires',
  'last-modified',
  'pragma',
];
/** Request headers that need no Access-Control-Allow-Headers (`accept`, as the SDK sends it). */
const SAFELISTED_REQUEST_HEADERS = ['accept'];

/** Whether a browser on `origin` accepts this answer to a preflight for `method` with `headers`. */
function preflightPasses(answer: Answer, origin: string, method: string, headers: readonly string[]): boolean {
  if (answer.status < 200 || answer.status > 299) return false;
  const allowOrigin = header(answer, 'access-control-allow-origin');
  if (allowOrigin !== '*' && allowOrigin !== origin) return false;
  if (!list(header(answer, 'access-control-allow-methods')).includes(method.toLowerCase())) return false;
  const allowed = list(header(answer, 'access-control-allow-headers'));
  return headers.every((name) => SAFELISTED_REQUEST_HEADERS.includes(name) || allowed.includes(name.toLowerCase()));
}

/** Whether a browser on `origin` lets the page read this answer. */
const readable = (answer: Answer, origin: string): boolean => {
  const allowOrigin = header(answer, 'access-control-allow-origin');
  return allowOrigin === '*' || allowOrigin === origin;
};

/** A browser's preflight headers for `method` with the API key header. */
function preflightHeaders(origin: string, method: string): Record<string, string> {
  return { origin, 'access-control-request-method': method, 'access-control-request-headers': api.apiKeyHeader };
}

/** A browser's preflight, then the actual request; `undefined` where the browser stops. */
async function browserRequest(
  origin: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<{ preflight: Answer; answer: Answer | undefined }> {
  const names = Object.keys(headers).map((name) => name.toLowerCase());
  const preflight = await exchange('OPTIONS', path, {
    origin,
    'access-control-request-method': method,
    'access-control-request-headers': names.filter((name) => !SAFELISTED_REQUEST_HEADERS.includes(name)).join(','),
  });
  if (!preflightPasses(preflight, origin, method, names)) return { preflight, answer: undefined };
  return { preflight, answer: await exchange(method, path, { ...headers, origin }, body) };
}

/**
 * The SDK's `fetch` as a browser on `origin` runs it: preflight, actual request, then only the
 * exposed and safelisted headers are readable, and an unreadable answer is a network error.
 */
function browserFetch(origin: string): FetchLike {
  return async (url, init) => {
    const { pathname, search } = new URL(url);
    const { preflight, answer } = await browserRequest(
      origin,
      init.method,
      `${pathname}${search}`,
      init.headers,
      init.body,
    );
    if (answer === undefined) throw new TypeError(`Failed to fetch (preflight ${preflight.status} refused)`);
    if (!readable(answer, origin)) throw new TypeError('Failed to fetch (CORS)');
    const exposed = [...SAFELISTED_RESPONSE_HEADERS, ...list(header(answer, 'access-control-expose-headers'))];
    return {
      status: answer.status,
      headers: {
        get: (name) => (exposed.includes(name.toLowerCase()) ? (header(answer, name.toLowerCase()) ?? null) : null),
      },
      text: async () => answer.body,
    };
  };
}

function browserClient(origin: string, apiKey = stack.apiKey): RecoClient {
  const client = createRecoClient({
    endpoint: stack.url,
    apiKey,
    fetch: browserFetch(origin),
    storage: memoryStorage(),
    flushIntervalMs: 60_000,
    retry: { maxRetries: 0, baseDelayMs: 1, maxDelayMs: 1 },
  });
  clients.push(client);
  return client;
}

beforeAll(async () => {
  stack = await startFreshStack('cors-integration-key', 'reco-cors-', { corsOrigins: [SHOP, WWW] });
});

afterAll(async () => {
  for (const client of clients) await client.close();
  await stack?.stop();
});

describe('CORS through the local stack: a page on a listed origin', () => {
  it('passes the preflight of POST /v1/events and reads the answer of the actual POST', async () => {
    // Act
    const { preflight, answer } = await browserRequest(
      SHOP,
      'POST',
      api.routes.events,
      { 'content-type': 'application/json', [api.apiKeyHeader]: stack.apiKey, accept: 'application/json' },
      JSON.stringify({
        events: [
          {
            eventId: crypto.randomUUID(),
            type: 'view',
            anonymousId: `${run}-a`,
            itemId: `${run}-item`,
            timestamp: new Date().toISOString(),
          },
        ],
      }),
    );

    // Assess
    expect(preflight.status).toBe(204);
    expect(preflight.headers).toMatchObject({
      'access-control-allow-origin': SHOP,
      vary: 'Origin',
      'access-control-max-age': String(api.cors.maxAgeSeconds),
    });
    expect(list(header(preflight, 'access-control-allow-headers'))).toEqual(
      expect.arrayContaining(['content-type', 'x-api-key']),
    );
    expect(answer?.status).toBe(200);
    expect(JSON.parse(answer?.body ?? '{}')).toMatchObject({ accepted: 1, rejected: [] });
    expect(answer?.headers).toMatchObject({ 'access-control-allow-origin': SHOP, vary: 'Origin' });
  });

  it('passes the preflight of GET recommendations and may read x-cache on the answer', async () => {
    // Prepare
    await drained(stack);
    const path = `/v1/users/${run}-a/recommendations?count=3`;
    const headers = { [api.apiKeyHeader]: stack.apiKey, accept: 'application/json' };

    // Act
    const first = await browserRequest(WWW, 'GET', path, headers);
    const second = await browserRequest(WWW, 'GET', path, headers);

    // Assess
    for (const { preflight, answer } of [first, second]) {
      expect(preflight.headers['access-control-allow-origin']).toBe(WWW);
      expect(answer?.status).toBe(200);
      expect(answer?.headers['access-control-allow-origin']).toBe(WWW);
      expect(list(header(answer as Answer, 'access-control-expose-headers'))).toContain(api.cacheStatusHeader);
      expect(['HIT', 'MISS', 'BYPASS']).toContain(answer?.headers[api.cacheStatusHeader]);
    }
  });

  it('lets the SDK track, read lists with their cache status and see API errors, as a browser would', async () => {
    // Prepare
    const reco = browserClient(SHOP);
    reco.track.view(`${run}-item`);

    // Act
    const flushed = await reco.flush();
    await drained(stack);
    const served = await reco.recommendations({ count: 3 });
    const trending = await reco.trending({ count: 3 });
    const badKey = await browserClient(SHOP, 'wrong-key')
      .recommendations({ count: 3 })
      .catch((error: unknown) => error);

    // Assess
    expect(flushed).toMatchObject({ accepted: 1, pending: 0, dropped: 0 });
    expect(['HIT', 'MISS', 'BYPASS']).toContain(served.cache);
    expect(trending.items.map((item) => item.itemId)).toContain(`${run}-item`);
    // The gateway's 403 carries the CORS headers, so the page gets the reason, not a network error.
    expect(badKey).toBeInstanceOf(RecoApiError);
    expect(badKey).toMatchObject({ status: 403, reason: api.gatewayErrors.invalidApiKey.reason });
  });

  it("reads a handler's error answer (400) and a gateway error (404 on OPTIONS of an unknown path)", async () => {
    // Act
    const invalid = await browserRequest(SHOP, 'GET', '/v1/trending?count=0', { [api.apiKeyHeader]: stack.apiKey });
    const unknown = await exchange('OPTIONS', '/v1/nothing', preflightHeaders(SHOP, 'GET'));

    // Assess
    expect(invalid.answer?.status).toBe(400);
    expect(readable(invalid.answer as Answer, SHOP)).toBe(true);
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.body)).toMatchObject({ reason: 'route_not_found' });
    expect(preflightPasses(unknown, SHOP, 'GET', [])).toBe(false);
  });
});

describe('CORS through the local stack: a page on an unlisted origin', () => {
  it('fails the preflight, so the browser never sends the request', async () => {
    // Act
    const { preflight, answer } = await browserRequest(EVIL, 'GET', '/v1/trending', {
      [api.apiKeyHeader]: stack.apiKey,
    });

    // Assess
    expect(preflight.status).toBe(204);
    expect(preflight.headers).not.toHaveProperty('access-control-allow-origin');
    expect(answer).toBeUndefined();
  });

  it('gets answers without Access-Control-Allow-Origin even when the request is sent anyway', async () => {
    // Act
    const answer = await exchange('GET', '/v1/trending', { origin: EVIL, [api.apiKeyHeader]: stack.apiKey });

    // Assess
    expect(answer.status).toBe(200);
    expect(answer.headers).not.toHaveProperty('access-control-allow-origin');
    expect(answer.headers).not.toHaveProperty('access-control-expose-headers');
    expect(answer.headers.vary).toBe('Origin');
  });

  it('makes the SDK fail with a network error, as in a browser', async () => {
    // Act
    const error = await browserClient(EVIL)
      .trending({ count: 3 })
      .catch((caught: unknown) => caught);

    // Assess
    expect(error).toMatchObject({ name: 'RecoNetworkError' });
  });
});

describe('CORS through the local stack: servers (no Origin)', () => {
  it('answers as before, with Vary: Origin and no CORS headers', async () => {
    // Act
    const answer = await exchange('GET', '/v1/health', {});

    // Assess
    expect(answer.status).toBe(200);
    expect(answer.headers).not.toHaveProperty('access-control-allow-origin');
    expect(answer.headers.vary).toBe('Origin');
  });
});
