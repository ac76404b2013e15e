/**
 * The request a function receives: the REST proxy integration's event (`APIGatewayProxyEvent`),
 * built from the HTTP request and what the gateway verified of its caller.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { lambdaContext } from '../lambdaContext.ts';
import type { EventHeaders } from './request.ts';
import type { CompiledRoute, RequestTarget } from './routes.ts';

/** A function's handler as Lambda runs it behind the REST proxy integration. */
export type ProxyHandler = (
  event: APIGatewayProxyEvent,
  context: ReturnType<typeof lambdaContext>,
) => Promise<APIGatewayProxyResult>;

/** Account id in the local IAM identities (`arn:aws:iam::000000000000:user/<access key id>`). */
const LOCAL_ACCOUNT = '000000000000';

/** Who the gateway found the caller to be: only the gateway sets this, from the key or signature it checked. */
export interface VerifiedCaller {
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

/** A request the gateway has routed, authorised and read, ready to be handed to its function. */
export interface RoutedRequest {
  readonly target: RequestTarget;
  readonly route: CompiledRoute;
  readonly pathParameters: Record<string, string> | null;
  readonly headers: EventHeaders;
  readonly body: Buffer;
}

/** The REST proxy integration's event for a routed request, its context from what the gateway verified. */
export function toProxyEvent(
  req: IncomingMessage,
  request: RoutedRequest,
  caller: VerifiedCaller,
): APIGatewayProxyEvent {
  const { target, route, pathParameters, body } = request;
  const { single: headers, multi: multiValueHeaders } = request.headers;
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
