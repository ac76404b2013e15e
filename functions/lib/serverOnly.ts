import type { APIGatewayProxyEvent } from 'aws-lambda';
import { RouteNotFoundError } from '#shared/errors.ts';
import { callerOf, type CallerDeps } from './caller.ts';

/**
 * Rejects anyone but the shop's backend on the server API, as the storefront API does by not
 * having the route: a second line behind API Gateway, for a function that is only the server's.
 */
export async function requireServer(event: APIGatewayProxyEvent, deps: CallerDeps): Promise<string> {
  const caller = await callerOf(event, deps);
  if (caller.kind !== 'server') throw new RouteNotFoundError('route_not_found', 'no such route');
  return caller.principal;
}
