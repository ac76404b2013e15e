import { envVars } from '#shared/config/index.ts';
import { DynamoFeatureStore } from '#shared/adapters/dynamoFeatureStore.ts';
import { jsonResponse } from '#shared/http/responses.ts';
import { systemClock } from '#shared/ports/index.ts';
import { eraseUser } from '#shared/privacy/eraseUser.ts';
import { dynamoDb } from '../lib/dynamoDb.ts';
import { requiredEnv } from '../lib/env.ts';
import { httpHandler, pathId } from '../lib/http.ts';
import { logger } from '../lib/observability.ts';

const store = new DynamoFeatureStore(dynamoDb, requiredEnv(envVars.featureTableName));

/** `DELETE /v1/users/{userId}`: right to erasure (GDPR Art. 17). */
export const handler = httpHandler({
  userErasure: async (event) => {
    const result = await eraseUser(pathId(event, 'userId'), { shoppers: store, erasures: store, clock: systemClock });
    // The id is logged on purpose: an erasure must be auditable. Nothing else about the person is.
    logger.info('user erased', { userId: result.userId, profiles: result.profilesErased.length });
    return jsonResponse(202, result);
  },
});
