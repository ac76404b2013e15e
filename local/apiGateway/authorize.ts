/**
 * Which of the two APIs a request is for, and whether it may call the route: a SigV4 signature
 * checked against the server API's IAM users, or the storefront API's key as a usage plan checks
 * it. Each answers a route it does not have, and a failed check, as API Gateway does.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { api } from '#shared/config/index.ts';
import { corsPreflightHeaders } from '#shared/http/cors.ts';
import { verifySigV4 } from '../sigv4.ts';
import type { GatewaySettings } from './options.ts';
import { headersOf, rawHeadersOf } from './request.ts';
import type { Responder } from './respond.ts';
import { findRoute, malformedPath, pathParametersOf, type RequestTarget } from './routes.ts';

/** Answers a request for one API, once its target is parsed. */
export type ApiHandler = (req: IncomingMessage, res: ServerResponse, target: RequestTarget) => Promise<void>;

/** The two APIs' request handlers, bound to the gateway's settings and answers once. */
export function createApiHandlers(
  settings: GatewaySettings,
  { sendGatewayError, bodyOf, invoke }: Responder,
): { readonly handleServer: ApiHandler; readonly handleStorefront: ApiHandler } {
  const { storefrontRoutes, serverRoutes, apiKey, apiIds, serverCredentials, scope, stage, now } = settings;
  const { corsOrigins, onResponse } = settings;

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
    await invoke(
      req,
      res,
      { target, route, pathParameters, headers, body },
      {
        apiId: apiIds.server,
        stage,
        apiKey: null,
        accessKey: verdict.accessKeyId,
      },
    );
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
    await invoke(
      req,
      res,
      { target, route, pathParameters, headers, body },
      {
        apiId: apiIds.storefront,
        stage,
        apiKey: key === apiKey ? key : null,
      },
    );
  };

  return { handleServer, handleStorefront };
}
