import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest';
import type { handler as RecommendHandler } from '#functions/recommend/handler.ts';
import { emptyProfile } from '#shared/features/profile.ts';
import { featureLimits } from '#shared/config/index.ts';

const NOW = Date.parse('2025-03-10T12:00:00.000Z');
const TABLE = 'features-test';

// DynamoFeatureStore sends through a DynamoDBDocumentClient, whose `send` does not go through
// DynamoDBClient.prototype.send, so the document client is the one to mock.
const dynamo = mockClient(DynamoDBDocumentClient);
let handler: typeof RecommendHandler;
let logError: MockInstance;

function apiEvent(overrides: Partial<APIGatewayProxyEvent> = {}): APIGatewayProxyEvent {
  return {
    resource: '/v1/users/{userId}/recommendations',
    path: '/v1/users/alice/recommendations',
    httpMethod: 'GET',
    headers: {},
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: { userId: 'alice' },
    stageVariables: null,
    requestContext: {} as APIGatewayProxyEvent['requestContext'],
    body: null,
    isBase64Encoded: false,
    ...overrides,
  };
}

const json = (response: APIGatewayProxyResult): Record<string, unknown> =>
  JSON.parse(response.body) as Record<string, unknown>;

/** Shard 0 of a day's popularity board; the other shards answer empty. */
const board = (day: string) => ({ ExpressionAttributeValues: { ':board': `POP#${day}#0` } });

describe('Handler: recommend', () => {
  beforeAll(async () => {
    vi.stubEnv('FEATURE_TABLE_NAME', TABLE);
    vi.stubEnv('MODEL_VERSION', 'test-model');
    vi.stubEnv('AWS_REGION', 'us-east-1');
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'test');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'test');
    ({ handler } = await import('#functions/recommend/handler.ts'));
    const { logger } = await import('#functions/lib/observability.ts');
    logError = vi.spyOn(logger, 'error').mockImplementation(() => {});
  });

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(NOW);
    dynamo.reset();
    dynamo.on(QueryCommand).resolves({ Items: [] });
    dynamo
      .on(QueryCommand, board('2025-03-10'))
      .resolves({
        Items: [
          { itemId: 'sku-1', score: 5 },
          { itemId: 'sku-2', score: 4 },
          { itemId: 'sku-3', score: 1 },
        ],
      })
      .on(QueryCommand, board('2025-03-09'))
      .resolves({ Items: [{ itemId: 'sku-4', score: 6 }] });
    dynamo.on(GetCommand).resolves({});
    logError.mockClear();
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  afterAll(() => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
    dynamo.restore();
  });

  describe('health', () => {
    it('returns 200 with status ok and the model version, without touching DynamoDB', async () => {
      // Act
      const response = await handler(apiEvent({ resource: '/v1/health', path: '/v1/health', pathParameters: null }));

      // Assess
      expect(response.statusCode).toBe(200);
      expect(json(response)).toEqual({ status: 'ok', modelVersion: 'test-model' });
      expect(dynamo.calls()).toHaveLength(0);
    });
  });

  describe('recommendations', () => {
    it('returns 200 with popular items ranked across today and yesterday', async () => {
      // Act
      const response = await handler(apiEvent({ queryStringParameters: { count: '3' } }));

      // Assess
      expect(response.statusCode).toBe(200);
      expect(response.headers?.['content-type']).toMatch(/^application\/json/);
      expect(json(response)).toEqual({
        recommendationId: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/),
        modelVersion: 'test-model',
        items: [
          { itemId: 'sku-1', score: 5, reason: 'popular' },
          { itemId: 'sku-2', score: 4, reason: 'popular' },
          { itemId: 'sku-4', score: 3, reason: 'popular' },
        ],
        degraded: false,
      });
    });

    it('returns the popularity boards queried on the score index of the configured table', async () => {
      // Act
      await handler(apiEvent());

      // Assess
      const queries = dynamo.commandCalls(QueryCommand).map((call) => call.args[0].input);
      expect(queries).toHaveLength(2 * featureLimits.boardShards);
      for (const query of queries) {
        expect(query).toMatchObject({
          TableName: TABLE,
          IndexName: 'byScore',
          ScanIndexForward: false,
          Limit: featureLimits.popularityCandidates,
        });
      }
      const shards = Array.from({ length: featureLimits.boardShards }, (_, shard) => shard);
      expect(queries.map((q) => q.ExpressionAttributeValues?.[':board']).sort()).toEqual([
        ...shards.map((shard) => `POP#2025-03-09#${shard}`),
        ...shards.map((shard) => `POP#2025-03-10#${shard}`),
      ]);
    });

    it("returns no item the shopper purchased, reading both the user's and the anonymous key", async () => {
      // Prepare
      dynamo.on(GetCommand, { Key: { pk: 'U#u:alice', sk: 'PROFILE' } }).resolves({
        Item: {
          pk: 'U#u:alice',
          sk: 'PROFILE',
          featureVersion: 3,
          profile: {
            ...emptyProfile,
            recentItems: [
              { itemId: 'sku-1', type: 'purchase', at: NOW - 1_000, weight: 8, purchased: true },
              { itemId: 'sku-2', type: 'view', at: NOW - 2_000, weight: 1, purchased: false },
            ],
          },
        },
      });

      // Act
      const response = await handler(apiEvent());

      // Assess
      expect(response.statusCode).toBe(200);
      expect((json(response).items as { itemId: string }[]).map((i) => i.itemId)).toEqual(['sku-2', 'sku-4', 'sku-3']);
      const keys = dynamo.commandCalls(GetCommand).map((call) => call.args[0].input.Key?.pk);
      expect(keys.sort()).toEqual(['U#a:alice', 'U#u:alice']);
    });

    it('returns the default count of items when count is absent', async () => {
      // Prepare
      const many = Array.from({ length: 15 }, (_, i) => ({
        itemId: `sku-${String(i).padStart(2, '0')}`,
        score: 100 - i,
      }));
      dynamo.on(QueryCommand, board('2025-03-10')).resolves({ Items: many });

      // Act
      const response = await handler(apiEvent({ queryStringParameters: null }));

      // Assess
      expect(response.statusCode).toBe(200);
      expect(json(response).items).toHaveLength(10);
    });

    it('returns 200 with an empty list for a shopper and a shop with no data', async () => {
      // Prepare
      dynamo.on(QueryCommand).resolves({});

      // Act
      const response = await handler(apiEvent({ pathParameters: { userId: 'nobody' } }));

      // Assess
      expect(response.statusCode).toBe(200);
      expect(json(response)).toMatchObject({ items: [], degraded: false });
    });
  });

  describe('invalid requests', () => {
    it('returns 400 invalid_count for count=abc, without touching DynamoDB', async () => {
      // Act
      const response = await handler(apiEvent({ queryStringParameters: { count: 'abc' } }));

      // Assess
      expect(response.statusCode).toBe(400);
      expect(json(response)).toEqual({ reason: 'invalid_count', message: expect.stringContaining('"abc"') });
      expect(dynamo.calls()).toHaveLength(0);
      expect(logError).not.toHaveBeenCalled();
    });

    it.each(['0', '101', '1.5', '-1'])('returns 400 invalid_count for count=%s', async (count) => {
      // Act
      const response = await handler(apiEvent({ queryStringParameters: { count } }));

      // Assess
      expect(response.statusCode).toBe(400);
      expect(json(response)).toMatchObject({ reason: 'invalid_count' });
    });

    it('returns 400 missing_user_id when the path parameter is missing', async () => {
      // Act
      const response = await handler(apiEvent({ pathParameters: null }));

      // Assess
      expect(response.statusCode).toBe(400);
      expect(json(response)).toMatchObject({ reason: 'missing_user_id' });
    });

    it('returns 404 route_not_found for an unknown resource', async () => {
      // Act
      const response = await handler(
        apiEvent({ resource: '/v1/items/{itemId}', path: '/v1/items/sku-1', pathParameters: { itemId: 'sku-1' } }),
      );

      // Assess
      expect(response.statusCode).toBe(404);
      expect(json(response)).toEqual({ reason: 'route_not_found', message: 'no route for GET /v1/items/sku-1' });
    });
  });

  describe('failures', () => {
    it('returns 500 internal_error without leaking the error when DynamoDB throws, and logs it', async () => {
      // Prepare
      const failure = new Error('arn:aws:dynamodb:us-east-1:123456789012:table/features-test is on fire');
      dynamo.on(QueryCommand).rejects(failure);

      // Act
      const response = await handler(apiEvent());

      // Assess
      expect(response.statusCode).toBe(500);
      expect(json(response)).toEqual({ reason: 'internal_error', message: 'internal error' });
      expect(response.body).not.toContain('on fire');
      expect(response.body).not.toContain('arn:aws');
      expect(response.body).not.toMatch(/\bat \S+ \(/);
      expect(logError).toHaveBeenCalledWith('request failed', { error: failure });
    });

    it('returns 500 internal_error when reading the shopper fails', async () => {
      // Prepare
      dynamo.on(GetCommand).rejects(new Error('throttled'));

      // Act
      const response = await handler(apiEvent());

      // Assess
      expect(response.statusCode).toBe(500);
      expect(json(response)).toEqual({ reason: 'internal_error', message: 'internal error' });
    });
  });
});
