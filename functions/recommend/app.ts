import type { APIGatewayProxyResult } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import { api, envVars, serving as servingConfig, training } from '#shared/config/index.ts';
import { DynamoModelRegistry } from '#shared/adapters/dynamoModelRegistry.ts';
import { LiveModelVersion } from '#shared/serving/liveModel.ts';
import { DynamoFeatureStore } from '#shared/adapters/dynamoFeatureStore.ts';
import { MemoryRecommendationCache } from '#shared/adapters/memoryCache.ts';
import { SageMakerModelClient } from '#shared/adapters/sageMakerModelClient.ts';
import { jsonResponse } from '#shared/http/responses.ts';
import { shopperScopeFor } from '#shared/auth/caller.ts';
import { systemClock } from '#shared/ports/index.ts';
import { fallbackMetric, type FallbackMetric, type OnDependencyFailure } from '#shared/serving/failures.ts';
import { GuardedCache, ModelGateway } from '#shared/serving/guards.ts';
import { cacheStatusMetric, functionMetrics } from '#shared/stats/metrics.ts';
import { readiness } from '#shared/serving/readiness.ts';
import {
  parseListOptions,
  parseRankingRequest,
  parseTrendingWindow,
  SIMILAR_PARAMETERS,
  TRENDING_PARAMETERS,
  USER_LIST_PARAMETERS,
} from '#shared/serving/params.ts';
import { ServingService, type Served, type ServingDeps } from '#shared/serving/service.ts';
import { apiIdsFrom, callerOf, type CallerDeps } from '../lib/caller.ts';
import { dynamoDb } from '../lib/dynamoDb.ts';
import { LazyRedisCache } from '../lib/lazyRedisCache.ts';
import { corsAllowOrigins, optionalEnv, requiredEnv, type Env } from '../lib/env.ts';
import { bodyOf, httpHandler, pathId, type HttpHandler } from '../lib/http.ts';
import { requireServer } from '../lib/serverOnly.ts';
import { countMetric, logger, metricsEnabled } from '../lib/observability.ts';
import { sageMakerRuntime } from '../lib/sageMakerRuntime.ts';
import { userTokenKeysFrom } from '../lib/userTokenKeys.ts';

export interface RecommendFunctionDeps extends CallerDeps {
  readonly service: ServingService;
  /** What the lists are served with; `GET /v1/ready` calls each dependency and `/v1/health` names the model. */
  readonly serving: ServingDeps;
  readonly corsOrigins: readonly string[];
}

/** Told of each fallback by its cause, besides the metric (the local stack's stats collector). */
export type OnFallback = (cause: FallbackMetric) => void;

/**
 * The recommend function's dependencies from its environment, built once per execution
 * environment: one cache connection and one breaker, reused. `overrides` replace any of the
 * serving dependencies; `onFallback` is told of every fallback's cause.
 */
export function createDeps(
  env: Env,
  { onFallback, ...overrides }: Partial<ServingDeps> & { readonly onFallback?: OnFallback } = {},
): RecommendFunctionDeps {
  const features = new DynamoFeatureStore(dynamoDb, requiredEnv(env, envVars.featureTableName));
  const cacheUrl = env[envVars.cacheUrl];
  const endpointName = env[envVars.modelEndpointName];
  const registryTableName = env[envVars.registryTableName];
  const fallbackVersion = optionalEnv(env, envVars.modelVersion, servingConfig.fallbackModelVersion);
  const clock = overrides.clock ?? systemClock;
  const serving: ServingDeps = {
    features,
    cache: new GuardedCache(
      cacheUrl ? new LazyRedisCache(cacheUrl) : new MemoryRecommendationCache(),
      onceEvery(10_000, (error: unknown) => logger.warn('cache skipped (logged at most every 10 s)', { error })),
    ),
    ...(endpointName ? { model: new ModelGateway(new SageMakerModelClient(sageMakerRuntime, endpointName)) } : {}),
    ...(registryTableName
      ? {
          liveModel: new LiveModelVersion({
            source: new DynamoModelRegistry(dynamoDb, registryTableName),
            clock,
            ttlMs: training.liveVersionCacheMs,
            onError: onceEvery(10_000, (error: unknown) =>
              logger.warn('model registry unreadable; the endpoint is asked (logged at most every 10 s)', { error }),
            ),
          }),
        }
      : {}),
    log: features,
    clock,
    newId: randomUUID,
    fallbackVersion,
    onError: countedAndLogged(
      onceEvery(10_000, (dependency, error) =>
        logger.warn(`${dependency} failed; serving a fallback (logged at most every 10 s)`, { error }),
      ),
      onFallback,
    ),
    ...overrides,
  };
  return {
    service: new ServingService(serving),
    serving,
    corsOrigins: corsAllowOrigins(env),
    apiIds: apiIdsFrom(env),
    userTokenKeys: userTokenKeysFrom(env, clock),
    clock,
  };
}

/**
 * `GET /v1/health`, keyless for uptime checks: up, and the version of the ranking actually served:
 * the model's, as its last answer named it or else as the registry names the live version (one
 * one-item call when neither is known yet), or the fallback's before the first model is live. Dependencies are checked by the server API's `GET /v1/ready`.
 */
async function health(serving: ServingDeps) {
  const { model, fallbackVersion, liveVersion } = serving;
  if (!model) return { status: 'ok', model: 'popularity', modelVersion: fallbackVersion, fallbackVersion };
  let modelVersion = model.lastModelVersion ?? liveVersion;
  if (modelVersion === undefined) {
    try {
      modelVersion = (await model.invoke({ count: 1 })).modelVersion;
    } catch {
      // The model is down or busy: the lists fall back to popularity meanwhile.
      modelVersion = fallbackVersion;
    }
  }
  return { status: 'ok', model: 'endpoint', modelVersion, fallbackVersion };
}

/** Every fallback is counted, by cause; the log line stays rate-limited. */
function countedAndLogged(log: OnDependencyFailure, onFallback?: OnFallback): OnDependencyFailure {
  if (!metricsEnabled && onFallback === undefined) return log;
  return (dependency, error) => {
    const cause = fallbackMetric(dependency, error);
    countMetric(cause);
    onFallback?.(cause);
    log(dependency, error);
  };
}

/** An outage must not turn every request into a stack trace in the logs. */
function onceEvery<A extends unknown[]>(ms: number, log: (...args: A) => void): (...args: A) => void {
  let last = 0;
  return (...args) => {
    const now = Date.now();
    if (now - last < ms) return;
    last = now;
    log(...args);
  };
}

/** The answer with its cache status, counted by cache status (and by route: the HTTP wrapper adds it). */
function respond(served: Served): APIGatewayProxyResult {
  if (metricsEnabled) {
    countMetric(cacheStatusMetric[served.cache]);
    if (served.body.degraded) countMetric(functionMetrics.degradedAnswer);
  }
  return jsonResponse(200, served.body, { [api.cacheStatusHeader]: served.cache });
}

/** The read API: recommendations, similar items, rankings, trending, and the health check. */
export function createHandler(deps: RecommendFunctionDeps): HttpHandler {
  const { service } = deps;
  return httpHandler(
    {
      health: async () => jsonResponse(200, await health((await service.context()).deps)),
      readiness: async (event) => {
        await requireServer(event, deps);
        const found = await readiness((await service.context()).deps);
        return jsonResponse(found.ready ? 200 : 503, {
          status: found.ready ? 'ready' : 'not_ready',
          ...(found.ready ? {} : { reason: 'not_ready', message: 'a dependency of the lists did not answer' }),
          checks: found.checks,
        });
      },
      userRecommendations: async (event) => {
        const userId = pathId(event, 'userId');
        const options = parseListOptions(event.queryStringParameters, USER_LIST_PARAMETERS);
        const scope = shopperScopeFor(await callerOf(event, deps), userId);
        return respond(await service.forShopper(userId, options, scope));
      },
      similarItems: async (event) => {
        await callerOf(event, deps);
        return respond(
          await service.similarTo(
            pathId(event, 'itemId'),
            parseListOptions(event.queryStringParameters, SIMILAR_PARAMETERS),
          ),
        );
      },
      rankings: async (event) => {
        const request = parseRankingRequest(bodyOf(event), event.queryStringParameters);
        const scope = shopperScopeFor(await callerOf(event, deps), request.userId);
        return respond(await service.rank(request, scope));
      },
      trending: async (event) => {
        await callerOf(event, deps);
        return respond(
          await service.trending(
            parseTrendingWindow(event.queryStringParameters),
            parseListOptions(event.queryStringParameters, TRENDING_PARAMETERS),
          ),
        );
      },
    },
    deps.corsOrigins,
  );
}
