import type { APIGatewayProxyResult } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import { api, envVars, type RouteName } from '#shared/config/index.ts';
import { DynamoFeatureStore } from '#shared/adapters/dynamoFeatureStore.ts';
import { MemoryRecommendationCache } from '#shared/adapters/memoryCache.ts';
import { RedisRecommendationCache } from '#shared/adapters/redisCache.ts';
import { SageMakerModelClient } from '#shared/adapters/sageMakerModelClient.ts';
import { jsonResponse, jsonTextResponse } from '#shared/http/responses.ts';
import { systemClock } from '#shared/ports/index.ts';
import { GuardedCache, ModelBusyError, ModelGateway, type CacheStatus } from '#shared/serving/guards.ts';
import {
  parseListOptions,
  parseRankingRequest,
  parseTrendingWindow,
  SIMILAR_PARAMETERS,
  TRENDING_PARAMETERS,
  USER_LIST_PARAMETERS,
} from '#shared/serving/params.ts';
import { ServingService, type Served } from '#shared/serving/serve.ts';
import { dynamoDb } from '../lib/dynamoDb.ts';
import { optionalEnv, requiredEnv } from '../lib/env.ts';
import { bodyOf, httpHandler, pathId } from '../lib/http.ts';
import { countMetric, logger, metricDimension, metricsEnabled } from '../lib/observability.ts';
import { sageMakerRuntime } from '../lib/sageMakerRuntime.ts';

// Concurrent requests' profile reads and served-list records share DynamoDB calls (see `coalesce`).
const features = new DynamoFeatureStore(dynamoDb, requiredEnv(envVars.featureTableName), { coalesce: true });
const cacheUrl = process.env[envVars.cacheUrl];
const endpointName = process.env[envVars.modelEndpointName];
const fallbackVersion = optionalEnv(envVars.modelVersion, 'popularity-v1');

// Module scope: one cache connection and one breaker per execution environment, reused.
const service = new ServingService({
  features,
  cache: new GuardedCache(
    cacheUrl ? new RedisRecommendationCache(cacheUrl) : new MemoryRecommendationCache(),
    onceEvery(10_000, (error: unknown) => logger.warn('cache skipped (logged at most every 10 s)', { error })),
  ),
  ...(endpointName ? { model: new ModelGateway(new SageMakerModelClient(sageMakerRuntime, endpointName)) } : {}),
  log: features,
  clock: systemClock,
  newId: randomUUID,
  fallbackVersion,
  onError: countedAndLogged(
    onceEvery(10_000, (what: string, error: unknown) =>
      logger.warn(`${what} failed; serving a fallback (logged at most every 10 s)`, { error }),
    ),
  ),
});

/** Every fallback is counted, by cause; the log line stays rate-limited. */
function countedAndLogged(log: (what: string, error: unknown) => void): (what: string, error: unknown) => void {
  if (!metricsEnabled) return log;
  return (what, error) => {
    countMetric(fallbackMetric(what, error));
    log(what, error);
  };
}

/** The metric of one fallback: the model's by why it was not used, the feature store's as one. */
function fallbackMetric(what: string, error: unknown): string {
  if (what !== 'model') return what === 'feature store' ? 'FeatureStoreFailure' : 'DependencyFailure';
  if (error instanceof ModelBusyError) return 'ModelShed';
  return (error as { code?: unknown } | null)?.code === 'EOPENBREAKER' ? 'ModelBreakerOpen' : 'ModelFailure';
}

const CACHE_METRICS: Readonly<Record<CacheStatus, string>> = {
  HIT: 'CacheHit',
  MISS: 'CacheMiss',
  BYPASS: 'CacheBypass',
};

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

/**
 * The answer, with its cache status; a cache hit's stored JSON is sent as it is. Counted by
 * route and cache status; degraded answers are never cached, so a hit's body is not parsed to ask.
 */
function respond(route: RouteName, served: Served): APIGatewayProxyResult {
  if (metricsEnabled) {
    metricDimension('route', route);
    countMetric(CACHE_METRICS[served.cache]);
    if (served.cache !== 'HIT' && served.body.degraded) countMetric('DegradedAnswer');
  }
  return served.json === undefined
    ? jsonResponse(200, served.body, { [api.cacheStatusHeader]: served.cache })
    : jsonTextResponse(200, served.json, { [api.cacheStatusHeader]: served.cache });
}

/** The answer once the list is served: at once for a hit the service had at hand. */
function respondWhenServed(
  route: RouteName,
  served: Served | Promise<Served>,
): APIGatewayProxyResult | Promise<APIGatewayProxyResult> {
  return served instanceof Promise ? served.then((list) => respond(route, list)) : respond(route, served);
}

/** The read API: recommendations, similar items, rankings, trending, and the health check. */
export const handler = httpHandler({
  health: async () =>
    jsonResponse(200, { status: 'ok', modelVersion: fallbackVersion, model: endpointName ? 'endpoint' : 'popularity' }),
  userRecommendations: (event) =>
    respondWhenServed(
      'userRecommendations',
      service.forShopper(pathId(event, 'userId'), parseListOptions(event.queryStringParameters, USER_LIST_PARAMETERS)),
    ),
  similarItems: (event) =>
    respondWhenServed(
      'similarItems',
      service.similarTo(pathId(event, 'itemId'), parseListOptions(event.queryStringParameters, SIMILAR_PARAMETERS)),
    ),
  rankings: async (event) => respond('rankings', await service.rank(parseRankingRequest(bodyOf(event)))),
  trending: (event) =>
    respondWhenServed(
      'trending',
      service.trending(
        parseTrendingWindow(event.queryStringParameters),
        parseListOptions(event.queryStringParameters, TRENDING_PARAMETERS),
      ),
    ),
});
