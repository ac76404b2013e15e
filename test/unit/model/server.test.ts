import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Model, ScoredItem } from '#shared/recommender/model.ts';
import { asModelError, checkAccept, checkContentType, InferenceServer } from '../../../model/lib/server.ts';

/*
 * The HTTP layer with a stand-in model, on a loopback port: routing, status codes, headers.
 * The real model and the real process are in test/e2e/model-container.test.ts.
 */

const ITEMS: ScoredItem[] = [
  { itemId: 'a', score: 3, reason: 'popular' },
  { itemId: 'b', score: 1 },
];

const model: Model = {
  algorithm: 'popularity',
  recommend: (query) => ITEMS.slice(0, query.count),
  similarItems: (_itemId, count) => ITEMS.slice(0, count),
  save: async () => {},
};

let server: InferenceServer;
let url: string;
const logged: string[] = [];

beforeEach(async () => {
  logged.length = 0;
  server = new InferenceServer({ maxBodyBytes: 64, log: (line) => logged.push(line) });
  url = await server.listen(0, '127.0.0.1');
});

afterEach(async () => {
  await server.close(0);
});

const post = (path: string, body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
  fetch(`${url}${path}`, { method: 'POST', body, headers });

describe('Entry point: serve', () => {
  describe('GET /ping', () => {
    it('returns 503 while the model loads', async () => {
      // Act
      const response = await fetch(`${url}/ping`);

      // Assess
      expect(response.status).toBe(503);
      expect(await response.json()).toEqual({ reason: 'model_not_loaded', message: 'the model is loading' });
    });

    it('returns 200 with the model version once the model is loaded', async () => {
      // Prepare
      server.ready({ model, algorithm: 'popularity', modelVersion: 'v7' });

      // Act
      const response = await fetch(`${url}/ping`);

      // Assess
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ status: 'ok', modelVersion: 'v7', algorithm: 'popularity' });
    });

    it('returns 200 without a body for HEAD', async () => {
      // Prepare
      server.ready({ model, algorithm: 'popularity', modelVersion: 'v7' });

      // Act
      const response = await fetch(`${url}/ping`, { method: 'HEAD' });

      // Assess
      expect(response.status).toBe(200);
      expect(await response.text()).toBe('');
    });

    it('returns 405 with Allow for POST', async () => {
      // Act
      const response = await fetch(`${url}/ping`, { method: 'POST' });

      // Assess
      expect(response.status).toBe(405);
      expect(response.headers.get('allow')).toBe('GET, HEAD');
    });
  });

  describe('POST /invocations', () => {
    beforeEach(() => {
      server.ready({ model, algorithm: 'popularity', modelVersion: 'v7' });
    });

    it('returns the ranking as JSON', async () => {
      // Act
      const response = await post('/invocations', '{"userId": "u1", "count": 2}');

      // Assess
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(await response.json()).toEqual({
        modelVersion: 'v7',
        algorithm: 'popularity',
        items: [
          { itemId: 'a', score: 3, reason: 'popular' },
          { itemId: 'b', score: 1, reason: null },
        ],
      });
    });

    it('returns the ranking for Content-Type with a UTF-8 charset and Accept */*', async () => {
      // Act
      const response = await post('/invocations', '{"count": 1}', {
        'content-type': 'Application/JSON; charset="UTF-8"',
        accept: 'text/html, */*;q=0.1',
      });

      // Assess
      expect(response.status).toBe(200);
    });

    it('returns 400 naming the field', async () => {
      // Act
      const response = await post('/invocations', '{"count": 0}');

      // Assess
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({
        reason: 'invalid_field',
        field: 'count',
        message: 'count: must be an integer from 1 to 500',
      });
    });

    it.each([
      ['no Content-Type', {}, 'unsupported_media_type'],
      ['text/plain', { 'content-type': 'text/plain' }, 'unsupported_media_type'],
      ['a Latin-1 charset', { 'content-type': 'application/json; charset=iso-8859-1' }, 'unsupported_media_type'],
      [
        'gzip encoding',
        { 'content-type': 'application/json', 'content-encoding': 'gzip' },
        'unsupported_content_encoding',
      ],
    ])('returns 415 for %s', async (_name, headers, reason) => {
      // Act
      const response = await post('/invocations', '{}', headers);

      // Assess
      expect(response.status).toBe(415);
      expect(await response.json()).toMatchObject({ reason });
    });

    it('returns 406 when the caller accepts no JSON', async () => {
      // Act
      const response = await post('/invocations', '{}', { 'content-type': 'application/json', accept: 'text/csv' });

      // Assess
      expect(response.status).toBe(406);
      expect(await response.json()).toMatchObject({ reason: 'not_acceptable' });
    });

    it('returns 413 for a body over the limit', async () => {
      // Act
      const response = await post('/invocations', JSON.stringify({ userId: 'u'.repeat(100) }));

      // Assess
      expect(response.status).toBe(413);
      expect(await response.json()).toMatchObject({ reason: 'body_too_large' });
    });

    it('returns 405 with Allow for GET', async () => {
      // Act
      const response = await fetch(`${url}/invocations`);

      // Assess
      expect(response.status).toBe(405);
      expect(response.headers.get('allow')).toBe('POST');
    });

    it('returns 500 without internals when the model throws, and logs the error', async () => {
      // Prepare
      const failing: Model = {
        ...model,
        recommend: vi.fn(() => {
          throw new Error('index out of range');
        }),
      };
      server.ready({ model: failing, algorithm: 'popularity', modelVersion: 'v7' });

      // Act
      const response = await post('/invocations', '{}');

      // Assess
      expect(response.status).toBe(500);
      expect(await response.json()).toEqual({ reason: 'internal_error', message: 'internal error' });
      expect(logged.join('\n')).toContain('index out of range');
    });
  });

  describe('POST /invocations before the model is loaded', () => {
    it('returns 503', async () => {
      // Act
      const response = await post('/invocations', '{}');

      // Assess
      expect(response.status).toBe(503);
      expect(await response.json()).toMatchObject({ reason: 'model_not_loaded' });
    });
  });

  describe('POST /endpoints/{name}/invocations (SageMaker Runtime InvokeEndpoint)', () => {
    beforeEach(() => {
      server.ready({ model, algorithm: 'popularity', modelVersion: 'v7' });
    });

    it('returns the same ranking with the invoked production variant', async () => {
      // Act
      const response = await post('/endpoints/reco-endpoint/invocations', '{"count": 1}');

      // Assess
      expect(response.status).toBe(200);
      expect(response.headers.get('x-amzn-invoked-production-variant')).toBe('AllTraffic');
      expect(await response.json()).toEqual({
        modelVersion: 'v7',
        algorithm: 'popularity',
        items: [{ itemId: 'a', score: 3, reason: 'popular' }],
      });
    });

    it('returns a container error as SageMaker Runtime does: 424 ModelError with the original status and body', async () => {
      // Act
      const response = await post('/endpoints/reco-endpoint/invocations', '{"count": "ten"}');

      // Assess
      expect(response.status).toBe(424);
      expect(response.headers.get('x-amzn-errortype')).toBe('ModelError');
      const body = (await response.json()) as {
        OriginalStatusCode: number;
        OriginalMessage: string;
        ErrorCode: string;
      };
      expect(body.ErrorCode).toBe('CLIENT_ERROR_FROM_MODEL');
      expect(body.OriginalStatusCode).toBe(400);
      expect(JSON.parse(body.OriginalMessage)).toMatchObject({ reason: 'invalid_field', field: 'count' });
    });
  });

  describe('other routes', () => {
    it('returns 404 naming the routes', async () => {
      // Act
      const response = await fetch(`${url}/v1/recommendations`);

      // Assess
      expect(response.status).toBe(404);
      expect(await response.json()).toMatchObject({ reason: 'route_not_found' });
    });
  });

  describe('shutdown', () => {
    it('returns once closed, no longer ready or listening', async () => {
      // Prepare
      server.ready({ model, algorithm: 'popularity', modelVersion: 'v7' });
      await fetch(`${url}/ping`);

      // Act
      await server.close(1_000);

      // Assess
      expect(server.isReady).toBe(false);
      expect(server.http.listening).toBe(false);
      await expect(fetch(`${url}/ping`)).rejects.toThrow();
    });
  });

  describe('header checks', () => {
    it.each([undefined, '', 'application/json', 'application/*', '*/*', 'text/plain, application/json;q=0.5'])(
      'returns quietly for Accept %j',
      (accept) => {
        // Act
        const check = () => checkAccept(accept);

        // Assess
        expect(check).not.toThrow();
      },
    );

    it.each(['application/json', 'application/json; charset=utf-8', 'APPLICATION/JSON;charset=UTF8'])(
      'returns quietly for Content-Type %j',
      (type) => {
        // Act
        const check = () => checkContentType(type, undefined);

        // Assess
        expect(check).not.toThrow();
      },
    );

    it('returns a 5xx wrapped as a server error from the model', () => {
      // Act
      const reply = asModelError({ status: 503, body: { reason: 'model_not_loaded' } });

      // Assess
      expect(reply.status).toBe(424);
      expect(reply.body).toMatchObject({ ErrorCode: 'SERVER_ERROR_FROM_MODEL', OriginalStatusCode: 503 });
    });
  });
});
