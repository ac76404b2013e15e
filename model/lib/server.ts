/**
 * The SageMaker inference contract over `node:http`: `GET /ping` answers 200 once the model is
 * loaded (503 before and while shutting down), `POST /invocations` ranks. The same handler also
 * answers `POST /endpoints/{name}/invocations`, the path the SageMaker Runtime API's
 * InvokeEndpoint uses, so the AWS SDK can talk to this server directly (the local stack points
 * `AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME` here); on that path errors come back the way SageMaker
 * Runtime returns a container's errors: 424 `ModelError` with `OriginalStatusCode` and
 * `OriginalMessage`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiError, DependencyUnavailableError, PayloadTooLargeError } from '#shared/errors.ts';
import { invocationLimits, invoke, InvalidFieldError, parseInvocation, type ServingModel } from './invocation.ts';

export class UnsupportedMediaTypeError extends ApiError {
  readonly status = 415;
}

export class NotAcceptableError extends ApiError {
  readonly status = 406;
}

export class MethodNotAllowedError extends ApiError {
  readonly status = 405;
  constructor(
    readonly allow: string,
    method: string,
    path: string,
  ) {
    super('method_not_allowed', `${method} is not allowed on ${path}; use ${allow}`);
  }
}

export class RouteNotFoundError extends ApiError {
  readonly status = 404;
}

export const ROUTES = {
  ping: '/ping',
  invocations: '/invocations',
  /** SageMaker Runtime's InvokeEndpoint path; `{name}` is not checked. */
  runtimeInvocations: /^\/endpoints\/([^/]+)\/invocations$/,
} as const;

export interface InferenceServerOptions {
  /** Largest request body, bytes (default 1 MiB). */
  readonly maxBodyBytes?: number;
  /** Where unexpected errors are reported. */
  readonly log?: (line: string) => void;
}

/** Bodies over the limit are read and dropped up to this size, so the client gets its 413; larger ones cut the connection. */
const DRAIN_FACTOR = 8;

interface Reply {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

function errorBody(error: ApiError): Record<string, string> {
  return error instanceof InvalidFieldError
    ? { reason: error.reason, message: error.message, field: error.field }
    : { reason: error.reason, message: error.message };
}

/** `application/json`, with no charset or UTF-8; anything else is a 415. */
export function checkContentType(header: string | undefined, encoding: string | undefined): void {
  if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') {
    throw new UnsupportedMediaTypeError(
      'unsupported_content_encoding',
      `Content-Encoding ${encoding} is not supported; send the JSON uncompressed`,
    );
  }
  const [type = '', ...parameters] = (header ?? '').split(';').map((part) => part.trim().toLowerCase());
  const charset = parameters
    .find((p) => p.startsWith('charset='))
    ?.slice('charset='.length)
    .replace(/"/g, '');
  if (type !== 'application/json' || (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8')) {
    throw new UnsupportedMediaTypeError(
      'unsupported_media_type',
      `Content-Type must be application/json (UTF-8), got ${header === undefined ? 'none' : `"${header}"`}`,
    );
  }
}

/** No Accept header, or one that allows JSON; anything else is a 406. */
export function checkAccept(header: string | undefined): void {
  if (header === undefined || header.trim() === '') return;
  const ranges = header.split(',').map((range) => (range.split(';')[0] ?? '').trim().toLowerCase());
  if (ranges.some((range) => range === '*/*' || range === 'application/*' || range === 'application/json')) return;
  throw new NotAcceptableError('not_acceptable', `responses are application/json; Accept was "${header}"`);
}

/** The body as UTF-8 text; a 413 when it is over `limit` bytes. */
async function readBody(request: IncomingMessage, limit: number): Promise<string> {
  const declared = Number(request.headers['content-length'] ?? Number.NaN);
  const tooLarge = (): PayloadTooLargeError =>
    new PayloadTooLargeError('body_too_large', `request body is over the limit of ${limit} bytes`);
  if (declared > limit * DRAIN_FACTOR) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= limit) chunks.push(chunk);
    else if (size > limit * DRAIN_FACTOR) break;
  }
  if (size > limit) throw tooLarge();
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * How SageMaker Runtime passes on a container's error: 424 and a `ModelError` the SDK turns into
 * an exception with `OriginalStatusCode` and `OriginalMessage` (the container's body).
 */
export function asModelError(reply: Reply): Reply {
  const original = JSON.stringify(reply.body);
  const side = reply.status < 500 ? 'client' : 'server';
  return {
    status: 424,
    headers: { 'x-amzn-errortype': 'ModelError' },
    body: {
      ErrorCode: `${side.toUpperCase()}_ERROR_FROM_MODEL`,
      OriginalStatusCode: reply.status,
      OriginalMessage: original,
      Message: `Received ${side} error (${reply.status}) from primary with message "${original}".`,
    },
  };
}

export class InferenceServer {
  readonly http: Server;
  readonly #maxBodyBytes: number;
  readonly #log: (line: string) => void;
  #serving: ServingModel | undefined;
  #stopping = false;

  constructor(options: InferenceServerOptions = {}) {
    this.#maxBodyBytes = options.maxBodyBytes ?? invocationLimits.maxBodyBytes;
    this.#log = options.log ?? ((line) => process.stderr.write(`${line}\n`));
    // SageMaker allows 60 s per invocation; connections are kept alive between requests.
    this.http = createServer({ requestTimeout: 60_000 }, (request, response) => {
      void this.#handle(request, response);
    });
    this.http.keepAliveTimeout = 65_000;
    this.http.headersTimeout = 66_000;
  }

  /** Starts answering `/ping` with 200 and `/invocations` with rankings. */
  ready(serving: ServingModel): void {
    this.#serving = serving;
  }

  get isReady(): boolean {
    return this.#serving !== undefined && !this.#stopping;
  }

  /** Listens and returns the URL (`port` 0: any free port). */
  listen(port: number, host: string): Promise<string> {
    return new Promise((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(port, host, () => {
        this.http.off('error', reject);
        const address = this.http.address() as AddressInfo;
        const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
        resolve(`http://${shown}:${address.port}`);
      });
    });
  }

  /**
   * Graceful shutdown: `/ping` turns 503, no new connections, idle keep-alive connections close,
   * requests in flight finish (their connections close after the response); whatever is still
   * open after `graceMs` is cut.
   */
  async close(graceMs = 25_000): Promise<void> {
    this.#stopping = true;
    if (!this.http.listening) return;
    const closed = new Promise<void>((resolve) => this.http.close(() => resolve()));
    this.http.closeIdleConnections();
    const timer = setTimeout(() => this.http.closeAllConnections(), graceMs);
    timer.unref();
    await closed;
    clearTimeout(timer);
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    const method = request.method ?? 'GET';
    const runtime = ROUTES.runtimeInvocations.test(path);
    let reply: Reply;
    try {
      if (path === ROUTES.ping) reply = this.#ping(method);
      else if (path === ROUTES.invocations || runtime) reply = await this.#invocation(request, method, path);
      else {
        throw new RouteNotFoundError(
          'route_not_found',
          `no route ${method} ${path}; routes: GET /ping, POST /invocations, POST /endpoints/{name}/invocations`,
        );
      }
    } catch (error) {
      reply = this.#failure(error);
    }
    if (runtime) reply = reply.status >= 400 ? asModelError(reply) : this.#invokedVariant(reply);
    this.#send(response, reply, method === 'HEAD');
  }

  #ping(method: string): Reply {
    if (method !== 'GET' && method !== 'HEAD') throw new MethodNotAllowedError('GET, HEAD', method, ROUTES.ping);
    if (this.#stopping) throw new DependencyUnavailableError('shutting_down', 'the server is shutting down');
    if (this.#serving === undefined) throw new DependencyUnavailableError('model_not_loaded', 'the model is loading');
    return {
      status: 200,
      body: { status: 'ok', modelVersion: this.#serving.modelVersion, algorithm: this.#serving.algorithm },
    };
  }

  async #invocation(request: IncomingMessage, method: string, path: string): Promise<Reply> {
    if (method !== 'POST') throw new MethodNotAllowedError('POST', method, path);
    const serving = this.#serving;
    if (serving === undefined) throw new DependencyUnavailableError('model_not_loaded', 'the model is loading');
    checkContentType(request.headers['content-type'], request.headers['content-encoding']);
    checkAccept(request.headers.accept);
    const body = await readBody(request, this.#maxBodyBytes);
    return { status: 200, body: invoke(serving, parseInvocation(body)) };
  }

  #invokedVariant(reply: Reply): Reply {
    return { ...reply, headers: { ...reply.headers, 'x-amzn-invoked-production-variant': 'AllTraffic' } };
  }

  #failure(error: unknown): Reply {
    if (error instanceof ApiError) {
      const headers = error instanceof MethodNotAllowedError ? { allow: error.allow } : undefined;
      return { status: error.status, body: errorBody(error), ...(headers === undefined ? {} : { headers }) };
    }
    this.#log(`invocation failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return { status: 500, body: { reason: 'internal_error', message: 'internal error' } };
  }

  #send(response: ServerResponse, reply: Reply, headOnly: boolean): void {
    if (response.headersSent || response.destroyed) return;
    const text = JSON.stringify(reply.body);
    const headers: Record<string, string | number> = {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(text),
      ...reply.headers,
    };
    // Past the drain limit the body was not read to its end: the connection cannot carry another request.
    if (this.#stopping || reply.status === 413) headers['connection'] = 'close';
    response.writeHead(reply.status, headers);
    response.end(headOnly ? undefined : text);
  }
}
