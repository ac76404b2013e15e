import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest';
import type { handler as CatalogueHandler } from '#functions/catalogue/handler.ts';
import { catalogueShardOf } from '#shared/catalogue/catalogueIndex.ts';
import { apiLimits, ttls } from '#shared/config/index.ts';
import { apiEvent as buildEvent } from '../../support/apiGateway.ts';
import { TEST_AUTH_ENV } from '../../support/auth.ts';

const NOW = Date.parse('2026-04-01T09:30:00.000Z');
const TABLE = 'features-test';

// DynamoFeatureStore sends through a DynamoDBDocumentClient, so that is the client to mock.
const dynamo = mockClient(DynamoDBDocumentClient);
let handler: typeof CatalogueHandler;
let logError: MockInstance;

function putItems(body: unknown, overrides: Partial<APIGatewayProxyEvent> = {}): APIGatewayProxyEvent {
  return apiEvent({
    httpMethod: 'PUT',
    resource: '/v1/items',
    path: '/v1/items',
    body: body === null || typeof body === 'string' ? body : JSON.stringify(body),
    ...overrides,
  });
}

function deleteItem(itemId: string | undefined): APIGatewayProxyEvent {
  return apiEvent({
    httpMethod: 'DELETE',
    resource: '/v1/items/{itemId}',
    path: `/v1/items/${itemId ?? ''}`,
    pathParameters: itemId === undefined ? null : { itemId },
  });
}

const apiEvent = (overrides: Partial<APIGatewayProxyEvent>) => buildEvent(overrides, 'catalogueItems');

const json = (response: APIGatewayProxyResult): Record<string, unknown> =>
  JSON.parse(response.body) as Record<string, unknown>;

/** The items of every BatchWriteCommand sent, in order. */
const writtenItems = () =>
  dynamo
    .commandCalls(BatchWriteCommand)
    .flatMap((call) => call.args[0].input.RequestItems?.[TABLE] ?? [])
    .map((request) => request.PutRequest?.Item);

describe('Handler: catalogue', () => {
  beforeAll(async () => {
    vi.stubEnv('FEATURE_TABLE_NAME', TABLE);
    for (const [name, value] of Object.entries(TEST_AUTH_ENV)) vi.stubEnv(name, value);
    vi.stubEnv('AWS_REGION', 'us-east-1');
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'test');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'test');
    ({ handler } = await import('#functions/catalogue/handler.ts'));
    const { logger } = await import('#functions/lib/observability.ts');
    logError = vi.spyOn(logger, 'error').mockImplementation(() => {});
  });

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(NOW);
    dynamo.reset();
    dynamo.on(BatchWriteCommand).resolves({});
    dynamo.on(PutCommand).resolves({});
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

  describe('PUT /v1/items', () => {
    it('returns 200 {upserted, rejected} and writes the valid items keyed by item id', async () => {
      // Act
      const response = await handler(
        putItems({
          items: [
            { itemId: 'sku-1', title: 'Boot', categories: ['shoes'], price: 120, currency: 'EUR' },
            { itemId: 'sku-2', colour: 'red' },
            { itemId: 'sku-3' },
          ],
        }),
      );

      // Assess
      expect(response.statusCode).toBe(200);
      expect(response.headers?.['content-type']).toMatch(/^application\/json/);
      expect(json(response)).toEqual({
        upserted: 2,
        rejected: [
          {
            index: 1,
            itemId: 'sku-2',
            reason: 'unknown_field',
            field: 'colour',
            message: 'unknown field(s): colour',
          },
        ],
      });
      expect(dynamo.commandCalls(BatchWriteCommand)).toHaveLength(1);
      expect(writtenItems()).toEqual([
        {
          pk: 'I#sku-1',
          sk: 'META',
          itemId: 'sku-1',
          title: 'Boot',
          categories: ['shoes'],
          price: 120,
          currency: 'EUR',
          inStock: true,
          updatedAt: NOW,
          catalogueShard: catalogueShardOf('sku-1'),
        },
        {
          pk: 'I#sku-3',
          sk: 'META',
          itemId: 'sku-3',
          categories: [],
          inStock: true,
          updatedAt: NOW,
          catalogueShard: catalogueShardOf('sku-3'),
        },
      ]);
    });

    it('returns 200 for a base64-encoded body', async () => {
      // Prepare
      const body = Buffer.from(JSON.stringify({ items: [{ itemId: 'café' }] }), 'utf8').toString('base64');

      // Act
      const response = await handler(putItems(body, { isBase64Encoded: true }));

      // Assess
      expect(response.statusCode).toBe(200);
      expect(writtenItems()).toEqual([expect.objectContaining({ pk: 'I#café', itemId: 'café' })]);
    });

    it('returns every item written in chunks of 25, the BatchWriteItem limit', async () => {
      // Prepare
      const items = Array.from({ length: apiLimits.maxItemsPerRequest }, (_, i) => ({ itemId: `sku-${i}` }));

      // Act
      const response = await handler(putItems({ items }));

      // Assess
      expect(json(response)).toEqual({ upserted: items.length, rejected: [] });
      const chunks = dynamo
        .commandCalls(BatchWriteCommand)
        .map((call) => call.args[0].input.RequestItems?.[TABLE]?.length);
      expect(chunks).toEqual([25, 25, 25, 25]);
      expect(writtenItems().map((item) => item?.itemId)).toEqual(items.map((item) => item.itemId));
    });

    it('returns 200 with nothing written when every item is rejected', async () => {
      // Act
      const response = await handler(putItems({ items: [{ title: 'no id' }] }));

      // Assess
      expect(response.statusCode).toBe(200);
      expect(json(response)).toMatchObject({ upserted: 0, rejected: [{ index: 0, reason: 'missing_field' }] });
      expect(dynamo.calls()).toHaveLength(0);
    });

    it.each<{ name: string; body: unknown; status: number; reason: string }>([
      { name: 'no body', body: null, status: 400, reason: 'empty_body' },
      { name: 'invalid JSON', body: '{"items":', status: 400, reason: 'invalid_json' },
      { name: 'no items array', body: { products: [] }, status: 400, reason: 'missing_items' },
      { name: 'empty items', body: { items: [] }, status: 400, reason: 'no_items' },
      {
        name: 'too many items',
        body: { items: Array.from({ length: apiLimits.maxItemsPerRequest + 1 }, (_, i) => ({ itemId: `s${i}` })) },
        status: 413,
        reason: 'too_many_items',
      },
      {
        name: 'a body over maxBodyBytes',
        body: JSON.stringify({ items: [{ itemId: 'a', description: 'x'.repeat(apiLimits.maxBodyBytes) }] }),
        status: 413,
        reason: 'body_too_large',
      },
    ])('returns $name as $status $reason, writing nothing', async ({ body, status, reason }) => {
      // Act
      const response = await handler(putItems(body));

      // Assess
      expect(response.statusCode).toBe(status);
      expect(json(response)).toMatchObject({ reason });
      expect(dynamo.calls()).toHaveLength(0);
      expect(logError).not.toHaveBeenCalled();
    });

    it('returns 500 internal_error and logs when DynamoDB fails', async () => {
      // Prepare
      dynamo.on(BatchWriteCommand).rejects(new Error('socket hang up'));

      // Act
      const response = await handler(putItems({ items: [{ itemId: 'sku-1' }] }));

      // Assess
      expect(response.statusCode).toBe(500);
      expect(json(response)).toEqual({ reason: 'internal_error', message: 'internal error' });
      expect(logError).toHaveBeenCalledTimes(1);
    });
  });

  describe('DELETE /v1/items/{itemId}', () => {
    it('returns 200 {itemId, deleted: true, wasLive: true} for a live item, leaving a tombstone that expires after ttls.deletedItemSeconds', async () => {
      // Prepare
      dynamo.on(PutCommand).resolves({ Attributes: { pk: 'I#sku-1', sk: 'META', itemId: 'sku-1', categories: [] } });

      // Act
      const response = await handler(deleteItem('sku-1'));

      // Assess
      expect(response.statusCode).toBe(200);
      expect(json(response)).toEqual({ itemId: 'sku-1', deleted: true, wasLive: true });
      expect(dynamo.commandCalls(PutCommand).map((call) => call.args[0].input)).toEqual([
        {
          TableName: TABLE,
          Item: {
            pk: 'I#sku-1',
            sk: 'META',
            itemId: 'sku-1',
            deleted: true,
            deletedAt: NOW,
            expiresAt: NOW / 1000 + ttls.deletedItemSeconds,
            catalogueShard: catalogueShardOf('sku-1'),
          },
          ConditionExpression: 'attribute_not_exists(#deleted) OR #expires < :now',
          ExpressionAttributeNames: { '#deleted': 'deleted', '#expires': 'expiresAt' },
          ExpressionAttributeValues: { ':now': NOW / 1000 },
          ReturnValues: 'ALL_OLD',
        },
      ]);
    });

    it('returns 200 {itemId, deleted: true, wasLive: false} for an item DynamoDB had no entry of, leaving the same tombstone', async () => {
      // Act
      const response = await handler(deleteItem('ghost'));

      // Assess
      expect(response.statusCode).toBe(200);
      expect(json(response)).toEqual({ itemId: 'ghost', deleted: true, wasLive: false });
      expect(dynamo.commandCalls(PutCommand).map((call) => call.args[0].input.Item)).toEqual([
        {
          pk: 'I#ghost',
          sk: 'META',
          itemId: 'ghost',
          deleted: true,
          deletedAt: NOW,
          expiresAt: NOW / 1000 + ttls.deletedItemSeconds,
          catalogueShard: catalogueShardOf('ghost'),
        },
      ]);
    });

    it('returns 200 {itemId, deleted: true, wasLive: false} when DynamoDB already held a tombstone', async () => {
      // Prepare
      dynamo
        .on(PutCommand)
        .rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }));

      // Act
      const response = await handler(deleteItem('sku-1'));

      // Assess
      expect(response.statusCode).toBe(200);
      expect(json(response)).toEqual({ itemId: 'sku-1', deleted: true, wasLive: false });
      expect(dynamo.commandCalls(PutCommand)).toHaveLength(1);
    });

    it('returns 500 internal_error and logs when DynamoDB fails', async () => {
      // Prepare
      dynamo.on(PutCommand).rejects(new Error('socket hang up'));

      // Act
      const response = await handler(deleteItem('sku-1'));

      // Assess
      expect(response.statusCode).toBe(500);
      expect(json(response)).toEqual({ reason: 'internal_error', message: 'internal error' });
      expect(logError).toHaveBeenCalledTimes(1);
    });

    it('returns 400 invalid_item_id for an id over maxIdChars, without calling DynamoDB', async () => {
      // Act
      const response = await handler(deleteItem('x'.repeat(apiLimits.maxIdChars + 1)));

      // Assess
      expect(response.statusCode).toBe(400);
      expect(json(response)).toMatchObject({ reason: 'invalid_item_id' });
      expect(dynamo.calls()).toHaveLength(0);
    });

    it('returns 400 missing_item_id when the path parameter is absent', async () => {
      // Act
      const response = await handler(deleteItem(undefined));

      // Assess
      expect(response.statusCode).toBe(400);
      expect(json(response)).toMatchObject({ reason: 'missing_item_id' });
      expect(dynamo.calls()).toHaveLength(0);
    });
  });

  it('returns 404 route_not_found for a route this function does not serve', async () => {
    // Act
    const response = await handler(
      apiEvent({ httpMethod: 'DELETE', resource: '/v1/users/{userId}', path: '/v1/users/alice' }),
    );

    // Assess
    expect(response.statusCode).toBe(404);
    expect(json(response)).toMatchObject({ reason: 'route_not_found' });
    expect(dynamo.calls()).toHaveLength(0);
  });
});
