// Smoke test of the storefront SDK as a shop's Node 20 server would run it: imports the built package
// (`npm run build -w sdk`, which `npm run test:sdk-node20` runs first) through its exports map, as ESM and as CommonJS,
// and talks to a loopback HTTP server standing in for the API, through the runtime's own fetch, timers, crypto and
// storage defaults. Run by test/node20/run.sh on a real Node 20; the vitest suites cover the SDK's behaviour in depth
// on Node 24.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import process from 'node:process';
import { setTimeout as sleep } from 'node:timers/promises';
import { URL } from 'node:url';

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
// The package as a shop installs it: resolved by name through node_modules and its exports map.
const require = createRequire(import.meta.url);

/**
 * A stand-in for the API: records every request and answers events, recommendations and one failing route. A user
 * token other than `api.validToken` gets the API's 401 `invalid_user_token`.
 */
async function startApi() {
  const requests = [];
  const state = { validToken: '' };
  const server = createServer(async (request, response) => {
    let body = '';
    for await (const chunk of request) body += chunk;
    requests.push({ method: request.method, url: request.url, headers: request.headers, body });
    const path = new URL(request.url, 'http://localhost').pathname;
    const reply = (status, json, headers = {}) => {
      response.writeHead(status, { 'content-type': 'application/json', ...headers });
      response.end(JSON.stringify(json));
    };
    const token = request.headers['x-reco-user-token'];
    if (token !== undefined && token !== state.validToken) {
      reply(401, { reason: 'invalid_user_token', message: 'the user token has expired; mint a fresh one' });
    } else if (request.method === 'POST' && path === '/v1/events') {
      reply(200, { accepted: JSON.parse(body).events.length, rejected: [] });
    } else if (request.method === 'GET' && /^\/v1\/users\/[^/]+\/recommendations$/.test(path)) {
      const items = [{ itemId: 'sku-2', score: 0.9, reason: 'similar_items' }];
      reply(200, { recommendationId: 'rec-1', modelVersion: 'm-1', items, degraded: false }, { 'x-cache': 'MISS' });
    } else {
      reply(503, { reason: 'model_unavailable', message: 'try later' });
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { requests, server, state, url: `http://127.0.0.1:${server.address().port}` };
}

const api = await startApi();
try {
  const { createRecoClient, RecoApiError } = await import('@reco-stack/sdk');
  const cjs = require('@reco-stack/sdk');
  assert.equal(typeof cjs.createRecoClient, 'function', 'the CommonJS build exports createRecoClient');
  const server = await import('@reco-stack/sdk/server');
  assert.equal(typeof server.createServerApi, 'function', 'the server entry exports createServerApi');
  assert.equal(typeof require('@reco-stack/sdk/server').signRequest, 'function');
  // Defaults throughout (global fetch, memory storage where there is no localStorage, real timers) except the
  // interval, so only flush() sends. The token refresh answers asynchronously, as a call to the shop's backend would.
  let refreshes = 0;
  const onTokenExpired = async () => {
    refreshes += 1;
    await sleep(5);
    return 'token-2';
  };
  const reco = createRecoClient({
    endpoint: `${api.url}/`,
    apiKey: 'shop-key',
    flushIntervalMs: 60_000,
    onTokenExpired,
  });

  // Track, sign in with a user token, and flush.
  api.state.validToken = 'token-1';
  const viewId = reco.track.view('sku-1', { quantity: 1, price: 19.9, currency: 'EUR' });
  reco.identify('customer-42', { userToken: 'token-1' });
  assert.equal(reco.pendingEvents, 2);
  assert.deepEqual(await reco.flush(), { accepted: 2, rejected: [], dropped: 0, pending: 0 });
  assert.equal(api.requests.length, 1);
  const post = api.requests[0];
  assert.equal(post.method, 'POST');
  assert.equal(post.url, '/v1/events');
  assert.equal(post.headers['x-api-key'], 'shop-key');
  assert.equal(post.headers['x-reco-user-token'], 'token-1');
  assert.equal(post.headers['content-type'], 'application/json');
  const [view, identify] = JSON.parse(post.body).events;
  assert.match(view.eventId, uuid);
  assert.equal(view.eventId, viewId);
  assert.equal(view.type, 'view');
  assert.equal(view.itemId, 'sku-1');
  assert.equal(view.price, 19.9);
  assert.equal(view.currency, 'EUR');
  assert.equal(view.userId, undefined);
  assert.match(view.anonymousId, uuid);
  assert.match(view.sessionId, uuid);
  assert.equal(typeof view.timestamp, 'number');
  assert.equal(identify.type, 'identify');
  assert.equal(identify.userId, 'customer-42');
  assert.equal(identify.anonymousId, view.anonymousId);
  assert.equal(identify.sessionId, view.sessionId);

  // Read a recommendation list after the token expired: one refresh, then the same request with the fresh token.
  api.state.validToken = 'token-2';
  const list = await reco.recommendations({ count: 3, category: 'shoes', exclude: ['purchased', 'viewed'] });
  assert.deepEqual(list, {
    recommendationId: 'rec-1',
    modelVersion: 'm-1',
    items: [{ itemId: 'sku-2', score: 0.9, reason: 'similar_items' }],
    degraded: false,
    cache: 'MISS',
  });
  assert.equal(refreshes, 1);
  const [refused, get] = api.requests.slice(1, 3);
  assert.equal(get.method, 'GET');
  assert.equal(get.url, '/v1/users/customer-42/recommendations?count=3&category=shoes&exclude=purchased%2Cviewed');
  assert.equal(get.url, refused.url);
  assert.equal(get.headers['x-api-key'], 'shop-key');
  assert.deepEqual([refused.headers['x-reco-user-token'], get.headers['x-reco-user-token']], ['token-1', 'token-2']);

  // An API error reaches the caller typed, with the API's reason.
  await assert.rejects(reco.trending({ window: '1h' }), (error) => {
    assert.ok(error instanceof RecoApiError);
    assert.equal(error.status, 503);
    assert.equal(error.reason, 'model_unavailable');
    return true;
  });
  assert.equal(api.requests[3].url, '/v1/trending?window=1h');
  assert.equal(api.requests[3].headers['x-reco-user-token'], 'token-2');

  assert.deepEqual(await reco.close(), { accepted: 0, rejected: [], dropped: 0, pending: 0 });
  assert.equal(api.requests.length, 4);
  process.stdout.write(
    `SDK smoke test passed on Node ${process.versions.node}: @reco-stack/sdk (ESM, CJS, /server), ` +
      `${api.requests.length} requests checked\n`,
  );
} finally {
  api.server.close();
}
