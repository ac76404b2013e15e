import { envVars } from '#shared/config/index.ts';
import { DynamoFeatureStore } from '#shared/adapters/dynamoFeatureStore.ts';
import { deleteItem, upsertItems, type CatalogueDeps } from '#shared/catalogue/upsertItems.ts';
import { jsonResponse } from '#shared/http/responses.ts';
import { systemClock } from '#shared/ports/index.ts';
import { dynamoDb } from '../lib/dynamoDb.ts';
import { requiredEnv } from '../lib/env.ts';
import { bodyOf, httpHandler, pathId } from '../lib/http.ts';

const deps: CatalogueDeps = {
  catalogue: new DynamoFeatureStore(dynamoDb, requiredEnv(envVars.featureTableName)),
  clock: systemClock,
};

/** `PUT /v1/items` (batch upsert) and `DELETE /v1/items/{itemId}`. */
export const handler = httpHandler({
  catalogueItems: async (event) => jsonResponse(200, await upsertItems(bodyOf(event), deps)),
  catalogueItem: async (event) => jsonResponse(200, await deleteItem(pathId(event, 'itemId'), deps)),
});
