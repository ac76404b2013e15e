import { Duration, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import { Construct, type IConstruct } from 'constructs';
import { api, serviceName, type RouteName } from '#shared/config/index.ts';
import { checkCorsOrigins } from '#shared/http/cors.ts';
import type * as logs from 'aws-cdk-lib/aws-logs';
import {
  addGatewayDefaultErrors,
  addGatewayErrors,
  addRouteMethod,
  gatewayResponseCorsHeaders,
  newRestApi,
  type RecoApiProps,
  routesOf,
} from './api.ts';

/** Properties of a {@link StorefrontApi}. */
export interface StorefrontApiProps extends RecoApiProps {
  /**
   * Origins whose pages may call the API from a browser (CORS): `['*']` for any, or origins as
   * browsers send them (`https://shop.example`). Used by the preflight (`OPTIONS`) methods and the
   * gateway responses; `bindApiFunctions` gives the same origins to the functions.
   * @default api.cors.allowOrigins
   */
  readonly corsOrigins?: readonly string[];

  /**
   * Steady-state requests per second and burst allowed per API key (usage-plan throttling).
   * @default { rateLimit: 500, burstLimit: 1000 }
   */
  readonly throttle?: apigw.ThrottleSettings;

  /**
   * Tighter per-key limits of single routes, inside the usage plan (per-method throttling).
   * Routes in `api.publicRoutes` have no key and cannot be listed here, nor can routes the
   * storefront API does not have.
   * @default DEFAULT_ROUTE_THROTTLES (`POST /v1/rankings`: 100/s, burst 200)
   */
  readonly routeThrottles?: Readonly<Partial<Record<RouteName, apigw.ThrottleSettings>>>;

  /**
   * Stage-level limit of each public route (no key, hence no usage plan), shared by all callers.
   * @default { rateLimit: 10, burstLimit: 20 }
   */
  readonly publicRouteThrottle?: apigw.ThrottleSettings;
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

/** Why the storefront's keyed methods carry no IAM/Cognito/Lambda authorizer. */
const API_KEY_AUTH_REASON =
  "Callers are shoppers' browsers, identified by the public storefront API key bound to a throttled " +
  'usage plan (apiKeyRequired on this method), behind a per-IP WAF rate rule. They act only as ' +
  'anonymous ids or, with a user token the handler verifies (HMAC, key in Secrets Manager), as that ' +
  'one signed-in user; shop-wide routes are on the IAM-authorised server API only.';

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

function acknowledgeNoAuthorizer(method: IConstruct, reason: string): void {
  Validations.of(method).acknowledge({ id: 'AwsSolutions-APIG4', reason });
  Validations.of(method).acknowledge({ id: 'AwsSolutions-COG4', reason });
}

/**
 * The storefront REST API, called from shoppers' browsers with the public API key. It has the
 * routes `api.routeApis` gives `storefront` and nothing else:
 * - every one not in `api.publicRoutes` (`POST /v1/events` and the list routes): API key required
 *   (usage plan), request validation (path parameters of the route are declared as required)
 * - `GET /v1/health`: open, throttled at stage level ({@link StorefrontApiProps.publicRouteThrottle})
 * - `OPTIONS` on each of those paths: CORS preflight, a MOCK integration, open (`api.cors`,
 *   origins from {@link StorefrontApiProps.corsOrigins}); the functions and the gateway responses
 *   add the CORS headers to the actual answers
 *
 * A route it does not have answers 404 `route_not_found` (API Gateway's `MISSING_AUTHENTICATION_TOKEN`),
 * exactly like a path no API has.
 *
 * Throttling: the usage plan covers the deployment stage and limits each key overall
 * ({@link StorefrontApiProps.throttle}) and per route ({@link StorefrontApiProps.routeThrottles}).
 * Per client IP, `StorefrontWaf` limits requests before they reach the key's plan.
 *
 * The stage has X-Ray tracing, JSON access logs, error-level execution logs and metrics. This API
 * also sets API Gateway's account-level CloudWatch role ({@link StorefrontApi.cloudWatchAccount}).
 */
export class StorefrontApi extends Construct {
  /** The REST API (regional endpoint). */
  public readonly restApi: apigw.RestApi;

  /** Access logs of the deployment stage. */
  public readonly accessLogGroup: logs.LogGroup;

  /** The API key the storefront SDK sends in `api.apiKeyHeader`. */
  public readonly apiKey: apigw.ApiKey;

  /** Usage plan throttling {@link StorefrontApi.apiKey} on the deployment stage. */
  public readonly usagePlan: apigw.UsagePlan;

  /** Validator of required parameters and of request bodies against a method's request model. */
  public readonly requestValidator: apigw.RequestValidator;

  /** The method of each storefront route (`routesOf('storefront')`), keyed like `api.routes`. */
  public readonly methods: Readonly<Partial<Record<RouteName, apigw.Method>>>;

  /** The origins answered CORS for ({@link StorefrontApiProps.corsOrigins}). */
  public readonly corsOrigins: readonly string[];

  /**
   * The CORS preflight (`OPTIONS`, MOCK integration, no key) method of each route's resource,
   * keyed by resource path. Only routes' paths get one, so an `OPTIONS` anywhere else is an
   * unknown route, as in the local gateway.
   */
  public readonly preflightMethods: ReadonlyMap<string, apigw.Method>;

  /**
   * API Gateway's account setting naming the CloudWatch role of execution logs; other REST APIs of
   * the stack deploy their stages after it.
   */
  public readonly cloudWatchAccount: apigw.CfnAccount;

  /** Invoke URL of the deployment stage, ending in `/`. */
  public readonly url: string;

  public constructor(scope: Construct, id: string, props: StorefrontApiProps) {
    super(scope, id);

    this.corsOrigins = checkCorsOrigins(props.corsOrigins ?? api.cors.allowOrigins, 'StorefrontApi corsOrigins');
    const routes = routesOf('storefront');
    const publicRoutes: ReadonlySet<RouteName> = new Set(api.publicRoutes);
    const publicThrottle = props.publicRouteThrottle ?? DEFAULT_PUBLIC_ROUTE_THROTTLE;

    const { restApi, accessLogGroup, requestValidator } = newRestApi(this, {
      restApiName: `${serviceName}-storefront`,
      description: `${serviceName} storefront API: shoppers' events in, recommendations out (API key, CORS)`,
      apiKeySourceType: apigw.ApiKeySourceType.HEADER,
      // Account-level role API Gateway needs to write execution logs (one per account and region).
      cloudWatchRole: true,
      ...(props.stageName === undefined ? {} : { stageName: props.stageName }),
      ...(props.accessLogRetention === undefined ? {} : { accessLogRetention: props.accessLogRetention }),
      methodOptions: Object.fromEntries(
        [...publicRoutes].map((name) => [
          `${api.routes[name]}/${api.routeMethods[name]}`,
          { throttlingRateLimit: publicThrottle.rateLimit, throttlingBurstLimit: publicThrottle.burstLimit },
        ]),
      ),
    });
    this.restApi = restApi;
    this.accessLogGroup = accessLogGroup;
    this.requestValidator = requestValidator;
    this.url = restApi.url;
    this.cloudWatchAccount = restApi.node.findChild('Account') as apigw.CfnAccount;

    const methods: Partial<Record<RouteName, apigw.Method>> = {};
    for (const name of routes) {
      const isPublic = publicRoutes.has(name);
      const authReason = isPublic ? PUBLIC_ROUTE_REASONS[name] : API_KEY_AUTH_REASON;
      if (authReason === undefined) {
        throw new Error(`Route "${name}" is in api.publicRoutes but has no entry in PUBLIC_ROUTE_REASONS`);
      }
      const method = addRouteMethod(restApi, name, props.routeHandlers[name], {
        apiKeyRequired: !isPublic,
        authorizationType: apigw.AuthorizationType.NONE,
        ...(isPublic ? {} : { requestValidator }),
      });
      acknowledgeNoAuthorizer(method, authReason);
      methods[name] = method;
    }
    this.methods = methods;

    // CORS preflights: one MOCK OPTIONS method per route resource (the L2 `addCorsPreflight`,
    // which also echoes a listed origin when there are several), with neither key nor authorizer:
    // browsers send preflights without credentials. cdk-nag's APIG4 and COG4 do not apply to an
    // OPTIONS method answering 204 with Access-Control-Allow-* headers, so nothing is acknowledged.
    // They answer only the static headers of `api.cors` and reach no function; not being in the
    // usage plan (no key), they are throttled by the account-level limit and the WAF rule only.
    // Answers: Lambda proxy integration passes the function's headers through, so each function
    // adds them itself (functions/lib/http.ts), from the origins `bindApiFunctions` gives it.
    const preflightMethods = new Map<string, apigw.Method>();
    for (const method of Object.values(methods)) {
      const resource = method.resource;
      if (preflightMethods.has(resource.path)) continue;
      preflightMethods.set(
        resource.path,
        resource.addCorsPreflight({
          allowOrigins: [...this.corsOrigins],
          allowHeaders: [...api.cors.allowHeaders],
          allowMethods: [...api.cors.allowMethods],
          maxAge: Duration.seconds(api.cors.maxAgeSeconds),
        }),
      );
    }
    this.preflightMethods = preflightMethods;

    this.apiKey = new apigw.ApiKey(this, 'StorefrontKey', {
      description: `Public key of the shop's pages for the ${serviceName} storefront API`,
      enabled: true,
    });
    const routeThrottles = Object.entries(props.routeThrottles ?? DEFAULT_ROUTE_THROTTLES) as [
      RouteName,
      apigw.ThrottleSettings,
    ][];
    for (const [name] of routeThrottles) {
      if (publicRoutes.has(name)) throw new Error(`Route "${name}" is public: it has no usage plan to throttle it in`);
      if (methods[name] === undefined) throw new Error(`Route "${name}" is not on the storefront API`);
    }
    this.usagePlan = restApi.addUsagePlan('UsagePlan', {
      description: 'Throttles the storefront API key, overall and per expensive route',
      throttle: props.throttle ?? DEFAULT_THROTTLE,
      apiStages: [
        {
          api: restApi,
          stage: restApi.deploymentStage,
          throttle: routeThrottles.map(([name, throttle]) => ({ method: methods[name] as apigw.Method, throttle })),
        },
      ],
    });
    this.usagePlan.addApiKey(this.apiKey);

    // Gateway errors carry the CORS headers, so a page on another origin can read why (a customised
    // type does not inherit DEFAULT_4XX's headers).
    const corsHeaders = gatewayResponseCorsHeaders(this.corsOrigins);
    addGatewayErrors(
      restApi,
      [
        ['InvalidApiKey', apigw.ResponseType.INVALID_API_KEY, api.gatewayErrors.invalidApiKey],
        // A REST API answers unknown paths, and so every server-only route here, with "Missing
        // Authentication Token": on this API, which has no IAM method, it always means no route.
        [
          'MissingAuthenticationToken',
          apigw.ResponseType.MISSING_AUTHENTICATION_TOKEN,
          api.gatewayErrors.routeNotFound,
        ],
        ['RequestTooLarge', apigw.ResponseType.REQUEST_TOO_LARGE, api.gatewayErrors.requestTooLarge],
        ['Throttled', apigw.ResponseType.THROTTLED, api.gatewayErrors.throttled],
        ['QuotaExceeded', apigw.ResponseType.QUOTA_EXCEEDED, api.gatewayErrors.throttled],
      ],
      corsHeaders,
    );
    // Every other gateway error: API Gateway's own status and message, plus the CORS headers.
    addGatewayDefaultErrors(restApi, corsHeaders);
  }

  /**
   * Acknowledges cdk-nag's APIG3 (no WAF web ACL on the stage), for a stack deployed without
   * `StorefrontWaf`; the deployer's `reco:storefrontWaf=false` is the reason given.
   */
  public acknowledgeNoWaf(): void {
    Validations.of(this.restApi.deploymentStage).acknowledge({
      id: 'AwsSolutions-APIG3',
      reason:
        'The deployer switched the storefront web ACL off (StorefrontWaf, context reco:storefrontWaf=false), ' +
        'for example because an edge WAF in front of the shop already limits clients; every keyed route ' +
        'stays throttled per key by the usage plan.',
    });
  }
}
