/** The API surface: routes, their methods and APIs, headers, the gateway's own errors and CORS. */

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
