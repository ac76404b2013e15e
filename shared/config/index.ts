/**
 * The one source of truth for names, key schemas, limits, TTLs and weights.
 *
 * The CDK app (`infra/`), the Lambda handlers (`functions/`) and the local stack (`local/`)
 * all read this module, so a table key or a limit is never written twice.
 * Nothing here reads `process.env`: environment-specific values (actual table names,
 * stream names) are injected into the handlers by the CDK constructs via {@link envVars}.
 */

/** Storefront event types, in the shop's language. */
export const EVENT_TYPES = [
  'view',
  'click',
  'add_to_cart',
  'remove_from_cart',
  'purchase',
  'search',
  'identify',
  'page_view',
  'impression',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/**
 * Event types that are about one catalogue item and therefore require `itemId`: the shopper acted on it. They are the
 * ones that feed features and training. `page_view` (an item optional) and `impression` (items shown, never acted on)
 * are not among them, so profiles, item activity and the training exports leave them out.
 */
export const ITEM_EVENT_TYPES = ['view', 'click', 'add_to_cart', 'remove_from_cart', 'purchase'] as const;
export type ItemEventType = (typeof ITEM_EVENT_TYPES)[number];

export interface KeyAttribute {
  readonly name: string;
  readonly type: 'S' | 'N';
}

export interface TableSpec {
  /** Logical id in CDK and the table name in the local stack. */
  readonly logicalName: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey: KeyAttribute;
  /** Attribute holding an epoch-seconds expiry; DynamoDB TTL deletes the item after it. */
  readonly ttlAttribute: string;
  readonly globalSecondaryIndexes: readonly {
    readonly indexName: string;
    readonly partitionKey: KeyAttribute;
    readonly sortKey: KeyAttribute;
  }[];
}

/**
 * The feature store is a single table. Access patterns (all by key, no scans on hot paths):
 * - a shopper's profile (recent items, category affinities, seen event ids; a tombstone with
 *   `erasedAt` once erased):              pk=`U#<shopperKey>`  sk=`PROFILE`
 * - an anonymous history linked to a user: pk=`U#u:<userId>`  sk=`ALIAS#<shopperKey>`
 * - an item's activity for one UTC day (popularity, trend, viewed/bought-together counts):
 *                                        pk=`I#<itemId>`      sk=`DAY#<yyyy-mm-dd>`
 * - an item's catalogue entry (a tombstone `deleted`, `deletedAt` with a TTL once deleted):
 *                                        pk=`I#<itemId>`      sk=`META`
 * - the day's most popular items:        GSI `byScore`, board=`POP#<day>#<shard>`, score descending
 * - the day's trending items:            GSI `byTrend`, trendBoard=`TREND#<day>#<shard>`, trend descending
 * - the whole catalogue, for training exports: GSI `byCatalogue`, catalogueShard=`CAT#<shard>` on each `META`
 *   entry (live and deleted), sorted by pk
 * - served lists (for attribution):        pk=`REC#<recommendationId>` sk=`REC`
 * - attributed events per model and day:  pk=`ATTR#<modelVersion>` sk=`<day>#<kind>`
 * - erased shoppers (left out of training): pk=`ERASED`      sk=`<keyed hash of the shopperKey>`
 * - an erasure's audit record:            pk=`AUDIT#<day>`      sk=`<time>#<erasureId>`
 * Boards are write-sharded (`featureLimits.boardShards`) so one day's board is not one hot
 * GSI partition; readers query every shard and merge.
 */
export const featureTable = {
  logicalName: 'FeatureTable',
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: { name: 'sk', type: 'S' },
  ttlAttribute: 'expiresAt',
  globalSecondaryIndexes: [
    {
      indexName: 'byScore',
      partitionKey: { name: 'board', type: 'S' },
      sortKey: { name: 'score', type: 'N' },
    },
    {
      indexName: 'byTrend',
      partitionKey: { name: 'trendBoard', type: 'S' },
      sortKey: { name: 'trend', type: 'N' },
    },
    {
      indexName: 'byCatalogue',
      partitionKey: { name: 'catalogueShard', type: 'S' },
      sortKey: { name: 'pk', type: 'S' },
    },
  ],
} as const satisfies TableSpec;

/**
 * The model registry, a table of its own so the pipeline's roles touch nothing of the shoppers':
 * - a model version (metrics, data window, hyperparameters, parent, status):
 *                                   pk=`VERSIONS`  sk=`<version>` (versions sort by creation time)
 * - the version the endpoint serves: pk=`LIVE`      sk=`LIVE`
 * - the lock of the running pipeline: pk=`LOCK`      sk=`TRAINING` (with an expiry)
 */
export const registryTable = {
  logicalName: 'ModelRegistry',
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: { name: 'sk', type: 'S' },
  ttlAttribute: 'expiresAt',
  globalSecondaryIndexes: [],
} as const satisfies TableSpec;

export const eventStream = {
  logicalName: 'EventStream',
  /** Shard count for the local stand-in; in AWS the stream is on-demand. */
  localShardCount: 2,
  retentionHours: 24,
} as const;

/** How the processor Lambda reads the stream (also what the local poller imitates). */
export const streamProcessing = {
  batchSize: 500,
  maxBatchingWindowSeconds: 1,
  retryAttempts: 5,
  maxRecordAgeSeconds: 6 * 60 * 60,
  parallelizationFactor: 1,
} as const;

/** Limits of the public API, enforced by the handlers and documented in the README. */
export const apiLimits = {
  maxEventsPerRequest: 100,
  maxBodyBytes: 256 * 1024,
  maxEventBytes: 8 * 1024,
  maxPropertyKeys: 32,
  maxPropertyValueChars: 256,
  maxIdChars: 128,
  maxQueryChars: 512,
  /** Events stamped further than this from the server clock are rejected. */
  maxClockSkewFutureMs: 5 * 60 * 1000,
  maxEventAgeMs: 7 * 24 * 60 * 60 * 1000,
  maxItemsPerRequest: 100,
  maxCategoriesPerItem: 10,
  maxTitleChars: 512,
  maxDescriptionChars: 4096,
  defaultRecommendationCount: 10,
  maxRecommendationCount: 100,
  /** Items one `impression` event names (`itemIds`): 50 ids of 128 characters stay within `maxEventBytes`. */
  maxImpressionItems: 50,
} as const;

export const featureLimits = {
  /** Recent items kept per shopper, newest first. */
  recentItemsPerUser: 50,
  /** Recent search queries kept per shopper. */
  recentQueriesPerUser: 10,
  /** Category affinities kept per shopper, the strongest (decayed to the newest of them). */
  categoryAffinitiesPerUser: 50,
  /**
   * Event ids remembered per shopper to drop client retries of the same event: a repeat is counted
   * once while the first is among this many of the shopper's newest events.
   */
  seenEventsPerUser: 500,
  /**
   * Event ids up to this many ASCII characters (a UUID) are remembered as they are; longer ones as
   * a 22-character hash, so the 500 fit in the profile item whatever the ids' length.
   */
  seenEventIdChars: 36,
  /**
   * Of those, how many keep their session partners for exact replays: a whole retried batch
   * (`streamProcessing.batchSize`) of one shopper, within the characters below. A replay whose
   * partners are gone adds no pairs.
   */
  seenEventsWithPartners: 500,
  /**
   * Characters of partner ids those keep in all, newest first: at 128-character ids of 3-byte
   * characters the partners then take at most 72 KiB of the profile item.
   */
  seenEventPartnerChars: 24_576,
  /** Earlier items of the same session paired with each new item (co-occurrence). */
  sessionPartners: 10,
  /** Half-life of a shopper's category affinities, in seconds. */
  affinityHalfLifeSeconds: 7 * 24 * 60 * 60,
  /** Half-life of the within-day trend score, in seconds: a 2 h memory means "trending now". */
  trendHalfLifeSeconds: 2 * 60 * 60,
  /** Events up to this long after a list was served are attributed to it. */
  attributionWindowSeconds: 24 * 60 * 60,
  /** Write shards of the popularity and trend boards. */
  boardShards: 4,
  /** Catalogue entries cached in the processor, and for how long. */
  catalogueCacheEntries: 50_000,
  catalogueCacheSeconds: 300,
  /** Days of popularity buckets blended into the popularity ranking. */
  popularityWindowDays: 2,
  /** Candidates read from the popularity board before filtering. */
  popularityCandidates: 200,
} as const;

/** The raw-event data lake: Firehose → S3 in AWS, `local/dataLake.ts` locally. */
export const dataLake = {
  /**
   * Days a raw event object stays in the lake before the lifecycle rule deletes it: 13 months,
   * so training can compare a month with the same month a year earlier (seasonality). This is
   * also how long erased shoppers' raw events stay on disk: training exports leave out the keys
   * recorded under `ERASED`, and the lifecycle rule is what finally deletes the records.
   */
  retentionDays: 395,
  /** Key prefix of delivered events (Firehose appends `dt=<yyyy-MM-dd>/`). */
  eventsPrefix: 'events/',
  /**
   * Extension of the delivered objects: newline-delimited JSON, gzipped; what the training export
   * (`shared/lake/trainingExport.ts`) and the local lake (`local/dataLake.ts`) read and write.
   */
  objectExtension: '.jsonl.gz',
  /** Key prefix of records Firehose could not deliver (it appends the error type and `dt=`). */
  errorsPrefix: 'errors/',
  /** Firehose flushes a file after this many seconds or {@link dataLake.bufferingSizeMiB}, whichever comes first. */
  bufferingIntervalSeconds: 60,
  /** Buffer size in MiB (Firehose allows 1..128 without dynamic partitioning or format conversion). */
  bufferingSizeMiB: 64,
  /** Days the S3 server access logs of the lake are kept. */
  accessLogRetentionDays: 395,
} as const;

/**
 * The model lifecycle: a Step Functions state machine (`infra/constructs/training-pipeline.ts`)
 * exports a window of the lake, trains on SageMaker, gates the candidate against the live model on
 * a time holdout, and deploys it. The local stack runs the same definition (`local/training/`).
 */
export const training = {
  /** Days of the lake a training run reads. */
  windowDays: 90,
  /**
   * The newest slice of the window held out to score the candidate and the live model: a duration
   * in seconds, or a fraction of the window when below 1. The candidate is trained without it.
   */
  holdout: { seconds: 7 * 24 * 60 * 60 },
  /** Locally the window is the simulated history plus the live traffic: a few minutes of holdout. */
  localHoldout: { seconds: 3 * 60 },
  /** A run with fewer new lake events than this since the live model's window is skipped, not failed. */
  minNewEvents: 1_000,
  /** Locally a few minutes of simulated traffic is enough to retrain. */
  localMinNewEvents: 200,
  /**
   * How long a run's lock holds without being released: longer than the slowest run (export and
   * training at their limits, plus a deployment), shorter than a day so a crashed run cannot
   * block the next day's.
   */
  lockSeconds: 8 * 60 * 60,
  /**
   * The gate: a candidate whose NDCG@10 on the holdout is below the live model's by more than this
   * fraction of it is rejected (0.02: up to 2 % worse is noise on a small holdout).
   */
  gateTolerance: 0.02,
  /** Cutoff of the gate's metrics. */
  gateK: 10,
  /** Users of the holdout the gate scores at most (a seeded sample), so scoring stays a fraction of training. */
  gateMaxUsers: 10_000,
  /** Versions whose SageMaker model, endpoint config and artifact are kept (the live one included). */
  keepVersions: 3,
  /** When a run starts: an EventBridge Scheduler expression, or `off`. */
  schedule: 'rate(1 day)',
  /**
   * Export (SageMaker Processing), training and endpoint instance types (x86: SageMaker trains on no
   * Graviton type). The export aggregates in memory, about 32 bytes per (shopper, item, type, day)
   * plus about 100 bytes per distinct id: 900M events (10M a day for 90 days) at the simulator's
   * 0.5 entries per event need about 15 GB, hence 32 GB (`ml.m5.2xlarge`).
   */
  exportInstanceType: 'ml.m5.2xlarge',
  trainingInstanceType: 'ml.m5.xlarge',
  endpointInstanceType: 'ml.c6i.large',
  /** Hard limits of the jobs, s (SageMaker's `StoppingCondition.MaxRuntimeInSeconds`). */
  exportMaxSeconds: 2 * 60 * 60,
  trainingMaxSeconds: 4 * 60 * 60,
  /** Volume of the export and training instances, GB. */
  volumeGb: 100,
  /** Poll interval of the endpoint deployment loop, s (0 locally through the interpreter's wait overrides). */
  deployPollSeconds: 30,
  /** How long the recommend function reuses the live version it read from the registry, ms. */
  liveVersionCacheMs: 30_000,
  /** The same on the local stack, whose one process serves every request. */
  localLiveVersionCacheMs: 1_000,
} as const;

export const ttls = {
  /** Everything derived from a person expires after this (privacy by default). */
  userFeaturesSeconds: 90 * 24 * 60 * 60,
  /** Day buckets of item counters expire after this. */
  itemBucketSeconds: 14 * 24 * 60 * 60,
  /** Attribution counters (per model version, list kind and day) are kept this long. */
  attributionSeconds: 400 * 24 * 60 * 60,
  /**
   * An erasure's audit record: 3 years, the usual limitation period in which a shopper or a
   * supervisory authority may ask whether an erasure was done. It holds keyed hashes and counts only.
   */
  erasureAuditSeconds: 3 * 365 * 24 * 60 * 60,
  /**
   * A deleted item's tombstone: longer than a model's retraining interval, so no list serves a
   * deleted item while a model trained before the deletion is live.
   */
  deletedItemSeconds: 30 * 24 * 60 * 60,
} as const;

/**
 * Weight each event type adds to an item's popularity and to a shopper's affinity.
 * view < click < add_to_cart < purchase; negative signals subtract.
 */
export const eventWeights: Readonly<Record<EventType, number>> = {
  view: 1,
  click: 2,
  add_to_cart: 4,
  remove_from_cart: -2,
  purchase: 8,
  search: 0,
  identify: 0,
  /** A page view says where the shopper is, not what they like. */
  page_view: 0,
  /** Shown is not chosen: impressions only count in attribution (the denominator of click-through). */
  impression: 0,
};

/** Header carrying the API key (API Gateway's `ApiKeySourceType.HEADER` name). */
const API_KEY_HEADER = 'x-api-key';
/** Response header telling whether an answer came from the recommendation cache. */
const CACHE_STATUS_HEADER = 'x-cache';
/** Request header carrying a signed-in shopper's user token on the storefront API. */
const USER_TOKEN_HEADER = 'x-reco-user-token';

/** HTTP method of each route. */
const ROUTE_METHODS = {
  events: 'POST',
  userRecommendations: 'GET',
  health: 'GET',
  catalogueItems: 'PUT',
  catalogueItem: 'DELETE',
  userErasure: 'DELETE',
  similarItems: 'GET',
  rankings: 'POST',
  trending: 'GET',
  readiness: 'GET',
  userTokens: 'POST',
  trainModel: 'POST',
  models: 'GET',
  model: 'GET',
  promoteModel: 'POST',
  stats: 'GET',
} as const;

/**
 * The two APIs over the same functions. A REST API method has one authorization type, so each
 * kind of caller gets its own API: the storefront API (an API key in every browser, a usage plan,
 * CORS, WAF) acts as shoppers only; the server API (AWS IAM, SigV4) is the shop's backend.
 */
export const API_KINDS = ['storefront', 'server'] as const;
export type ApiKind = (typeof API_KINDS)[number];

type RouteMethod = (typeof ROUTE_METHODS)[keyof typeof ROUTE_METHODS];

export const api = {
  apiKeyHeader: API_KEY_HEADER,
  cacheStatusHeader: CACHE_STATUS_HEADER,
  userTokenHeader: USER_TOKEN_HEADER,
  routes: {
    events: '/v1/events',
    userRecommendations: '/v1/users/{userId}/recommendations',
    health: '/v1/health',
    catalogueItems: '/v1/items',
    catalogueItem: '/v1/items/{itemId}',
    userErasure: '/v1/users/{userId}',
    similarItems: '/v1/items/{itemId}/similar',
    rankings: '/v1/rankings',
    trending: '/v1/trending',
    readiness: '/v1/ready',
    userTokens: '/v1/admin/user-tokens',
    trainModel: '/v1/admin/train',
    models: '/v1/admin/models',
    model: '/v1/admin/models/{version}',
    promoteModel: '/v1/admin/models/{version}/promote',
    stats: '/v1/admin/stats',
  },
  /** HTTP method of each route. */
  routeMethods: ROUTE_METHODS,
  /**
   * The APIs each route is on. The storefront API has what a shop's page needs and nothing else;
   * the server API has every list route too, so a shop's backend needs one set of credentials.
   */
  routeApis: {
    events: ['storefront', 'server'],
    userRecommendations: ['storefront', 'server'],
    similarItems: ['storefront', 'server'],
    rankings: ['storefront', 'server'],
    trending: ['storefront', 'server'],
    health: ['storefront'],
    readiness: ['server'],
    catalogueItems: ['server'],
    catalogueItem: ['server'],
    userErasure: ['server'],
    userTokens: ['server'],
    trainModel: ['server'],
    models: ['server'],
    model: ['server'],
    promoteModel: ['server'],
    stats: ['server'],
  } satisfies Record<keyof typeof ROUTE_METHODS, readonly ApiKind[]>,
  /** Storefront routes that need no API key (uptime checks). */
  publicRoutes: ['health'],
  /**
   * Errors answered by the gateway itself (before any handler), with the same JSON shape as
   * handler errors. API Gateway gets them as gateway responses; the local gateway sends them too.
   */
  gatewayErrors: {
    invalidApiKey: {
      status: 403,
      reason: 'invalid_api_key',
      message: 'send a valid API key in the x-api-key header',
    },
    routeNotFound: { status: 404, reason: 'route_not_found', message: 'no such route' },
    requestTooLarge: { status: 413, reason: 'body_too_large', message: 'request body is too large' },
    throttled: { status: 429, reason: 'throttled', message: 'too many requests; retry with backoff' },
    /**
     * The server API without credentials. API Gateway answers a missing route with the same
     * response type (`MISSING_AUTHENTICATION_TOKEN`), so the message names both causes.
     */
    missingAuthentication: {
      status: 403,
      reason: 'missing_authentication',
      message: 'sign the request with AWS SigV4 (service execute-api), or check the route',
    },
    invalidSignature: {
      status: 403,
      reason: 'invalid_signature',
      message: 'the request signature does not match; check the credentials and the signed headers',
    },
    expiredCredentials: { status: 403, reason: 'expired_credentials', message: 'the credentials have expired' },
    accessDenied: {
      status: 403,
      reason: 'access_denied',
      message: "the caller's IAM policy does not allow execute-api:Invoke on this route",
    },
    /**
     * Every other 4xx of the gateway (`DEFAULT_4XX`): API Gateway keeps its own status, and its own
     * message (`$context.error.messageString`) replaces this one in the deployed response.
     */
    badRequest: { status: 400, reason: 'bad_request', message: 'the API gateway refused the request' },
    /** Every other 5xx of the gateway (`DEFAULT_5XX`, such as an integration timeout), as {@link badRequest}. */
    internalError: { status: 500, reason: 'internal_error', message: 'the API gateway could not complete the request' },
  },
  /**
   * CORS, so the storefront SDK (`sdk/`) can call the API from the shop's pages, whose origin is not the API's.
   * The same values make the storefront API's preflight methods and error responses
   * (`infra/constructs/storefront-api.ts`), the handlers' answers (`functions/lib/http.ts`) and the local gateway
   * (`local/apiGateway.ts`).
   */
  cors: {
    /**
     * Origins (`scheme://host[:port]`, as browsers send them in `Origin`) whose pages may call the
     * API, or `['*']` for any page. Deployers override it with the CDK context `reco:corsOrigins`,
     * the local stack with `RECO_CORS_ORIGINS` (both comma-separated). The list only binds browsers:
     * it keeps other sites' pages from calling the API with a key copied from the shop's page, not
     * a script outside a browser.
     */
    allowOrigins: ['*'] as readonly string[],
    /**
     * Request headers a page may send: what the SDK sets beyond the CORS-safelisted ones
     * (`content-type: application/json` is not safelisted, and neither is the key header).
     */
    allowHeaders: ['content-type', API_KEY_HEADER, USER_TOKEN_HEADER],
    /** Methods of the routes, each once. */
    allowMethods: [...new Set(Object.values(ROUTE_METHODS))] as readonly RouteMethod[],
    /** How long a browser may reuse a preflight answer, s (per URL; Chromium caps it at 7200). */
    maxAgeSeconds: 600,
    /** Response headers a page may read besides the safelisted ones: what the SDK reads. */
    exposeHeaders: [CACHE_STATUS_HEADER, 'retry-after'],
  },
} as const;

export type RouteName = keyof typeof api.routes;

/** Lambda settings shared by every function. */
export const lambdaDefaults = {
  memoryMb: 1024,
  /**
   * Below API Gateway's 29 s integration timeout, so a slow invocation ends in the function (logged,
   * with its own error) before the gateway gives up on it and answers 504 without a trace.
   */
  timeoutSeconds: 28,
  logRetentionDays: 30,
} as const;

/** Names of the environment variables the CDK app sets and the handlers read. */
export const envVars = {
  featureTableName: 'FEATURE_TABLE_NAME',
  eventStreamName: 'EVENT_STREAM_NAME',
  modelVersion: 'MODEL_VERSION',
  /** Queue where the processor parks records that can never succeed. */
  poisonQueueUrl: 'POISON_QUEUE_URL',
  /** `redis://` or `rediss://` URL of the recommendation cache (Valkey); unset: in-process LRU. */
  cacheUrl: 'CACHE_URL',
  /** SageMaker endpoint serving the model; unset: popularity only. */
  modelEndpointName: 'MODEL_ENDPOINT_NAME',
  /** Comma-separated origins the API answers CORS for (set by the Api construct); unset: `api.cors.allowOrigins`. */
  corsAllowOrigins: 'CORS_ALLOW_ORIGINS',
  /** Id of the storefront REST API: a request from it is a shopper's (the caller kind comes from the request context). */
  storefrontApiId: 'STOREFRONT_API_ID',
  /** Id of the server REST API: a request from it, signed with IAM credentials, is the shop's backend. */
  serverApiId: 'SERVER_API_ID',
  /** Secrets Manager ARN of the user-token signing keys (`{"current": {...}, "previous": {...}}`). */
  userTokenKeysSecretArn: 'USER_TOKEN_KEYS_SECRET_ARN',
  /** User-token keys inline, as the same JSON: the local stack and tests only. */
  userTokenKeys: 'USER_TOKEN_KEYS',
  /**
   * Secrets Manager ARN of the key that turns erased shopper keys into keyed hashes for the erasure
   * log; never rotated, or erased shoppers would come back into training.
   */
  erasureHashKeySecretArn: 'ERASURE_HASH_KEY_SECRET_ARN',
  /** The erasure-log key inline (a string of at least 32 characters): the local stack and tests only. */
  erasureHashKey: 'ERASURE_HASH_KEY',
  /** Model registry table (live version, versions, the pipeline lock). */
  registryTableName: 'REGISTRY_TABLE_NAME',
  /** ARN of the training state machine (the admin function starts it). */
  trainingStateMachineArn: 'TRAINING_STATE_MACHINE_ARN',
  /** Name of the stream processor function, whose Lambda `IteratorAge` is the processor lag of `GET /v1/admin/stats`. */
  processorFunctionName: 'PROCESSOR_FUNCTION_NAME',
} as const;

/** Time the model may take before the fallback answers, ms. */
const MODEL_BUDGET_MS = 150;

/** The serving path's budgets and cache settings. */
export const serving = {
  /**
   * The version popularity lists are served and attributed as, before the first model and whenever a list falls
   * back; `MODEL_VERSION` on a function overrides it.
   */
  fallbackModelVersion: 'popularity-v1',
  /** Time the model may take before the fallback answers, ms. */
  modelBudgetMs: MODEL_BUDGET_MS,
  /**
   * Model calls one serving process keeps in flight, adapted between `min` and `max` to how the
   * model copes (see `AdaptiveLimit`); more are answered by the fallback at once instead of
   * queueing behind a saturated model past the budget (a bulkhead). A Lambda environment serves
   * one request at a time, so this binds where one process serves many shoppers at once: the
   * local stack, or a Lambda fronting a slow or overloaded endpoint. `targetMs` is the budget:
   * only calls the model failed or did not answer in time shrink the limit. A lower target read
   * the serving process's own event-loop lag as the model's: at 50 ms, 79 % of answers were
   * degraded with a healthy model while Redis was down and every request missed (serving bench).
   */
  modelConcurrency: { initial: 16, min: 2, max: 64, targetMs: MODEL_BUDGET_MS, backoff: 0.9 },
  /** Consecutive model failures that open the circuit breaker. */
  breakerFailureThreshold: 5,
  /** How long an open breaker waits before letting one call through, ms (recovery within ~2 s of a return). */
  breakerResetMs: 2_000,
  /** How long a serving process reuses the popularity and trend boards it read, ms. */
  boardMemoMs: 2_000,
  /** Cache time of a personalised answer; the feature version in the key makes new events miss anyway. */
  recommendationTtlSeconds: 300,
  /** Cache time of trending and similar-items answers. */
  sharedListTtlSeconds: 60,
  /** Cache time of an empty list, whatever its kind: it may fill within seconds. */
  emptyListTtlSeconds: 5,
  /**
   * Live catalogue entries a serving process reuses to filter model lists: a deletion, stock or
   * price change reaches lists within `ttlMs`; `maxEntries` bounds the memory (a few MB).
   */
  liveCatalogue: { ttlMs: 30_000, maxEntries: 10_000 },
  /** Entries of the embedded in-process cache. */
  localCacheEntries: 10_000,
  /** Time the cache may take before it is skipped for this request, ms. */
  cacheBudgetMs: 20,
  /** Items a ranking request may carry. */
  maxRankingItems: 500,
  /** Recommendation records kept for attribution, days. */
  attributionDays: 7,
} as const;

/** Signed-in shoppers' user tokens on the storefront API. */
export const userTokens = {
  /** Lifetime of a token minted by `POST /v1/admin/user-tokens`, s. */
  ttlSeconds: 60 * 60,
  /** Longest lifetime a caller may ask for, s. */
  maxTtlSeconds: 24 * 60 * 60,
  /** How long a function reuses the signing keys it read before reading them again, ms. */
  keyCacheMs: 5 * 60 * 1000,
} as const;

export const serviceName = 'reco';

/**
 * CloudWatch namespace of the functions' own metrics (Powertools Metrics, EMF); the CDK app sets
 * it as POWERTOOLS_METRICS_NAMESPACE and the alarms read the same metrics.
 */
export const metricsNamespace = 'RecoStack';

/**
 * `GET /v1/admin/stats` (`shared/stats/`): the operational series of the last minutes, the model
 * registry and attribution, as the dashboard draws them.
 */
export const stats = {
  /** Minutes of series a report covers unless `?minutes=` says otherwise, and the most it may ask. */
  defaultMinutes: 15,
  maxMinutes: 180,
  /** Finest period of the series in AWS, s: the functions' EMF metrics have standard (1-minute) resolution. */
  periodSeconds: 60,
  /** Finest period of the local stack's own collector, s; it keeps `maxMinutes` of these. */
  localPeriodSeconds: 10,
  /** Points a series has at most: longer windows get periods of a multiple of the finest. */
  maxPoints: 180,
  /** Registry versions a report lists, newest first. */
  registryVersions: 10,
  /** UTC days of attribution a report sums, today included. */
  attributionDays: 7,
} as const;

/**
 * When the CloudWatch alarms fire (`infra/constructs/alarms.ts`). Each is evaluated over periods
 * of `periodMinutes`; thresholds are per period.
 */
export const alarms = {
  periodMinutes: 5,
  /** Share of recommendation answers that may be degraded, percent, for 3 periods in a row. */
  degradedAnswerPercent: 20,
  /** Fewer answers than this in a period never count as degraded: a quiet shop pages nobody for one fallback. */
  degradedMinAnswers: 60,
  /** The processor's oldest unread record, ms (Lambda's IteratorAge, maximum), for 3 periods in a row. */
  processorIteratorAgeMs: 60_000,
  /** 5xx answers of one API in a period, for 2 periods in a row. */
  apiServerErrors: 5,
} as const;
