import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { api, type RouteName } from '#shared/config/index.ts';
import { checkCorsOrigins, corsGatewayErrorHeaders, corsPreflightHeaders } from '#shared/http/cors.ts';
import { lambdaContext } from './lambdaContext.ts';

export type ProxyHandler = (
  event: APIGatewayProxyEvent,
  context: ReturnType<typeof lambdaContext>,
) => Promise<APIGatewayProxyResult>;

/** API Gateway's own payload limit (10 MB); the handlers enforce the API's smaller limits. */
const MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;

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

function compileRoutes(): RouteTable {
  const publicRoutes: readonly string[] = api.publicRoutes;
  const table = new Map<number, CompiledRoute[]>();
  for (const name of Object.keys(api.routes) as RouteName[]) {
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
      needsApiKey: !publicRoutes.includes(name),
    };
    const sameLength = table.get(segments.length);
    if (sameLength) sameLength.push(route);
    else table.set(segments.length, [route]);
  }
  return table;
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
 * fits the path with another method only (405), `undefined` when none fits at all (404).
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

export interface ApiGatewayOptions {
  readonly port: number;
  readonly host?: string;
  readonly apiKey: string;
  readonly handlers: Readonly<Record<RouteName, ProxyHandler>>;
  /**
   * Origins answered CORS for, as the Api construct's `corsOrigins`: in preflights and in the
   * gateway's own errors. The handlers add their own headers (from `envVars.corsAllowOrigins`).
   * @default api.cors.allowOrigins
   */
  readonly corsOrigins?: readonly string[];
  /** Called after every response, for the live status line. */
  readonly onResponse?: (route: RouteName | undefined, statusCode: number, result?: APIGatewayProxyResult) => void;
}

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
 * a header Node keeps apart (`set-cookie`).
 */
function headersOf(req: IncomingMessage): EventHeaders {
  const single: Record<string, string> = {};
  const multi: Record<string, string[]> = {};
  const received = req.headers;
  for (const name in received) {
    const value = received[name];
    if (value === undefined) continue;
    if (typeof value === 'string') {
      single[name] = value;
      multi[name] = [value];
    } else {
      single[name] = value.join(',');
      multi[name] = value;
    }
  }
  return { single, multi };
}

const NO_BODY = Buffer.alloc(0);

/**
 * The request body; `undefined` when it is over API Gateway's limit. A request with neither
 * Content-Length nor Transfer-Encoding has no body (RFC 9112, 6.3), so it is not read; the server
 * discards the empty stream when the response ends. Local-only fast path: a GET's empty body is
 * returned without a promise, so a list request waits on no stream.
 */
function readBody(req: IncomingMessage, headers: EventHeaders): Buffer | undefined | Promise<Buffer | undefined> {
  const { single } = headers;
  if (single['transfer-encoding'] === undefined && (single['content-length'] ?? '0') === '0') return NO_BODY;
  return readBodyStream(req);
}

async function readBodyStream(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_PAYLOAD_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function toProxyEvent(
  req: IncomingMessage,
  target: RequestTarget,
  route: CompiledRoute,
  parts: readonly string[],
  { single: headers, multi: multiValueHeaders }: EventHeaders,
  body: Buffer,
): APIGatewayProxyEvent {
  let query: Record<string, string> | null = null;
  let multiQuery: Record<string, string[]> | null = null;
  if (target.searchParams !== undefined) {
    for (const [name, value] of target.searchParams) {
      (query ??= {})[name] = value;
      ((multiQuery ??= {})[name] ??= []).push(value);
    }
  }
  let pathParameters: Record<string, string> | null = null;
  if (route.parameterNames.length > 0) {
    pathParameters = {};
    let next = 0;
    for (let i = 0; i < route.segments.length; i++) {
      if (route.segments[i] !== undefined) continue;
      pathParameters[route.parameterNames[next++] as string] = decodeURIComponent(parts[i] as string);
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
      accountId: '000000000000',
      apiId: 'local',
      authorizer: null,
      protocol: req.httpVersion === '1.1' ? 'HTTP/1.1' : `HTTP/${req.httpVersion}`,
      httpMethod: route.method,
      identity: {
        apiKey: headers[api.apiKeyHeader] ?? null,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? null,
      } as APIGatewayProxyEvent['requestContext']['identity'],
      path: target.pathname,
      stage: 'local',
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
 * The local stand-in for API Gateway's REST proxy integration: turns HTTP requests into proxy
 * events for the same handler functions Lambda runs, checks the API key like a usage plan does,
 * and turns the handlers' results back into HTTP responses.
 *
 * CORS as `infra/constructs/api.ts` sets it up: an `OPTIONS` on a route's path is a preflight,
 * answered 204 without a key; the gateway's own errors carry the headers of API Gateway's gateway
 * responses; the handlers' answers pass through with the headers the handlers added.
 */
export async function startApiGateway(options: ApiGatewayOptions): Promise<LocalApi> {
  const routes = compileRoutes();
  const { apiKey, handlers, onResponse } = options;
  const corsOrigins = checkCorsOrigins(options.corsOrigins ?? api.cors.allowOrigins, 'corsOrigins');
  /** An error the gateway answers itself, with the CORS headers of API Gateway's gateway responses. */
  const sendError = (req: IncomingMessage, res: ServerResponse, status: number, body: unknown) =>
    send(res, status, body, corsGatewayErrorHeaders(corsOrigins, req.headers.origin));

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    try {
      const target = parseTarget(req.url ?? '/');
      const parts = target.pathname.split('/');
      const route = findRoute(routes, req.method, parts);
      if (!route) {
        if (route === null && req.method === 'OPTIONS') {
          // A CORS preflight on a route's path: answered by the gateway (API Gateway: a MOCK
          // method), without a key, since browsers never send one on a preflight.
          res.writeHead(204, corsPreflightHeaders(corsOrigins, req.headers.origin));
          res.end();
          onResponse?.(undefined, 204);
          return;
        }
        const status = route === null ? 405 : 404;
        sendError(req, res, status, {
          reason: status === 405 ? 'method_not_allowed' : 'route_not_found',
          message: `no route for ${req.method} ${target.pathname}`,
        });
        onResponse?.(undefined, status);
        return;
      }
      const headers = headersOf(req);
      if (route.needsApiKey && headers.single[api.apiKeyHeader] !== apiKey) {
        const { status, reason, message } = api.gatewayErrors.invalidApiKey;
        sendError(req, res, status, { reason, message });
        onResponse?.(route.name, status);
        return;
      }
      const read = readBody(req, headers);
      const body = read instanceof Promise ? await read : read;
      if (body === undefined) {
        const { status, reason, message } = api.gatewayErrors.requestTooLarge;
        sendError(req, res, status, { reason, message });
        onResponse?.(route.name, status);
        return;
      }
      let result: APIGatewayProxyResult;
      try {
        result = await handlers[route.name](
          toProxyEvent(req, target, route, parts, headers, body),
          lambdaContext(route.name),
        );
      } catch (error) {
        // API Gateway answers 502 when the integration itself fails.
        console.error(`[api] ${route.name} handler threw`, error);
        sendError(req, res, 502, { reason: 'internal_error', message: 'Internal server error' });
        onResponse?.(route.name, 502);
        return;
      }
      res.writeHead(result.statusCode, responseHeadersOf(result));
      res.end(result.isBase64Encoded ? Buffer.from(result.body, 'base64') : result.body);
      onResponse?.(route.name, result.statusCode, result);
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
