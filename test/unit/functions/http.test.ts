import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { bodyOf, httpHandler, pathId } from '#functions/lib/http.ts';
import { corsAllowOrigins } from '#functions/lib/env.ts';
import { apiEvent } from '../../support/apiGateway.ts';
import { logger } from '#functions/lib/observability.ts';
import { api, apiLimits, envVars } from '#shared/config/index.ts';
import { DependencyUnavailableError, InvalidRequestError, PayloadTooLargeError } from '#shared/errors.ts';
import { jsonResponse } from '#shared/http/responses.ts';

const json = (response: APIGatewayProxyResult): unknown => JSON.parse(response.body);

const logError = vi.spyOn(logger, 'error').mockImplementation(() => {});

/** The handler as a function's cold start makes it: the CORS origins read from the environment then. */
const routedHandler = (routes: Parameters<typeof httpHandler>[0]) => httpHandler(routes, corsAllowOrigins(process.env));

describe('Function: httpHandler', () => {
  beforeEach(() => {
    logError.mockClear();
  });

  afterAll(() => {
    logError.mockRestore();
  });

  it('returns the response of the route matching method and resource', async () => {
    // Prepare
    const seen: string[] = [];
    const handler = routedHandler({
      health: async () => {
        seen.push('health');
        return jsonResponse(200, { route: 'health' });
      },
      catalogueItem: async (event) => {
        seen.push('catalogueItem');
        return jsonResponse(200, { route: 'catalogueItem', id: event.pathParameters?.itemId });
      },
    });

    // Act
    const response = await handler(
      apiEvent({
        httpMethod: 'DELETE',
        resource: '/v1/items/{itemId}',
        path: '/v1/items/sku-1',
        pathParameters: { itemId: 'sku-1' },
      }),
    );

    // Assess
    expect(response.statusCode).toBe(200);
    expect(json(response)).toEqual({ route: 'catalogueItem', id: 'sku-1' });
    expect(seen).toEqual(['catalogueItem']);
  });

  it('returns each route of a multi-route handler answered by its own function', async () => {
    // Prepare
    const handler = routedHandler({
      catalogueItems: async () => jsonResponse(200, { route: 'put' }),
      userErasure: async () => jsonResponse(202, { route: 'erase' }),
    });

    // Act
    const put = await handler(apiEvent({ httpMethod: 'PUT', resource: '/v1/items', path: '/v1/items' }));
    const erase = await handler(
      apiEvent({ httpMethod: 'DELETE', resource: '/v1/users/{userId}', path: '/v1/users/alice' }),
    );

    // Assess
    expect([put.statusCode, json(put)]).toEqual([200, { route: 'put' }]);
    expect([erase.statusCode, json(erase)]).toEqual([202, { route: 'erase' }]);
  });

  it.each([
    ['a method the resource does not serve here', 'POST', '/v1/health'],
    ['a resource no route serves', 'GET', '/v1/nowhere'],
    ['a route of another function', 'PUT', '/v1/items'],
    ['a known resource with the wrong method', 'DELETE', '/v1/items'],
  ])('returns 404 route_not_found for %s, without logging', async (_name, httpMethod, resource) => {
    // Prepare
    const handler = routedHandler({ health: async () => jsonResponse(200, {}) });

    // Act
    const response = await handler(apiEvent({ httpMethod, resource, path: resource }));

    // Assess
    expect(response.statusCode).toBe(404);
    expect(json(response)).toEqual({ reason: 'route_not_found', message: `no route for ${httpMethod} ${resource}` });
    expect(logError).not.toHaveBeenCalled();
  });

  it.each([
    [new InvalidRequestError('bad_thing', 'the thing is bad'), 400],
    [new PayloadTooLargeError('too_big', 'it is too big'), 413],
  ])('returns a client ApiError as its status, reason and message, without logging', async (error, status) => {
    // Prepare
    const handler = routedHandler({
      health: async () => {
        throw error;
      },
    });

    // Act
    const response = await handler(apiEvent());

    // Assess
    expect(response.statusCode).toBe(status);
    expect(response.headers?.['content-type']).toMatch(/^application\/json/);
    expect(json(response)).toEqual({ reason: error.reason, message: error.message });
    expect(logError).not.toHaveBeenCalled();
  });

  it.each([
    ['a text body over the limit, on a route that reads none', 'x'.repeat(apiLimits.maxBodyBytes + 1), false],
    ['5 MB of whitespace', ' '.repeat(5 * 1024 * 1024), false],
    [
      'a base64 body standing for more bytes than the limit',
      Buffer.alloc(apiLimits.maxBodyBytes + 1).toString('base64'),
      true,
    ],
  ])('returns 413 body_too_large for %s, without calling the route', async (_name, body, isBase64Encoded) => {
    // Prepare
    const route = vi.fn(async () => jsonResponse(200, {}));
    const handler = routedHandler({ health: route });

    // Act
    const response = await handler(apiEvent({ body, isBase64Encoded }));

    // Assess
    expect(response.statusCode).toBe(413);
    expect(json(response)).toMatchObject({ reason: 'body_too_large' });
    expect(route).not.toHaveBeenCalled();
  });

  it('returns a body of exactly the limit to the route', async () => {
    // Prepare
    const route = vi.fn(async () => jsonResponse(200, {}));
    const handler = routedHandler({ health: route });

    // Act
    const response = await handler(apiEvent({ body: 'x'.repeat(apiLimits.maxBodyBytes) }));

    // Assess
    expect(response.statusCode).toBe(200);
    expect(route).toHaveBeenCalledOnce();
  });

  it('returns a 5xx ApiError as it is, and logs it', async () => {
    // Prepare
    const error = new DependencyUnavailableError('store_unavailable', 'try again');
    const handler = routedHandler({
      health: async () => {
        throw error;
      },
    });

    // Act
    const response = await handler(apiEvent());

    // Assess
    expect(response.statusCode).toBe(503);
    expect(json(response)).toEqual({ reason: 'store_unavailable', message: 'try again' });
    expect(logError).toHaveBeenCalledWith('request failed', { error });
  });

  it('returns a bare 500 for an unknown error, logging it without leaking its message', async () => {
    // Prepare
    const error = new Error('connect ECONNREFUSED 10.0.0.7:443 secret-table');
    const handler = routedHandler({
      health: async () => {
        throw error;
      },
    });

    // Act
    const response = await handler(apiEvent());

    // Assess
    expect(response.statusCode).toBe(500);
    expect(json(response)).toEqual({ reason: 'internal_error', message: 'internal error' });
    expect(response.body).not.toContain('secret-table');
    expect(logError).toHaveBeenCalledWith('request failed', { error });
  });

  it('returns a bare 500 for a rejected non-Error value', async () => {
    // Prepare
    const handler = routedHandler({
      health: () => Promise.reject('just a string'),
    });

    // Act
    const response = await handler(apiEvent());

    // Assess
    expect(response.statusCode).toBe(500);
    expect(json(response)).toEqual({ reason: 'internal_error', message: 'internal error' });
    expect(logError).toHaveBeenCalledTimes(1);
  });
});

describe('Function: bodyOf', () => {
  it('returns a plain body as it is', () => {
    // Act
    const body = bodyOf(apiEvent({ body: '{"items":[]}' }));

    // Assess
    expect(body).toBe('{"items":[]}');
  });

  it('returns a base64 body decoded as UTF-8', () => {
    // Prepare
    const text = '{"items":[{"itemId":"café-€"}]}';

    // Act
    const body = bodyOf(apiEvent({ body: Buffer.from(text, 'utf8').toString('base64'), isBase64Encoded: true }));

    // Assess
    expect(body).toBe(text);
  });

  it('throws invalid_encoding (400) for a base64 body that is not UTF-8, as a handler answers it', async () => {
    // Prepare
    const handler = routedHandler({ rankings: async (event) => jsonResponse(200, { body: bodyOf(event) }) });
    const latin1 = Buffer.from('{"userId":"caf\xe9"}', 'latin1').toString('base64');

    // Act
    const response = await handler(
      apiEvent({ resource: api.routes.rankings, httpMethod: 'POST', body: latin1, isBase64Encoded: true }),
    );

    // Assess
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body)).toMatchObject({ reason: 'invalid_encoding' });
  });

  it('returns null for no body, base64 flag or not', () => {
    // Act
    const bodies = [bodyOf(apiEvent({ body: null })), bodyOf(apiEvent({ body: null, isBase64Encoded: true }))];

    // Assess
    expect(bodies).toEqual([null, null]);
  });

  it('returns an empty base64 body as empty', () => {
    // Act
    const body = bodyOf(apiEvent({ body: '', isBase64Encoded: true }));

    // Assess
    expect(body).toBe('');
  });
});

describe('Function: pathId', () => {
  it('returns the path parameter', () => {
    // Act
    const id = pathId(apiEvent({ pathParameters: { userId: 'alice' } }), 'userId');

    // Assess
    expect(id).toBe('alice');
  });

  it('returns an id of exactly maxIdChars characters', () => {
    // Prepare
    const long = 'x'.repeat(apiLimits.maxIdChars);

    // Act
    const id = pathId(apiEvent({ pathParameters: { itemId: long } }), 'itemId');

    // Assess
    expect(id).toBe(long);
  });

  it.each<[string, APIGatewayProxyEvent['pathParameters']]>([
    ['no path parameters', null],
    ['another parameter only', { itemId: 'sku-1' }],
    ['an empty value', { userId: '' }],
  ])('returns 400 missing_user_id for %s', (_name, pathParameters) => {
    // Act
    const read = () => pathId(apiEvent({ pathParameters }), 'userId');

    // Assess
    expect(read).toThrow(InvalidRequestError);
    expect(read).toThrow(
      expect.objectContaining({ reason: 'missing_user_id', status: 400, message: 'userId path parameter is required' }),
    );
  });

  it('returns 400 invalid_item_id for an id over maxIdChars', () => {
    // Act
    const read = () => pathId(apiEvent({ pathParameters: { itemId: 'x'.repeat(apiLimits.maxIdChars + 1) } }), 'itemId');

    // Assess
    expect(read).toThrow(
      expect.objectContaining({
        reason: 'invalid_item_id',
        message: `itemId must be at most ${apiLimits.maxIdChars} characters`,
      }),
    );
  });

  it.each([
    ['U+FFFD, what bytes that are not UTF-8 are read as', 'a\ufffd'],
    ['an unpaired surrogate', 'a\ud800'],
    ['a control character', 'a\u0000b'],
    ['a C1 control character', 'a\u0085'],
  ])('returns 400 invalid_user_id for an id holding %s, as events refuse it', (_name, userId) => {
    // Act
    const read = () => pathId(apiEvent({ pathParameters: { userId } }), 'userId');

    // Assess
    expect(read).toThrow(InvalidRequestError);
    expect(read).toThrow(expect.objectContaining({ reason: 'invalid_user_id', status: 400 }));
    expect(read).toThrow(/^userId must not contain/);
  });

  it.each(['constructor', '__proto__', 'toString', 'ü-名前-😀', 'a/b?c#d%20'])(
    'returns %j as any other id',
    (userId) => {
      // Prepare: as API Gateway's JSON event holds it.
      const pathParameters = JSON.parse(JSON.stringify({ userId })) as Record<string, string>;

      // Act
      const id = pathId(apiEvent({ pathParameters }), 'userId');

      // Assess
      expect(id).toBe(userId);
    },
  );

  it('returns 400 missing_constructor rather than a property of Object.prototype for a parameter not sent', () => {
    // Act
    const read = () => pathId(apiEvent({ pathParameters: { userId: 'u1' } }), 'constructor');

    // Assess
    expect(read).toThrow(expect.objectContaining({ reason: 'missing_constructor', status: 400 }));
  });

  it('returns every capital of a camelCase name turned into snake_case in the reason', () => {
    // Act
    const read = () => pathId(apiEvent(), 'shopperKeyId');

    // Assess
    expect(read).toThrow(expect.objectContaining({ reason: 'missing_shopper_key_id' }));
  });
});

describe('Function: httpHandler CORS headers', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  const ok = { health: async () => jsonResponse(200, { ok: true }, { 'x-cache': 'HIT' }) };
  const withOrigin = (origin: string | undefined, name = 'Origin') =>
    apiEvent({ headers: origin === undefined ? {} : { [name]: origin } });

  it('returns Access-Control-Allow-Origin * by default (shared config), without reading any environment', async () => {
    // Prepare
    vi.stubEnv(envVars.corsAllowOrigins, '');
    const handler = routedHandler(ok);

    // Act
    const response = await handler(withOrigin('https://anyone.example'));

    // Assess
    expect(api.cors.allowOrigins).toEqual(['*']);
    expect(response.headers).toEqual({
      'content-type': 'application/json; charset=utf-8',
      'x-cache': 'HIT',
      'access-control-allow-origin': '*',
      'access-control-expose-headers': 'x-cache,retry-after',
    });
  });

  it.each([
    ['Origin', 'https://shop.example'],
    ['origin', 'https://www.shop.example'],
  ])('returns a listed %s echoed with Vary: Origin', async (name, origin) => {
    // Prepare
    vi.stubEnv(envVars.corsAllowOrigins, 'https://shop.example,https://www.shop.example');
    const handler = routedHandler(ok);

    // Act
    const response = await handler(withOrigin(origin, name));

    // Assess
    expect(response.headers).toMatchObject({
      'access-control-allow-origin': origin,
      vary: 'Origin',
      'access-control-expose-headers': 'x-cache,retry-after',
    });
  });

  it.each([
    ['an unlisted origin', 'https://evil.example'],
    ['no Origin', undefined],
  ])('returns no Access-Control-Allow-Origin for %s', async (_name, origin) => {
    // Prepare
    vi.stubEnv(envVars.corsAllowOrigins, 'https://shop.example');
    const handler = routedHandler(ok);

    // Act
    const response = await handler(withOrigin(origin));

    // Assess
    expect(response.statusCode).toBe(200);
    expect(response.headers).not.toHaveProperty('access-control-allow-origin');
    expect(response.headers).not.toHaveProperty('access-control-expose-headers');
    expect(response.headers).toMatchObject({ vary: 'Origin' });
  });

  it('returns the headers on errors too: 404 route_not_found, client errors and a bare 500', async () => {
    // Prepare
    const log = vi.spyOn(logger, 'error').mockImplementation(() => {});
    vi.stubEnv(envVars.corsAllowOrigins, 'https://shop.example');
    const handler = routedHandler({
      health: async () => {
        throw new Error('boom');
      },
      trending: async () => {
        throw new InvalidRequestError('invalid_window', 'bad window');
      },
    });
    const request = (overrides: Partial<APIGatewayProxyEvent>) =>
      handler(apiEvent({ headers: { origin: 'https://shop.example' }, ...overrides }));

    // Act
    const responses = await Promise.all([
      request({}),
      request({ resource: '/v1/trending', path: '/v1/trending' }),
      request({ resource: '/v1/nowhere', path: '/v1/nowhere' }),
    ]);

    // Assess
    expect(responses.map((response) => response.statusCode)).toEqual([500, 400, 404]);
    for (const response of responses) {
      expect(response.headers).toMatchObject({ 'access-control-allow-origin': 'https://shop.example' });
    }
    log.mockRestore();
  });

  it('returns the headers for an answer that had none, and for an event without headers', async () => {
    // Prepare
    const handler = routedHandler({ health: async () => ({ statusCode: 204, body: '' }) });

    // Act
    const response = await handler(apiEvent({ headers: null as unknown as APIGatewayProxyEvent['headers'] }));

    // Assess
    expect(response.headers).toEqual({
      'access-control-allow-origin': '*',
      'access-control-expose-headers': 'x-cache,retry-after',
    });
  });

  it('reads the origins once, when the handler is made (cold start)', async () => {
    // Prepare
    vi.stubEnv(envVars.corsAllowOrigins, 'https://shop.example');
    const handler = routedHandler(ok);
    vi.stubEnv(envVars.corsAllowOrigins, '*');

    // Act
    const response = await handler(withOrigin('https://shop.example'));

    // Assess
    expect(response.headers).toMatchObject({ 'access-control-allow-origin': 'https://shop.example', vary: 'Origin' });
  });

  it('throws when made with origins no browser could send, failing the cold start', () => {
    // Prepare
    vi.stubEnv(envVars.corsAllowOrigins, 'shop.example');

    // Act + Assess
    expect(() => routedHandler(ok)).toThrow(envVars.corsAllowOrigins);
  });
});
