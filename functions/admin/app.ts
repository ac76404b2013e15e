import { z } from 'zod';
import { apiLimits, userTokens } from '#shared/config/index.ts';
import { mintUserToken, type UserTokenKeys } from '#shared/auth/userToken.ts';
import { InvalidRequestError } from '#shared/errors.ts';
import { parseJsonObjectBody } from '#shared/http/requestBody.ts';
import { jsonResponse } from '#shared/http/responses.ts';
import { systemClock, type Clock } from '#shared/ports/index.ts';
import { apiIdsFrom, type ApiIds } from '../lib/caller.ts';
import { requireServer } from '../lib/serverOnly.ts';
import { corsAllowOrigins, type Env } from '../lib/env.ts';
import { userTokenKeysFrom } from '../lib/userTokenKeys.ts';
import { bodyOf, httpHandler, type HttpHandler } from '../lib/http.ts';
import { logger } from '../lib/observability.ts';

export interface AdminFunctionDeps {
  readonly userTokenKeys: UserTokenKeys;
  readonly apiIds: ApiIds;
  readonly clock: Clock;
  readonly corsOrigins: readonly string[];
}

/** The admin function's dependencies from its environment; `overrides` replace any of them. */
export function createDeps(env: Env, overrides: Partial<AdminFunctionDeps> = {}): AdminFunctionDeps {
  const clock = overrides.clock ?? systemClock;
  return {
    userTokenKeys: overrides.userTokenKeys ?? userTokenKeysFrom(env, clock),
    apiIds: apiIdsFrom(env),
    clock,
    corsOrigins: corsAllowOrigins(env),
    ...overrides,
  };
}

const userTokenRequest = z.strictObject({
  userId: z
    .string({ error: 'userId must be a string' })
    .min(1, { error: 'userId must not be empty' })
    .max(apiLimits.maxIdChars, { error: `userId must be at most ${apiLimits.maxIdChars} characters` }),
  ttlSeconds: z
    .number({ error: 'ttlSeconds must be a number' })
    .int({ error: 'ttlSeconds must be a whole number' })
    .min(60, { error: 'ttlSeconds must be at least 60' })
    .max(userTokens.maxTtlSeconds, { error: `ttlSeconds must be at most ${userTokens.maxTtlSeconds}` })
    .optional(),
});

/**
 * `POST /v1/admin/user-tokens` (`{userId, ttlSeconds?}` → `{userId, token, expiresAt}`): the shop's
 * backend mints a signed-in shopper's token, so the signing key never leaves AWS. On the server API
 * only.
 */
export function createHandler(deps: AdminFunctionDeps): HttpHandler {
  return httpHandler(
    {
      userTokens: async (event) => {
        const principal = await requireServer(event, deps);
        const body = parseJsonObjectBody(bodyOf(event), { shape: '{"userId": "...", "ttlSeconds"?: 3600}' });
        const parsed = userTokenRequest.safeParse(body);
        if (!parsed.success) {
          const issue = parsed.error.issues[0];
          const field = issue?.path.join('.') || 'body';
          throw new InvalidRequestError(
            `invalid_${field === 'body' ? 'body' : field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}`,
            issue?.message ?? 'invalid request',
          );
        }
        const { userId, ttlSeconds = userTokens.ttlSeconds } = parsed.data;
        const minted = await mintUserToken(userId, { keys: deps.userTokenKeys, clock: deps.clock }, ttlSeconds);
        logger.info('user token minted', { principal, expiresAt: minted.expiresAt });
        return jsonResponse(200, { userId, ...minted });
      },
    },
    deps.corsOrigins,
  );
}
