import type { APIGatewayProxyResult } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createDeps, createHandler } from '#functions/admin/app.ts';
import { verifyUserToken, StaticUserTokenKeys } from '#shared/auth/userToken.ts';
import { userTokens } from '#shared/config/index.ts';
import { apiEvent } from '../../support/apiGateway.ts';
import { storefrontContext, TEST_AUTH_ENV, TEST_USER_TOKEN_KEYS } from '../../support/auth.ts';

const NOW = Date.parse('2026-12-07T12:00:00Z');
const clock = { now: () => NOW };
const handler = createHandler(createDeps({ ...TEST_AUTH_ENV }, { clock }));
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
