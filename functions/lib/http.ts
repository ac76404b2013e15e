import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { api, apiLimits, type RouteName } from '#shared/config/index.ts';
import { ApiError, InvalidRequestError, RouteNotFoundError } from '#shared/errors.ts';
import { corsResponseHeaders } from '#shared/http/cors.ts';
import { unaddressableId } from '#shared/events/ids.ts';
import { checkBodySize, requestBodyText } from '#shared/http/requestBody.ts';
import { errorResponse } from '#shared/http/responses.ts';
import { logger, publishMetrics, routeMetrics } from './observability.ts';

export type RouteHandler = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

/** The Lambda entry point of a function's routes. */
export type HttpHandler = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

/**
 * One Lambda entry point for the routes a function serves: dispatches on API Gateway's
 * `resource` and method, and maps every error to a JSON response in one place. Client errors are
 * answered as they are; anything else is logged and answered as a bare 500.
 *
 * Every answer, error or not, carries the CORS headers for the request's `Origin` (see
 * `shared/http/cors.ts`; `corsOrigins` from `corsAllowOrigins` in `env.ts`): with Lambda proxy
 * integration API Gateway passes the function's headers through as they are, so a browser reads
 * the answer only if the function says it may.
 *
 * The metrics a route counted (see `observability.ts`) are published here, once per invocation,
 * after the answer is built, error or not, with the route's latency and the `route` dimension.
 */
export function httpHandler(
  routes: Partial<Readonly<Record<RouteName, RouteHandler>>>,
  corsOrigins: readonly string[],
): HttpHandler {
  const addCors = corsResponseHeaders(corsOrigins);
  const byRoute = new Map<string, readonly [RouteName, RouteHandler]>();
  for (const [name, handle] of Object.entries(routes) as [RouteName, RouteHandler][]) {
    byRoute.set(`${api.routeMethods[name]} ${api.routes[name]}`, [name, handle]);
  }
  return async (event) => {
    const started = performance.now();
    const route = byRoute.get(`${event.httpMethod} ${event.resource}`);
    let response: APIGatewayProxyResult;
    try {
      if (!route) throw new RouteNotFoundError('route_not_found', `no route for ${event.httpMethod} ${event.path}`);
      const [, handle] = route;
      // Every route, whether it reads a body or not: API Gateway passes up to 10 MB, and a body
      // over the API's limit is refused before anything reads it.
      checkBodySize(event.body, event.isBase64Encoded);
      response = await handle(event);
    } catch (error) {
      if (!(error instanceof ApiError) || error.status >= 500) logger.error('request failed', { error });
      response = errorResponse(error);
    } finally {
      if (route) routeMetrics(route[0], performance.now() - started);
      // Once per invocation, whatever the route did: what it counted becomes one EMF line.
      publishMetrics();
    }
    addCors((response.headers ??= {}), event.headers);
    return response;
  };
}

/** The request body as text, decoding API Gateway's base64 form; a body that is not UTF-8 is a 400. */
export function bodyOf(event: APIGatewayProxyEvent): string | null {
  return requestBodyText(event.body, event.isBase64Encoded) ?? null;
}

/**
 * A required path parameter, checked as every id is: at most `apiLimits.maxIdChars` characters,
 * and none a URL cannot carry as itself (see `unaddressableId`). API Gateway hands over the path
 * percent-decoded, bytes that are not UTF-8 as U+FFFD, so `a%FF` and `a%FE` would otherwise name
 * one shopper.
 */
export function pathId(event: APIGatewayProxyEvent, name: string): string {
  const value =
    event.pathParameters && Object.hasOwn(event.pathParameters, name) ? event.pathParameters[name] : undefined;
  const reasonName = name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
  if (!value) throw new InvalidRequestError(`missing_${reasonName}`, `${name} path parameter is required`);
  if (value.length > apiLimits.maxIdChars) {
    throw new InvalidRequestError(
      `invalid_${reasonName}`,
      `${name} must be at most ${apiLimits.maxIdChars} characters`,
    );
  }
  const problem = unaddressableId(value);
  if (problem !== undefined) throw new InvalidRequestError(`invalid_${reasonName}`, `${name} ${problem}`);
  return value;
}
