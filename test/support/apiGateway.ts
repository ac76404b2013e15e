import type { APIGatewayProxyEvent } from 'aws-lambda';
import { api, type RouteName } from '#shared/config/index.ts';
import { serverContext } from './auth.ts';

/**
 * An API Gateway proxy event for `route` (its resource, path and method from the config), as
 * Lambda proxy integration passes it, from the shop's backend on the server API unless
 * `overrides.requestContext` says otherwise (see `./auth.ts`).
 */
export function apiEvent(
  overrides: Partial<APIGatewayProxyEvent> = {},
  route: RouteName = 'health',
): APIGatewayProxyEvent {
  return {
    resource: api.routes[route],
    path: api.routes[route],
    httpMethod: api.routeMethods[route],
    headers: {},
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    requestContext: serverContext,
    body: null,
    isBase64Encoded: false,
    ...overrides,
  };
}
