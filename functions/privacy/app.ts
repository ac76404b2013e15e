import { envVars } from '#shared/config/index.ts';
import { DynamoFeatureStore } from '#shared/adapters/dynamoFeatureStore.ts';
import { jsonResponse } from '#shared/http/responses.ts';
import { systemClock } from '#shared/ports/index.ts';
import { eraseUser, type ErasureDeps } from '#shared/privacy/eraseUser.ts';
import { dynamoDb } from '../lib/dynamoDb.ts';
import { corsAllowOrigins, requiredEnv, type Env } from '../lib/env.ts';
import { httpHandler, pathId, type HttpHandler } from '../lib/http.ts';
import { logger } from '../lib/observability.ts';

export interface PrivacyFunctionDeps extends ErasureDeps {
  readonly corsOrigins: readonly string[];
}

/** The privacy function's dependencies from its environment; `overrides` replace any of them. */
export function createDeps(env: Env, overrides: Partial<PrivacyFunctionDeps> = {}): PrivacyFunctionDeps {
  const store = new DynamoFeatureStore(dynamoDb, requiredEnv(env, envVars.featureTableName));
  return { shoppers: store, erasures: store, clock: systemClock, corsOrigins: corsAllowOrigins(env), ...overrides };
}

/** `DELETE /v1/users/{userId}`: right to erasure (GDPR Art. 17). */
export function createHandler(deps: PrivacyFunctionDeps): HttpHandler {
  return httpHandler(
    {
      userErasure: async (event) => {
        const result = await eraseUser(pathId(event, 'userId'), deps);
        // The id is logged on purpose: an erasure must be auditable. Nothing else about the person is.
        logger.info('user erased', { userId: result.userId, profiles: result.profilesErased.length });
        return jsonResponse(202, result);
      },
    },
    deps.corsOrigins,
  );
}
