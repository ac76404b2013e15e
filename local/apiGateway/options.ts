/** The local gateway's options, and the settings every part of it reads, resolved once at start. */
import type { APIGatewayProxyResult } from 'aws-lambda';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { api, type RouteName } from '#shared/config/index.ts';
import { checkCorsOrigins } from '#shared/http/cors.ts';
import type { SigV4Credentials, SigV4Scope } from '../sigv4.ts';
import type { ProxyHandler } from './proxyEvent.ts';
import { compileRoutes, type RouteTable } from './routes.ts';

/** The ids the two APIs put in `requestContext.apiId`, which the functions read the caller's kind from. */
export interface LocalApiIds {
  readonly storefront: string;
  readonly server: string;
}

export interface ApiGatewayOptions {
  readonly port: number;
  readonly host?: string;
  /** The storefront API's key (`x-api-key`). */
  readonly apiKey: string;
  readonly handlers: Readonly<Record<RouteName, ProxyHandler>>;
  /**
   * `requestContext.apiId` of each API's requests; the functions compare it with
   * `envVars.storefrontApiId` and `envVars.serverApiId`.
   * @default { storefront: 'local-storefront', server: 'local-server' }
   */
  readonly apiIds?: LocalApiIds;
  /**
   * IAM access keys the server API accepts SigV4 signatures of; each acts as the IAM user named
   * like its access key id.
   * @default [{ accessKeyId: 'local', secretAccessKey: 'local-dev-secret' }]
   */
  readonly serverCredentials?: readonly SigV4Credentials[];
  /** Region signatures are scoped to (service `execute-api`). @default 'us-east-1' */
  readonly region?: string;
  /** Stage name in the request context. @default 'local' */
  readonly stage?: string;
  /** The clock signature dates are checked against, epoch ms. @default Date.now */
  readonly now?: () => number;
  /**
   * Origins answered CORS for, as the Api construct's `corsOrigins`: in preflights and in the
   * gateway's own errors. The handlers add their own headers (from `envVars.corsAllowOrigins`).
   * @default api.cors.allowOrigins
   */
  readonly corsOrigins?: readonly string[];
  /** Called after every API response (paths under `/v1`), for the live status line and the local stats. */
  readonly onResponse?: (response: GatewayResponse) => void;
  /**
   * What answers paths outside `/v1` (the demo shop, the dashboard): API Gateway has nothing
   * there, so they never shadow a route. Resolves false for a path it does not serve, which then
   * gets the API's own `route_not_found`.
   */
  readonly site?: (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;
}

/** One answer of the API, as {@link ApiGatewayOptions.onResponse} is told of it. */
export interface GatewayResponse {
  /** The route, or undefined where the gateway answered before finding one. */
  readonly route: RouteName | undefined;
  readonly statusCode: number;
  /** The handler's result; absent where the gateway answered itself. */
  readonly result?: APIGatewayProxyResult;
  /** From the request's arrival to the end of the response, ms (API Gateway's `Latency`). */
  readonly latencyMs: number;
}

/** Tells {@link ApiGatewayOptions.onResponse} of an answer to `req`, timed from its arrival. */
export type ResponseReport = (
  req: IncomingMessage,
  route: RouteName | undefined,
  statusCode: number,
  result?: APIGatewayProxyResult,
) => void;

/** {@link ApiGatewayOptions} with its defaults applied and each API's routes compiled. */
export interface GatewaySettings {
  readonly storefrontRoutes: RouteTable;
  readonly serverRoutes: RouteTable;
  readonly apiKey: string;
  readonly handlers: Readonly<Record<RouteName, ProxyHandler>>;
  readonly site: ApiGatewayOptions['site'];
  /** When each request arrived, for the latency {@link ApiGatewayOptions.onResponse} is told. */
  readonly arrivals: WeakMap<IncomingMessage, number>;
  /** Undefined without {@link ApiGatewayOptions.onResponse}, so requests then record no arrival. */
  readonly onResponse: ResponseReport | undefined;
  readonly apiIds: LocalApiIds;
  readonly serverCredentials: readonly SigV4Credentials[];
  readonly scope: SigV4Scope;
  readonly stage: string;
  readonly now: () => number;
  readonly corsOrigins: readonly string[];
}

/** Applies the defaults and compiles the routes; throws on CORS origins the Api construct would refuse. */
export function resolveSettings(options: ApiGatewayOptions): GatewaySettings {
  const storefrontRoutes = compileRoutes('storefront');
  const serverRoutes = compileRoutes('server');
  const { apiKey, handlers, site } = options;
  const arrivals = new WeakMap<IncomingMessage, number>();
  const onResponse = options.onResponse
    ? (req: IncomingMessage, route: RouteName | undefined, statusCode: number, result?: APIGatewayProxyResult) =>
        options.onResponse?.({
          route,
          statusCode,
          ...(result ? { result } : {}),
          latencyMs: performance.now() - (arrivals.get(req) ?? performance.now()),
        })
    : undefined;
  const apiIds = options.apiIds ?? { storefront: 'local-storefront', server: 'local-server' };
  const serverCredentials = options.serverCredentials ?? [
    { accessKeyId: 'local', secretAccessKey: 'local-dev-secret' },
  ];
  const scope = { region: options.region ?? 'us-east-1', service: 'execute-api' };
  const stage = options.stage ?? 'local';
  const now = options.now ?? Date.now;
  const corsOrigins = checkCorsOrigins(options.corsOrigins ?? api.cors.allowOrigins, 'corsOrigins');
  return {
    storefrontRoutes,
    serverRoutes,
    apiKey,
    handlers,
    site,
    arrivals,
    onResponse,
    apiIds,
    serverCredentials,
    scope,
    stage,
    now,
    corsOrigins,
  };
}
