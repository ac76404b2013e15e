import { envVars } from '#shared/config/index.ts';
import { KinesisEventStream } from '#shared/adapters/kinesisEventStream.ts';
import { acceptEvents } from '#shared/ingest/acceptEvents.ts';
import { jsonResponse } from '#shared/http/responses.ts';
import { systemClock } from '#shared/ports/index.ts';
import { requiredEnv } from '../lib/env.ts';
import { bodyOf, httpHandler } from '../lib/http.ts';
import { kinesis } from '../lib/kinesis.ts';
import { countMetric, logger } from '../lib/observability.ts';

const stream = new KinesisEventStream(kinesis, requiredEnv(envVars.eventStreamName));

/** `POST /v1/events`: validate a batch of storefront events and put the valid ones on the stream. */
export const handler = httpHandler({
  events: async (event) => {
    const result = await acceptEvents(bodyOf(event), { stream, clock: systemClock });
    countMetric('EventsAccepted', result.accepted);
    countMetric('EventsRejected', result.rejected.length);
    if (result.rejected.length > 0) {
      logger.info('events rejected', { accepted: result.accepted, rejected: result.rejected.length });
    }
    return jsonResponse(200, result);
  },
});
