/**
 * The local API Gateway that `npm start` and the integration tests serve both APIs through. Its
 * parts, in `local/apiGateway/`: `routes` (config-driven routing and path parameters), `request`
 * (headers and body), `authorize` (SigV4 for the server API, the key for the storefront API, CORS
 * preflights), `proxyEvent` (the Lambda event), `respond` (results and the gateway's own errors)
 * and `options` (defaults, resolved once). Paths outside `/v1` go to the `site` hook first.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hasSigV4 } from './sigv4.ts';
import { createApiHandlers } from './apiGateway/authorize.ts';
import { resolveSettings, type ApiGatewayOptions } from './apiGateway/options.ts';
import { answerClientError, createResponder } from './apiGateway/respond.ts';
import { isApiPath, malformedTarget, parseTarget } from './apiGateway/routes.ts';

export type { ApiGatewayOptions, GatewayResponse, LocalApiIds } from './apiGateway/options.ts';
export type { ProxyHandler } from './apiGateway/proxyEvent.ts';

export interface LocalApi {
  readonly url: string;
  close(): Promise<void>;
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
  const settings = resolveSettings(options);
  const { site, onResponse, arrivals } = settings;
  const responder = createResponder(settings);
  const { sendError, sendGatewayError } = responder;
  const { handleServer, handleStorefront } = createApiHandlers(settings, responder);

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    try {
      const target = parseTarget(req.url ?? '/');
      if (target === undefined) return sendGatewayError(req, res, undefined, malformedTarget);
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
  server.on('clientError', answerClientError);
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
