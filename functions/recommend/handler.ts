import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import { api, apiLimits, envVars } from '#shared/config/index.ts';
import { DynamoFeatureStore } from '#shared/adapters/dynamoFeatureStore.ts';
import { ApiError, InvalidRequestError, RouteNotFoundError } from '#shared/errors.ts';
import { errorResponse, jsonResponse } from '#shared/http/responses.ts';
import { systemClock } from '#shared/ports/index.ts';
import { parseCount, recommendForUser, type RecommendDeps } from '#shared/recommend/recommendForUser.ts';
import { dynamoDb } from '../lib/dynamoDb.ts';
import { optionalEnv, requiredEnv } from '../lib/env.ts';
import { logger } from '../lib/observability.ts';

const deps: RecommendDeps = {
  features: new DynamoFeatureStore(dynamoDb, requiredEnv(envVars.featureTableName)),
  clock: systemClock,
  newId: randomUUID,
  modelVersion: optionalEnv(envVars.modelVersion, 'popularity-v1'),
};

/** `GET /v1/users/{userId}/recommendations` and `GET /v1/health`. */
export const handler = async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
  try {
    switch (event.resource) {
      case api.routes.health:
        return jsonResponse(200, { status: 'ok', modelVersion: deps.modelVersion });
      case api.routes.userRecommendations: {
        const userId = event.pathParameters?.userId;
        if (!userId) throw new InvalidRequestError('missing_user_id', 'userId path parameter is required');
        if (userId.length > apiLimits.maxIdChars) {
          throw new InvalidRequestError('invalid_user_id', `userId must be at most ${apiLimits.maxIdChars} characters`);
        }
        const count = parseCount(event.queryStringParameters?.count);
        const result = await recommendForUser({ userId, count }, deps);
        return jsonResponse(200, result);
      }
      default:
        throw new RouteNotFoundError('route_not_found', `no route for ${event.httpMethod} ${event.path}`);
    }
  } catch (error) {
    if (!(error instanceof ApiError) || error.status >= 500) logger.error('recommend failed', { error });
    return errorResponse(error);
  }
};
