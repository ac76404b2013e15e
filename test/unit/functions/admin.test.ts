import type { APIGatewayProxyResult } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createDeps, createHandler } from '#functions/admin/app.ts';
import { verifyUserToken, StaticUserTokenKeys } from '#shared/auth/userToken.ts';
import { userTokens } from '#shared/config/index.ts';
import { MemoryFeatureStore } from '#shared/adapters/memoryFeatureStore.ts';
import { MemoryModelRegistry } from '#shared/adapters/memoryModelRegistry.ts';
import type { StatsSeries, StatsWindow } from '#shared/stats/report.ts';
import { periodStarts } from '#shared/stats/window.ts';
import { apiEvent } from '../../support/apiGateway.ts';
import { storefrontContext, TEST_AUTH_ENV, TEST_USER_TOKEN_KEYS } from '../../support/auth.ts';

const NOW = Date.parse('2026-12-07T12:00:00Z');
const clock = { now: () => NOW };
const handler = createHandler(createDeps({ ...TEST_AUTH_ENV }, { clock }));
/** A series of `window` with nothing measured. */
function emptySeries(window: StatsWindow): StatsSeries {
  const zeros = periodStarts(window).map(() => 0);
  const nulls = zeros.map(() => null);
  return {
    timestamps: periodStarts(window).map((start) => new Date(start).toISOString()),
    eventsPerSecond: zeros,
    eventsProcessedPerSecond: zeros,
    processorLagMs: nulls,
    cacheHitRatio: nulls,
    degradedShare: nulls,
    degradedByCause: {
      ModelShed: zeros,
      ModelBreakerOpen: zeros,
      ModelFailure: zeros,
      FeatureStoreFailure: zeros,
      DependencyFailure: zeros,
    },
    latencyMs: {},
  };
}
const json = (response: APIGatewayProxyResult) => JSON.parse(response.body) as Record<string, unknown>;
const mint = (body: unknown, requestContext = apiEvent().requestContext) =>
  handler(apiEvent({ body: JSON.stringify(body), requestContext }, 'userTokens'));

describe('Handler: admin', () => {
  describe('Route: POST /v1/admin/user-tokens', () => {
    it('returns a token for the user that verifies against the keys, expiring after the default lifetime', async () => {
      // Act
      const response = await mint({ userId: 'u1' });

      // Assess
      expect(response.statusCode).toBe(200);
      const body = json(response);
      expect(body).toMatchObject({ userId: 'u1', expiresAt: NOW / 1000 + userTokens.ttlSeconds });
      const keys = new StaticUserTokenKeys(TEST_USER_TOKEN_KEYS);
      await expect(verifyUserToken(body.token as string, { keys, clock })).resolves.toBe('u1');
    });

    it('returns a token with the lifetime asked for, within the limits', async () => {
      // Act
      const response = await mint({ userId: 'u1', ttlSeconds: 600 });

      // Assess
      expect(json(response).expiresAt).toBe(NOW / 1000 + 600);
    });

    it.each([
      [{}, 'invalid_user_id'],
      [{ userId: '' }, 'invalid_user_id'],
      [{ userId: '..' }, 'invalid_user_id'],
      [{ userId: 'u\u0000' }, 'invalid_user_id'],
      [{ userId: 'u\ud800' }, 'invalid_user_id'],
      [{ userId: 'u1', ttlSeconds: 10 }, 'invalid_ttl_seconds'],
      [{ userId: 'u1', ttlSeconds: userTokens.maxTtlSeconds + 1 }, 'invalid_ttl_seconds'],
      [{ userId: 'u1', admin: true }, 'invalid_body'],
    ])('returns 400 for %j with reason %s', async (body, reason) => {
      // Act
      const response = await mint(body);

      // Assess
      expect([response.statusCode, json(response).reason]).toEqual([400, reason]);
    });

    it('returns 404 route_not_found to a storefront caller, minting nothing', async () => {
      // Act
      const response = await mint({ userId: 'u1' }, storefrontContext);

      // Assess
      expect([response.statusCode, json(response).reason]).toEqual([404, 'route_not_found']);
      expect(response.body).not.toContain('token":');
    });
  });
});

describe('Handler: admin, Route: GET /v1/admin/stats', () => {
  const statsHandler = () => {
    const asked: { minutes: number }[] = [];
    const registry = new MemoryModelRegistry();
    const deps = createDeps(
      { ...TEST_AUTH_ENV },
      {
        clock,
        stats: () => ({
          metrics: {
            source: 'local',
            resolutionSeconds: 60,
            read: (window) => {
              asked.push({ minutes: (Date.parse(window.end) - Date.parse(window.start)) / 60_000 });
              return Promise.resolve(emptySeries(window));
            },
          },
          registry,
          attribution: new MemoryFeatureStore(),
        }),
      },
    );
    return { handler: createHandler(deps), asked };
  };
  const get = (
    handle: ReturnType<typeof createHandler>,
    query: Record<string, string> | null,
    requestContext = apiEvent().requestContext,
  ) => handle(apiEvent({ queryStringParameters: query, requestContext }, 'stats'));

  it('returns the report of the minutes asked for, 15 by default', async () => {
    // Prepare
    const { handler: handle, asked } = statsHandler();

    // Act
    const byDefault = await get(handle, null);
    const asked30 = await get(handle, { minutes: '30' });

    // Assess
    expect(byDefault.statusCode).toBe(200);
    expect(json(byDefault)).toMatchObject({
      source: 'local',
      generatedAt: new Date(NOW).toISOString(),
      attribution: [],
    });
    expect(json(asked30).model).toEqual({ live: null, registry: [] });
    expect(asked).toEqual([{ minutes: 15 }, { minutes: 30 }]);
  });

  it.each([
    [{ minutes: '0' }, 'invalid_minutes'],
    [{ minutes: '181' }, 'invalid_minutes'],
    [{ minutes: 'all' }, 'invalid_minutes'],
    [{ window: '15' }, 'unknown_parameter'],
  ])('returns 400 for %j with reason %s, reading nothing', async (query, reason) => {
    // Prepare
    const { handler: handle, asked } = statsHandler();

    // Act
    const response = await get(handle, query);

    // Assess
    expect([response.statusCode, json(response).reason]).toEqual([400, reason]);
    expect(asked).toEqual([]);
  });

  it('returns 404 route_not_found to a storefront caller', async () => {
    // Prepare
    const { handler: handle, asked } = statsHandler();

    // Act
    const response = await get(handle, null, storefrontContext);

    // Assess
    expect([response.statusCode, json(response).reason]).toEqual([404, 'route_not_found']);
    expect(asked).toEqual([]);
  });
});
