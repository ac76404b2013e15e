import { envVars } from '#shared/config/index.ts';
import { KinesisEventStream } from '#shared/adapters/kinesisEventStream.ts';
import { acceptEvents, type IngestDeps } from '#shared/ingest/acceptEvents.ts';
import { jsonResponse } from '#shared/http/responses.ts';
import { systemClock } from '#shared/ports/index.ts';
import { corsAllowOrigins, requiredEnv, type Env } from '../lib/env.ts';
import { bodyOf, httpHandler, type HttpHandler } from '../lib/http.ts';
import { apiIdsFrom, callerOf, type CallerDeps } from '../lib/caller.ts';
import { kinesis } from '../lib/kinesis.ts';
import { userTokenKeysFrom } from '../lib/userTokenKeys.ts';
import { functionMetrics } from '#shared/stats/metrics.ts';
import { countMetric, logger } from '../lib/observability.ts';

export interface IngestFunctionDeps extends IngestDeps, CallerDeps {
  readonly corsOrigins: readonly string[];
}

/** The ingest function's dependencies from its environment; `overrides` replace any of them. */
export function createDeps(env: Env, overrides: Partial<IngestFunctionDeps> = {}): IngestFunctionDeps {
  const clock = overrides.clock ?? systemClock;
  return {
    stream: new KinesisEventStream(kinesis, requiredEnv(env, envVars.eventStreamName)),
    clock,
    corsOrigins: corsAllowOrigins(env),
    apiIds: apiIdsFrom(env),
    userTokenKeys: overrides.userTokenKeys ?? userTokenKeysFrom(env, clock),
    ...overrides,
  };
}

/** `POST /v1/events`: validate a batch of storefront events and put the valid ones on the stream. */
export function createHandler(deps: IngestFunctionDeps): HttpHandler {
  return httpHandler(
    {
      events: async (event) => {
        const result = await acceptEvents(bodyOf(event), deps, await callerOf(event, deps));
        countMetric(functionMetrics.eventsAccepted, result.accepted);
        countMetric('EventsRejected', result.rejected.length);
        if (result.rejected.length > 0) {
          logger.info('events rejected', { accepted: result.accepted, rejected: result.rejected.length });
        }
        return jsonResponse(200, result);
      },
    },
    deps.corsOrigins,
  );
}
