import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { mkdtempSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signSigV4 } from '#local/sigv4.ts';
import { startLocalStack, type LocalStack } from '#local/stack.ts';
import { DynamoFeatureStore } from '#shared/adapters/dynamoFeatureStore.ts';
import { api, apiLimits } from '#shared/config/index.ts';
import type { ModelRequest } from '#shared/ports/index.ts';
import { drained } from './freshStack.ts';

/*
 * What an attacker sends, over HTTP to the local stack: the local gateway every user runs first,
 * in front of the real handlers. Each request gets a 4xx with a reason, or is taken as data; none
 * gets a 5xx, and what is taken comes back out as it went in. The model is a stand-in that
 * records what the lists send it.
 */

const PROTOTYPE_NAMES = ['constructor', 'toString', '__proto__', 'hasOwnProperty'] as const;
const run = `hi${Date.now().toString(36)}`;

let stack: LocalStack;
let model: Server;
const modelRequests: ModelRequest[] = [];

interface Reply {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

const reply = async (response: Response): Promise<Reply> => ({
  status: response.status,
  body: (await response.json()) as Record<string, unknown>,
});

/** A storefront call with the key. */
async function storefront(path: string, init: { method?: string; body?: string } = {}): Promise<Reply> {
  const headers = { 'x-api-key': stack.apiKey, 'content-type': 'application/json' };
  return reply(await fetch(`${stack.url}${path}`, { ...init, headers }));
}

/** A server call, signed. */
async function server(path: string, init: { method?: string; body?: string } = {}): Promise<Reply> {
  return reply(await stack.serverFetch(path, { ...init, headers: { 'content-type': 'application/json' } }));
}

/** A storefront request with the target and body bytes exactly as given (fetch would normalise or encode them). */
function rawRequest(
  method: string,
  path: string,
  options: { body?: Buffer; chunked?: boolean; headers?: Record<string, string> } = {},
): Promise<Reply> {
  const { port } = new URL(stack.url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        headers: { 'x-api-key': stack.apiKey, 'content-type': 'application/json', ...options.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }),
        );
      },
    );
    req.on('error', reject);
    if (options.body !== undefined && !options.chunked) req.setHeader('content-length', options.body.length);
    req.end(options.body);
  });
}

const view = (eventId: string, extra: Record<string, unknown> = {}) => ({
  eventId: `${run}-${eventId}`,
  type: 'view',
  anonymousId: `${run}-anon`,
  itemId: `${run}-item`,
  timestamp: Date.now(),
  ...extra,
});

/** `{"a": {"a": ... 1 ... }}`, `depth` objects deep, written out: JSON.stringify would overflow first. */
const nested = (depth: number): string => '{"a": '.repeat(depth) + '1' + '}'.repeat(depth);

beforeAll(async () => {
  model = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      modelRequests.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as ModelRequest);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ modelVersion: 'stand-in-v1', items: [] }));
    });
  });
  await new Promise<void>((resolve) => model.listen(0, '127.0.0.1', resolve));
  delete process.env.AWS_ENDPOINT_URL_DYNAMODB;
  delete process.env.AWS_ENDPOINT_URL_KINESIS;
  stack = await startLocalStack({
    port: 0,
    apiKey: 'hostile-input-key',
    dataDir: mkdtempSync(join(tmpdir(), 'reco-hostile-input-')),
    batchingWindowMs: 50,
    externalModel: { url: `http://127.0.0.1:${(model.address() as AddressInfo).port}`, modelVersion: 'stand-in-v1' },
  });
});

afterAll(async () => {
  await stack?.stop();
  await new Promise((resolve) => model?.close(resolve));
});

describe('Hostile input: nesting thousands deep', () => {
  it('returns an event whose properties nest 5,000 deep rejected on its own, the others of the batch accepted', async () => {
    // Prepare
    const deep = JSON.stringify(view('deep')).replace(/}$/, `, "properties": ${nested(5_000)}}`);
    const body = `{"events": [${deep}, ${JSON.stringify(view('shallow', { properties: { a: 1 } }))}]}`;

    // Act
    const { status, body: answer } = await storefront('/v1/events', { method: 'POST', body });

    // Assess
    expect(status).toBe(200);
    expect(answer).toEqual({
      accepted: 1,
      rejected: [
        {
          index: 0,
          eventId: `${run}-deep`,
          reason: 'too_deep',
          field: 'properties.a.a.a.a.a.a.a',
          message: 'properties.a.a.a.a.a.a.a: nests objects and arrays more than 8 levels deep',
        },
      ],
    });
  });

  it('returns an item whose attributes nest 5,000 deep rejected on its own, the others upserted', async () => {
    // Prepare
    const body = `{"items": [{"itemId": "${run}-deep", "attributes": ${nested(5_000)}}, {"itemId": "${run}-flat"}]}`;

    // Act
    const { status, body: answer } = await server('/v1/items', { method: 'PUT', body });

    // Assess
    expect(status).toBe(200);
    expect(answer).toMatchObject({ upserted: 1, rejected: [{ index: 0, reason: 'too_deep' }] });
  });

  it('returns 400 too_deep for a ranking whose body nests 100,000 deep', async () => {
    // Prepare
    const body = `{"userId": "${run}-u", "itemIds": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`;

    // Act
    const { status, body: answer } = await storefront('/v1/rankings', { method: 'POST', body });

    // Assess
    expect(status).toBe(400);
    expect(answer).toMatchObject({ reason: 'too_deep' });
  });
});

describe('Hostile input: names of Object.prototype members', () => {
  it.each(PROTOTYPE_NAMES)(
    'returns a query parameter named %s answered as any unknown one, on every route',
    async (name) => {
      // Act
      const answers = await Promise.all([
        storefront(`/v1/health?${name}=1`),
        storefront(`/v1/trending?${name}=1`),
        storefront(`/v1/users/${run}-u/recommendations?${name}=1`),
        storefront(`/v1/items/${run}-item/similar?${name}=1`),
        storefront(`/v1/rankings?${name}=1`, { method: 'POST', body: `{"userId": "u", "itemIds": ["a"]}` }),
        server(`/v1/admin/models?${name}=1`),
      ]);

      // Assess: health reads no parameter, as API Gateway passes them on; the others refuse unknown ones.
      const [health, ...checked] = answers;
      expect(health?.status).toBe(200);
      for (const answer of checked) {
        expect(answer.status).toBe(400);
        expect(answer.body).toMatchObject({ reason: 'unknown_parameter' });
        expect(answer.body.message).toContain(name);
      }
    },
  );

  it('returns headers named constructor and toString read as any others', async () => {
    // Act
    const answers = await Promise.all(
      ['/v1/health', '/v1/trending'].map((path) =>
        rawRequest('GET', path, { headers: { constructor: 'c', toString: 't', hasOwnProperty: 'h' } }),
      ),
    );

    // Assess
    expect(answers.map((answer) => answer.status)).toEqual([200, 200]);
  });

  it('returns 403 invalid_signature for a signature whose SignedHeaders name constructor', async () => {
    // Prepare
    const signed = await signSigV4(
      { method: 'GET', url: `${stack.url}/v1/ready`, headers: {}, body: '' },
      stack.serverCredentials,
      stack.signingScope,
    );
    const authorization = (signed.authorization ?? '').replace('SignedHeaders=', 'SignedHeaders=constructor;');

    // Act
    const answer = await reply(await fetch(`${stack.url}/v1/ready`, { headers: { ...signed, authorization } }));

    // Assess
    expect(answer.status).toBe(403);
    expect(answer.body.reason).toBe(api.gatewayErrors.invalidSignature.reason);
  });

  it('returns attributes named toString, hasOwnProperty, valueOf and prototype stored, read back and sent to the model as data', async () => {
    // Prepare: an item the model was not trained on, so its text goes with the request.
    const itemId = `${run}-named`;
    const attributes = { toString: 'steel', hasOwnProperty: 3, valueOf: true, prototype: 'kettle' };
    const store = new DynamoFeatureStore(
      new DynamoDBClient({
        endpoint: stack.standIns.dynamodbEndpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      }),
      stack.names.table,
    );

    // Act
    const put = await server('/v1/items', { method: 'PUT', body: JSON.stringify({ items: [{ itemId, attributes }] }) });
    const stored = (await store.getItems([itemId])).get(itemId);
    const similar = await server(`/v1/items/${itemId}/similar`);

    // Assess
    expect(put).toEqual({ status: 200, body: { upserted: 1, rejected: [] } });
    expect(stored?.attributes).toEqual(attributes);
    expect(Object.keys(stored?.attributes ?? {})).toEqual(Object.keys(attributes));
    expect(similar.status).toBe(200);
    const sent = modelRequests.find((sentRequest) => sentRequest.similarTo === itemId);
    expect(sent?.similarToText?.attributes).toEqual(attributes);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each(['constructor', '__proto__'])(
    'returns an item with an attribute named %s rejected on its own with the reason, never a 500',
    async (name) => {
      // Prepare
      const body = `{"items": [{"itemId": "${run}-${name}", "attributes": {"${name}": {"polluted": true}}}, {"itemId": "${run}-ok"}]}`;

      // Act
      const { status, body: answer } = await server('/v1/items', { method: 'PUT', body });

      // Assess
      expect(status).toBe(200);
      expect(answer).toMatchObject({
        upserted: 1,
        rejected: [
          {
            index: 0,
            reason: 'invalid_field',
            field: `attributes.${name}`,
            message: `attributes.${name}: the catalogue cannot store an attribute named ${name}; rename it`,
          },
        ],
      });
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    },
  );

  it('returns events whose properties are named like Object.prototype members accepted and applied', async () => {
    // Prepare
    const properties = '{"__proto__": "a", "constructor": "b", "toString": 1, "hasOwnProperty": null}';
    const event = JSON.stringify(view('named')).replace(/}$/, `, "properties": ${properties}}`);
    const discardedBefore = stack.mapping.stats.discarded;

    // Act
    const { status, body: answer } = await storefront('/v1/events', { method: 'POST', body: `{"events": [${event}]}` });
    await drained(stack);

    // Assess
    expect(status).toBe(200);
    expect(answer).toEqual({ accepted: 1, rejected: [] });
    expect(stack.mapping.stats.discarded).toBe(discardedBefore);
  });
});

describe('Hostile input: malformed percent-encoding in a path', () => {
  const badRequest = { reason: 'bad_request', message: 'the path holds a % not followed by two hex digits' };

  it.each([
    ['recommendations', '/v1/users/%ZZ/recommendations'],
    ['similar items', '/v1/items/sku%/similar'],
    ['a truncated escape', '/v1/users/%E0%A4%A/recommendations'],
  ])('returns 400 bad_request for %s on the storefront API, not a 502', async (_name, path) => {
    // Act
    const answer = await storefront(path);

    // Assess
    expect(answer).toEqual({ status: 400, body: badRequest });
  });

  it.each(['/v1/users/%ZZ', '/v1/items/%G0'])(
    'returns 400 bad_request for DELETE %s on the server API',
    async (path) => {
      // Act
      const answer = await server(path, { method: 'DELETE' });

      // Assess
      expect(answer).toEqual({ status: 400, body: badRequest });
    },
  );
});

describe('Hostile input: oversized bodies', () => {
  const { status, reason } = api.gatewayErrors.requestTooLarge;

  it.each([
    ['with its Content-Length', false],
    ['chunked, counted as it arrives', true],
  ])('returns 413 body_too_large for 5 MB of whitespace sent %s', async (_name, chunked) => {
    // Act
    const answer = await rawRequest('POST', '/v1/events', { body: Buffer.alloc(5 * 1024 * 1024, ' '), chunked });

    // Assess
    expect(answer.status).toBe(status);
    expect(answer.body.reason).toBe(reason);
  });

  it('returns 413 as soon as the declared Content-Length is over the limit, before the body is sent', async () => {
    // Prepare: the headers and a first kilobyte only; the rest would never come.
    const { port } = new URL(stack.url);
    const req = request({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: '/v1/events',
      headers: { 'x-api-key': stack.apiKey, 'content-length': 5 * 1024 * 1024 },
    });

    // Act
    const answered = new Promise<number>((resolve, reject) => {
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
    });
    req.write(Buffer.alloc(1024, ' '));

    // Assess
    expect(await answered).toBe(413);
    req.destroy();
  });

  it('returns 400 empty_body for a body of whitespace under the limit', async () => {
    // Act
    const answer = await rawRequest('POST', '/v1/events', { body: Buffer.alloc(apiLimits.maxBodyBytes, ' ') });

    // Assess
    expect(answer.status).toBe(400);
    expect(answer.body.reason).toBe('empty_body');
  });

  it('returns 413 body_too_large for a catalogue upsert over the limit on the server API', async () => {
    // Act
    const answer = await server('/v1/items', { method: 'PUT', body: ' '.repeat(apiLimits.maxBodyBytes + 1) });

    // Assess
    expect(answer.status).toBe(status);
    expect(answer.body.reason).toBe(reason);
  });
});

describe('Hostile input: ids that are not UTF-8', () => {
  /** An events body whose anonymousId is `a` followed by `bytes`, as sent on the wire. */
  const eventWithBytes = (eventId: string, bytes: number[]): Buffer =>
    Buffer.concat([
      Buffer.from(`{"events": [{"eventId": "${run}-${eventId}", "type": "view", "anonymousId": "${run}-a`),
      Buffer.from(bytes),
      Buffer.from(`", "itemId": "sku-1", "timestamp": ${Date.now()}}]}`),
    ]);

  it.each([
    ['0xFF', [0xff]],
    ['0xFE', [0xfe]],
    ['an encoded surrogate', [0xed, 0xa0, 0x80]],
  ])(
    'returns an event whose anonymousId holds %s rejected per event, so no two byte strings meet',
    async (name, bytes) => {
      // Act
      const answer = await rawRequest('POST', '/v1/events', { body: eventWithBytes(name, bytes) });

      // Assess
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({
        accepted: 0,
        rejected: [{ index: 0, reason: 'invalid_field', field: 'anonymousId' }],
      });
    },
  );

  it('returns 400 invalid_user_id for path ids differing only by bytes that are not UTF-8, on every route', async () => {
    // Act
    const answers = await Promise.all([
      storefront(`/v1/users/${run}-a%FF/recommendations`),
      storefront(`/v1/users/${run}-a%FE/recommendations`),
      server(`/v1/users/${run}-a%FF`, { method: 'DELETE' }),
    ]);

    // Assess
    for (const answer of answers) {
      expect(answer.status).toBe(400);
      expect(answer.body.reason).toBe('invalid_user_id');
    }
  });

  it('returns 400 invalid_item_id for such an item id', async () => {
    // Act
    const answers = await Promise.all([
      storefront(`/v1/items/sku%C3/similar`),
      server('/v1/items/sku%FF', { method: 'DELETE' }),
    ]);

    // Assess
    expect(answers.map((answer) => [answer.status, answer.body.reason])).toEqual([
      [400, 'invalid_item_id'],
      [400, 'invalid_item_id'],
    ]);
  });

  it('returns 400 invalid_field for a ranking for such a user', async () => {
    // Prepare
    const body = Buffer.concat([
      Buffer.from('{"userId": "u'),
      Buffer.from([0xff]),
      Buffer.from('", "itemIds": ["a"]}'),
    ]);

    // Act
    const answer = await rawRequest('POST', '/v1/rankings', { body });

    // Assess
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ reason: 'invalid_field' });
  });

  it('returns a path id of valid UTF-8 answered as before', async () => {
    // Act
    const answer = await storefront(`/v1/users/${run}-caf%C3%A9/recommendations`);

    // Assess
    expect(answer.status).toBe(200);
  });
});
