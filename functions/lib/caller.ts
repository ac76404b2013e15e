import type { APIGatewayProxyEvent } from 'aws-lambda';
import { api, envVars } from '#shared/config/index.ts';
import type { Caller } from '#shared/auth/caller.ts';
import { verifyUserToken, type UserTokenKeys } from '#shared/auth/userToken.ts';
import { ForbiddenError } from '#shared/errors.ts';
import type { Clock } from '#shared/ports/index.ts';
import { requiredEnv, type Env } from './env.ts';

/** The two APIs' ids, which say which one took a request. */
export interface ApiIds {
  readonly storefront: string;
  readonly server: string;
}

export const apiIdsFrom = (env: Env): ApiIds => ({
  storefront: requiredEnv(env, envVars.storefrontApiId),
  server: requiredEnv(env, envVars.serverApiId),
});

export interface CallerDeps {
  readonly apiIds: ApiIds;
  /** Absent in functions that take no storefront calls with user tokens. */
  readonly userTokenKeys?: UserTokenKeys;
  readonly clock: Clock;
}

/**
 * The caller of a request, from what API Gateway (or the local gateway) put in the request
 * context: the API that took it and, on the server API, the IAM identity that signed it. Headers
 * only carry the user token, whose signature is checked here.
 */
export async function callerOf(event: APIGatewayProxyEvent, deps: CallerDeps): Promise<Caller> {
  const { apiId, identity } = event.requestContext ?? {};
  if (apiId === deps.apiIds.server) {
    const principal = identity?.userArn ?? identity?.caller;
    if (!principal)
      throw new ForbiddenError('missing_authentication', 'server API calls are signed with IAM credentials');
    return { kind: 'server', principal };
  }
  if (apiId !== deps.apiIds.storefront) {
    throw new ForbiddenError('unknown_api', 'this function answers its two APIs only');
  }
  const token = headerOf(event, api.userTokenHeader);
  if (token === undefined || token === '') return { kind: 'shopper' };
  if (!deps.userTokenKeys) return { kind: 'shopper' };
  return { kind: 'shopper', userId: await verifyUserToken(token, { keys: deps.userTokenKeys, clock: deps.clock }) };
}

/** A request header by its lower-case name, whatever case the client sent it in. */
function headerOf(event: APIGatewayProxyEvent, name: string): string | undefined {
  const headers = event.headers ?? {};
  const direct = headers[name];
  if (direct !== undefined) return direct;
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === name) return value;
  return undefined;
}
