import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import {
  BatchGetCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type BatchGetCommandInput,
  type GetCommandInput,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest';
import type { handler as RecommendHandler } from '#functions/recommend/handler.ts';
import { api, featureLimits, serving } from '#shared/config/index.ts';
import { emptyProfile } from '#shared/features/profile.ts';
import { apiEvent } from '../../support/apiGateway.ts';
import { captureStdout, metricValues } from './emf.ts';
import { storefrontContext, TEST_AUTH_ENV, testUserToken } from '../../support/auth.ts';

const NOW = Date.parse('2025-03-10T12:00:00.000Z');
const TODAY = '2025-03-10';
const YESTERDAY = '2025-03-09';
const TABLE = 'features-test';
const ENDPOINT = 'reco-endpoint';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/;

// DynamoFeatureStore sends through a DynamoDBDocumentClient, whose `send` does not go through
// DynamoDBClient.prototype.send, so the document client is the one to mock.
const dynamo = mockClient(DynamoDBDocumentClient);
const sageMaker = mockClient(SageMakerRuntimeClient);

let handler: typeof RecommendHandler;
let logWarn: MockInstance;
let logError: MockInstance;

/**
 * Imports the handler afresh (new module-scope cache, breaker and last good trending answer),
 * with or without a model endpoint. The environment must be set before the import: the handler
 * reads it at cold start.
 */
async function coldStart(modelEndpoint: string | undefined, metrics = false): Promise<void> {
  vi.resetModules();
  vi.stubEnv('MODEL_ENDPOINT_NAME', modelEndpoint);
  // Metrics are read at cold start too; off unless a test is about them, so stdout stays quiet.
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', metrics ? 'false' : 'true');
  ({ handler } = await import('#functions/recommend/handler.ts'));
  const { logger } = await import('#functions/lib/observability.ts');
  logWarn = vi.spyOn(logger, 'warn').mockImplementation(() => {});
  logError = vi.spyOn(logger, 'error').mockImplementation(() => {});
}

const health = () => apiEvent({ resource: api.routes.health, path: '/v1/health' });
const forUser = (userId: string, query: Record<string, string> | null = null) =>
  apiEvent({
    resource: api.routes.userRecommendations,
    path: `/v1/users/${userId}/recommendations`,
    pathParameters: { userId },
    queryStringParameters: query,
  });
const similarTo = (itemId: string, query: Record<string, string> | null = null) =>
  apiEvent({
    resource: api.routes.similarItems,
    path: `/v1/items/${itemId}/similar`,
    pathParameters: { itemId },
    queryStringParameters: query,
  });
const trending = (query: Record<string, string> | null = null) =>
  apiEvent({ resource: api.routes.trending, path: '/v1/trending', queryStringParameters: query });
const rankings = (body: unknown) =>
  apiEvent({
    resource: api.routes.rankings,
    path: '/v1/rankings',
    httpMethod: 'POST',
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

interface Item {
  readonly itemId: string;
  readonly score: number;
  readonly reason: string;
}
const json = (response: APIGatewayProxyResult) => JSON.parse(response.body) as Record<string, unknown>;
const itemsOf = (response: APIGatewayProxyResult) => json(response).items as Item[];
const idsOf = (response: APIGatewayProxyResult) => itemsOf(response).map((item) => item.itemId);
const cacheOf = (response: APIGatewayProxyResult) => response.headers?.[api.cacheStatusHeader];

const board = (index: 'byScore' | 'byTrend', board: string): Partial<QueryCommandInput> => ({
  IndexName: index,
  ExpressionAttributeValues: { ':board': board },
});

/** The body of every InvokeEndpointCommand sent, parsed. */
const modelRequests = () =>
  sageMaker
    .commandCalls(InvokeEndpointCommand)
    .map((call) => JSON.parse(new TextDecoder().decode(call.args[0].input.Body as Uint8Array)) as unknown);

const modelAnswers = (body: unknown) =>
  sageMaker.on(InvokeEndpointCommand).resolves({
    Body: new TextEncoder().encode(JSON.stringify(body)) as never,
    ContentType: 'application/json',
  });

/**
 * Popularity boards spread over shards: today sku-1 5, sku-2 4, sku-3 1 (shard 0), sku-5 2
 * (shard 2); yesterday sku-4 6 (shard 1, half weight: 3). Ranked: 1, 2, 4, 5, 3.
 * Trend board today (shard 3): sku-9 one view at noon, sku-8 one view at 08:00.
 */
function mockShop(): void {
  dynamo.on(QueryCommand).resolves({ Items: [] });
  dynamo
    .on(QueryCommand, board('byScore', `POP#${TODAY}#0`))
    .resolves({
      Items: [
        { itemId: 'sku-1', score: 5 },
        { itemId: 'sku-2', score: 4 },
        { itemId: 'sku-3', score: 1 },
      ],
    })
    .on(QueryCommand, board('byScore', `POP#${TODAY}#2`))
    .resolves({ Items: [{ itemId: 'sku-5', score: 2 }] })
    .on(QueryCommand, board('byScore', `POP#${YESTERDAY}#1`))
    .resolves({ Items: [{ itemId: 'sku-4', score: 6 }] })
    .on(QueryCommand, board('byTrend', `TREND#${TODAY}#3`))
    .resolves({
      Items: [
        { itemId: 'sku-9', trend: 2 ** 6 },
        { itemId: 'sku-8', trend: 2 ** 4 },
      ],
    });
  stored.clear();
  // Profiles are read with GetItem, catalogue entries with BatchGetItem, from the same fake table.
  dynamo.on(BatchGetCommand).callsFake((input: BatchGetCommandInput) => ({
    Responses: {
      [TABLE]: (input.RequestItems?.[TABLE]?.Keys ?? []).flatMap((key) => {
        const item = stored.get(`${key.pk as string}|${key.sk as string}`);
        return item ? [item] : [];
      }),
    },
  }));
  dynamo.on(GetCommand).callsFake((input: GetCommandInput) => {
    const item = stored.get(`${input.Key?.pk as string}|${input.Key?.sk as string}`);
    return item ? { Item: item } : {};
  });
  dynamo.on(PutCommand).resolves({});
}

/** Items the GetItem and BatchGetItem fakes find, by `pk|sk`. */
const stored = new Map<string, Record<string, unknown>>();
const store = (item: Record<string, unknown>) => stored.set(`${item.pk as string}|${item.sk as string}`, item);

/** The profile keys read, with whether every read was consistent. */
const profileReads = () => {
  const reads = dynamo
    .commandCalls(GetCommand)
    .map((call) => call.args[0].input)
    .filter((input) => input.Key?.sk === 'PROFILE' && input.TableName === TABLE);
  return {
    keys: reads.map((input) => input.Key),
    consistent: reads.every((input) => input.ConsistentRead === true),
  };
};

/** The served-list records written. */
const recordsWritten = () => dynamo.commandCalls(PutCommand).map((call) => call.args[0].input);

const profileOf = (shopperKey: string, featureVersion: number, recentItems: unknown[]) => ({
  Item: {
    pk: `U#${shopperKey}`,
    sk: 'PROFILE',
    featureVersion,
    profile: { ...emptyProfile, recentItems },
  },
});

describe('Handler: recommend', () => {
  beforeAll(() => {
    vi.stubEnv('FEATURE_TABLE_NAME', TABLE);
    for (const [name, value] of Object.entries(TEST_AUTH_ENV)) vi.stubEnv(name, value);
    vi.stubEnv('AWS_REGION', 'us-east-1');
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'test');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'test');
    vi.stubEnv('CACHE_URL', undefined);
    vi.stubEnv('MODEL_VERSION', undefined);
  });

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(NOW);
    dynamo.reset();
    sageMaker.reset();
    mockShop();
  });

  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  afterAll(() => {
    vi.unstubAllEnvs();
    dynamo.restore();
    sageMaker.restore();
  });

  describe('without a model endpoint', () => {
    beforeEach(async () => {
      await coldStart(undefined);
    });

    describe('callers', () => {
      const fromBrowser = (event: APIGatewayProxyEvent, token?: string): APIGatewayProxyEvent => ({
        ...event,
        requestContext: storefrontContext,
        headers: token === undefined ? {} : { [api.userTokenHeader]: token },
      });
      const profileKeysRead = () =>
        dynamo
          .commandCalls(GetCommand)
          .map((call) => call.args[0].input.Key?.pk as string)
          .filter((pk) => pk.startsWith('U#'));

      it('returns the anonymous profile only to a browser without a token, never the signed-in one', async () => {
        // Act
        const response = await handler(fromBrowser(forUser('alice')));

        // Assess
        expect(response.statusCode).toBe(200);
        expect(profileKeysRead()).toEqual(['U#a:alice']);
      });

      it("returns the signed-in profile to a browser with that user's token", async () => {
        // Act
        const response = await handler(fromBrowser(forUser('alice'), await testUserToken('alice')));

        // Assess
        expect(response.statusCode).toBe(200);
        expect(profileKeysRead()).toEqual(['U#u:alice']);
      });

      it("returns 403 user_token_mismatch for another user's token, reading no profile", async () => {
        // Act
        const response = await handler(fromBrowser(forUser('alice'), await testUserToken('mallory')));

        // Assess
        expect([response.statusCode, json(response).reason]).toEqual([403, 'user_token_mismatch']);
        expect(profileKeysRead()).toEqual([]);
      });

      it('returns 401 invalid_user_token for an expired token, and for one with a changed user id', async () => {
        // Prepare
        const expired = await testUserToken('alice', Date.now() - 2 * 3600_000, 3600);
        const [v, kid, exp, , mac] = (await testUserToken('mallory')).split('.');
        const forged = [v, kid, exp, Buffer.from('alice').toString('base64url'), mac].join('.');

        // Act
        const responses = [
          await handler(fromBrowser(forUser('alice'), expired)),
          await handler(fromBrowser(forUser('alice'), forged)),
        ];

        // Assess
        expect(responses.map((response) => [response.statusCode, json(response).reason])).toEqual([
          [401, 'invalid_user_token'],
          [401, 'invalid_user_token'],
        ]);
      });

      it('returns 403 unknown_api for a request from neither API, whatever its headers say', async () => {
        // Act
        const response = await handler({
          ...forUser('alice'),
          requestContext: { apiId: 'elsewhere', identity: { userArn: 'arn:aws:iam::1:root' } } as never,
          headers: { 'x-api-id': 'test-server' },
        });

        // Assess
        expect([response.statusCode, json(response).reason]).toEqual([403, 'unknown_api']);
      });
    });

    describe('health', () => {
      it('returns 200 with status ok, the fallback version and model popularity, without DynamoDB', async () => {
        // Act
        const response = await handler(health());

        // Assess
        expect(response.statusCode).toBe(200);
        expect(json(response)).toEqual({
          status: 'ok',
          model: 'popularity',
          modelVersion: 'popularity-v1',
          fallbackVersion: 'popularity-v1',
        });
        expect(dynamo.calls()).toHaveLength(0);
      });
    });

    describe('user recommendations', () => {
      it('returns 200 with popular items merged across board shards, today and yesterday, x-cache MISS', async () => {
        // Act
        const response = await handler(forUser('alice'));

        // Assess
        expect(response.statusCode).toBe(200);
        expect(response.headers?.['content-type']).toMatch(/^application\/json/);
        expect(cacheOf(response)).toBe('MISS');
        expect(json(response)).toEqual({
          recommendationId: expect.stringMatching(UUID),
          modelVersion: 'popularity-v1',
          items: [
            { itemId: 'sku-1', score: 5, reason: 'popular' },
            { itemId: 'sku-2', score: 4, reason: 'popular' },
            { itemId: 'sku-4', score: 3, reason: 'popular' },
            { itemId: 'sku-5', score: 2, reason: 'popular' },
            { itemId: 'sku-3', score: 1, reason: 'popular' },
          ],
          degraded: false,
        });
      });

      it('queries every shard of the popularity boards of today and yesterday on the score index', async () => {
        // Act
        await handler(forUser('alice'));

        // Assess
        const queries = dynamo.commandCalls(QueryCommand).map((call) => call.args[0].input);
        for (const query of queries) {
          expect(query).toMatchObject({ TableName: TABLE, IndexName: 'byScore', ScanIndexForward: false });
          // A first page of more than the shard's even share of the candidates, never more than all of them.
          expect(query.Limit).toBeGreaterThan(featureLimits.popularityCandidates / featureLimits.boardShards);
          expect(query.Limit).toBeLessThanOrEqual(featureLimits.popularityCandidates);
        }
        const shards = Array.from({ length: featureLimits.boardShards }, (_, shard) => shard);
        expect(queries.map((query) => query.ExpressionAttributeValues?.[':board']).sort()).toEqual([
          ...shards.map((shard) => `POP#${YESTERDAY}#${shard}`),
          ...shards.map((shard) => `POP#${TODAY}#${shard}`),
        ]);
      });

      it('reads the signed-in and the anonymous profile and leaves out what the shopper purchased', async () => {
        // Prepare
        store(
          profileOf('u:alice', 3, [
            { itemId: 'sku-1', type: 'purchase', at: NOW - 1_000, weight: 8, purchased: true },
            { itemId: 'sku-2', type: 'view', at: NOW - 2_000, weight: 1, purchased: false },
          ]).Item,
        );

        // Act
        const response = await handler(forUser('alice', { count: '3' }));

        // Assess
        expect(idsOf(response)).toEqual(['sku-2', 'sku-4', 'sku-5']);
        // Both consistent.
        expect(profileReads()).toEqual({
          keys: [
            { pk: 'U#u:alice', sk: 'PROFILE' },
            { pk: 'U#a:alice', sk: 'PROFILE' },
          ],
          consistent: true,
        });
      });

      it('filters by category through the catalogue, dropping items the catalogue does not know', async () => {
        // Prepare
        store({ pk: 'I#sku-2', sk: 'META', itemId: 'sku-2', categories: ['shoes'], inStock: true, updatedAt: NOW });
        store({ pk: 'I#sku-4', sk: 'META', itemId: 'sku-4', categories: ['hats'], inStock: true, updatedAt: NOW });

        // Act
        const response = await handler(forUser('alice', { category: 'shoes' }));

        // Assess
        expect(itemsOf(response)).toEqual([{ itemId: 'sku-2', score: 4, reason: 'popular in shoes' }]);
        const keys = dynamo
          .commandCalls(BatchGetCommand)
          .map((call) => call.args[0].input.RequestItems?.[TABLE]?.Keys)
          .find((batch) => batch?.some((key) => key.sk === 'META'));
        expect(keys).toEqual(
          ['sku-1', 'sku-2', 'sku-4', 'sku-5', 'sku-3'].map((itemId) => ({ pk: `I#${itemId}`, sk: 'META' })),
        );
      });

      it('returns x-cache HIT for the same request with the same recommendationId, recorded once', async () => {
        // Prepare
        const first = await handler(forUser('alice', { count: '2' }));

        // Act
        const second = await handler(forUser('alice', { count: '2' }));

        // Assess
        expect(cacheOf(first)).toBe('MISS');
        expect(cacheOf(second)).toBe('HIT');
        expect(itemsOf(second)).toEqual(itemsOf(first));
        // The hit serves the stored list under an answer id of its own that names that list.
        const firstId = json(first).recommendationId as string;
        expect(json(second).recommendationId).toMatch(new RegExp(`^${firstId}\\.[0-9a-f-]+$`));
        expect({ ...json(second), recommendationId: firstId }).toEqual(json(first));
        expect(second.headers).toEqual({ ...first.headers, [api.cacheStatusHeader]: 'HIT' });
        expect(recordsWritten()).toEqual(
          [first].map((response) => ({
            TableName: TABLE,
            Item: {
              pk: `REC#${json(response).recommendationId as string}`,
              sk: 'REC',
              recommendationId: json(response).recommendationId,
              kind: 'personal',
              modelVersion: 'popularity-v1',
              itemIds: ['sku-1', 'sku-2'],
              servedAt: NOW,
              expiresAt: NOW / 1000 + serving.attributionDays * 24 * 60 * 60,
            },
          })),
        );
      });

      it("returns x-cache MISS once the shopper's feature version changed", async () => {
        // Prepare
        store(profileOf('u:alice', 1, []).Item);
        await handler(forUser('alice'));
        store(
          profileOf('u:alice', 2, [{ itemId: 'sku-1', type: 'purchase', at: NOW, weight: 8, purchased: true }]).Item,
        );

        // Act
        const response = await handler(forUser('alice'));

        // Assess
        expect(cacheOf(response)).toBe('MISS');
        expect(idsOf(response)).not.toContain('sku-1');
      });
    });

    describe('similar items', () => {
      it('returns 200 with items bought and viewed together over the last 7 days, then x-cache HIT', async () => {
        // Prepare
        dynamo.on(QueryCommand, { ExpressionAttributeValues: { ':pk': 'I#sku-1' } }).resolves({
          Items: [
            { pk: 'I#sku-1', sk: `DAY#${TODAY}`, day: TODAY, score: 3, 'cb:sku-2': 1, 'cv:sku-2': 1, 'cv:sku-3': 2 },
          ],
        });

        // Act
        const first = await handler(similarTo('sku-1', { count: '2' }));
        const second = await handler(similarTo('sku-1', { count: '2' }));

        // Assess
        expect(first.statusCode).toBe(200);
        expect(cacheOf(first)).toBe('MISS');
        expect(json(first)).toEqual({
          recommendationId: expect.stringMatching(UUID),
          modelVersion: 'popularity-v1',
          items: [
            { itemId: 'sku-2', score: 4, reason: 'bought together with sku-1' },
            { itemId: 'sku-3', score: 2, reason: 'viewed together with sku-1' },
          ],
          degraded: false,
          notice: { reason: 'unknown_item', message: 'sku-1 is not in the catalogue; upsert it with PUT /v1/items' },
        });
        expect(cacheOf(second)).toBe('HIT');
        const query = dynamo.commandCalls(QueryCommand)[0]?.args[0].input;
        expect(query).toMatchObject({
          TableName: TABLE,
          KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
          ExpressionAttributeValues: { ':pk': 'I#sku-1', ':from': 'DAY#2025-03-04', ':to': `DAY#${TODAY}` },
        });
      });
    });

    describe('rankings', () => {
      it('returns 200 with every item once, by popularity, unknown items last, x-cache BYPASS', async () => {
        // Act
        const response = await handler(rankings({ userId: 'alice', itemIds: ['sku-new', 'sku-3', 'sku-1', 'sku-3'] }));

        // Assess
        expect(response.statusCode).toBe(200);
        expect(cacheOf(response)).toBe('BYPASS');
        expect(json(response)).toEqual({
          recommendationId: expect.stringMatching(UUID),
          modelVersion: 'popularity-v1',
          items: [
            { itemId: 'sku-1', score: 5, reason: 'popular' },
            { itemId: 'sku-3', score: 1, reason: 'popular' },
            { itemId: 'sku-new', score: 0, reason: 'not enough data' },
          ],
          degraded: false,
        });
      });

      it('decodes a base64 body', async () => {
        // Prepare
        const event = rankings('');
        event.body = Buffer.from(JSON.stringify({ userId: 'alice', itemIds: ['sku-3', 'sku-2'] })).toString('base64');
        event.isBase64Encoded = true;

        // Act
        const response = await handler(event);

        // Assess
        expect(response.statusCode).toBe(200);
        expect(idsOf(response)).toEqual(['sku-2', 'sku-3']);
      });
    });

    describe('trending', () => {
      it('returns 200 with popular items for the default 24h window, x-cache MISS then HIT', async () => {
        // Act
        const first = await handler(trending({ count: '2' }));
        const second = await handler(trending({ count: '2' }));

        // Assess
        expect(first.statusCode).toBe(200);
        expect(itemsOf(first)).toEqual([
          { itemId: 'sku-1', score: 5, reason: 'popular' },
          { itemId: 'sku-2', score: 4, reason: 'popular' },
        ]);
        expect([cacheOf(first), cacheOf(second)]).toEqual(['MISS', 'HIT']);
      });

      it('returns items by activity rate now for window=1h, reading every shard of the trend boards', async () => {
        // Act
        const response = await handler(trending({ window: '1h' }));

        // Assess
        // At noon the trend boards decay by 2^-6: 1 and 0.25 of activity, times ln 2 / 2 h per hour.
        expect(response.statusCode).toBe(200);
        expect(itemsOf(response)).toEqual([
          { itemId: 'sku-9', score: 0.3466, reason: 'trending' },
          { itemId: 'sku-8', score: 0.0866, reason: 'trending' },
        ]);
        const boards = dynamo
          .commandCalls(QueryCommand)
          .map((call) => call.args[0].input)
          .map((input) => `${input.IndexName} ${String(input.ExpressionAttributeValues?.[':board'])}`);
        const shards = Array.from({ length: featureLimits.boardShards }, (_, shard) => shard);
        expect(boards.sort()).toEqual([
          ...shards.map((shard) => `byTrend TREND#${YESTERDAY}#${shard}`),
          ...shards.map((shard) => `byTrend TREND#${TODAY}#${shard}`),
        ]);
      });
    });

    describe('invalid requests', () => {
      it.each([
        ['count=0', forUser('alice', { count: '0' }), 'invalid_count'],
        ['count=1000', forUser('alice', { count: '1000' }), 'invalid_count'],
        ['count=abc', forUser('alice', { count: 'abc' }), 'invalid_count'],
        ['an unknown exclude', forUser('alice', { exclude: 'wishlisted' }), 'invalid_exclude'],
        ['an unknown parameter', forUser('alice', { colour: 'red' }), 'unknown_parameter'],
        ['minPrice above maxPrice', forUser('alice', { minPrice: '9', maxPrice: '1' }), 'invalid_price_range'],
        ['a user id that is too long', forUser('u'.repeat(129)), 'invalid_user_id'],
        ['similar count=0', similarTo('sku-1', { count: '0' }), 'invalid_count'],
        ['similar with exclude', similarTo('sku-1', { exclude: 'viewed' }), 'unknown_parameter'],
        ['similar inStock=yes', similarTo('sku-1', { inStock: 'yes' }), 'invalid_in_stock'],
        ['trending window=7d', trending({ window: '7d' }), 'invalid_window'],
        ['trending count=1000', trending({ count: '1000' }), 'invalid_count'],
        ['trending with exclude', trending({ exclude: 'viewed' }), 'unknown_parameter'],
        [
          'rankings of 501 ids',
          rankings({ userId: 'a', itemIds: Array.from({ length: 501 }, (_, i) => `i${i}`) }),
          'too_many_items',
        ],
        ['rankings without userId', rankings({ itemIds: ['sku-1'] }), 'missing_field'],
        ['rankings with invalid JSON', rankings('{"userId":'), 'invalid_json'],
        ['rankings with an empty body', rankings(''), 'empty_body'],
      ])('returns 400 for %s, without touching DynamoDB or logging an error', async (_name, event, reason) => {
        // Act
        const response = await handler(event);

        // Assess
        expect(response.statusCode).toBe(400);
        expect(json(response)).toEqual({ reason, message: expect.any(String) });
        expect(dynamo.calls()).toHaveLength(0);
        expect(logError).not.toHaveBeenCalled();
      });

      it('names the unknown parameter and the allowed ones', async () => {
        // Act
        const response = await handler(forUser('alice', { colour: 'red' }));

        // Assess
        expect(json(response).message).toBe(
          'unknown query parameter(s): colour; allowed: count, category, exclude, minPrice, maxPrice, inStock',
        );
      });
    });

    describe('when DynamoDB fails', () => {
      beforeEach(() => {
        dynamo.reset();
        const failure = new Error('ProvisionedThroughputExceededException');
        dynamo.on(GetCommand).rejects(failure);
        dynamo.on(QueryCommand).rejects(failure);
        dynamo.on(BatchGetCommand).rejects(failure);
        dynamo.on(PutCommand).rejects(failure);
      });

      it.each([
        ['user recommendations', forUser('alice')],
        ['similar items', similarTo('sku-1')],
        ['trending', trending()],
      ])('returns 200 degraded with an empty list for %s, not 5xx, and logs a warning', async (_name, event) => {
        // Act
        const response = await handler(event);

        // Assess
        expect(response.statusCode).toBe(200);
        expect(json(response)).toEqual({
          recommendationId: expect.stringMatching(UUID),
          modelVersion: 'popularity-v1',
          items: [],
          degraded: true,
        });
        expect(logWarn).toHaveBeenCalled();
        expect(logError).not.toHaveBeenCalled();
      });

      it('returns 200 degraded with the items in input order for rankings', async () => {
        // Act
        const response = await handler(rankings({ userId: 'alice', itemIds: ['sku-3', 'sku-1'] }));

        // Assess
        expect(response.statusCode).toBe(200);
        expect(json(response)).toMatchObject({
          items: [
            { itemId: 'sku-3', score: 0, reason: 'not enough data' },
            { itemId: 'sku-1', score: 0, reason: 'not enough data' },
          ],
          degraded: true,
        });
      });

      it('returns the last good trending list, degraded, after an earlier successful trending request', async () => {
        // Prepare
        dynamo.reset();
        mockShop();
        await handler(trending({ count: '3' }));
        dynamo.reset();
        dynamo.on(GetCommand).rejects(new Error('ProvisionedThroughputExceededException'));

        // Act
        const response = await handler(forUser('alice'));

        // Assess
        expect(response.statusCode).toBe(200);
        expect(cacheOf(response)).toBe('BYPASS');
        expect(json(response)).toMatchObject({
          items: [
            { itemId: 'sku-1', score: 5, reason: 'trending' },
            { itemId: 'sku-2', score: 4, reason: 'trending' },
            { itemId: 'sku-4', score: 3, reason: 'trending' },
          ],
          degraded: true,
        });
      });
    });
  });

  describe('with a model endpoint', () => {
    beforeEach(async () => {
      await coldStart(ENDPOINT);
      modelAnswers({
        modelVersion: 'hybrid-test',
        items: [
          { itemId: 'sku-7', score: 0.9, reason: 'because you viewed sku-2' },
          { itemId: 'sku-1', score: 0.8 },
          { itemId: 'sku-6', score: 0.1234567 },
        ],
      });
    });

    it("returns the served model's version on the health check, asking the model once in this environment", async () => {
      // Prepare
      modelAnswers({ modelVersion: 'hybrid-test', items: [] });

      // Act
      const responses = [await handler(health()), await handler(health())];

      // Assess
      for (const response of responses) {
        expect(json(response)).toEqual({
          status: 'ok',
          model: 'endpoint',
          modelVersion: 'hybrid-test',
          fallbackVersion: 'popularity-v1',
        });
      }
      expect(sageMaker.commandCalls(InvokeEndpointCommand)).toHaveLength(1);
    });

    it('returns 200 ready from the server API when the feature store, the cache and the model answer', async () => {
      // Prepare
      modelAnswers({ modelVersion: 'hybrid-test', items: [] });

      // Act
      const response = await handler(apiEvent({}, 'readiness'));

      // Assess
      expect([response.statusCode, json(response)]).toEqual([
        200,
        { status: 'ready', checks: { featureStore: 'ok', cache: 'ok', model: 'ok' } },
      ]);
    });

    it('returns 503 not_ready naming the dependency that failed, and 404 to a storefront caller', async () => {
      // Prepare
      sageMaker.on(InvokeEndpointCommand).rejects(new Error('ModelError: the endpoint answered 500'));

      // Act
      const response = await handler(apiEvent({}, 'readiness'));
      const fromBrowser = await handler(apiEvent({ requestContext: storefrontContext }, 'readiness'));

      // Assess
      expect(response.statusCode).toBe(503);
      expect(json(response)).toMatchObject({
        status: 'not_ready',
        reason: 'not_ready',
        checks: { featureStore: 'ok', cache: 'ok', model: { failed: expect.stringContaining('ModelError') } },
      });
      expect([fromBrowser.statusCode, json(fromBrowser).reason]).toEqual([404, 'route_not_found']);
    });

    it("returns the model's items and version for a user, then x-cache HIT without asking it again", async () => {
      // Prepare
      store(
        profileOf('u:alice', 4, [{ itemId: 'sku-2', type: 'view', at: NOW - 90_000, weight: 1, purchased: false }])
          .Item,
      );

      // Act
      const first = await handler(forUser('alice', { count: '3' }));
      const second = await handler(forUser('alice', { count: '3' }));

      // Assess
      expect(first.statusCode).toBe(200);
      expect(json(first)).toEqual({
        recommendationId: expect.stringMatching(UUID),
        modelVersion: 'hybrid-test',
        items: [
          { itemId: 'sku-7', score: 0.9, reason: 'because you viewed sku-2' },
          { itemId: 'sku-1', score: 0.8, reason: 'recommended for you' },
          { itemId: 'sku-6', score: 0.1235, reason: 'recommended for you' },
        ],
        degraded: false,
      });
      expect([cacheOf(first), cacheOf(second)]).toEqual(['MISS', 'HIT']);
      expect(json(second).modelVersion).toBe('hybrid-test');
      expect(sageMaker.commandCalls(InvokeEndpointCommand)).toHaveLength(1);
      expect(sageMaker.commandCalls(InvokeEndpointCommand)[0]?.args[0].input).toMatchObject({
        EndpointName: ENDPOINT,
        ContentType: 'application/json',
        Accept: 'application/json',
      });
      expect(modelRequests()).toEqual([
        {
          userId: 'alice',
          recentItems: [{ itemId: 'sku-2', eventType: 'view', timestamp: NOW / 1000 - 90 }],
          // Three times the list plus ten, so the live catalogue can filter and still fill it.
          count: 19,
          filters: { excludePurchased: true },
        },
      ]);
    });

    it('returns popularity, degraded, when the endpoint rejects, and asks it again next time', async () => {
      // Prepare
      sageMaker.on(InvokeEndpointCommand).rejects(new Error('ModelError: Received server error (500)'));

      // Act
      const first = await handler(forUser('alice', { count: '2' }));
      const second = await handler(forUser('alice', { count: '2' }));

      // Assess
      expect(first.statusCode).toBe(200);
      expect(json(first)).toEqual({
        recommendationId: expect.stringMatching(UUID),
        modelVersion: 'popularity-v1',
        items: [
          { itemId: 'sku-1', score: 5, reason: 'popular' },
          { itemId: 'sku-2', score: 4, reason: 'popular' },
        ],
        degraded: true,
      });
      expect(cacheOf(second)).toBe('MISS');
      expect(sageMaker.commandCalls(InvokeEndpointCommand)).toHaveLength(2);
      expect(logWarn).toHaveBeenCalledWith(
        'model failed; serving a fallback (logged at most every 10 s)',
        expect.anything(),
      );
    });

    it('returns popularity, degraded, when the endpoint answers without items', async () => {
      // Prepare
      modelAnswers({ modelVersion: 'hybrid-test', error: 'no model loaded' });

      // Act
      const response = await handler(forUser('alice', { count: '1' }));

      // Assess
      expect(json(response)).toMatchObject({
        modelVersion: 'popularity-v1',
        items: [{ itemId: 'sku-1', reason: 'popular' }],
        degraded: true,
      });
    });

    it("returns the model's similar items, asking with similarTo and no shopper", async () => {
      // Prepare: the live catalogue has the three items, in stock.
      for (const itemId of ['sku-7', 'sku-1', 'sku-6']) {
        store({ pk: `I#${itemId}`, sk: 'META', itemId, categories: [], inStock: true, updatedAt: NOW });
      }

      // Act
      const response = await handler(similarTo('sku-2', { count: '3', inStock: 'true' }));

      // Assess
      expect(response.statusCode).toBe(200);
      expect(json(response)).toMatchObject({ modelVersion: 'hybrid-test', degraded: false });
      expect(idsOf(response)).toEqual(['sku-7', 'sku-1', 'sku-6']);
      expect(itemsOf(response)[1]?.reason).toBe('similar to sku-2');
      // The stock filter is the live catalogue's, not the model's.
      expect(modelRequests()).toEqual([{ similarTo: 'sku-2', count: 19 }]);
    });

    it("returns a ranking in the model's order, with the items it left out appended", async () => {
      // Act
      const response = await handler(rankings({ userId: 'alice', itemIds: ['sku-3', 'sku-1', 'sku-7'] }));

      // Assess
      expect(response.statusCode).toBe(200);
      expect(cacheOf(response)).toBe('BYPASS');
      expect(json(response)).toMatchObject({ modelVersion: 'hybrid-test', degraded: false });
      expect(itemsOf(response)).toEqual([
        { itemId: 'sku-7', score: 0.9, reason: 'because you viewed sku-2' },
        { itemId: 'sku-1', score: 0.8, reason: 'ranked for you' },
        { itemId: 'sku-3', score: 0.8, reason: 'not enough data' },
      ]);
      expect(modelRequests()).toEqual([
        { userId: 'alice', recentItems: [], count: 3, candidates: ['sku-3', 'sku-1', 'sku-7'] },
      ]);
    });

    it('returns popularity rankings, degraded, when the endpoint rejects', async () => {
      // Prepare
      sageMaker.on(InvokeEndpointCommand).rejects(new Error('ModelError'));

      // Act
      const response = await handler(rankings({ userId: 'alice', itemIds: ['sku-3', 'sku-1'] }));

      // Assess
      expect(json(response)).toMatchObject({
        modelVersion: 'popularity-v1',
        items: [
          { itemId: 'sku-1', reason: 'popular' },
          { itemId: 'sku-3', reason: 'popular' },
        ],
        degraded: true,
      });
    });
  });
  describe('metrics', () => {
    const dimensions = [['service', 'route'], ['service']];

    it('writes one EMF line per answer: CacheMiss, then CacheHit, by service and route, each with its latency', async () => {
      // Prepare
      await coldStart(undefined, true);
      const stdout = captureStdout();

      // Act
      await handler(forUser('alice'));
      await handler(forUser('alice'));
      await handler(health());

      // Assess
      const lines = stdout.emf();
      const latency = expect.any(Number) as number;
      expect(lines.map(metricValues)).toEqual([
        { CacheMiss: 1, Latency: latency },
        { CacheHit: 1, Latency: latency },
        { Latency: latency },
      ]);
      expect(lines.map((line) => line.route)).toEqual(['userRecommendations', 'userRecommendations', 'health']);
      for (const line of lines.slice(0, 2)) {
        expect(line).toMatchObject({ service: 'reco' });
        expect(line._aws.CloudWatchMetrics).toEqual([
          {
            Namespace: 'RecoStack',
            Dimensions: dimensions,
            Metrics: [expect.objectContaining({ Unit: 'Count' }), { Name: 'Latency', Unit: 'Milliseconds' }],
          },
        ]);
        expect(line).not.toHaveProperty('userId');
      }
    });

    it('counts rankings as CacheBypass and trending by its own route', async () => {
      // Prepare
      await coldStart(undefined, true);
      const stdout = captureStdout();

      // Act
      await handler(rankings({ userId: 'alice', itemIds: ['sku-1', 'sku-2'] }));
      await handler(trending());

      // Assess
      const lines = stdout.emf();
      expect(lines.map((line) => [line.route, metricValues(line)])).toEqual([
        ['rankings', { CacheBypass: 1, Latency: expect.any(Number) }],
        ['trending', { CacheMiss: 1, Latency: expect.any(Number) }],
      ]);
    });

    it('counts a model failure as ModelFailure and DegradedAnswer on the answer it degraded', async () => {
      // Prepare
      await coldStart(ENDPOINT, true);
      sageMaker.on(InvokeEndpointCommand).rejects(new Error('ModelError: Received server error (500)'));
      const stdout = captureStdout();

      // Act
      const response = await handler(forUser('alice', { count: '2' }));

      // Assess
      expect(json(response).degraded).toBe(true);
      expect(stdout.emf().map(metricValues)).toEqual([
        { ModelFailure: 1, CacheMiss: 1, DegradedAnswer: 1, Latency: expect.any(Number) },
      ]);
    });

    it('counts every model fallback though the log line is rate-limited, then ModelBreakerOpen', async () => {
      // Prepare
      await coldStart(ENDPOINT, true);
      sageMaker.on(InvokeEndpointCommand).rejects(new Error('ModelError: Received server error (500)'));
      const stdout = captureStdout();

      // Act
      for (let request = 0; request < 6; request++) await handler(forUser('alice', { count: '2' }));

      // Assess
      const causes = stdout
        .emf()
        .map((line) => Object.keys(metricValues(line)).filter((name) => name.startsWith('Model')));
      expect(causes).toEqual([...Array<string[]>(5).fill(['ModelFailure']), ['ModelBreakerOpen']]);
      expect(stdout.emf().every((line) => line.DegradedAnswer === 1)).toBe(true);
      expect(logWarn).toHaveBeenCalledTimes(1);
    });

    it('counts ModelShed for the calls over the in-flight limit, which get the fallback at once', async () => {
      // Prepare
      await coldStart(ENDPOINT, true);
      sageMaker
        .on(InvokeEndpointCommand)
        .callsFake(
          () =>
            new Promise((resolve) =>
              setTimeout(
                () => resolve({ Body: new TextEncoder().encode(JSON.stringify({ items: [] })), $metadata: {} }),
                30,
              ),
            ),
        );
      const shoppers = Array.from({ length: serving.modelConcurrency.initial + 4 }, (_, index) => `shopper-${index}`);
      const stdout = captureStdout();

      // Act
      await Promise.all(shoppers.map((shopper) => handler(forUser(shopper))));

      // Assess
      // Concurrent invocations in one process share one buffer: a metric counted several times
      // before a publish is one EMF array of values, which CloudWatch sums.
      const counts = (name: string) =>
        stdout
          .emf()
          .flatMap((line) => [metricValues(line)[name] ?? []].flat())
          .reduce((sum: number, value) => sum + Number(value), 0);
      expect(counts('ModelShed')).toBe(4);
      expect(counts('CacheMiss')).toBe(shoppers.length);
      expect(sageMaker.commandCalls(InvokeEndpointCommand)).toHaveLength(serving.modelConcurrency.initial);
    });

    it('counts FeatureStoreFailure and DegradedAnswer when DynamoDB fails', async () => {
      // Prepare
      await coldStart(undefined, true);
      dynamo.reset();
      dynamo.rejects(new Error('ServiceUnavailable'));
      const stdout = captureStdout();

      // Act
      const response = await handler(trending());

      // Assess
      expect(json(response).degraded).toBe(true);
      expect(metricValues(stdout.emf()[0])).toMatchObject({ FeatureStoreFailure: 1, DegradedAnswer: 1 });
    });

    it('writes nothing to stdout when metrics are disabled', async () => {
      // Prepare
      await coldStart(ENDPOINT, false);
      sageMaker.on(InvokeEndpointCommand).rejects(new Error('ModelError: Received server error (500)'));
      const stdout = captureStdout();

      // Act
      await handler(forUser('alice'));
      await handler(similarTo('sku-1'));
      await handler(similarTo('sku-1'));
      await handler(health());

      // Assess
      expect(stdout.written()).toEqual([]);
    });
  });
});
