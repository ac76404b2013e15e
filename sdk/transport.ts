import { headers as apiHeaders } from './apiConstants.ts';
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

/** Timers and time; the real ones by default, a fake in tests. */
export interface RecoClock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: RecoClock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as Parameters<typeof clearTimeout>[0]),
};

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

/** A route template such as `/v1/users/{userId}/recommendations` with its id filled in, encoded. */
export const routePath = (template: string, id = ''): string => template.replace(/\{\w+\}/, encodeURIComponent(id));

export interface HttpAnswer {
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  readonly text: string;
}

/** How one exchange is sent. */
export interface ExchangeOptions {
  readonly fetch: FetchLike;
  readonly clock: RecoClock;
  /** The storefront key, and a signed-in shopper's token when there is one. */
  readonly apiKey: string;
  readonly userToken?: string | undefined;
  /** Longest wait for the whole answer, body included. */
  readonly timeoutMs: number;
}

/**
 * One HTTP exchange, given up after `timeoutMs` (a server that accepts the connection and never answers must not
 * hold a read or the event queue forever). Any failure to get a whole answer is a {@link RecoNetworkError}.
 */
export async function exchange(
  options: ExchangeOptions,
  url: string,
  init: { method: string; body?: string; keepalive?: boolean; signal?: AbortSignal | undefined },
): Promise<HttpAnswer> {
  const { clock, timeoutMs, userToken } = options;
  const { method, body, signal } = init;
  const headers: Record<string, string> = { [apiHeaders.apiKey]: options.apiKey, accept: 'application/json' };
  if (userToken !== undefined) headers[apiHeaders.userToken] = userToken;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const controller = new AbortController();
  const abort = () => controller.abort();
  signal?.addEventListener('abort', abort);
  if (signal?.aborted) abort();
  let timer: unknown;
  try {
    // The race also ends a fetch that ignores its signal (a test double, an old polyfill).
    return await Promise.race([
      options
        .fetch(url, { method, headers, body, keepalive: init.keepalive, signal: controller.signal } as FetchInit)
        .then(async (response) => ({
          status: response.status,
          headers: response.headers,
          text: await response.text(),
        })),
      new Promise<never>((_, reject) => {
        timer = clock.setTimeout(() => {
          abort();
          reject(new RecoNetworkError(`${method} ${url} timed out after ${timeoutMs} ms`, { reason: 'timeout' }));
        }, timeoutMs);
      }),
    ]);
  } catch (error) {
    if (error instanceof RecoNetworkError) throw error;
    throw new RecoNetworkError(`${method} ${url} failed: ${(error as Error)?.message ?? error}`, { cause: error });
  } finally {
    clock.clearTimeout(timer);
    signal?.removeEventListener('abort', abort);
  }
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
  const raw = answer.headers.get('retry-after')?.trim();
  const ms = raw ? Number(raw) * 1000 || Date.parse(raw) - now : NaN;
  return ms >= 0 ? ms : undefined;
}
