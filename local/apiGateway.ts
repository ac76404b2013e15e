import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { api, type RouteName } from '#shared/config/index.ts';
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
  readonly pattern: RegExp;
  readonly parameterNames: readonly string[];
  readonly needsApiKey: boolean;
}

function compileRoutes(): CompiledRoute[] {
  const publicRoutes: readonly string[] = api.publicRoutes;
  return (Object.keys(api.routes) as RouteName[]).map((name) => {
    const resource = api.routes[name];
    const parameterNames = [...resource.matchAll(/\{(\w+)\}/g)].map((m) => m[1] ?? '');
    const pattern = new RegExp(`^${resource.replace(/\{\w+\}/g, '([^/]+)')}$`);
    return {
      name,
      method: api.routeMethods[name],
      resource,
      pattern,
      parameterNames,
      needsApiKey: !publicRoutes.includes(name),
    };
  });
}

export interface ApiGatewayOptions {
  readonly port: number;
  readonly host?: string;
  readonly apiKey: string;
  readonly handlers: Readonly<Record<RouteName, ProxyHandler>>;
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

async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
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
  url: URL,
  route: CompiledRoute,
  match: RegExpMatchArray,
  body: Buffer,
): APIGatewayProxyEvent {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    const values = Array.isArray(value) ? value : [value];
    headers[name] = values.join(',');
    multiValueHeaders[name] = values;
  }
  const query: Record<string, string> = {};
  const multiQuery: Record<string, string[]> = {};
  for (const [name, value] of url.searchParams) {
    query[name] = value;
    (multiQuery[name] ??= []).push(value);
  }
  const pathParameters = Object.fromEntries(
    route.parameterNames.map((name, i) => [name, decodeURIComponent(match[i + 1] ?? '')]),
  );
  const hasQuery = Object.keys(query).length > 0;
  return {
    resource: route.resource,
    path: url.pathname,
    httpMethod: route.method,
    headers,
    multiValueHeaders,
    queryStringParameters: hasQuery ? query : null,
    multiValueQueryStringParameters: hasQuery ? multiQuery : null,
    pathParameters: route.parameterNames.length > 0 ? pathParameters : null,
    stageVariables: null,
    body: body.length > 0 ? body.toString('utf8') : null,
    isBase64Encoded: false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      authorizer: null,
      protocol: `HTTP/${req.httpVersion}`,
      httpMethod: route.method,
      identity: {
        apiKey: headers[api.apiKeyHeader] ?? null,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? null,
      } as APIGatewayProxyEvent['requestContext']['identity'],
      path: url.pathname,
      stage: 'local',
      requestId: randomUUID(),
      requestTimeEpoch: Date.now(),
      resourceId: route.name,
      resourcePath: route.resource,
    },
  };
}

/**
 * The local stand-in for API Gateway's REST proxy integration: turns HTTP requests into proxy
 * events for the same handler functions Lambda runs, checks the API key like a usage plan does,
 * and turns the handlers' results back into HTTP responses.
 */
export async function startApiGateway(options: ApiGatewayOptions): Promise<LocalApi> {
  const routes = compileRoutes();
  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const candidates = routes
        .map((route) => ({ route, match: url.pathname.match(route.pattern) }))
        .filter((c) => c.match);
      const found = candidates.find((c) => c.route.method === req.method);
      if (!found || !found.match) {
        const status = candidates.length > 0 ? 405 : 404;
        send(res, status, {
          reason: status === 405 ? 'method_not_allowed' : 'route_not_found',
          message: `no route for ${req.method} ${url.pathname}`,
        });
        options.onResponse?.(undefined, status);
        return;
      }
      const { route, match } = found;
      if (route.needsApiKey && req.headers[api.apiKeyHeader] !== options.apiKey) {
        const { status, reason, message } = api.gatewayErrors.invalidApiKey;
        send(res, status, { reason, message });
        options.onResponse?.(route.name, status);
        return;
      }
      const body = await readBody(req);
      if (body === undefined) {
        const { status, reason, message } = api.gatewayErrors.requestTooLarge;
        send(res, status, { reason, message });
        options.onResponse?.(route.name, status);
        return;
      }
      let result: APIGatewayProxyResult;
      try {
        result = await options.handlers[route.name](
          toProxyEvent(req, url, route, match, body),
          lambdaContext(route.name),
        );
      } catch (error) {
        // API Gateway answers 502 when the integration itself fails.
        console.error(`[api] ${route.name} handler threw`, error);
        send(res, 502, { reason: 'internal_error', message: 'Internal server error' });
        options.onResponse?.(route.name, 502);
        return;
      }
      const headers = Object.fromEntries(Object.entries(result.headers ?? {}).map(([k, v]) => [k, String(v)]));
      res.writeHead(result.statusCode, headers);
      res.end(result.isBase64Encoded ? Buffer.from(result.body, 'base64') : result.body);
      options.onResponse?.(route.name, result.statusCode, result);
    })().catch((error: unknown) => {
      console.error('[api] request failed', error);
      if (!res.headersSent) send(res, 500, { reason: 'internal_error', message: 'internal error' });
    });
  });
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
