/**
 * `@reco-stack/sdk/server`: the shop's backend calls the server API (AWS IAM, SigV4), for instance to mint the user
 * token of the shopper signed in to its own session. Node ≥ 20 only. Credentials are the backend's: given, or from
 * the standard AWS credential chain through the optional peer dependency `@aws-sdk/credential-provider-node`.
 * Never use this in a page: the credentials would be in it.
 *
 * @example
 * import { createServerApi } from '@reco-stack/sdk/server';
 * const serverApi = createServerApi({ url: process.env.RECO_SERVER_API_URL! });
 * const { token } = await serverApi.mintUserToken(session.userId);
 */
import { serverRoutes } from './apiConstants.ts';
import { signRequest, type AwsCredentials } from './sigv4.ts';

export { signRequest, type AwsCredentials, type SigningRequest } from './sigv4.ts';

/** Resolves credentials, as the AWS SDKs' providers do (and may cache and refresh them). */
export type AwsCredentialsProvider = () => Promise<AwsCredentials>;

export interface ServerApiOptions {
  /** Base URL of the server API (the `ServerApiUrl` stack output, or the local stack's URL), without `/v1`. */
  readonly url: string;
  /** @default the region in an execute-api host name, else AWS_REGION, else us-east-1 */
  readonly region?: string;
  /** @default the standard AWS credential chain (`@aws-sdk/credential-provider-node`, an optional peer dependency) */
  readonly credentials?: AwsCredentials | AwsCredentialsProvider;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** Longest wait for an answer, ms. @default 10000 */
  readonly timeoutMs?: number;
}

/** A server API call failed: the API's status and `{reason, message}`, or a reason of the SDK's own. */
export class RecoServerApiError extends Error {
  override readonly name = 'RecoServerApiError';
  /** HTTP status, or 0 when there was no answer (`network`, `timeout`) or no request (`missing_credentials`). */
  readonly status: number;
  /** `access_denied`, `invalid_field`, …, or `network`, `timeout`, `missing_credentials`, `invalid_response`. */
  readonly reason: string;

  constructor(status: number, reason: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.status = status;
    this.reason = reason;
  }
}

/** A user token minted for one shopper. */
export interface UserToken {
  readonly userId: string;
  readonly token: string;
  /** Epoch seconds. */
  readonly expiresAt: number;
}

export interface ServerApi {
  /** One signed call; resolves with the JSON answer, rejects with {@link RecoServerApiError}. */
  request(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<unknown>;
  /**
   * A user token for `userId` (`POST /v1/admin/user-tokens`): mint it only for the shopper of the request's own
   * session, never for a user id a page sends. `ttlSeconds` up to 24 hours. @default 1 hour (server side)
   */
  mintUserToken(userId: string, options?: { readonly ttlSeconds?: number }): Promise<UserToken>;
}

/** The region of an API Gateway invoke URL (`<id>.execute-api.<region>.amazonaws.com`). */
const regionOf = (url: URL): string =>
  /\.execute-api\.([a-z0-9-]+)\.amazonaws\.com$/.exec(url.hostname)?.[1] ?? process.env.AWS_REGION ?? 'us-east-1';

/** The default credential chain, loaded only when used: a backend that passes credentials needs no AWS package. */
async function defaultCredentials(): Promise<AwsCredentials> {
  let provider: () => AwsCredentialsProvider;
  try {
    ({ defaultProvider: provider } = (await import('@aws-sdk/credential-provider-node')) as {
      defaultProvider: () => AwsCredentialsProvider;
    });
  } catch (error) {
    throw new RecoServerApiError(
      0,
      'missing_credentials',
      'pass credentials, or install @aws-sdk/credential-provider-node for the standard AWS credential chain',
      { cause: error },
    );
  }
  try {
    return await provider()();
  } catch (error) {
    throw new RecoServerApiError(
      0,
      'missing_credentials',
      'no AWS credentials found: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or a role',
      { cause: error },
    );
  }
}

/**
 * A client of the server API that signs every call with SigV4 (service `execute-api`).
 * Throws on a `url` without a scheme or ending in `/v1`.
 */
export function createServerApi(options: ServerApiOptions): ServerApi {
  let base: URL;
  try {
    base = new URL(options.url.endsWith('/') ? options.url : `${options.url}/`);
  } catch {
    throw new TypeError(`reco server API: url must be an absolute URL such as https://…/prod, got ${options.url}`);
  }
  if (/\/v1\/$/.test(base.pathname)) {
    throw new TypeError('reco server API: url must not end in /v1: the routes add it');
  }
  const region = options.region ?? regionOf(base);
  const fetchFn = options.fetch ?? globalThis.fetch;
  const timeoutMs = options.timeoutMs ?? 10_000;
  // setTimeout (behind AbortSignal.timeout) takes at most 2^31 - 1 ms.
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 2 ** 31 - 1) {
    throw new TypeError(`reco server API: timeoutMs must be a whole number from 1 to ${2 ** 31 - 1}`);
  }
  const given = options.credentials;
  const credentials = typeof given === 'function' ? given : given ? async () => given : defaultCredentials;

  async function request(method: string, path: string, payload?: unknown): Promise<unknown> {
    const url = new URL(path.replace(/^\//, ''), base);
    const body = payload === undefined ? '' : JSON.stringify(payload);
    const headers = signRequest({
      method,
      url,
      headers: payload === undefined ? {} : { 'content-type': 'application/json' },
      body,
      region,
      credentials: await credentials(),
      now: Date.now(),
    });
    let status: number;
    let text: string;
    try {
      const response = await fetchFn(url, {
        method,
        headers,
        ...(payload === undefined ? {} : { body }),
        signal: AbortSignal.timeout(timeoutMs),
      });
      status = response.status;
      text = await response.text();
    } catch (error) {
      const timedOut = (error as Error)?.name === 'TimeoutError';
      throw new RecoServerApiError(
        0,
        timedOut ? 'timeout' : 'network',
        `${method} ${url} ${timedOut ? `timed out after ${timeoutMs} ms` : `failed: ${(error as Error)?.message}`}`,
        { cause: error },
      );
    }
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (status < 200 || status >= 300) {
      const { reason, message } = (json ?? {}) as { reason?: unknown; message?: unknown };
      throw new RecoServerApiError(
        status,
        typeof reason === 'string' ? reason : `http_${status}`,
        typeof message === 'string' ? message : `${method} ${url.pathname} answered ${status}`,
      );
    }
    return json;
  }

  return {
    request,
    async mintUserToken(userId, mintOptions) {
      const answer = (await request('POST', serverRoutes.userTokens, {
        userId,
        ...(mintOptions?.ttlSeconds === undefined ? {} : { ttlSeconds: mintOptions.ttlSeconds }),
      })) as Partial<UserToken> | undefined;
      if (typeof answer?.token !== 'string' || typeof answer.expiresAt !== 'number') {
        throw new RecoServerApiError(200, 'invalid_response', 'the server API answered without {token, expiresAt}');
      }
      return { userId: answer.userId ?? userId, token: answer.token, expiresAt: answer.expiresAt };
    },
  };
}
