import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { envVars } from '#shared/config/index.ts';
import { ApiError } from '#shared/errors.ts';
import { acceptEvents } from '#shared/ingest/acceptEvents.ts';
import { KinesisEventStream } from '#shared/adapters/kinesisEventStream.ts';
import { errorResponse, jsonResponse } from '#shared/http/responses.ts';
import { systemClock } from '#shared/ports/index.ts';
import { kinesis } from '../lib/kinesis.ts';
import { requiredEnv } from '../lib/env.ts';
import { logger } from '../lib/observability.ts';

const stream = new KinesisEventStream(kinesis, requiredEnv(envVars.eventStreamName));

/** `POST /v1/events`: validate a batch of storefront events and put the valid ones on the stream. */
export const handler = async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
  try {
    const body = event.isBase64Encoded && event.body ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
    const result = await acceptEvents(body, { stream, clock: systemClock });
    if (result.rejected.length > 0) {
      logger.info('events rejected', { accepted: result.accepted, rejected: result.rejected.length });
    }
    return jsonResponse(200, result);
  } catch (error) {
    if (!(error instanceof ApiError) || error.status >= 500) logger.error('ingest failed', { error });
    return errorResponse(error);
  }
};
