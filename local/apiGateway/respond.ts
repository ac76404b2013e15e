/**
 * How the gateway answers: a function's result mapped back to HTTP, the 502 of a function that
 * throws, and the gateway's own errors with the CORS headers of API Gateway's gateway responses.
 */
import type { APIGatewayProxyResult } from 'aws-lambda';
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { api, type RouteName } from '#shared/config/index.ts';
import { corsGatewayErrorHeaders } from '#shared/http/cors.ts';
import { lambdaContext } from '../lambdaContext.ts';
import type { GatewaySettings } from './options.ts';
import { toProxyEvent, type RoutedRequest, type VerifiedCaller } from './proxyEvent.ts';
import { readBody, type EventHeaders } from './request.ts';

/** An error the gateway answers itself: `api.gatewayErrors` or one like them. */
export interface GatewayError {
  readonly status: number;
  readonly reason: string;
  readonly message: string;
}

/** A JSON answer the gateway writes itself. */
const send = (res: ServerResponse, statusCode: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(statusCode, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
};

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

/** The gateway's ways of answering, bound to its settings once. */
export interface Responder {
  /** An error the gateway answers itself, with the CORS headers of API Gateway's gateway responses. */
  sendError(req: IncomingMessage, res: ServerResponse, status: number, body: unknown): void;
  /** {@link Responder.sendError} of a gateway error, reported to `onResponse`. */
  sendGatewayError(req: IncomingMessage, res: ServerResponse, route: RouteName | undefined, error: GatewayError): void;
  /** The body, or `undefined` after answering 413 for one over `apiLimits.maxBodyBytes`. */
  bodyOf(
    req: IncomingMessage,
    res: ServerResponse,
    route: RouteName,
    headers: EventHeaders,
  ): Promise<Buffer | undefined>;
  /** Hands the request to its route's function and answers with the result. */
  invoke(req: IncomingMessage, res: ServerResponse, request: RoutedRequest, caller: VerifiedCaller): Promise<void>;
}

/** Binds the ways of answering to the gateway's CORS origins, `onResponse` and functions. */
export function createResponder({ corsOrigins, onResponse, handlers }: GatewaySettings): Responder {
  const sendError = (req: IncomingMessage, res: ServerResponse, status: number, body: unknown) =>
    send(res, status, body, corsGatewayErrorHeaders(corsOrigins, req.headers.origin));
  const sendGatewayError = (
    req: IncomingMessage,
    res: ServerResponse,
    route: RouteName | undefined,
    error: GatewayError,
  ) => {
    sendError(req, res, error.status, { reason: error.reason, message: error.message });
    onResponse?.(req, route, error.status);
  };

  const bodyOf = async (req: IncomingMessage, res: ServerResponse, route: RouteName, headers: EventHeaders) => {
    const read = readBody(req, headers);
    const body = read instanceof Promise ? await read : read;
    if (body === undefined) sendGatewayError(req, res, route, api.gatewayErrors.requestTooLarge);
    return body;
  };

  const invoke = async (
    req: IncomingMessage,
    res: ServerResponse,
    request: RoutedRequest,
    caller: VerifiedCaller,
  ): Promise<void> => {
    const { route } = request;
    let result: APIGatewayProxyResult;
    try {
      result = await handlers[route.name](toProxyEvent(req, request, caller), lambdaContext(route.name));
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

  return { sendError, sendGatewayError, bodyOf, invoke };
}

/** Node's status for a request its HTTP parser refuses, by error code; any other code is 400. */
const CLIENT_ERROR_STATUS: Readonly<Record<string, number>> = {
  HPE_HEADER_OVERFLOW: 431,
  HPE_CHUNK_EXTENSIONS_OVERFLOW: 413,
  ERR_HTTP_REQUEST_TIMEOUT: 408,
};

/**
 * Answers a request Node's HTTP parser refuses (an unknown method, a malformed or doubled
 * Content-Length, a bad chunk, headers over the limit, a body that never ends) with Node's own
 * status, but with the JSON `{reason, message}` of every other error, where Node sends no body.
 * The reason is `bad_request`, as API Gateway's DEFAULT_4XX maps every other 4xx. As Node's own
 * handler does, nothing is written once a response on the socket has begun (it would corrupt it).
 */
export function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  // Node's own field for the response in flight on the socket; its default handler checks the same.
  const inFlight = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
  if (error.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent === true) {
    socket.destroy();
    return;
  }
  const status = CLIENT_ERROR_STATUS[error.code ?? ''] ?? 400;
  const text = STATUS_CODES[status] ?? 'Bad Request';
  const body = JSON.stringify({
    reason: api.gatewayErrors.badRequest.reason,
    message: `the request is not valid HTTP/1.1 (${text})`,
  });
  // Ended, not destroyed: the answer is flushed first, then the connection closes.
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
