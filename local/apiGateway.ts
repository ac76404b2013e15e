import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { api, apiLimits, type ApiKind, type RouteName } from '#shared/config/index.ts';
import { checkCorsOrigins, corsGatewayErrorHeaders, corsPreflightHeaders } from '#shared/http/cors.ts';
import { lambdaContext } from './lambdaContext.ts';
import { hasSigV4, verifySigV4, type SigV4Credentials, type SigV4Request } from './sigv4.ts';

export type ProxyHandler = (
  event: APIGatewayProxyEvent,
  context: ReturnType<typeof lambdaContext>,
) => Promise<APIGatewayProxyResult>;

/**
 * The largest body passed to a handler. API Gateway passes up to 10 MB, and every function answers
 * a body over `apiLimits.maxBodyBytes` with 413 `body_too_large` (`functions/lib/http.ts`); this
 * gateway gives the same answer as soon as Content-Length, or the bytes read so far, say so, so it
 * never holds more than the limit.
 */
const MAX_BODY_BYTES = apiLimits.maxBodyBytes;

interface CompiledRoute {
  readonly name: RouteName;
  readonly method: string;
  readonly resource: string;
  /** The resource split on `/`: a literal segment, or `undefined` where a parameter goes. */
  readonly segments: readonly (string | undefined)[];
  readonly parameterNames: readonly string[];
  readonly needsApiKey: boolean;
}

/** Routes by their number of path segments, in declaration order. */
type RouteTable = ReadonlyMap<number, readonly CompiledRoute[]>;

/** The routes of one of the two APIs (`api.routeApis`). */
function compileRoutes(kind: ApiKind): RouteTable {
  const publicRoutes: readonly string[] = api.publicRoutes;
  const table = new Map<number, CompiledRoute[]>();
  for (const name of Object.keys(api.routes) as RouteName[]) {
    if (!(api.routeApis[name] as readonly ApiKind[]).includes(kind)) continue;
    const resource = api.routes[name];
    const parts = resource.split('/');
    const parameterNames: string[] = [];
    const segments = parts.map((part) => {
      const parameter = /^\{(\w+)\}$/.exec(part)?.[1];
      if (parameter === undefined) return part;
      parameterNames.push(parameter);
      return undefined;
    });
    const route: CompiledRoute = {
      name,
      method: api.routeMethods[name],
      resource,
      segments,
      parameterNames,
      needsApiKey: kind === 'storefront' && !publicRoutes.includes(name),
    };
    const sameLength = table.get(segments.length);
    if (sameLength) sameLength.push(route);
    else table.set(segments.length, [route]);
  }
  return table;
}

/**
 * One path segment percent-decoded as UTF-8, for a path parameter; undefined when a `%` is not
 * followed by two hex digits, which API Gateway refuses with a 400. Bytes that are not UTF-8 come
 * out as U+FFFD, as in a body a Lambda proxy event carries: the handlers refuse ids holding one.
 */
function decodeSegment(segment: string): string | undefined {
  if (!segment.includes('%')) return segment;
  if (/%(?![0-9A-Fa-f]{2})/.test(segment)) return undefined;
  try {
    return decodeURIComponent(segment);
  } catch {
    // A parsed path is ASCII (URL parsing escapes the rest), so each escape is one byte.
    const bytes = segment.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
    return Buffer.from(bytes, 'latin1').toString('utf8');
  }
}

/** A path parameter that is not valid percent-encoding: API Gateway's DEFAULT_4XX. */
const malformedPath = { ...api.gatewayErrors.badRequest, message: 'the path holds a % not followed by two hex digits' };

/**
 * The route's path parameters decoded from `parts`, by name; `null` for a route without any,
 * `undefined` when one is not valid percent-encoding.
 */
function pathParametersOf(route: CompiledRoute, parts: readonly string[]): Record<string, string> | null | undefined {
  if (route.parameterNames.length === 0) return null;
  const decoded: [string, string][] = [];
  for (let i = 0; i < route.segments.length; i++) {
    if (route.segments[i] !== undefined) continue;
    const value = decodeSegment(parts[i] as string);
    if (value === undefined) return undefined;
    decoded.push([route.parameterNames[decoded.length] as string, value]);
  }
  return Object.fromEntries(decoded);
}

/** Whether `parts` (a path split on `/`) fits the route: literals equal, parameters not empty. */
function fits(route: CompiledRoute, parts: readonly string[]): boolean {
  const { segments } = route;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i];
    const part = parts[i] as string;
    if (segment === undefined ? part === '' : part !== segment) return false;
  }
  return true;
}

/**
 * The first route (in declaration order) of `method` that fits the path; `null` when some route
 * fits the path with another method only, `undefined` when none fits at all. API Gateway answers
 * both alike (`MISSING_AUTHENTICATION_TOKEN`); only a preflight tells them apart.
 */
function findRoute(table: RouteTable, method: string | undefined, parts: readonly string[]) {
  const candidates = table.get(parts.length);
  if (candidates === undefined) return undefined;
  let pathKnown = false;
  for (const route of candidates) {
    if (!fits(route, parts)) continue;
    if (route.method === method) return route;
    pathKnown = true;
  }
  return pathKnown ? null : undefined;
}

/**
 * A path that WHATWG URL parsing leaves as it is (no dot segments, percent-encoding, backslashes, or
 * characters it would encode; not `//…`, which it reads as a host): split by hand. Anything else
 * goes through `new URL`. Local-only fast path: every local request's target is parsed here, and
 * `new URL` costs more than this check for the plain paths the SDK sends.
 */
const PLAIN_PATH = /^\/(?!\/)[\w\-.~!$&'()*+,;=:@/]*$/;

interface RequestTarget {
  readonly pathname: string;
  /** The query's parameters, `undefined` when there is no query or it is empty. */
  readonly searchParams: URLSearchParams | undefined;
}

function parseTarget(raw: string): RequestTarget {
  const queryAt = raw.indexOf('?');
  const path = queryAt < 0 ? raw : raw.slice(0, queryAt);
  if (PLAIN_PATH.test(path) && !path.includes('/.')) {
    if (queryAt < 0) return { pathname: path, searchParams: undefined };
    const hashAt = raw.indexOf('#', queryAt);
    const search = hashAt < 0 ? raw.slice(queryAt + 1) : raw.slice(queryAt + 1, hashAt);
    // URL parsing drops tabs and line breaks before reading the query; leave those to it.
    if (!/[\t\n\r]/.test(search)) {
      return { pathname: path, searchParams: search === '' ? undefined : new URLSearchParams(search) };
    }
  }
  const url = new URL(raw, 'http://localhost');
  return { pathname: url.pathname, searchParams: url.search === '' ? undefined : url.searchParams };
}

/** The ids the two APIs put in `requestContext.apiId`, which the functions read the caller's kind from. */
export interface LocalApiIds {
  readonly storefront: string;
  readonly server: string;
}

/** Account id in the local IAM identities (`arn:aws:iam::000000000000:user/<access key id>`). */
const LOCAL_ACCOUNT = '000000000000';

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

/** Paths API Gateway answers; everything else may be the local site's. */
const isApiPath = (pathname: string): boolean => pathname === '/v1' || pathname.startsWith('/v1/');

export interface LocalApi {
  readonly url: string;
  close(): Promise<void>;
}

const send = (res: ServerResponse, statusCode: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(statusCode, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
};

/** A request's headers as the proxy event carries them: by lower-case name, once and as lists. */
interface EventHeaders {
  readonly single: Record<string, string>;
  readonly multi: Record<string, string[]>;
}

/**
 * The headers with Node's lower-case names and its merging of repeated headers (`req.headers`,
 * which Node builds for every request anyway); lists hold the one merged value, or the values of
 * a header Node keeps apart (`set-cookie`). Built with `Object.fromEntries`, so every name is an
 * own property, as in the JSON event Lambda parses, whatever the name (`constructor`, `toString`).
 */
function headersOf(req: IncomingMessage): EventHeaders {
  const single: [string, string][] = [];
  const multi: [string, string[]][] = [];
  const received = req.headers;
  for (const name of Object.keys(received)) {
    const value = received[name];
    if (value === undefined) continue;
    single.push([name, typeof value === 'string' ? value : value.join(',')]);
    multi.push([name, typeof value === 'string' ? [value] : value]);
  }
  return { single: Object.fromEntries(single), multi: Object.fromEntries(multi) };
}

const NO_BODY = Buffer.alloc(0);

/**
 * The request body; `undefined` when it is over {@link MAX_BODY_BYTES}, known from Content-Length
 * before a byte is read, or else once the bytes read pass it. A request with neither
 * Content-Length nor Transfer-Encoding has no body (RFC 9112, 6.3), so it is not read; the server
 * discards the empty stream when the response ends. Local-only fast path: a GET's empty body is
 * returned without a promise, so a list request waits on no stream.
 */
function readBody(req: IncomingMessage, headers: EventHeaders): Buffer | undefined | Promise<Buffer | undefined> {
  const { single } = headers;
  const declared = single['content-length'];
  if (single['transfer-encoding'] === undefined && (declared ?? '0') === '0') return NO_BODY;
  if (declared !== undefined && Number(declared) > MAX_BODY_BYTES) {
    // Node has checked the header's syntax. The rest of the upload is read and dropped, not kept.
    req.resume();
    return undefined;
  }
  return readBodyStream(req);
}

function readBodyStream(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) {
        chunks.push(chunk);
        return;
      }
      // Stop keeping bytes, but go on reading: the socket stays open for the 413.
      chunks.length = 0;
      req.off('data', onData);
      req.off('end', onEnd);
      req.resume();
      resolve(undefined);
    };
    const onEnd = () => resolve(Buffer.concat(chunks));
    req.on('data', onData);
    req.on('end', onEnd);
    req.once('error', reject);
  });
}

/**
 * The headers exactly as received, repeated ones as lists in order: what a signature covers.
 * Without a prototype, since the signature's own `SignedHeaders` say which names are looked up:
 * `constructor` there finds nothing rather than `Object`.
 */
function rawHeadersOf(req: IncomingMessage): SigV4Request['headers'] {
  const headers = Object.create(null) as Record<string, string | string[]>;
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase();
    const value = raw[i + 1] as string;
    const seen = headers[name];
    if (seen === undefined) headers[name] = value;
    else if (typeof seen === 'string') headers[name] = [seen, value];
    else seen.push(value);
  }
  return headers;
}

/** Who the gateway found the caller to be: only the gateway sets this, from the key or signature it checked. */
interface VerifiedCaller {
  readonly apiId: string;
  readonly stage: string;
  /** The storefront API key the caller sent, or null (health, server calls). */
  readonly apiKey: string | null;
  /** The access key id whose SigV4 signature was verified (server API). */
  readonly accessKey?: string;
}

function identityOf(
  req: IncomingMessage,
  headers: Record<string, string>,
  caller: VerifiedCaller,
): APIGatewayProxyEvent['requestContext']['identity'] {
  const common = {
    apiKey: caller.apiKey,
    sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
    userAgent: headers['user-agent'] ?? null,
  };
  if (caller.accessKey === undefined) return common as APIGatewayProxyEvent['requestContext']['identity'];
  // What API Gateway puts there for an IAM user's signature; locally the user is named like its key.
  const user = `local-${caller.accessKey}`;
  return {
    ...common,
    accessKey: caller.accessKey,
    accountId: LOCAL_ACCOUNT,
    caller: user,
    user,
    userArn: `arn:aws:iam::${LOCAL_ACCOUNT}:user/${caller.accessKey}`,
  } as APIGatewayProxyEvent['requestContext']['identity'];
}

function toProxyEvent(
  req: IncomingMessage,
  target: RequestTarget,
  route: CompiledRoute,
  pathParameters: Record<string, string> | null,
  { single: headers, multi: multiValueHeaders }: EventHeaders,
  body: Buffer,
  caller: VerifiedCaller,
): APIGatewayProxyEvent {
  let query: Record<string, string> | null = null;
  let multiQuery: Record<string, string[]> | null = null;
  if (target.searchParams !== undefined) {
    const values = new Map<string, string[]>();
    for (const [name, value] of target.searchParams) {
      const seen = values.get(name);
      if (seen === undefined) values.set(name, [value]);
      else seen.push(value);
    }
    if (values.size > 0) {
      // Own properties for every name, as in the JSON event Lambda parses: `constructor` or
      // `__proto__` is one more unknown parameter, never a property of Object.prototype.
      query = Object.fromEntries([...values].map(([name, list]) => [name, list.at(-1) as string]));
      multiQuery = Object.fromEntries(values);
    }
  }
  return {
    resource: route.resource,
    path: target.pathname,
    httpMethod: route.method,
    headers,
    multiValueHeaders,
    queryStringParameters: query,
    multiValueQueryStringParameters: multiQuery,
    pathParameters,
    stageVariables: null,
    body: body.length > 0 ? body.toString('utf8') : null,
    isBase64Encoded: false,
    requestContext: {
      accountId: LOCAL_ACCOUNT,
      apiId: caller.apiId,
      authorizer: null,
      protocol: req.httpVersion === '1.1' ? 'HTTP/1.1' : `HTTP/${req.httpVersion}`,
      httpMethod: route.method,
      identity: identityOf(req, headers, caller),
      path: target.pathname,
      stage: caller.stage,
      requestId: randomUUID(),
      requestTimeEpoch: Date.now(),
      resourceId: route.name,
      resourcePath: route.resource,
    },
  };
}

/** A handler's headers as HTTP header values: as they are when every value is a string already. */
function responseHeadersOf(result: APIGatewayProxyResult): Record<string, string> {
  const headers = result.headers;
  if (headers === undefined) return {};
  for (const name in headers) {
    if (typeof headers[name] !== 'string') {
      const converted: Record<string, string> = {};
      for (const key in headers) converted[key] = String(headers[key]);
      return converted;
    }
  }
  return headers as Record<string, string>;
}

/**
 * The local stand-in for API Gateway's REST proxy integration, both APIs on one port: turns HTTP
 * requests into proxy events for the same handler functions Lambda runs, and the handlers' results
 * back into HTTP responses.
 *
 * Which API a request is for, as its credentials say:
 * - signed with SigV4 (an `Authorization: AWS4-HMAC-SHA256 …` header, or `X-Amz-*` query
 *   parameters): the server API. The signature is verified with the real algorithm against
 *   `serverCredentials`, and answered as API Gateway's IAM authorisation answers (`invalidSignature`,
 *   `expiredCredentials`); a route the server API does not have is `missingAuthentication`, as there.
 * - anything else: the storefront API, whose key is checked as a usage plan does. A route the
 *   storefront API does not have is 404 `route_not_found` before any key check, as API Gateway
 *   answers a missing route first. A request with neither a key nor a signature on a route of the
 *   server API only is answered as the server API answers it unsigned (`missingAuthentication`).
 * The request context (`apiId`, `identity`) comes from what was verified, never from a header.
 *
 * CORS as `infra/constructs/storefront-api.ts` sets it up on the storefront API: an `OPTIONS` on a route's
 * path is a preflight, answered 204 without a key; the gateway's own errors carry the headers of
 * API Gateway's gateway responses; the handlers' answers pass through with the headers the
 * handlers added.
 */
export async function startApiGateway(options: ApiGatewayOptions): Promise<LocalApi> {
  const storefrontRoutes = compileRoutes('storefront');
  const serverRoutes = compileRoutes('server');
  const { apiKey, handlers, site } = options;
  /** When each request arrived, for the latency {@link ApiGatewayOptions.onResponse} is told. */
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
  /** An error the gateway answers itself, with the CORS headers of API Gateway's gateway responses. */
  const sendError = (req: IncomingMessage, res: ServerResponse, status: number, body: unknown) =>
    send(res, status, body, corsGatewayErrorHeaders(corsOrigins, req.headers.origin));
  const sendGatewayError = (
    req: IncomingMessage,
    res: ServerResponse,
    route: RouteName | undefined,
    error: { readonly status: number; readonly reason: string; readonly message: string },
  ) => {
    sendError(req, res, error.status, { reason: error.reason, message: error.message });
    onResponse?.(req, route, error.status);
  };

  /** The body, or `undefined` after answering 413 for one over {@link MAX_BODY_BYTES}. */
  const bodyOf = async (req: IncomingMessage, res: ServerResponse, route: RouteName, headers: EventHeaders) => {
    const read = readBody(req, headers);
    const body = read instanceof Promise ? await read : read;
    if (body === undefined) sendGatewayError(req, res, route, api.gatewayErrors.requestTooLarge);
    return body;
  };

  const invoke = async (
    req: IncomingMessage,
    res: ServerResponse,
    request: {
      target: RequestTarget;
      route: CompiledRoute;
      pathParameters: Record<string, string> | null;
      headers: EventHeaders;
    },
    body: Buffer,
    caller: VerifiedCaller,
  ): Promise<void> => {
    const { target, route, pathParameters, headers } = request;
    let result: APIGatewayProxyResult;
    try {
      result = await handlers[route.name](
        toProxyEvent(req, target, route, pathParameters, headers, body, caller),
        lambdaContext(route.name),
      );
    } catch (error) {
      // API Gateway answers 502 when the integration itself fails.
      console.error(`[api] ${route.name} handler threw`, error);
      sendError(req, res, 502, { reason: 'internal_error', message: 'Internal server error' });
      onResponse?.(req, route.name, 502);
      return;
    }
    res.writeHead(result.statusCode, responseHeadersOf(result));
    res.end(result.isBase64Encoded ? Buffer.from(result.body, 'base64') : result.body);
    onResponse?.(req, route.name, result.statusCode, result);
  };

  /** A SigV4-signed request: the server API. */
  const handleServer = async (req: IncomingMessage, res: ServerResponse, target: RequestTarget) => {
    const parts = target.pathname.split('/');
    const route = findRoute(serverRoutes, req.method, parts);
    // API Gateway answers a resource or method the API does not have before checking the signature.
    if (!route) return sendGatewayError(req, res, undefined, api.gatewayErrors.missingAuthentication);
    const pathParameters = pathParametersOf(route, parts);
    if (pathParameters === undefined) return sendGatewayError(req, res, route.name, malformedPath);
    const headers = headersOf(req);
    const body = await bodyOf(req, res, route.name, headers);
    if (body === undefined) return;
    const verdict = await verifySigV4(
      { method: req.method ?? 'GET', target: req.url ?? '/', headers: rawHeadersOf(req), body },
      { credentials: serverCredentials, scope, now: now() },
    );
    if (!verdict.ok) return sendGatewayError(req, res, route.name, api.gatewayErrors[verdict.failure]);
    await invoke(req, res, { target, route, pathParameters, headers }, body, {
      apiId: apiIds.server,
      stage,
      apiKey: null,
      accessKey: verdict.accessKeyId,
    });
  };

  /** Any other request: the storefront API. */
  const handleStorefront = async (req: IncomingMessage, res: ServerResponse, target: RequestTarget) => {
    const parts = target.pathname.split('/');
    const route = findRoute(storefrontRoutes, req.method, parts);
    if (!route) {
      if (route === null && req.method === 'OPTIONS') {
        // A CORS preflight on a route's path: answered by the gateway (API Gateway: a MOCK
        // method), without a key, since browsers never send one on a preflight.
        res.writeHead(204, corsPreflightHeaders(corsOrigins, req.headers.origin));
        res.end();
        onResponse?.(req, undefined, 204);
        return;
      }
      // A path this API does not have, or a method it does not have on the path: API Gateway's
      // MISSING_AUTHENTICATION_TOKEN, which the storefront API maps to route_not_found.
      if (req.headers[api.apiKeyHeader] === undefined && findRoute(serverRoutes, req.method, parts)) {
        // No credentials of either API on a server route: what the server API answers unsigned.
        return sendGatewayError(req, res, undefined, api.gatewayErrors.missingAuthentication);
      }
      return sendGatewayError(req, res, undefined, api.gatewayErrors.routeNotFound);
    }
    const pathParameters = pathParametersOf(route, parts);
    if (pathParameters === undefined) return sendGatewayError(req, res, route.name, malformedPath);
    const headers = headersOf(req);
    const key = headers.single[api.apiKeyHeader];
    if (route.needsApiKey && key !== apiKey) {
      return sendGatewayError(req, res, route.name, api.gatewayErrors.invalidApiKey);
    }
    const body = await bodyOf(req, res, route.name, headers);
    if (body === undefined) return;
    await invoke(req, res, { target, route, pathParameters, headers }, body, {
      apiId: apiIds.storefront,
      stage,
      apiKey: key === apiKey ? key : null,
    });
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    try {
      const target = parseTarget(req.url ?? '/');
      if (site && !isApiPath(target.pathname) && (await site(req, res))) return;
      if (onResponse) arrivals.set(req, performance.now());
      if (hasSigV4({ target: req.url ?? '/', headers: req.headers })) await handleServer(req, res, target);
      else await handleStorefront(req, res, target);
    } catch (error) {
      console.error('[api] request failed', error);
      if (!res.headersSent) sendError(req, res, 500, { reason: 'internal_error', message: 'internal error' });
    }
  };

  const server: Server = createServer((req, res) => void handle(req, res));
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://localhost:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
