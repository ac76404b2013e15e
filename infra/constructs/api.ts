import { Duration, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct, type IConstruct } from 'constructs';
import { api, envVars, lambdaDefaults, serviceName, type RouteName } from '#shared/config/index.ts';
import { checkCorsOrigins, EXPOSE_HEADERS_VALUE } from '#shared/http/cors.ts';
import { retentionDays } from '../retention.ts';

/** Properties of an {@link Api}. */
export interface ApiProps {
  /**
   * The function behind each route of `api.routes` (method from `api.routeMethods`).
   * Routes in `api.publicRoutes` get no API key requirement. Each function gets
   * `envVars.corsAllowOrigins` = {@link ApiProps.corsOrigins}, so its answers carry the CORS
   * headers the API's preflights promise (hence `Function`, not `IFunction`).
   */
  readonly routeHandlers: Readonly<Record<RouteName, lambda.Function>>;

  /**
   * Origins whose pages may call the API from a browser (CORS): `['*']` for any, or origins as
   * browsers send them (`https://shop.example`). Used by the preflight (`OPTIONS`) methods, the
   * gateway responses and, through `envVars.corsAllowOrigins`, the functions.
   * @default api.cors.allowOrigins
   */
  readonly corsOrigins?: readonly string[];

  /**
   * Name of the deployment stage; the first path segment of the invoke URL, before the
   * versioned routes.
   * @default 'prod'
   */
  readonly stageName?: string;

  /**
   * Steady-state requests per second and burst allowed per API key (usage-plan throttling).
   * @default { rateLimit: 500, burstLimit: 1000 }
   */
  readonly throttle?: apigw.ThrottleSettings;

  /**
   * Tighter per-key limits of single routes, inside the usage plan (per-method throttling).
   * Routes in `api.publicRoutes` have no key and cannot be listed here.
   * @default DEFAULT_ROUTE_THROTTLES (`POST /v1/rankings`: 100/s, burst 200)
   */
  readonly routeThrottles?: Readonly<Partial<Record<RouteName, apigw.ThrottleSettings>>>;

  /**
   * Stage-level limit of each public route (no key, hence no usage plan), shared by all callers.
   * @default { rateLimit: 10, burstLimit: 20 }
   */
  readonly publicRouteThrottle?: apigw.ThrottleSettings;

  /**
   * Retention of the access-log group.
   * @default - `lambdaDefaults.logRetentionDays`, so all logs of the service expire together
   */
  readonly accessLogRetention?: logs.RetentionDays;
}

const DEFAULT_THROTTLE: apigw.ThrottleSettings = { rateLimit: 500, burstLimit: 1000 };

/**
 * `POST /v1/rankings` re-ranks up to `serving.maxRankingItems` items per request (the model scores
 * every one of them), so a key gets a fifth of its overall rate there.
 */
export const DEFAULT_ROUTE_THROTTLES: Readonly<Partial<Record<RouteName, apigw.ThrottleSettings>>> = {
  rankings: { rateLimit: 100, burstLimit: 200 },
};

const DEFAULT_PUBLIC_ROUTE_THROTTLE: apigw.ThrottleSettings = { rateLimit: 10, burstLimit: 20 };

/** Why methods behind an API key carry no IAM/Cognito/Lambda authorizer. */
const API_KEY_AUTH_REASON =
  "Callers are the shop's backend services, identified by an API key bound to a throttled usage " +
  'plan (apiKeyRequired on this method). Shoppers are not AWS or Cognito principals, and shopper ' +
  'ids in the path are pseudonymous keys, so there is no end-user identity an authorizer could check.';

/**
 * Why each route of `api.publicRoutes` may be called without any credential. A public route
 * without an entry here fails the synth, so opening a route always comes with a written reason.
 */
const PUBLIC_ROUTE_REASONS: Readonly<Partial<Record<RouteName, string>>> = {
  health:
    'The health route is a liveness probe for load balancers and uptime monitors that hold no ' +
    'credentials; it returns only service status and model version, reads no shopper data and ' +
    'takes no input.',
};

/** Path parameter names of a route such as `/v1/users/{userId}/recommendations`. */
function pathParameters(route: string): string[] {
  return [...route.matchAll(/\{(\w+)\}/g)].flatMap((match) => (match[1] === undefined ? [] : [match[1]]));
}

/**
 * `Access-Control-*` headers of the gateway responses, as mapping expressions. A gateway response
 * maps static values or request values but cannot pick a value from a list, so with `['*']` or one
 * origin the value is static, and with several origins it is the request's `Origin`, whatever it is
 * (`method.request.header.Origin`, documented for gateway responses). Gateway errors carry only a
 * reason and a message; one static origin instead would hide the reason of a 403 or 429 from the
 * pages of all other listed origins. `local/apiGateway.ts` imitates this (`corsGatewayErrorHeaders`).
 */
function gatewayResponseCorsHeaders(origins: readonly string[]): Record<string, string> {
  const exposeHeaders = `'${EXPOSE_HEADERS_VALUE}'`;
  if (origins[0] === '*') {
    return { 'Access-Control-Allow-Origin': "'*'", 'Access-Control-Expose-Headers': exposeHeaders };
  }
  return {
    'Access-Control-Allow-Origin': origins.length === 1 ? `'${origins[0]}'` : 'method.request.header.Origin',
    Vary: "'Origin'",
    'Access-Control-Expose-Headers': exposeHeaders,
  };
}

function acknowledgeNoAuthorizer(method: IConstruct, reason: string): void {
  Validations.of(method).acknowledge({ id: 'AwsSolutions-APIG4', reason });
  Validations.of(method).acknowledge({ id: 'AwsSolutions-COG4', reason });
}

/**
 * The public REST API. Routes, their HTTP methods and which of them are public all come from
 * `api` in shared/config:
 * - every route not in `api.publicRoutes` (`POST /v1/events`, `GET /v1/users/{userId}/recommendations`,
 *   `GET /v1/items/{itemId}/similar`, `POST /v1/rankings`, `GET /v1/trending`, `PUT /v1/items`,
 *   `DELETE /v1/items/{itemId}`, `DELETE /v1/users/{userId}`): API key required (usage plan),
 *   request validation (path parameters of the route are declared as required)
 * - `GET /v1/health`: open, throttled at stage level ({@link ApiProps.publicRouteThrottle})
 * - `OPTIONS` on each of those paths: CORS preflight, a MOCK integration, open (`api.cors`,
 *   origins from {@link ApiProps.corsOrigins}); the functions and the gateway responses add the
 *   CORS headers to the actual answers
 *
 * Throttling: the usage plan covers the deployment stage and limits each key overall
 * ({@link ApiProps.throttle}) and per route ({@link ApiProps.routeThrottles}).
 *
 * The stage has X-Ray tracing, JSON access logs, error-level execution logs and metrics.
 */
export class Api extends Construct {
  /** The REST API (regional endpoint). */
  public readonly restApi: apigw.RestApi;

  /** Access logs of the deployment stage. */
  public readonly accessLogGroup: logs.LogGroup;

  /** The API key storefront backends send in `api.apiKeyHeader`. */
  public readonly apiKey: apigw.ApiKey;

  /** Usage plan throttling {@link Api.apiKey} on the deployment stage. */
  public readonly usagePlan: apigw.UsagePlan;

  /**
   * Validator of required parameters and of request bodies against a method's request model.
   * `POST /v1/events` declares no model yet: the event schema lives in shared/ (zod) and is
   * enforced by the ingest handler; a JSON Schema exported from there can become its model.
   */
  public readonly requestValidator: apigw.RequestValidator;

  /** The method of each route, keyed like `api.routes`. */
  public readonly methods: Readonly<Record<RouteName, apigw.Method>>;

  /** The origins answered CORS for ({@link ApiProps.corsOrigins}). */
  public readonly corsOrigins: readonly string[];

  /**
   * The CORS preflight (`OPTIONS`, MOCK integration, no key) method of each route's resource,
   * keyed by resource path. Only routes' paths get one, so an `OPTIONS` anywhere else is an
   * unknown route, as in the local gateway.
   */
  public readonly preflightMethods: ReadonlyMap<string, apigw.Method>;

  /** Invoke URL of the deployment stage, ending in `/`. */
  public readonly url: string;

  public constructor(scope: Construct, id: string, props: ApiProps) {
    super(scope, id);

    this.accessLogGroup = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.accessLogRetention ?? retentionDays(lambdaDefaults.logRetentionDays),
    });

    this.corsOrigins = checkCorsOrigins(props.corsOrigins ?? api.cors.allowOrigins, 'Api corsOrigins');
    const publicRoutes: ReadonlySet<RouteName> = new Set(api.publicRoutes);
    const publicThrottle = props.publicRouteThrottle ?? DEFAULT_PUBLIC_ROUTE_THROTTLE;

    this.restApi = new apigw.RestApi(this, 'RestApi', {
      restApiName: serviceName,
      description: `${serviceName}: storefront events in, recommendations out`,
      endpointTypes: [apigw.EndpointType.REGIONAL],
      apiKeySourceType: apigw.ApiKeySourceType.HEADER,
      // Account-level role API Gateway needs to write execution logs (one per account and region).
      cloudWatchRole: true,
      deployOptions: {
        stageName: props.stageName ?? 'prod',
        tracingEnabled: true,
        metricsEnabled: true,
        loggingLevel: apigw.MethodLoggingLevel.ERROR,
        // Data tracing would copy request and response bodies, i.e. shopper activity, into logs.
        dataTraceEnabled: false,
        accessLogDestination: new apigw.LogGroupLogDestination(this.accessLogGroup),
        accessLogFormat: apigw.AccessLogFormat.jsonWithStandardFields(),
        methodOptions: Object.fromEntries(
          [...publicRoutes].map((name) => [
            `${api.routes[name]}/${api.routeMethods[name]}`,
            { throttlingRateLimit: publicThrottle.rateLimit, throttlingBurstLimit: publicThrottle.burstLimit },
          ]),
        ),
      },
    });
    this.url = this.restApi.url;

    const cloudWatchRole = this.restApi.node.findChild('CloudWatchRole');
    Validations.of(cloudWatchRole).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      reason:
        'AmazonAPIGatewayPushToCloudWatchLogs is the AWS-maintained policy of the API Gateway ' +
        'logging role, which is shared by every REST API of the account and region. API Gateway ' +
        'creates the execution-log groups (API-Gateway-Execution-Logs_<apiId>/<stage>) itself, so ' +
        'an inline policy would need the same wildcard log-group resources.',
    });
    Validations.of(this.restApi.deploymentStage).acknowledge({
      id: 'AwsSolutions-APIG3',
      reason:
        'No AWS WAF web ACL in this iteration: every data route requires an API key whose usage ' +
        'plan throttles rate and burst, the public routes (api.publicRoutes) only report status, and ' +
        'a web ACL is a paid, account-level edge decision to be taken with the shop front-end team.',
    });

    this.requestValidator = this.restApi.addRequestValidator('RequestValidator', {
      validateRequestParameters: true,
      validateRequestBody: true,
    });

    const methods: Partial<Record<RouteName, apigw.Method>> = {};
    for (const name of Object.keys(api.routes) as RouteName[]) {
      const route = api.routes[name];
      const isPublic = publicRoutes.has(name);
      const authReason = isPublic ? PUBLIC_ROUTE_REASONS[name] : API_KEY_AUTH_REASON;
      if (authReason === undefined) {
        throw new Error(`Route "${name}" is in api.publicRoutes but has no entry in PUBLIC_ROUTE_REASONS`);
      }
      const parameters = pathParameters(route);

      const method = this.restApi.root
        .resourceForPath(route)
        .addMethod(
          api.routeMethods[name],
          new apigw.LambdaIntegration(props.routeHandlers[name], { allowTestInvoke: false }),
          {
            apiKeyRequired: !isPublic,
            authorizationType: apigw.AuthorizationType.NONE,
            ...(isPublic ? {} : { requestValidator: this.requestValidator }),
            ...(parameters.length === 0
              ? {}
              : {
                  requestParameters: Object.fromEntries(
                    parameters.map((parameter) => [`method.request.path.${parameter}`, true]),
                  ),
                }),
          },
        );
      acknowledgeNoAuthorizer(method, authReason);
      methods[name] = method;
    }
    this.methods = methods as Record<RouteName, apigw.Method>;

    // CORS. Preflights: one MOCK OPTIONS method per route resource (the L2 `addCorsPreflight`,
    // which also echoes a listed origin when there are several), with neither key nor authorizer:
    // browsers send preflights without credentials. cdk-nag's APIG4 and COG4 do not apply to an
    // OPTIONS method answering 204 with Access-Control-Allow-* headers, so nothing is acknowledged.
    // They answer only the static headers of `api.cors` and reach no function; not being in the
    // usage plan (no key), they are throttled by the account-level limit only.
    const preflightMethods = new Map<string, apigw.Method>();
    for (const method of Object.values(this.methods)) {
      const resource = method.resource;
      if (preflightMethods.has(resource.path)) continue;
      const preflight = resource.addCorsPreflight({
        allowOrigins: [...this.corsOrigins],
        allowHeaders: [...api.cors.allowHeaders],
        allowMethods: [...api.cors.allowMethods],
        maxAge: Duration.seconds(api.cors.maxAgeSeconds),
      });
      preflightMethods.set(resource.path, preflight);
    }
    this.preflightMethods = preflightMethods;
    // Answers: Lambda proxy integration passes the function's headers through, so each function
    // adds them itself (functions/lib/http.ts), from the same origins.
    for (const fn of new Set(Object.values(props.routeHandlers))) {
      fn.addEnvironment(envVars.corsAllowOrigins, this.corsOrigins.join(','));
    }

    this.apiKey = new apigw.ApiKey(this, 'StorefrontKey', {
      description: `Key of the shop's backend services for the ${serviceName} API`,
      enabled: true,
    });
    const routeThrottles = Object.entries(props.routeThrottles ?? DEFAULT_ROUTE_THROTTLES) as [
      RouteName,
      apigw.ThrottleSettings,
    ][];
    for (const [name] of routeThrottles) {
      if (publicRoutes.has(name)) throw new Error(`Route "${name}" is public: it has no usage plan to throttle it in`);
    }
    this.usagePlan = this.restApi.addUsagePlan('UsagePlan', {
      description: 'Throttles the storefront API key, overall and per expensive route',
      throttle: props.throttle ?? DEFAULT_THROTTLE,
      apiStages: [
        {
          api: this.restApi,
          stage: this.restApi.deploymentStage,
          throttle: routeThrottles.map(([name, throttle]) => ({ method: methods[name] as apigw.Method, throttle })),
        },
      ],
    });
    this.usagePlan.addApiKey(this.apiKey);

    // Errors API Gateway answers itself get the same JSON shape and reasons as the handlers'
    // (and as the local gateway's), instead of {"message": "Forbidden"}, and the CORS headers, so a
    // page on another origin can read why (a customised type does not inherit DEFAULT_4XX's headers).
    const corsHeaders = gatewayResponseCorsHeaders(this.corsOrigins);
    const gatewayResponses: readonly [
      string,
      apigw.ResponseType,
      { status: number; reason: string; message: string },
    ][] = [
      ['InvalidApiKey', apigw.ResponseType.INVALID_API_KEY, api.gatewayErrors.invalidApiKey],
      // A REST API answers unknown paths with "Missing Authentication Token"; it means no route.
      ['MissingAuthenticationToken', apigw.ResponseType.MISSING_AUTHENTICATION_TOKEN, api.gatewayErrors.routeNotFound],
      ['RequestTooLarge', apigw.ResponseType.REQUEST_TOO_LARGE, api.gatewayErrors.requestTooLarge],
      ['Throttled', apigw.ResponseType.THROTTLED, api.gatewayErrors.throttled],
      ['QuotaExceeded', apigw.ResponseType.QUOTA_EXCEEDED, api.gatewayErrors.throttled],
    ];
    for (const [id, type, { status, reason, message }] of gatewayResponses) {
      this.restApi.addGatewayResponse(id, {
        type,
        statusCode: String(status),
        responseHeaders: corsHeaders,
        templates: { 'application/json': JSON.stringify({ reason, message }) },
      });
    }
    // Every other gateway error (bad request parameters, integration failure or timeout, ...):
    // API Gateway's own status and body, plus the CORS headers.
    for (const [id, type] of [
      ['Default4xx', apigw.ResponseType.DEFAULT_4XX],
      ['Default5xx', apigw.ResponseType.DEFAULT_5XX],
    ] as const) {
      this.restApi.addGatewayResponse(id, {
        type,
        responseHeaders: corsHeaders,
        // API Gateway's default body, stated so that adding headers cannot change it.
        templates: { 'application/json': '{"message":$context.error.messageString}' },
      });
    }
  }
}
