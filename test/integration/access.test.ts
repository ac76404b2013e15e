import { readFileSync } from 'node:fs';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, type RouteName } from '#shared/config/index.ts';
import type { LocalStack } from '#local/stack.ts';
import { startFreshStack } from './freshStack.ts';

/*
 * Who may call what: every route of both APIs, by every kind of caller, through the local stack
 * (one port serving both APIs, the real functions behind it). `matrix` is the table that
 * docs/api.md ("Who may call what") shows; the last test fails when the two differ.
 */

const CALLERS = [
  'storefront',
  'storefrontToken',
  'expiredToken',
  'otherToken',
  'server',
  'wrongSignature',
  'none',
] as const;
type CallerName = (typeof CALLERS)[number];

/** The caller kinds as the docs name them. */
const callerLabels: Record<CallerName, string> = {
  storefront: 'key, no token',
  storefrontToken: 'key + token for u1',
  expiredToken: 'key + expired token',
  otherToken: 'key + token for u2',
  server: 'server (SigV4)',
  wrongSignature: 'wrong signature',
  none: 'no credentials',
};

/**
 * Expected status and reason: the error's `reason`, or for an accepted `POST /v1/events` the
 * reason its one event (naming `u1`) was rejected for, if it was.
 */
type Cell = readonly [status: number, reason?: string];

const notOnStorefront: Cell = [404, 'route_not_found'];
const expired: Cell = [401, 'invalid_user_token'];
const serverOnly = (status: number): Record<CallerName, Cell> => ({
  storefront: notOnStorefront,
  storefrontToken: notOnStorefront,
  expiredToken: notOnStorefront,
  otherToken: notOnStorefront,
  server: [status],
  wrongSignature: [403, 'invalid_signature'],
  none: [403, 'missing_authentication'],
});
/** A route on both APIs that reads no shopper's data. */
const sharedList: Record<CallerName, Cell> = {
  storefront: [200],
  storefrontToken: [200],
  expiredToken: expired,
  otherToken: [200],
  server: [200],
  wrongSignature: [403, 'invalid_signature'],
  none: [403, 'invalid_api_key'],
};

const matrix: Record<RouteName, Record<CallerName, Cell>> = {
  events: {
    ...sharedList,
    storefront: [200, 'user_token_required'],
    otherToken: [200, 'user_token_mismatch'],
  },
  userRecommendations: { ...sharedList, otherToken: [403, 'user_token_mismatch'] },
  health: {
    storefront: [200],
    storefrontToken: [200],
    expiredToken: [200],
    otherToken: [200],
    server: [403, 'missing_authentication'],
    wrongSignature: [403, 'missing_authentication'],
    none: [200],
  },
  catalogueItems: serverOnly(200),
  catalogueItem: serverOnly(200),
  userErasure: serverOnly(202),
  similarItems: sharedList,
  rankings: { ...sharedList, otherToken: [403, 'user_token_mismatch'] },
  trending: sharedList,
  readiness: serverOnly(200),
  userTokens: serverOnly(200),
  trainModel: serverOnly(202),
  models: serverOnly(200),
  model: { ...serverOnly(404), server: [404, 'model_not_found'] },
  promoteModel: { ...serverOnly(404), server: [404, 'model_not_found'] },
  stats: serverOnly(200),
};

const run = `acc${Date.now().toString(36)}`;
let counter = 0;

/** One request per route, about shopper `u1` where the route is about a shopper. */
function requestFor(route: RouteName): { path: string; body?: unknown } {
  switch (route) {
    case 'events':
      return {
        path: api.routes.events,
        body: {
          events: [{ eventId: `${run}-${++counter}`, type: 'view', userId: 'u1', itemId: 'i1', timestamp: Date.now() }],
        },
      };
    case 'userRecommendations':
      return { path: '/v1/users/u1/recommendations' };
    case 'catalogueItems':
      return { path: api.routes.catalogueItems, body: { items: [{ itemId: `${run}-item`, categories: ['outdoor'] }] } };
    case 'catalogueItem':
      // Put there in beforeAll: only the server call reaches the function and deletes it.
      return { path: `/v1/items/${run}-doomed` };
    case 'userErasure':
      return { path: `/v1/users/${run}-gone-${++counter}` };
    case 'similarItems':
      return { path: '/v1/items/i1/similar' };
    case 'rankings':
      return { path: api.routes.rankings, body: { userId: 'u1', itemIds: ['i1', 'i2'] } };
    case 'userTokens':
      return { path: api.routes.userTokens, body: { userId: 'u1' } };
    case 'trainModel':
      return { path: api.routes.trainModel, body: {} };
    case 'model':
      return { path: '/v1/admin/models/v20261207000000-00000000' };
    case 'promoteModel':
      return { path: '/v1/admin/models/v20261207000000-00000000/promote' };
    default:
      return { path: api.routes[route] };
  }
}

let stack: LocalStack;
const tokens: Partial<Record<CallerName, string>> = {};

beforeAll(async () => {
  stack = await startFreshStack('access-key', 'reco-access-');
  tokens.storefrontToken = (await stack.mintUserToken('u1')).token;
  tokens.expiredToken = (await stack.mintUserToken('u1', -60)).token;
  tokens.otherToken = (await stack.mintUserToken('u2')).token;
  const put = await stack.serverFetch(api.routes.catalogueItems, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ items: [{ itemId: `${run}-doomed`, categories: ['outdoor'] }] }),
  });
  expect(put.status).toBe(200);
});

afterAll(async () => {
  await stack?.stop();
});

/**
 * The headers a shop's backend sends: the request signed by the AWS SDK's signer for the server
 * API's scope, as its SDK middleware signs one (`host` left out of them: fetch sets it).
 */
async function signedByTheSdk(
  request: { method: string; url: string; headers: Record<string, string>; body: string },
  credentials: LocalStack['serverCredentials'],
): Promise<Record<string, string>> {
  const url = new URL(request.url);
  const signer = new SignatureV4({ credentials, ...stack.signingScope, sha256: Hash.bind(null, 'sha256') });
  const signed = await signer.sign({
    method: request.method,
    protocol: url.protocol,
    hostname: url.hostname,
    ...(url.port === '' ? {} : { port: Number(url.port) }),
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    headers: { ...request.headers, host: url.host },
    ...(request.body === '' ? {} : { body: request.body }),
  });
  const { host: _host, ...headers } = signed.headers;
  return headers;
}

async function call(route: RouteName, caller: CallerName): Promise<{ status: number; reason?: string }> {
  const method = api.routeMethods[route];
  const { path, body } = requestFor(route);
  const text = body === undefined ? '' : JSON.stringify(body);
  const url = `${stack.url}${path}`;
  const json: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json' };
  let headers: Record<string, string>;
  if (caller === 'server' || caller === 'wrongSignature') {
    const credentials =
      caller === 'server' ? stack.serverCredentials : { ...stack.serverCredentials, secretAccessKey: 'a-guess' };
    headers = await signedByTheSdk({ method, url, headers: json, body: text }, credentials);
  } else if (caller === 'none') {
    headers = json;
  } else {
    const token = tokens[caller];
    headers = { ...json, [api.apiKeyHeader]: stack.apiKey, ...(token ? { [api.userTokenHeader]: token } : {}) };
  }
  const response = await fetch(url, { method, headers, ...(text === '' ? {} : { body: text }) });
  const answer = (await response.json()) as { reason?: string; rejected?: { reason: string }[] };
  const reason = answer.reason ?? answer.rejected?.[0]?.reason;
  return { status: response.status, ...(reason === undefined ? {} : { reason }) };
}

describe('Access: every route of both APIs, by every kind of caller', () => {
  describe.each(Object.keys(matrix) as RouteName[])('Route: %s', (route) => {
    it.each(CALLERS)(`returns the table's status and reason to %s`, async (caller) => {
      // Prepare
      const [status, reason] = matrix[route][caller];

      // Act
      const answer = await call(route, caller);

      // Assess
      expect(answer).toEqual({ status, ...(reason === undefined ? {} : { reason }) });
    });
  });

  it('covers every route of the config', () => {
    // Assess
    expect(Object.keys(matrix).sort()).toEqual(Object.keys(api.routes).sort());
  });

  it("is the table docs/api.md shows under 'Who may call what'", () => {
    // Prepare
    const cell = ([status, reason]: Cell) => (reason === undefined ? `${status}` : `${status} \`${reason}\``);
    const expected = [
      ['route', ...CALLERS.map((caller) => callerLabels[caller])],
      ...(Object.keys(matrix) as RouteName[]).map((route) => [
        `\`${api.routeMethods[route]} ${api.routes[route]}\``,
        ...CALLERS.map((caller) => cell(matrix[route][caller])),
      ]),
    ];

    // Act: the section's table, cell by cell (the formatter pads the columns).
    const docs = readFileSync(new URL('../../docs/api.md', import.meta.url), 'utf8');
    const section = docs.split(/^## /m).find((part) => part.startsWith('Who may call what\n')) ?? '';
    const table = section
      .split('\n')
      .filter((line) => line.startsWith('|') && !/^\|[\s:-]+\|/.test(line))
      .map((line) =>
        line
          .slice(1, -1)
          .split('|')
          .map((text) => text.trim()),
      );

    // Assess
    expect(table).toEqual(expected);
  });
});
