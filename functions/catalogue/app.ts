import { envVars } from '#shared/config/index.ts';
import { DynamoFeatureStore } from '#shared/adapters/dynamoFeatureStore.ts';
import { deleteItem, upsertItems, type CatalogueDeps } from '#shared/catalogue/upsertItems.ts';
import { jsonResponse } from '#shared/http/responses.ts';
import { systemClock } from '#shared/ports/index.ts';
import { apiIdsFrom, type CallerDeps } from '../lib/caller.ts';
import { dynamoDb } from '../lib/dynamoDb.ts';
import { requireServer } from '../lib/serverOnly.ts';
import { corsAllowOrigins, requiredEnv, type Env } from '../lib/env.ts';
import { bodyOf, httpHandler, pathId, type HttpHandler } from '../lib/http.ts';

export interface CatalogueFunctionDeps extends CatalogueDeps, CallerDeps {
  readonly corsOrigins: readonly string[];
}

/** The catalogue function's dependencies from its environment; `overrides` replace any of them. */
export function createDeps(env: Env, overrides: Partial<CatalogueFunctionDeps> = {}): CatalogueFunctionDeps {
  return {
    catalogue: new DynamoFeatureStore(dynamoDb, requiredEnv(env, envVars.featureTableName)),
    clock: systemClock,
    corsOrigins: corsAllowOrigins(env),
    apiIds: apiIdsFrom(env),
    ...overrides,
  };
}

/** `PUT /v1/items` (batch upsert) and `DELETE /v1/items/{itemId}`. */
export function createHandler(deps: CatalogueFunctionDeps): HttpHandler {
  return httpHandler(
    {
      catalogueItems: async (event) => {
        await requireServer(event, deps);
        return jsonResponse(200, await upsertItems(bodyOf(event), deps));
      },
      catalogueItem: async (event) => {
        await requireServer(event, deps);
        return jsonResponse(200, await deleteItem(pathId(event, 'itemId'), deps));
      },
    },
    deps.corsOrigins,
  );
}
