import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest';
import type { handler as PrivacyHandler } from '#functions/privacy/handler.ts';
import { apiLimits, ttls } from '#shared/config/index.ts';
import { emptyProfile } from '#shared/features/profile.ts';
import { erasureHash } from '#shared/privacy/erasureHash.ts';
import { apiEvent } from '../../support/apiGateway.ts';
import { storefrontContext, TEST_AUTH_ENV } from '../../support/auth.ts';

const NOW = Date.parse('2026-07-04T16:20:00.000Z');
const TABLE = 'features-test';
const KEY = 'privacy-test-erasure-hash-key-0123456789';
const hash = (shopperKey: string) => erasureHash(KEY, shopperKey);

// DynamoFeatureStore sends through a DynamoDBDocumentClient, so that is the client to mock.
const dynamo = mockClient(DynamoDBDocumentClient);
let handler: typeof PrivacyHandler;
let logError: MockInstance;
let logInfo: MockInstance;

const eraseRequest = (userId: string | undefined): APIGatewayProxyEvent =>
  apiEvent(
    { path: `/v1/users/${userId ?? ''}`, pathParameters: userId === undefined ? null : { userId } },
    'userErasure',
  );

const json = (response: APIGatewayProxyResult): Record<string, unknown> =>
  JSON.parse(response.body) as Record<string, unknown>;

const profileKey = (shopperKey: string) => ({ pk: `U#${shopperKey}`, sk: 'PROFILE' });

/** A stored profile item as DynamoDB returns it. */
const storedProfile = (shopperKey: string, featureVersion: number) => ({
  Item: {
    ...profileKey(shopperKey),
    featureVersion,
    profile: {
      ...emptyProfile,
      recentItems: [{ itemId: 'sku-1', type: 'view', at: NOW - 1_000, weight: 1, purchased: false }],
    },
  },
});

/** The alias items of a user as a Query returns them. */
const aliasItems = (userKey: string, aliasKeys: string[]) => ({
  Items: aliasKeys.map((alias) => ({ pk: `U#${userKey}`, sk: `ALIAS#${alias}`, alias })),
});

/** Alice with one linked anonymous history, a:anon-1, read once (deleted by the erasure). */
const aliceWithAlias = () => {
  dynamo.on(GetCommand, { Key: profileKey('u:alice') }).resolves(storedProfile('u:alice', 3));
  dynamo.on(GetCommand, { Key: profileKey('a:anon-1') }).resolves(storedProfile('a:anon-1', 2));
  dynamo
    .on(QueryCommand, { ExpressionAttributeValues: { ':pk': 'U#u:alice', ':alias': 'ALIAS#' } })
    .resolvesOnce(aliasItems('u:alice', ['a:anon-1']))
    .resolves({ Items: [] });
};

const updates = () => dynamo.commandCalls(UpdateCommand).map((call) => call.args[0].input);

describe('Handler: privacy', () => {
  beforeAll(async () => {
    vi.stubEnv('FEATURE_TABLE_NAME', TABLE);
    for (const [name, value] of Object.entries(TEST_AUTH_ENV)) vi.stubEnv(name, value);
    vi.stubEnv('ERASURE_HASH_KEY', KEY);
    vi.stubEnv('AWS_REGION', 'us-east-1');
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'test');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'test');
    ({ handler } = await import('#functions/privacy/handler.ts'));
    const { logger } = await import('#functions/lib/observability.ts');
    logError = vi.spyOn(logger, 'error').mockImplementation(() => {});
    logInfo = vi.spyOn(logger, 'info').mockImplementation(() => {});
  });

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(NOW);
    dynamo.reset();
    dynamo.on(GetCommand).resolves({});
    dynamo.on(UpdateCommand).resolves({});
    dynamo.on(PutCommand).resolves({});
    dynamo.on(QueryCommand).resolves({ Items: [] });
    dynamo.on(DeleteCommand).resolves({ Attributes: { alias: 'x' } });
    logError.mockClear();
    logInfo.mockClear();
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  afterAll(() => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
    dynamo.restore();
  });

  it('returns 202 with the erased profiles, following linked anonymous histories, and logs no raw id', async () => {
    // Prepare
    aliceWithAlias();

    // Act
    const response = await handler(eraseRequest('alice'));

    // Assess
    expect(response.statusCode).toBe(202);
    const body = json(response);
    expect(body).toEqual({
      userId: 'alice',
      erasureId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      erasedAt: '2026-07-04T16:20:00.000Z',
      profilesErased: ['u:alice', 'a:anon-1'],
      excludedFromTraining: true,
    });
    expect(logInfo).toHaveBeenCalledWith('user erased', { erasureId: body.erasureId, profiles: 2 });
    expect(JSON.stringify(logInfo.mock.calls)).not.toMatch(/alice|anon-1/);
  });

  it('returns the alias items deleted', async () => {
    // Prepare
    aliceWithAlias();

    // Act
    await handler(eraseRequest('alice'));

    // Assess
    expect(dynamo.commandCalls(DeleteCommand).map((call) => call.args[0].input.Key)).toEqual([
      { pk: 'U#u:alice', sk: 'ALIAS#a:anon-1' },
    ]);
  });

  it('returns each profile overwritten by a tombstone, conditional on the version read', async () => {
    // Prepare
    aliceWithAlias();

    // Act
    await handler(eraseRequest('alice'));

    // Assess
    expect(updates()).toEqual([
      expect.objectContaining({
        TableName: TABLE,
        Key: profileKey('u:alice'),
        ConditionExpression: 'featureVersion = :version',
        ExpressionAttributeValues: {
          // As the table holds a profile: category affinities are a list (see shared/adapters/profileItem.ts).
          ':profile': { ...emptyProfile, categoryAffinities: [], erasedAt: NOW },
          ':next': 4,
          ':version': 3,
          ':expires': NOW / 1000 + ttls.userFeaturesSeconds,
        },
      }),
      expect.objectContaining({
        Key: profileKey('a:anon-1'),
        ExpressionAttributeValues: expect.objectContaining({ ':version': 2, ':next': 3 }),
      }),
    ]);
  });

  it('returns every erased key recorded in the ERASED partition by keyed hash, then the audit record', async () => {
    // Prepare
    aliceWithAlias();

    // Act
    const response = await handler(eraseRequest('alice'));

    // Assess: two tombstones and one alias item removed.
    expect(dynamo.commandCalls(PutCommand).map((call) => call.args[0].input)).toEqual([
      { TableName: TABLE, Item: { pk: 'ERASED', sk: hash('u:alice'), erasedAt: NOW } },
      { TableName: TABLE, Item: { pk: 'ERASED', sk: hash('a:anon-1'), erasedAt: NOW } },
      {
        TableName: TABLE,
        Item: {
          pk: 'AUDIT#2026-07-04',
          sk: `2026-07-04T16:20:00.000Z#${json(response).erasureId as string}`,
          erasureId: json(response).erasureId,
          erasedAt: NOW,
          keyHashes: [hash('u:alice'), hash('a:anon-1')],
          itemsRemoved: 3,
          expiresAt: NOW / 1000 + ttls.erasureAuditSeconds,
        },
      },
    ]);
    expect(JSON.stringify(dynamo.commandCalls(PutCommand).map((call) => call.args[0].input))).not.toMatch(
      /alice|anon-1/,
    );
  });

  it('returns 202 with no erased profiles for an unknown user, still writing a first-version tombstone', async () => {
    // Act
    const response = await handler(eraseRequest('nobody'));

    // Assess
    expect(response.statusCode).toBe(202);
    expect(json(response)).toMatchObject({ userId: 'nobody', profilesErased: [] });
    expect(updates()).toEqual([
      expect.objectContaining({
        Key: profileKey('u:nobody'),
        ConditionExpression: 'attribute_not_exists(featureVersion)',
      }),
    ]);
    expect(dynamo.commandCalls(PutCommand).map((call) => call.args[0].input.Item?.sk)).toEqual([
      hash('u:nobody'),
      expect.stringMatching(/^2026-07-04T16:20:00.000Z#/),
    ]);
  });

  it('returns 202 after retrying a tombstone write that lost a version race', async () => {
    // Prepare
    dynamo
      .on(GetCommand, { Key: profileKey('u:alice') })
      .resolvesOnce(storedProfile('u:alice', 3))
      .resolves(storedProfile('u:alice', 4));
    dynamo
      .on(UpdateCommand)
      .rejectsOnce(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }))
      .resolves({});

    // Act
    const response = await handler(eraseRequest('alice'));

    // Assess
    expect(response.statusCode).toBe(202);
    expect(updates().map((update) => update.ExpressionAttributeValues?.[':version'])).toEqual([3, 4]);
  });

  it('returns 404 route_not_found to a storefront caller and erases nothing', async () => {
    // Act
    const response = await handler({ ...eraseRequest('alice'), requestContext: storefrontContext });

    // Assess
    expect([response.statusCode, json(response).reason]).toEqual([404, 'route_not_found']);
    expect(dynamo.calls()).toHaveLength(0);
  });

  it('returns 500 internal_error and logs when DynamoDB fails', async () => {
    // Prepare
    dynamo.on(GetCommand).rejects(new Error('Service unavailable'));

    // Act
    const response = await handler(eraseRequest('alice'));

    // Assess
    expect(response.statusCode).toBe(500);
    expect(json(response)).toEqual({ reason: 'internal_error', message: 'internal error' });
    expect(logError).toHaveBeenCalledTimes(1);
    expect(dynamo.commandCalls(PutCommand)).toHaveLength(0);
  });

  it('returns 503 erasure_conflict when the profile keeps changing during erasure', async () => {
    // Prepare
    dynamo
      .on(UpdateCommand)
      .rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }));

    // Act
    const response = await handler(eraseRequest('alice'));

    // Assess
    expect(response.statusCode).toBe(503);
    expect(json(response)).toMatchObject({ reason: 'erasure_conflict' });
    expect(dynamo.commandCalls(UpdateCommand).length).toBeGreaterThan(1);
    expect(dynamo.commandCalls(PutCommand)).toHaveLength(0);
  });

  it.each([
    ['missing', undefined, 'missing_user_id'],
    ['too long', 'u'.repeat(apiLimits.maxIdChars + 1), 'invalid_user_id'],
  ])('returns 400 for a %s userId, without touching DynamoDB', async (_name, userId, reason) => {
    // Act
    const response = await handler(eraseRequest(userId));

    // Assess
    expect(response.statusCode).toBe(400);
    expect(json(response)).toMatchObject({ reason });
    expect(dynamo.calls()).toHaveLength(0);
  });
});
