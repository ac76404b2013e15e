import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { createHash, createHmac } from 'node:crypto';
import { request } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { api, apiLimits, lambdaDefaults, type RouteName } from '#shared/config/index.ts';
import { startApiGateway, type LocalApi, type ProxyHandler } from '#local/apiGateway.ts';
import { signSigV4 } from '#local/sigv4.ts';

const API_KEY = 'test-key';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface Call {
  readonly route: RouteName;
  readonly event: APIGatewayProxyEvent;
  readonly context: Context;
}

let gateway: LocalApi;
let port: number;
const calls: Call[] = [];
let answer: (route: RouteName) => Promise<APIGatewayProxyResult>;
const responses: { route: RouteName | undefined; status: number }[] = [];

interface Reply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** One request with the path sent exactly as given (fetch would normalise it first). */
function send(
  method: string,
  path: string,
  options: { headers?: Record<string, string | string[]>; body?: string | Buffer; chunked?: boolean } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        // An empty list leaves the header out (a request without the API key).
        headers: Object.fromEntries(
          Object.entries({ 'x-api-key': API_KEY, ...options.headers }).filter(
            ([, value]) => !Array.isArray(value) || value.length > 0,
          ),
        ),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
        );
      },
    );
    req.on('error', reject);
    if (options.body !== undefined && !options.chunked)
      req.setHeader('content-length', Buffer.byteLength(options.body));
    req.end(options.body);
  });
}

const hash = (data: string) => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();

const SERVER = { accessKeyId: 'local', secretAccessKey: 'local-dev-secret' };
const SCOPE = { region: 'us-east-1', service: 'execute-api' };

/** A request signed with SigV4 for the server API, as the AWS SDKs sign one. */
async function sendSigned(
  method: string,
  path: string,
  options: { body?: string; credentials?: typeof SERVER; now?: number; headers?: Record<string, string> } = {},
): Promise<Reply> {
  const body = options.body ?? '';
  const signed = await signSigV4(
    { method, url: `http://127.0.0.1:${port}${path}`, headers: options.headers ?? {}, body },
    options.credentials ?? SERVER,
    SCOPE,
    options.now,
  );
  return send(method, path, {
    headers: { 'x-api-key': [], ...signed },
    ...(body === '' ? {} : { body }),
  });
}

const lastCall = (): Call => {
  const call = calls.at(-1);
  if (!call) throw new Error('no handler was called');
  return call;
};

beforeAll(async () => {
  const handlerFor =
    (route: RouteName): ProxyHandler =>
    async (event, context) => {
      calls.push({ route, event, context });
      return answer(route);
    };
  const handlers = Object.fromEntries(
    (Object.keys(api.routes) as RouteName[]).map((route) => [route, handlerFor(route)]),
  ) as Record<RouteName, ProxyHandler>;
  gateway = await startApiGateway({
    port: 0,
    apiKey: API_KEY,
    handlers,
    onResponse: ({ route, statusCode: status }) => responses.push({ route, status }),
  });
  port = Number(new URL(gateway.url).port);
});

afterAll(async () => {
  await gateway.close();
});

beforeEach(() => {
  calls.length = 0;
  responses.length = 0;
  answer = async (route) => ({
    statusCode: 200,
    headers: { 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify({ route }),
  });
});

describe('Local API Gateway: routing', () => {
  it.each<[string, string, RouteName, Record<string, string> | null]>([
    ['GET', '/v1/users/u1/recommendations', 'userRecommendations', { userId: 'u1' }],
    ['GET', '/v1/items/sku-1/similar', 'similarItems', { itemId: 'sku-1' }],
    ['POST', '/v1/events', 'events', null],
    ['POST', '/v1/rankings', 'rankings', null],
    ['GET', '/v1/trending', 'trending', null],
    ['GET', '/v1/health', 'health', null],
  ])(
    'returns the handler answer of storefront %s %s (%s) with its resource and path parameters',
    async (method, path, route, params) => {
      // Act
      const reply = await send(method, path);

      // Assess
      expect(reply.status).toBe(200);
      expect(JSON.parse(reply.body)).toEqual({ route });
      const { event } = lastCall();
      expect(lastCall().route).toBe(route);
      expect(event).toMatchObject({
        resource: api.routes[route],
        path,
        httpMethod: method,
        pathParameters: params,
      });
      expect(responses).toEqual([{ route, status: 200 }]);
    },
  );

  it.each<[string, string, RouteName, Record<string, string> | null]>([
    ['GET', '/v1/users/u1/recommendations', 'userRecommendations', { userId: 'u1' }],
    ['DELETE', '/v1/users/u1', 'userErasure', { userId: 'u1' }],
    ['GET', '/v1/items/sku-1/similar', 'similarItems', { itemId: 'sku-1' }],
    ['DELETE', '/v1/items/sku-1', 'catalogueItem', { itemId: 'sku-1' }],
    ['PUT', '/v1/items', 'catalogueItems', null],
    ['POST', '/v1/events', 'events', null],
    ['POST', '/v1/rankings', 'rankings', null],
    ['GET', '/v1/trending', 'trending', null],
    ['GET', '/v1/ready', 'readiness', null],
    ['POST', '/v1/admin/user-tokens', 'userTokens', null],
  ])(
    'returns the handler answer of signed server %s %s (%s) with its resource and path parameters',
    async (method, path, route, params) => {
      // Act
      const reply = await sendSigned(method, path);

      // Assess
      expect(reply.status).toBe(200);
      expect(JSON.parse(reply.body)).toEqual({ route });
      const { event } = lastCall();
      expect(lastCall().route).toBe(route);
      expect(event).toMatchObject({
        resource: api.routes[route],
        path,
        httpMethod: method,
        pathParameters: params,
      });
      expect(responses).toEqual([{ route, status: 200 }]);
    },
  );

  it.each([
    ['an unknown path', 'GET', '/v1/nothing'],
    ['a trailing slash', 'GET', '/v1/health/'],
    ['an empty path parameter', 'DELETE', '/v1/items/'],
    ['an extra segment', 'GET', '/v1/users/u1/recommendations/more'],
    ['the root', 'GET', '/'],
  ])('returns 404 route_not_found for %s', async (_name, method, path) => {
    // Act
    const reply = await send(method, path);

    // Assess
    expect(reply.status).toBe(404);
    const { reason, message } = api.gatewayErrors.routeNotFound;
    expect(JSON.parse(reply.body)).toEqual({ reason, message });
    expect(calls).toEqual([]);
    expect(responses).toEqual([{ route: undefined, status: 404 }]);
  });

  it.each([
    ['GET', '/v1/events'],
    ['POST', '/v1/users/u1/recommendations'],
    ['PATCH', '/v1/trending'],
  ])(
    'returns 404 route_not_found for %s %s, a known path with another method, as the storefront API does',
    async (method, path) => {
      // Act
      const reply = await send(method, path);

      // Assess: API Gateway answers MISSING_AUTHENTICATION_TOKEN, mapped on this API to route_not_found.
      expect(reply.status).toBe(404);
      const { reason, message } = api.gatewayErrors.routeNotFound;
      expect(JSON.parse(reply.body)).toEqual({ reason, message });
      expect(calls).toEqual([]);
    },
  );

  it.each([
    ['no key', {}],
    ['a wrong key', { 'x-api-key': 'nope' }],
  ])('returns 403 invalid_api_key for %s, without calling the handler', async (_name, headers) => {
    // Act
    const reply = await new Promise<Reply>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/v1/users/u1/recommendations', headers }, (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      });
      req.on('error', reject);
      req.end();
    });

    // Assess
    const { status, reason, message } = api.gatewayErrors.invalidApiKey;
    expect(reply.status).toBe(status);
    expect(JSON.parse(reply.body)).toEqual({ reason, message });
    expect(calls).toEqual([]);
    expect(responses).toEqual([{ route: 'userRecommendations', status }]);
  });

  it('returns health without an API key', async () => {
    // Act
    const reply = await new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/v1/health' }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });

    // Assess
    expect(reply).toBe(200);
  });
});

describe('Local API Gateway: request targets as WHATWG URL parsing reads them', () => {
  it.each([
    '/v1/users/u1/recommendations',
    '/v1/users/u1/recommendations?',
    '/v1/users/u1/recommendations?count=3',
    '/v1/users/u1/recommendations?count=3&count=4&exclude=',
    '/v1/users/u1/recommendations?category=a+b&x=%E2%82%AC&flag',
    '/v1/users/u1/recommendations?a=1&&b=2#fragment',
    "/v1/users/o'brien/recommendations?q='x'",
    '/v1/users/a%20b/recommendations',
    '/v1/users/caf%C3%A9/recommendations',
    '/v1/users/u%2F1/recommendations',
    '/v1/users/a|b^c/recommendations',
    '/v1/users/user@example.com/recommendations',
    '/v1/users/u.1/recommendations',
    '/v1/./users/u1/recommendations',
    '/v1/users/x/../u1/recommendations',
    '/v1/users/u1/%2e/recommendations',
    '/v1/trending?window=1h&window=24h',
  ])('returns the same path, path parameters and query as URL for %s', async (target) => {
    // Prepare
    const url = new URL(target, 'http://localhost');
    const query: Record<string, string> = {};
    const multi: Record<string, string[]> = {};
    for (const [name, value] of url.searchParams) {
      query[name] = value;
      (multi[name] ??= []).push(value);
    }
    const hasQuery = Object.keys(query).length > 0;

    // Act
    const reply = await send('GET', target);

    // Assess
    expect(reply.status).toBe(200);
    const { event } = lastCall();
    expect(event.path).toBe(url.pathname);
    expect(event.requestContext.path).toBe(url.pathname);
    expect(event.queryStringParameters).toEqual(hasQuery ? query : null);
    expect(event.multiValueQueryStringParameters).toEqual(hasQuery ? multi : null);
    const segments = url.pathname.split('/');
    const parameter = decodeURIComponent(segments[3] ?? '');
    expect(event.pathParameters).toEqual(url.pathname.startsWith('/v1/users/') ? { userId: parameter } : null);
  });

  it.each([
    ['a path URL reads as a host (//…)', '//v1/health', '/health'],
    ['an empty segment', '/v1//users/u1/recommendations', '/v1//users/u1/recommendations'],
  ])('returns 404 for %s (read as %s)', async (_name, target, _pathname) => {
    // Act
    const reply = await send('GET', target);

    // Assess
    expect(reply.status).toBe(404);
    expect(JSON.parse(reply.body)).toEqual({ reason: 'route_not_found', message: 'no such route' });
  });

  it.each([
    ['an absolute URL with an unclosed IPv6 host', 'http://[/v1/health'],
    ['an absolute URL with a bad port', 'http://localhost:99999/v1/health'],
  ])('returns 400 bad_request for a request target that is %s, which URL parsing refuses', async (_name, target) => {
    // Act
    const reply = await send('GET', target);

    // Assess
    expect(reply.status).toBe(400);
    expect(JSON.parse(reply.body)).toEqual({ reason: 'bad_request', message: 'the request target is not a valid URL' });
    expect(calls).toEqual([]);
    expect(responses).toEqual([{ route: undefined, status: 400 }]);
  });

  it.each([
    ['a truncated escape', '/v1/users/%E0%A4%A/recommendations'],
    ['an escape that is not hex', '/v1/users/%ZZ/recommendations'],
    ['a lone % at the end', '/v1/items/sku%/similar'],
    ['a bad escape on the server API too', '/v1/users/%ZZ'],
  ])('returns 400 bad_request for a path parameter with %s, as API Gateway refuses it', async (_name, path) => {
    // Act
    const reply = path.endsWith('/v1/users/%ZZ') ? await sendSigned('DELETE', path) : await send('GET', path);

    // Assess
    expect(reply.status).toBe(400);
    expect(JSON.parse(reply.body)).toEqual({
      reason: 'bad_request',
      message: 'the path holds a % not followed by two hex digits',
    });
    expect(calls).toEqual([]);
  });

  it.each([
    ['a byte that is never UTF-8', '/v1/users/a%FF/recommendations', 'a\ufffd'],
    ['a truncated sequence', '/v1/users/caf%C3/recommendations', 'caf\ufffd'],
    ['an encoded surrogate', '/v1/users/%ED%A0%80x/recommendations', '\ufffd\ufffd\ufffdx'],
  ])('returns to the handler %s read as U+FFFD, as a proxy event carries it', async (_name, path, userId) => {
    // Act
    const reply = await send('GET', path);

    // Assess
    expect(reply.status).toBe(200);
    expect(lastCall().event.pathParameters).toEqual({ userId });
  });
});

describe('Local API Gateway: proxy event and context', () => {
  it('returns to the handler a complete REST proxy event', async () => {
    // Act
    await send('GET', '/v1/users/u1/recommendations?count=3', { headers: { 'user-agent': 'test-agent/1' } });

    // Assess
    const { event } = lastCall();
    expect(event).toEqual({
      resource: '/v1/users/{userId}/recommendations',
      path: '/v1/users/u1/recommendations',
      httpMethod: 'GET',
      headers: {
        'x-api-key': API_KEY,
        'user-agent': 'test-agent/1',
        host: `127.0.0.1:${port}`,
        connection: 'keep-alive',
      },
      multiValueHeaders: {
        'x-api-key': [API_KEY],
        'user-agent': ['test-agent/1'],
        host: [`127.0.0.1:${port}`],
        connection: ['keep-alive'],
      },
      queryStringParameters: { count: '3' },
      multiValueQueryStringParameters: { count: ['3'] },
      pathParameters: { userId: 'u1' },
      stageVariables: null,
      body: null,
      isBase64Encoded: false,
      requestContext: {
        accountId: '000000000000',
        apiId: 'local-storefront',
        authorizer: null,
        protocol: 'HTTP/1.1',
        httpMethod: 'GET',
        identity: { apiKey: API_KEY, sourceIp: '127.0.0.1', userAgent: 'test-agent/1' },
        path: '/v1/users/u1/recommendations',
        stage: 'local',
        requestId: expect.stringMatching(UUID),
        requestTimeEpoch: expect.any(Number),
        resourceId: 'userRecommendations',
        resourcePath: '/v1/users/{userId}/recommendations',
      },
    });
  });

  it('returns header names in lower case and repeated headers merged as Node merges them', async () => {
    // Act
    await send('GET', '/v1/health', {
      headers: {
        'X-Api-Key': API_KEY,
        'X-Custom': ['a', 'b'],
        'User-Agent': ['first', 'second'],
        'Set-Cookie': ['c=1', 'd=2'],
        Cookie: ['e=3', 'f=4'],
      },
    });

    // Assess
    const { event } = lastCall();
    expect(event.headers).toMatchObject({
      'x-api-key': API_KEY,
      'x-custom': 'a, b',
      'user-agent': 'first',
      'set-cookie': 'c=1,d=2',
      cookie: 'e=3; f=4',
    });
    expect(event.multiValueHeaders).toMatchObject({
      'x-api-key': [API_KEY],
      'x-custom': ['a, b'],
      'user-agent': ['first'],
      'set-cookie': ['c=1', 'd=2'],
      cookie: ['e=3; f=4'],
    });
    expect(event.requestContext.identity.userAgent).toBe('first');
  });

  it('returns 403 for an API key sent twice, even when both are right', async () => {
    // Act
    const reply = await send('GET', '/v1/trending', { headers: { 'x-api-key': [API_KEY, API_KEY] } });

    // Assess
    expect(reply.status).toBe(403);
    expect(calls).toEqual([]);
  });

  it('returns query parameters named like Object.prototype members as own properties, as any other', async () => {
    // Act
    const reply = await send('GET', '/v1/health?constructor=1&toString=2&__proto__=3&hasOwnProperty=4&toString=5');

    // Assess
    expect(reply.status).toBe(200);
    const { queryStringParameters, multiValueQueryStringParameters } = lastCall().event;
    expect(JSON.stringify(queryStringParameters)).toBe(
      '{"constructor":"1","toString":"5","__proto__":"3","hasOwnProperty":"4"}',
    );
    expect(JSON.stringify(multiValueQueryStringParameters)).toBe(
      '{"constructor":["1"],"toString":["2","5"],"__proto__":["3"],"hasOwnProperty":["4"]}',
    );
    expect(Object.getPrototypeOf(queryStringParameters)).toBe(Object.prototype);
  });

  it('returns a header named like an object property as any other', async () => {
    // Act
    await send('GET', '/v1/health', { headers: { constructor: 'c', toString: 't' } });

    // Assess
    expect(lastCall().event.headers).toMatchObject({ constructor: 'c', tostring: 't' });
    expect(lastCall().event.multiValueHeaders).toMatchObject({ constructor: ['c'], tostring: ['t'] });
  });

  it('returns a new request id and Lambda request id for every request', async () => {
    // Act
    await send('GET', '/v1/health');
    await send('GET', '/v1/health');

    // Assess
    const [first, second] = calls;
    expect(first?.event.requestContext.requestId).not.toBe(second?.event.requestContext.requestId);
    expect(first?.context.awsRequestId).not.toBe(second?.context.awsRequestId);
  });

  it('returns to the handler a Lambda context for the route', async () => {
    // Act
    await send('GET', '/v1/trending');

    // Assess
    const { context } = lastCall();
    expect(context).toMatchObject({
      callbackWaitsForEmptyEventLoop: false,
      functionName: 'local-trending',
      functionVersion: '$LATEST',
      invokedFunctionArn: 'arn:aws:lambda:local:000000000000:function:local-trending',
      memoryLimitInMB: String(lambdaDefaults.memoryMb),
      awsRequestId: expect.stringMatching(UUID),
      logGroupName: '/aws/lambda/local-trending',
      logStreamName: 'local',
    });
    const remaining = context.getRemainingTimeInMillis();
    expect(remaining).toBeGreaterThan(lambdaDefaults.timeoutSeconds * 1000 - 5_000);
    expect(remaining).toBeLessThanOrEqual(lambdaDefaults.timeoutSeconds * 1000);
    expect([context.done(), context.fail('x'), context.succeed('x')]).toEqual([undefined, undefined, undefined]);
  });

  it.each([
    ['with a content length', false],
    ['chunked', true],
  ])('returns the request body to the handler as text, %s', async (_name, chunked) => {
    // Prepare
    const body = JSON.stringify({ events: [{ itemId: 'café-€' }] });

    // Act
    await send('POST', '/v1/events', { body, chunked, headers: { 'content-type': 'application/json' } });

    // Assess
    expect(lastCall().event).toMatchObject({ body, isBase64Encoded: false });
  });

  it('returns null as the body of a request without one', async () => {
    // Act
    await send('POST', '/v1/rankings');

    // Assess
    expect(lastCall().event.body).toBeNull();
  });

  it.each([
    ['declared in Content-Length', false, apiLimits.maxBodyBytes + 1],
    ['declared in Content-Length, 5 MB of whitespace', false, 5 * 1024 * 1024],
    ['counted as it arrives, chunked', true, apiLimits.maxBodyBytes + 1],
  ])(
    'returns 413 body_too_large for a body over the limit, %s, without calling the handler',
    async (_name, chunked, size) => {
      // Act
      const reply = await send('POST', '/v1/events', { body: Buffer.alloc(size, ' '), chunked });

      // Assess
      const { status, reason, message } = api.gatewayErrors.requestTooLarge;
      expect(reply.status).toBe(status);
      expect(JSON.parse(reply.body)).toEqual({ reason, message });
      expect(calls).toEqual([]);
    },
  );

  it('returns a body of exactly the limit to the handler, and keeps serving after a refused one', async () => {
    // Prepare
    await send('POST', '/v1/events', { body: Buffer.alloc(apiLimits.maxBodyBytes + 1, 'x'), chunked: true });

    // Act
    const reply = await send('POST', '/v1/events', { body: Buffer.alloc(apiLimits.maxBodyBytes, 'x') });

    // Assess
    expect(reply.status).toBe(200);
    expect(lastCall().event.body).toHaveLength(apiLimits.maxBodyBytes);
  });
});

/** Raw bytes to the gateway, and everything it writes back until it closes the connection. */
function sendBytes(bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(bytes));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
    socket.on('error', reject);
  });
}

describe("Local API Gateway: requests Node's HTTP parser refuses", () => {
  const events = 'POST /v1/events HTTP/1.1\r\nHost: x\r\nx-api-key: test-key\r\n';
  it.each([
    ['an unknown method', 'FOO /v1/events HTTP/1.1\r\nHost: x\r\n\r\n', 400],
    ['a request line that is not HTTP', 'GARBAGE\r\n\r\n', 400],
    ['two Content-Lengths', `${events}Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}`, 400],
    ['a negative Content-Length', `${events}Content-Length: -1\r\n\r\n{}`, 400],
    [
      'Content-Length with Transfer-Encoding',
      `${events}Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n`,
      400,
    ],
    ['a chunk size that is not hex', `${events}Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`, 400],
    ['headers over the limit', `GET /v1/health HTTP/1.1\r\nHost: x\r\nx-a: ${'a'.repeat(20_000)}\r\n\r\n`, 431],
  ])('returns %s with a JSON reason and closes the connection', async (_name, bytes, status) => {
    // Act
    const reply = await sendBytes(bytes);

    // Assess
    const [head = '', body = ''] = reply.split('\r\n\r\n');
    expect(head.split('\r\n')[0]).toMatch(new RegExp(`^HTTP/1.1 ${status} `));
    expect(head.toLowerCase()).toContain('content-type: application/json');
    expect(JSON.parse(body)).toMatchObject({ reason: 'bad_request' });
    expect(calls).toEqual([]);
  });
});

describe('Local API Gateway: responses', () => {
  it('returns the handler status, headers (as text) and body', async () => {
    // Prepare
    answer = async () => ({
      statusCode: 201,
      headers: { 'content-type': 'application/json; charset=utf-8', 'x-cache': 'HIT', 'x-count': 3, 'x-flag': true },
      body: '{"ok":true}',
    });

    // Act
    const reply = await send('GET', '/v1/health');

    // Assess
    expect(reply.status).toBe(201);
    expect(reply.headers).toMatchObject({
      'content-type': 'application/json; charset=utf-8',
      'x-cache': 'HIT',
      'x-count': '3',
      'x-flag': 'true',
    });
    expect(reply.body).toBe('{"ok":true}');
    expect(responses).toEqual([{ route: 'health', status: 201 }]);
  });

  it('returns a base64 body decoded', async () => {
    // Prepare
    answer = async () => ({ statusCode: 200, body: Buffer.from('plain ✓').toString('base64'), isBase64Encoded: true });

    // Act
    const reply = await send('GET', '/v1/health');

    // Assess
    expect(reply.body).toBe('plain ✓');
  });

  it('returns 502 when the handler throws', async () => {
    // Prepare
    const log = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    answer = async () => {
      throw new Error('boom');
    };

    // Act
    const reply = await send('GET', '/v1/health');

    // Assess
    expect(reply.status).toBe(502);
    expect(JSON.parse(reply.body)).toEqual({ reason: 'internal_error', message: 'Internal server error' });
    expect(responses).toEqual([{ route: 'health', status: 502 }]);
    log.mockRestore();
  });
});

/** One request with exactly these headers (no API key unless given) to the gateway on `to`. */
function sendRaw(to: number, method: string, path: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: to, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

const SHOP = 'https://shop.example';
const WWW = 'https://www.shop.example';
const EVIL = 'https://evil.example';

/** What a browser sends before a cross-origin GET with the API key header. */
const preflightFrom = (origin: string, method = 'GET') => ({
  origin,
  'access-control-request-method': method,
  'access-control-request-headers': 'x-api-key',
});

describe('Local API Gateway: CORS with any origin (default)', () => {
  it.each(
    (Object.keys(api.routes) as RouteName[])
      .filter((route) => (api.routeApis[route] as readonly string[]).includes('storefront'))
      .map((route) => [route, api.routes[route]] as const),
  )(
    'returns 204 with the CORS headers for a preflight on %s, without an API key or a handler call',
    async (route, resource) => {
      // Prepare
      const path = resource.replace(/\{\w+\}/g, 'x1');

      // Act
      const reply = await sendRaw(port, 'OPTIONS', path, preflightFrom(SHOP, api.routeMethods[route]));

      // Assess
      expect(reply.status).toBe(204);
      expect(reply.headers).toMatchObject({
        'access-control-allow-origin': '*',
        'access-control-allow-methods': 'POST,GET,PUT,DELETE',
        'access-control-allow-headers': api.cors.allowHeaders.join(','),
        'access-control-max-age': String(api.cors.maxAgeSeconds),
      });
      expect(reply.body).toBe('');
      expect(calls).toEqual([]);
      expect(responses).toEqual([{ route: undefined, status: 204 }]);
    },
  );

  it.each([
    ['an unknown path', '/v1/nothing'],
    ['a path that is only a prefix of routes', '/v1'],
    ['the root', '/'],
    ['a route of the server API only', '/v1/admin/user-tokens'],
  ])('returns 404 route_not_found with Allow-Origin for a preflight on %s', async (_name, path) => {
    // Act
    const reply = await sendRaw(port, 'OPTIONS', path, preflightFrom(SHOP));

    // Assess
    expect(reply.status).toBe(404);
    expect(JSON.parse(reply.body)).toMatchObject({ reason: 'route_not_found' });
    expect(reply.headers['access-control-allow-origin']).toBe('*');
    expect(reply.headers).not.toHaveProperty('access-control-allow-methods');
  });

  it.each([
    ['403 for no key', 'GET', '/v1/trending', {}, 403],
    ['404 for an unknown route', 'GET', '/v1/nothing', { 'x-api-key': API_KEY }, 404],
    ['404 for a wrong method', 'GET', '/v1/events', { 'x-api-key': API_KEY }, 404],
  ])(
    'returns the gateway error %s with Allow-Origin and the exposed headers',
    async (_n, method, path, key, status) => {
      // Act
      const reply = await sendRaw(port, method, path, { origin: SHOP, ...key });

      // Assess
      expect(reply.status).toBe(status);
      expect(reply.headers).toMatchObject({
        'content-type': 'application/json; charset=utf-8',
        'access-control-allow-origin': '*',
        'access-control-expose-headers': 'x-cache,retry-after',
      });
    },
  );

  it('returns 413 and 502 with Allow-Origin too', async () => {
    // Prepare
    const log = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    answer = async () => {
      throw new Error('boom');
    };

    // Act
    const tooLarge = await send('POST', '/v1/events', {
      headers: { origin: SHOP },
      body: Buffer.alloc(apiLimits.maxBodyBytes + 1, 'x'),
    });
    const failed = await send('GET', '/v1/health', { headers: { origin: SHOP } });

    // Assess
    expect([tooLarge.status, failed.status]).toEqual([413, 502]);
    expect(tooLarge.headers['access-control-allow-origin']).toBe('*');
    expect(failed.headers['access-control-allow-origin']).toBe('*');
    log.mockRestore();
  });

  it("returns a handler's answer with the handler's headers only: the handler adds its own CORS headers", async () => {
    // Act
    const reply = await send('GET', '/v1/health', { headers: { origin: SHOP } });

    // Assess
    expect(reply.status).toBe(200);
    expect(reply.headers).not.toHaveProperty('access-control-allow-origin');
  });
});

describe('Local API Gateway: CORS with listed origins', () => {
  let listed: LocalApi;
  let listedPort: number;
  let single: LocalApi;
  let singlePort: number;

  beforeAll(async () => {
    const handlers = Object.fromEntries(
      (Object.keys(api.routes) as RouteName[]).map((route): [RouteName, ProxyHandler] => [route, () => answer(route)]),
    ) as Record<RouteName, ProxyHandler>;
    listed = await startApiGateway({ port: 0, apiKey: API_KEY, handlers, corsOrigins: [SHOP, WWW] });
    listedPort = Number(new URL(listed.url).port);
    single = await startApiGateway({ port: 0, apiKey: API_KEY, handlers, corsOrigins: [SHOP] });
    singlePort = Number(new URL(single.url).port);
  });

  afterAll(async () => {
    await listed.close();
    await single.close();
  });

  it.each([SHOP, WWW])('returns a preflight from listed %s with that origin and Vary: Origin', async (origin) => {
    // Act
    const reply = await sendRaw(listedPort, 'OPTIONS', '/v1/users/u1/recommendations', preflightFrom(origin));

    // Assess
    expect(reply.status).toBe(204);
    expect(reply.headers).toMatchObject({
      'access-control-allow-origin': origin,
      vary: 'Origin',
      'access-control-allow-headers': api.cors.allowHeaders.join(','),
    });
  });

  it('returns a preflight from an unlisted origin without Allow-Origin, so the browser stops there', async () => {
    // Act
    const reply = await sendRaw(listedPort, 'OPTIONS', '/v1/events', preflightFrom(EVIL, 'POST'));

    // Assess
    expect(reply.status).toBe(204);
    expect(reply.headers).not.toHaveProperty('access-control-allow-origin');
    expect(reply.headers.vary).toBe('Origin');
  });

  it('returns a gateway error with the request origin among several listed, as API Gateway maps it', async () => {
    // Act
    const fromShop = await sendRaw(listedPort, 'GET', '/v1/trending', { origin: WWW });
    const fromServer = await sendRaw(listedPort, 'GET', '/v1/trending');

    // Assess
    expect(fromShop.status).toBe(403);
    expect(fromShop.headers).toMatchObject({ 'access-control-allow-origin': WWW, vary: 'Origin' });
    expect(fromServer.status).toBe(403);
    expect(fromServer.headers).not.toHaveProperty('access-control-allow-origin');
  });

  it('returns a gateway error with the one listed origin, as a static gateway response value', async () => {
    // Act
    const reply = await sendRaw(singlePort, 'GET', '/v1/nothing', { origin: EVIL });

    // Assess
    expect(reply.status).toBe(404);
    expect(reply.headers).toMatchObject({ 'access-control-allow-origin': SHOP, vary: 'Origin' });
  });

  it('throws at start for origins no browser could send', async () => {
    // Act + Assess
    await expect(
      startApiGateway({ port: 0, apiKey: API_KEY, handlers: {} as never, corsOrigins: ['https://shop.example/'] }),
    ).rejects.toThrow(/corsOrigins/);
  });
});

describe('Local API Gateway: the storefront and the server API on one port', () => {
  const error = (name: keyof typeof api.gatewayErrors) => {
    const { reason, message } = api.gatewayErrors[name];
    return { reason, message };
  };

  it('returns the server identity verified from the signature in the request context', async () => {
    // Act
    const reply = await sendSigned('POST', '/v1/admin/user-tokens', {
      body: '{"userId":"u1"}',
      headers: { 'content-type': 'application/json' },
    });

    // Assess
    expect(reply.status).toBe(200);
    const { event } = lastCall();
    expect(event.body).toBe('{"userId":"u1"}');
    expect(event.requestContext).toMatchObject({
      apiId: 'local-server',
      stage: 'local',
      resourcePath: '/v1/admin/user-tokens',
      httpMethod: 'POST',
      requestId: expect.stringMatching(UUID),
      identity: {
        accessKey: 'local',
        accountId: '000000000000',
        userArn: 'arn:aws:iam::000000000000:user/local',
        apiKey: null,
      },
    });
  });

  it('returns the storefront API id and the key, and no IAM identity, for a keyed call', async () => {
    // Act
    await send('GET', '/v1/trending');

    // Assess
    const { identity, apiId } = lastCall().event.requestContext;
    expect(apiId).toBe('local-storefront');
    expect(identity.apiKey).toBe(API_KEY);
    expect(identity.userArn ?? null).toBeNull();
    expect(identity.accessKey ?? null).toBeNull();
  });

  it.each([
    ['DELETE', '/v1/users/u1', API_KEY],
    ['PUT', '/v1/items', API_KEY],
    ['DELETE', '/v1/items/sku-1', API_KEY],
    ['GET', '/v1/ready', API_KEY],
    ['POST', '/v1/admin/user-tokens', API_KEY],
    ['POST', '/v1/admin/user-tokens', 'a-wrong-key'],
  ])(
    'returns 404 route_not_found for storefront %s %s (key %s), as the storefront API has no such route',
    async (method, path, key) => {
      // Act
      const reply = await send(method, path, { headers: { 'x-api-key': key } });

      // Assess
      expect(reply.status).toBe(404);
      expect(JSON.parse(reply.body)).toEqual(error('routeNotFound'));
      expect(calls).toEqual([]);
    },
  );

  it.each([
    ['DELETE', '/v1/users/u1'],
    ['POST', '/v1/admin/user-tokens'],
  ])('returns 403 missing_authentication for %s %s with neither a key nor a signature', async (method, path) => {
    // Act
    const reply = await send(method, path, { headers: { 'x-api-key': [] } });

    // Assess
    expect(reply.status).toBe(403);
    expect(JSON.parse(reply.body)).toEqual(error('missingAuthentication'));
    expect(calls).toEqual([]);
  });

  it.each([
    ['a route the server API does not have', 'GET', '/v1/health'],
    ['an unknown path', 'GET', '/v1/nothing'],
    ['a wrong method', 'GET', '/v1/admin/user-tokens'],
  ])('returns 403 missing_authentication for a signed call to %s, as API Gateway does', async (_name, method, path) => {
    // Act
    const reply = await sendSigned(method, path);

    // Assess
    expect(reply.status).toBe(403);
    expect(JSON.parse(reply.body)).toEqual(error('missingAuthentication'));
    expect(calls).toEqual([]);
  });

  it.each([
    ['a wrong secret', { credentials: { accessKeyId: 'local', secretAccessKey: 'guess' } }],
    ['an unknown access key', { credentials: { accessKeyId: 'someone', secretAccessKey: 'local-dev-secret' } }],
  ])('returns 403 invalid_signature for %s, without calling the handler', async (_name, options) => {
    // Act
    const reply = await sendSigned('GET', '/v1/ready', options);

    // Assess
    expect(reply.status).toBe(403);
    expect(JSON.parse(reply.body)).toEqual(error('invalidSignature'));
    expect(calls).toEqual([]);
  });

  it.each([
    ['the body', (headers: Record<string, string>) => ({ headers, body: '{"userId":"u2"}' })],
    [
      'a signed header',
      (headers: Record<string, string>) => ({ headers: { ...headers, 'content-type': 'text/plain' } }),
    ],
  ])('returns 403 invalid_signature when %s changed after signing', async (_name, tamper) => {
    // Prepare
    const signed = await signSigV4(
      {
        method: 'POST',
        url: `http://127.0.0.1:${port}/v1/admin/user-tokens`,
        headers: { 'content-type': 'application/json' },
        body: '{"userId":"u1"}',
      },
      SERVER,
      SCOPE,
    );
    const { headers, body = '{"userId":"u1"}' } = tamper(signed) as { headers: Record<string, string>; body?: string };

    // Act
    const reply = await send('POST', '/v1/admin/user-tokens', { headers: { 'x-api-key': [], ...headers }, body });

    // Assess
    expect(reply.status).toBe(403);
    expect(JSON.parse(reply.body)).toEqual(error('invalidSignature'));
    expect(calls).toEqual([]);
  });

  it.each(['constructor', 'tostring', '__proto__'])(
    'returns 403 invalid_signature for SignedHeaders naming %s, a header not sent',
    async (name) => {
      // Prepare
      const signed = await signSigV4(
        { method: 'GET', url: `http://127.0.0.1:${port}/v1/ready`, headers: {}, body: '' },
        SERVER,
        SCOPE,
      );
      const authorization = (signed.authorization ?? '').replace('SignedHeaders=', `SignedHeaders=${name};`);

      // Act
      const reply = await send('GET', '/v1/ready', { headers: { 'x-api-key': [], ...signed, authorization } });

      // Assess
      expect(reply.status).toBe(403);
      expect(JSON.parse(reply.body)).toEqual(error('invalidSignature'));
      expect(calls).toEqual([]);
    },
  );

  it('returns 403 invalid_signature when the query changed after signing', async () => {
    // Prepare
    const signed = await signSigV4(
      { method: 'GET', url: `http://127.0.0.1:${port}/v1/trending?count=5`, headers: {}, body: '' },
      SERVER,
      SCOPE,
    );

    // Act
    const same = await send('GET', '/v1/trending?count=5', { headers: { 'x-api-key': [], ...signed } });
    const changed = await send('GET', '/v1/trending?count=50', { headers: { 'x-api-key': [], ...signed } });

    // Assess
    expect(same.status).toBe(200);
    expect(changed.status).toBe(403);
    expect(JSON.parse(changed.body)).toEqual(error('invalidSignature'));
  });

  it.each([
    ['6 minutes ago', -6 * 60 * 1000],
    ['6 minutes ahead', 6 * 60 * 1000],
  ])('returns 403 expired_credentials for a signature dated %s, and accepts 4 minutes', async (_name, offsetMs) => {
    // Act
    const stale = await sendSigned('GET', '/v1/ready', { now: Date.now() + offsetMs });
    const recent = await sendSigned('GET', '/v1/ready', { now: Date.now() + (offsetMs / 6) * 4 });

    // Assess
    expect(stale.status).toBe(403);
    expect(JSON.parse(stale.body)).toEqual(error('expiredCredentials'));
    expect(recent.status).toBe(200);
  });

  it('accepts a signature in the query (a presigned URL) until it expires', async () => {
    // Prepare: X-Amz-* parameters signed as the SDKs presign, the canonical query sorted.
    const presign = (expires: number, now: number) => {
      const amzDate = new Date(now)
        .toISOString()
        .replace(/[-:]/g, '')
        .replace(/\.\d{3}/, '');
      const query = new URLSearchParams({
        'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
        'X-Amz-Credential': `local/${amzDate.slice(0, 8)}/us-east-1/execute-api/aws4_request`,
        'X-Amz-Date': amzDate,
        'X-Amz-Expires': String(expires),
        'X-Amz-SignedHeaders': 'host',
      });
      const host = `127.0.0.1:${port}`;
      const canonical = ['GET', '/v1/ready', query.toString(), `host:${host}\n`, 'host', hash('')].join('\n');
      const scope = `${amzDate.slice(0, 8)}/us-east-1/execute-api/aws4_request`;
      const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, hash(canonical)].join('\n');
      let key: Buffer = hmac('AWS4local-dev-secret', amzDate.slice(0, 8));
      for (const part of ['us-east-1', 'execute-api', 'aws4_request']) key = hmac(key, part);
      query.set('X-Amz-Signature', hmac(key, toSign).toString('hex'));
      return `/v1/ready?${query.toString()}`;
    };

    // Act
    const valid = await send('GET', presign(60, Date.now()), { headers: { 'x-api-key': [] } });
    const expired = await send('GET', presign(60, Date.now() - 120_000), { headers: { 'x-api-key': [] } });

    // Assess
    expect(valid.status).toBe(200);
    expect(expired.status).toBe(403);
    expect(JSON.parse(expired.body)).toEqual(error('expiredCredentials'));
  });

  it('cannot be made to call a storefront request a server call by its headers', async () => {
    // Prepare: the storefront key, a forged SigV4 header, and headers naming the server API.
    const forged = {
      'x-api-key': API_KEY,
      authorization:
        'AWS4-HMAC-SHA256 Credential=local/20261207/us-east-1/execute-api/aws4_request, ' +
        'SignedHeaders=host;x-amz-date, Signature=' +
        '0'.repeat(64),
      'x-amz-date': '20261207T120000Z',
    };
    const naming = {
      'x-amzn-apiid': 'local-server',
      'x-amzn-requestcontext': '{"apiId":"local-server","identity":{"userArn":"arn:aws:iam::000000000000:user/local"}}',
      'x-amz-user-arn': 'arn:aws:iam::000000000000:user/local',
    };

    // Act
    const withForgedSignature = await send('POST', '/v1/admin/user-tokens', { headers: forged, body: '{}' });
    const withNamingHeaders = await send('GET', '/v1/users/u1/recommendations', { headers: naming });

    // Assess
    expect(withForgedSignature.status).toBe(403);
    expect(JSON.parse(withForgedSignature.body)).toEqual(error('invalidSignature'));
    expect(withNamingHeaders.status).toBe(200);
    expect(calls).toHaveLength(1);
    const { requestContext } = lastCall().event;
    expect(requestContext.apiId).toBe('local-storefront');
    expect(requestContext.identity.userArn ?? null).toBeNull();
    expect(requestContext.identity.accessKey ?? null).toBeNull();
  });
});
