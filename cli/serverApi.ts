/**
 * Calls of the server API from the command line, signed with AWS SigV4 (service `execute-api`)
 * from the standard AWS credential chain: environment, shared config and SSO, or an instance or
 * task role. The same requests work against the local stack, whose gateway checks SigV4 against
 * `RECO_SERVER_ACCESS_KEY_ID` / `RECO_SERVER_SECRET_ACCESS_KEY`.
 */
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';

export interface ServerApiOptions {
  /** Base URL of the server API (the `ServerApiUrl` stack output, or the local stack's URL). */
  readonly url: string;
  /** @default the region in an execute-api host name, else AWS_REGION, else us-east-1 */
  readonly region?: string;
  /** @default the standard AWS credential chain */
  readonly credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  readonly fetch?: typeof fetch;
}

/** A call the server API answered with an error: its status and `{reason, message}`. */
export class ServerApiError extends Error {
  override readonly name = 'ServerApiError';
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(`${status} ${reason}: ${message}`);
  }
}

/** The region of an API Gateway invoke URL (`<id>.execute-api.<region>.amazonaws.com`). */
export function regionOf(url: URL, env: NodeJS.ProcessEnv = process.env): string {
  return /\.execute-api\.([a-z0-9-]+)\.amazonaws\.com$/.exec(url.hostname)?.[1] ?? env.AWS_REGION ?? 'us-east-1';
}

/** Signs a request; no credentials anywhere in the chain is the caller's to fix, and said so. */
async function signWith(signer: SignatureV4, request: Parameters<SignatureV4['sign']>[0]) {
  try {
    return await signer.sign(request);
  } catch (error) {
    if ((error as { name?: string }).name === 'CredentialsProviderError') {
      throw new MissingCredentialsError();
    }
    throw error;
  }
}

/** No AWS credentials were found to sign a server API call with. */
export class MissingCredentialsError extends Error {
  override readonly name = 'MissingCredentialsError';
  constructor() {
    super(
      'no AWS credentials found to sign the call: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY ' +
        '(for the local stack: local / local-dev-secret)',
    );
  }
}

/** A request to the server API: its path (with any query) under the base URL. */
export interface ServerApiRequest {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly path: string;
  readonly body?: unknown;
  /** Aborts the call (a timeout, a closed page). */
  readonly signal?: AbortSignal;
}

/**
 * Sends one signed request to the server API and returns its response as it came, whatever the
 * status; throws {@link ServerApiUnreachableError} when no response came.
 */
export async function fetchServerApi(options: ServerApiOptions, request: ServerApiRequest): Promise<Response> {
  const base = new URL(options.url.endsWith('/') ? options.url : `${options.url}/`);
  const url = new URL(request.path.replace(/^\//, ''), base);
  const body = request.body === undefined ? undefined : JSON.stringify(request.body);
  const signer = new SignatureV4({
    service: 'execute-api',
    region: options.region ?? regionOf(url),
    credentials: options.credentials ?? defaultProvider(),
    sha256: Hash.bind(null, 'sha256'),
  });
  // Every value of a repeated name is signed, as the gateway reads the query (and a name such as `__proto__` too).
  const query: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>;
  for (const name of new Set(url.searchParams.keys())) {
    const values = url.searchParams.getAll(name);
    query[name] = values.length === 1 ? (values[0] as string) : values;
  }
  const signed = await signWith(signer, {
    method: request.method,
    protocol: url.protocol,
    hostname: url.hostname,
    ...(url.port === '' ? {} : { port: Number(url.port) }),
    path: url.pathname,
    query,
    headers: {
      host: url.host,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body }),
  });
  try {
    return await (options.fetch ?? fetch)(url, {
      method: request.method,
      headers: signed.headers,
      ...(body === undefined ? {} : { body }),
      ...(request.signal === undefined ? {} : { signal: request.signal }),
    });
  } catch (error) {
    // fetch rejects with a TypeError when no answer came (refused, unknown host); an abort is the caller's.
    if (error instanceof TypeError) throw new ServerApiUnreachableError(options.url, { cause: error });
    throw error;
  }
}

/** The server API could not be reached at all (no answer: refused, unknown host, reset). */
export class ServerApiUnreachableError extends Error {
  override readonly name = 'ServerApiUnreachableError';
  constructor(url: string, options: { readonly cause: unknown }) {
    // fetch's TypeError says only "fetch failed"; its cause says why (ECONNREFUSED, ENOTFOUND, bad port).
    const why = (options.cause as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
    const detail = typeof why?.code === 'string' ? why.code : typeof why?.message === 'string' ? why.message : '';
    super(`cannot reach the server API at ${url}${detail === '' ? '' : ` (${detail})`}`, options);
  }
}

/** Sends one signed request to the server API and returns its JSON answer, or throws {@link ServerApiError}. */
export async function callServerApi(options: ServerApiOptions, request: ServerApiRequest): Promise<unknown> {
  const response = await fetchServerApi(options, request);
  const text = await response.text();
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (!response.ok) {
    const { reason, message } = (json ?? {}) as { reason?: string; message?: string };
    throw new ServerApiError(response.status, reason ?? 'http_error', message ?? text.slice(0, 200));
  }
  return json;
}
