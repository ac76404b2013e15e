import { api } from '#shared/config/index.ts';
import { apiErrorFrom, RecoApiError, RecoNetworkError } from './errors.ts';

/** What the SDK needs of `fetch`; the global one fits, and so does a test double. */
export interface FetchInit {
  readonly method: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
  /** Lets the request outlive the page (used on `pagehide`). */
  readonly keepalive?: boolean;
  readonly signal?: AbortSignal;
}

export interface FetchResponse {
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  text(): Promise<string>;
}

export type FetchLike = (url: string, init: FetchInit) => Promise<FetchResponse>;

/** A query value; `undefined` leaves the parameter out, arrays are joined with commas. */
export type QueryValue = string | number | boolean | readonly string[] | undefined;

/** `?a=1&b=x%20y` from the defined values, in the given order; `''` when none is defined. */
export function queryString(params: Readonly<Record<string, QueryValue>>): string {
  const parts: string[] = [];
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined) continue;
    const text = Array.isArray(value) ? value.join(',') : String(value);
    parts.push(`${encodeURIComponent(name)}=${encodeURIComponent(text)}`);
  }
  return parts.length === 0 ? '' : `?${parts.join('&')}`;
}

/** A route template such as `/v1/users/{userId}/recommendations` with its ids filled in, encoded. */
export function routePath(template: string, ids: Readonly<Record<string, string>> = {}): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const id = ids[name];
    if (id === undefined) throw new Error(`route ${template} needs ${name}`);
    return encodeURIComponent(id);
  });
}

export interface HttpAnswer {
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  readonly text: string;
}

/** What identifies the caller: the storefront key, and a signed-in shopper's token when there is one. */
export interface Credentials {
  readonly apiKey: string;
  readonly userToken?: string | undefined;
}

/** One HTTP exchange; a failure to get any answer becomes a {@link RecoNetworkError}. */
export async function exchange(
  fetchFn: FetchLike,
  url: string,
  credentials: Credentials,
  init: { method: string; body?: string; keepalive?: boolean; signal?: AbortSignal },
): Promise<HttpAnswer> {
  const headers: Record<string, string> = { [api.apiKeyHeader]: credentials.apiKey, accept: 'application/json' };
  if (credentials.userToken !== undefined) headers[api.userTokenHeader] = credentials.userToken;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  let response: FetchResponse;
  let text: string;
  try {
    response = await fetchFn(url, { ...init, headers });
    text = await response.text();
  } catch (error) {
    throw new RecoNetworkError(`${init.method} ${url} failed: ${(error as Error)?.message ?? String(error)}`, {
      cause: error,
    });
  }
  return { status: response.status, headers: response.headers, text };
}

/** The JSON body of a 2xx answer; any other status becomes a {@link RecoApiError}. */
export function jsonOf<T>(answer: HttpAnswer): T {
  if (answer.status < 200 || answer.status >= 300) throw apiErrorFrom(answer.status, answer.text);
  try {
    return JSON.parse(answer.text) as T;
  } catch {
    throw new RecoApiError(answer.status, 'invalid_response', 'the API answered with a body that is not JSON');
  }
}

/** `Retry-After` in ms (seconds or an HTTP date), when the answer has a usable one. */
export function retryAfterMs(answer: HttpAnswer, now: number): number | undefined {
  const raw = answer.headers.get('retry-after');
  if (raw === null || raw.trim() === '') return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(raw);
  return Number.isFinite(date) ? Math.max(0, date - now) : undefined;
}
