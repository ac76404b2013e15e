import { Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { api, type ApiKind, envVars, lambdaDefaults, type RouteName } from '#shared/config/index.ts';
import { EXPOSE_HEADERS_VALUE } from '#shared/http/cors.ts';
import { retentionDays } from '../retention.ts';

/*
 * What the two REST APIs (`StorefrontApi`, `ServerApi`) share: which routes each has, how a route
 * becomes a method, the stage settings, and the `{reason, message}` gateway errors. Routes, methods
 * and errors all come from `api` in shared/config, which the handlers and the local gateway read too.
 */

/**
 * The function behind each route of `api.routes` (method from `api.routeMethods`). Each API uses
 * the routes `api.routeApis` gives it; {@link bindApiFunctions} sets the functions' environment
 * (hence `Function`, not `IFunction`).
 */
export type RouteHandlers = Readonly<Record<RouteName, lambda.Function>>;

/** Properties both APIs take. */
export interface RecoApiProps {
  /** The function behind each route; each API uses its own routes of `api.routeApis`. */
  readonly routeHandlers: RouteHandlers;

  /**
   * Name of the deployment stage; the first path segment of the invoke URL, before the
   * versioned routes.
   * @default 'prod'
   */
  readonly stageName?: string;

  /**
   * Retention of the access-log group.
   * @default - `lambdaDefaults.logRetentionDays`, so all logs of the service expire together
   */
  readonly accessLogRetention?: logs.RetentionDays;
}

/** The routes `api.routeApis` puts on the API of `kind`, in `api.routes` order. */
export function routesOf(kind: ApiKind): RouteName[] {
  return (Object.keys(api.routes) as RouteName[]).filter((name) =>
    (api.routeApis[name] as readonly ApiKind[]).includes(kind),
  );
}

/** Path parameter names of a route such as `/v1/users/{userId}/recommendations`. */
export function pathParameters(route: string): string[] {
  return [...route.matchAll(/\{(\w+)\}/g)].flatMap((match) => (match[1] === undefined ? [] : [match[1]]));
}

/**
 * `Access-Control-*` headers of the storefront's gateway responses, as mapping expressions. A
 * gateway response maps static values or request values but cannot pick a value from a list, so
 * with `['*']` or one origin the value is static, and with several origins it is the request's
 * `Origin`, whatever it is (`method.request.header.Origin`, documented for gateway responses).
 * Gateway errors carry only a reason and a message; one static origin instead would hide the reason
 * of a 403 or 429 from the pages of all other listed origins. `local/apiGateway.ts` imitates this
 * (`corsGatewayErrorHeaders`).
 */
export function gatewayResponseCorsHeaders(origins: readonly string[]): Record<string, string> {
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

/** A gateway error of `api.gatewayErrors`. */
export type GatewayError = (typeof api.gatewayErrors)[keyof typeof api.gatewayErrors];

/** Options of {@link newRestApi}. */
export interface RestApiOptions extends Pick<RecoApiProps, 'stageName' | 'accessLogRetention'> {
  readonly restApiName: string;
  readonly description: string;
  /** Where API Gateway takes an API key from, when the API has keys. */
  readonly apiKeySourceType?: apigw.ApiKeySourceType;
  /** Whether this API sets the account-level CloudWatch role of API Gateway's execution logs. */
  readonly cloudWatchRole: boolean;
  /** Stage settings of single methods (`<path>/<METHOD>`). */
  readonly methodOptions?: Record<string, apigw.MethodDeploymentOptions>;
}

/**
 * A regional REST API whose stage has X-Ray tracing, JSON access logs (a log group of its own),
 * error-level execution logs without bodies and metrics, and its request validator.
 */
export function newRestApi(
  scope: Construct,
  options: RestApiOptions,
): { restApi: apigw.RestApi; accessLogGroup: logs.LogGroup; requestValidator: apigw.RequestValidator } {
  const accessLogGroup = new logs.LogGroup(scope, 'AccessLogs', {
    retention: options.accessLogRetention ?? retentionDays(lambdaDefaults.logRetentionDays),
  });
  const restApi = new apigw.RestApi(scope, 'RestApi', {
    restApiName: options.restApiName,
    description: options.description,
    endpointTypes: [apigw.EndpointType.REGIONAL],
    ...(options.apiKeySourceType === undefined ? {} : { apiKeySourceType: options.apiKeySourceType }),
    cloudWatchRole: options.cloudWatchRole,
    deployOptions: {
      stageName: options.stageName ?? 'prod',
      tracingEnabled: true,
      metricsEnabled: true,
      loggingLevel: apigw.MethodLoggingLevel.ERROR,
      // Data tracing would copy request and response bodies, i.e. shopper activity, into logs.
      dataTraceEnabled: false,
      accessLogDestination: new apigw.LogGroupLogDestination(accessLogGroup),
      accessLogFormat: apigw.AccessLogFormat.jsonWithStandardFields(),
      ...(options.methodOptions === undefined ? {} : { methodOptions: options.methodOptions }),
    },
  });
  if (options.cloudWatchRole) {
    Validations.of(restApi.node.findChild('CloudWatchRole')).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      reason:
        'AmazonAPIGatewayPushToCloudWatchLogs is the AWS-maintained policy of the API Gateway ' +
        'logging role, which is shared by every REST API of the account and region. API Gateway ' +
        'creates the execution-log groups (API-Gateway-Execution-Logs_<apiId>/<stage>) itself, so ' +
        'an inline policy would need the same wildcard log-group resources.',
    });
  }
  // Validates required path parameters; `POST /v1/events` declares no body model: the event
  // schema lives in shared/ (zod) and is enforced by the ingest handler.
  const requestValidator = restApi.addRequestValidator('RequestValidator', {
    validateRequestParameters: true,
    validateRequestBody: true,
  });
  return { restApi, accessLogGroup, requestValidator };
}

/** A route's method on `restApi`: Lambda proxy integration, path parameters declared as required. */
export function addRouteMethod(
  restApi: apigw.RestApi,
  name: RouteName,
  handler: lambda.IFunction,
  options: apigw.MethodOptions,
): apigw.Method {
  const parameters = pathParameters(api.routes[name]);
  return restApi.root
    .resourceForPath(api.routes[name])
    .addMethod(api.routeMethods[name], new apigw.LambdaIntegration(handler, { allowTestInvoke: false }), {
      ...options,
      ...(parameters.length === 0
        ? {}
        : {
            requestParameters: Object.fromEntries(
              parameters.map((parameter) => [`method.request.path.${parameter}`, true]),
            ),
          }),
    });
}

/**
 * Gateway responses answering `errors` (response type → error) with the JSON shape and reasons
 * of the handlers' errors (and of the local gateway's), instead of `{"message": "Forbidden"}`.
 */
export function addGatewayErrors(
  restApi: apigw.RestApi,
  errors: readonly (readonly [id: string, type: apigw.ResponseType, error: GatewayError])[],
  responseHeaders: Record<string, string> = {},
): void {
  for (const [id, type, { status, reason, message }] of errors) {
    restApi.addGatewayResponse(id, {
      type,
      statusCode: String(status),
      ...(Object.keys(responseHeaders).length === 0 ? {} : { responseHeaders }),
      templates: { 'application/json': JSON.stringify({ reason, message }) },
    });
  }
}

/**
 * `DEFAULT_4XX` and `DEFAULT_5XX`, the gateway errors no other response type customises (bad
 * request parameters, an integration failure or timeout, ...): API Gateway's own status and
 * message, under the `reason` of `api.gatewayErrors.badRequest` and `internalError`, so every error
 * of either API reads `{reason, message}`. `$context.error.messageString` is already a quoted JSON string.
 */
export function addGatewayDefaultErrors(restApi: apigw.RestApi, responseHeaders: Record<string, string> = {}): void {
  for (const [id, type, { reason }] of [
    ['Default4xx', apigw.ResponseType.DEFAULT_4XX, api.gatewayErrors.badRequest],
    ['Default5xx', apigw.ResponseType.DEFAULT_5XX, api.gatewayErrors.internalError],
  ] as const) {
    restApi.addGatewayResponse(id, {
      type,
      ...(Object.keys(responseHeaders).length === 0 ? {} : { responseHeaders }),
      templates: { 'application/json': `{"reason":${JSON.stringify(reason)},"message":$context.error.messageString}` },
    });
  }
}

/** What {@link bindApiFunctions} needs of each API. */
export interface ApiOfFunctions {
  readonly restApi: apigw.IRestApi;
}

/**
 * Tells every function behind either API which API is which (`envVars.storefrontApiId`,
 * `envVars.serverApiId`: the caller's kind comes from the request context's `apiId`) and the
 * storefront's CORS origins (`envVars.corsAllowOrigins`), which it answers with on both APIs.
 * A function referring to an API's id creates no cycle: the REST API itself depends on no
 * function, only its methods and deployment do.
 */
export function bindApiFunctions(props: {
  readonly routeHandlers: RouteHandlers;
  readonly storefront: ApiOfFunctions;
  readonly server: ApiOfFunctions;
  readonly corsOrigins: readonly string[];
}): void {
  for (const fn of new Set(Object.values(props.routeHandlers))) {
    fn.addEnvironment(envVars.storefrontApiId, props.storefront.restApi.restApiId);
    fn.addEnvironment(envVars.serverApiId, props.server.restApi.restApiId);
    fn.addEnvironment(envVars.corsAllowOrigins, props.corsOrigins.join(','));
  }
}
