import type { APIGatewayProxyEvent } from 'aws-lambda';
import { api, type RouteName } from '#shared/config/index.ts';

/**
 * An API Gateway proxy event for `route` (its resource, path and method from the config), as
 * Lambda proxy integration passes it; `overrides` replace any field.
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
    requestContext: {} as APIGatewayProxyEvent['requestContext'],
    body: null,
    isBase64Encoded: false,
    ...overrides,
  };
}
