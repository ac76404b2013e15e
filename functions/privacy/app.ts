import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { envVars } from '#shared/config/index.ts';
import { DynamoFeatureStore } from '#shared/adapters/dynamoFeatureStore.ts';
import { erasureHashKeyFrom } from '#shared/adapters/erasureHashKey.ts';
import { jsonResponse } from '#shared/http/responses.ts';
import { systemClock } from '#shared/ports/index.ts';
import { ErasureHasher } from '#shared/privacy/erasureHash.ts';
import { eraseUser, type ErasureDeps } from '#shared/privacy/eraseUser.ts';
import { apiIdsFrom, type CallerDeps } from '../lib/caller.ts';
import { dynamoDb } from '../lib/dynamoDb.ts';
import { requireServer } from '../lib/serverOnly.ts';
import { corsAllowOrigins, requiredEnv, type Env } from '../lib/env.ts';
import { httpHandler, pathId, type HttpHandler } from '../lib/http.ts';
import { keepAliveHandler } from '../lib/httpHandler.ts';
import { logger } from '../lib/observability.ts';

export interface PrivacyFunctionDeps extends ErasureDeps, CallerDeps {
  readonly corsOrigins: readonly string[];
}

/**
 * The privacy function's dependencies from its environment; `overrides` replace any of them. The
 * erasure hash key is the value in `envVars.erasureHashKey` (local stack, tests) or the secret
 * named by `envVars.erasureHashKeySecretArn`; without either the cold start fails.
 */
export function createDeps(env: Env, overrides: Partial<PrivacyFunctionDeps> = {}): PrivacyFunctionDeps {
  const store = new DynamoFeatureStore(dynamoDb, requiredEnv(env, envVars.featureTableName));
  const hasher =
    overrides.hasher ??
    new ErasureHasher(erasureHashKeyFrom(env, () => new SecretsManagerClient({ requestHandler: keepAliveHandler() })));
  return {
    shoppers: store,
    erasures: store,
    hasher,
    clock: systemClock,
    corsOrigins: corsAllowOrigins(env),
    apiIds: apiIdsFrom(env),
    ...overrides,
  };
}

/** `DELETE /v1/users/{userId}`: right to erasure (GDPR Art. 17). */
export function createHandler(deps: PrivacyFunctionDeps): HttpHandler {
  return httpHandler(
    {
      userErasure: async (event) => {
        await requireServer(event, deps);
        const result = await eraseUser(pathId(event, 'userId'), deps);
        // The erasure id names its audit record (keyed hashes, counts); the person's id is not logged.
        logger.info('user erased', { erasureId: result.erasureId, profiles: result.profilesErased.length });
        return jsonResponse(202, result);
      },
    },
    deps.corsOrigins,
  );
}
