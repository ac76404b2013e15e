import type { APIGatewayProxyEvent } from 'aws-lambda';
import { envVars } from '#shared/config/index.ts';
import { mintUserToken, StaticUserTokenKeys } from '#shared/auth/userToken.ts';

/** The two APIs' ids in tests. */
export const TEST_API_IDS = { storefront: 'test-storefront', server: 'test-server' } as const;

/** A user-token signing key for tests (32 bytes). */
export const TEST_USER_TOKEN_KEYS = JSON.stringify({
  current: { kid: 'test-2', secret: Buffer.alloc(32, 2).toString('base64') },
  previous: { kid: 'test-1', secret: Buffer.alloc(32, 1).toString('base64') },
});

/** What a function behind the two APIs reads about them from its environment. */
export const TEST_AUTH_ENV = {
  [envVars.storefrontApiId]: TEST_API_IDS.storefront,
  [envVars.serverApiId]: TEST_API_IDS.server,
  [envVars.userTokenKeys]: TEST_USER_TOKEN_KEYS,
} as const;

/** The request context of a call signed with IAM credentials on the server API. */
export const serverContext = {
  apiId: TEST_API_IDS.server,
  identity: { userArn: 'arn:aws:iam::123456789012:role/shop-backend' },
} as unknown as APIGatewayProxyEvent['requestContext'];

/** The request context of a browser's call on the storefront API. */
export const storefrontContext = {
  apiId: TEST_API_IDS.storefront,
  identity: { apiKey: 'storefront-key' },
} as unknown as APIGatewayProxyEvent['requestContext'];

/** A user token for `userId`, valid for `ttlSeconds` from `now`, signed with the test keys. */
export async function testUserToken(userId: string, now = Date.now(), ttlSeconds = 3600): Promise<string> {
  const keys = new StaticUserTokenKeys(TEST_USER_TOKEN_KEYS);
  return (await mintUserToken(userId, { keys, clock: { now: () => now } }, ttlSeconds)).token;
}
