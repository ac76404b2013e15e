import { randomUUID } from 'node:crypto';
import { envVars } from '#shared/config/index.ts';
import { DynamoFeatureStore } from '#shared/adapters/dynamoFeatureStore.ts';
import { jsonResponse } from '#shared/http/responses.ts';
import { systemClock } from '#shared/ports/index.ts';
import { parseCount, recommendForUser, type RecommendDeps } from '#shared/recommend/recommendForUser.ts';
import { dynamoDb } from '../lib/dynamoDb.ts';
import { optionalEnv, requiredEnv } from '../lib/env.ts';
import { httpHandler, pathId } from '../lib/http.ts';

const deps: RecommendDeps = {
  features: new DynamoFeatureStore(dynamoDb, requiredEnv(envVars.featureTableName)),
  clock: systemClock,
  newId: randomUUID,
  modelVersion: optionalEnv(envVars.modelVersion, 'popularity-v1'),
};

/** `GET /v1/users/{userId}/recommendations` and `GET /v1/health`. */
export const handler = httpHandler({
  health: async () => jsonResponse(200, { status: 'ok', modelVersion: deps.modelVersion }),
  userRecommendations: async (event) => {
    const userId = pathId(event, 'userId');
    const count = parseCount(event.queryStringParameters?.count);
    return jsonResponse(200, await recommendForUser({ userId, count }, deps));
  },
});
