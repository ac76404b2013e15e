import { api } from '../config/index.ts';

/*
 * CORS for the API, in one place for the three layers that answer browsers: the handlers' answers
 * (`functions/lib/http.ts`), and the local gateway's preflights and own errors (`local/apiGateway.ts`),
 * which imitate what `infra/constructs/storefront-api.ts` makes the storefront API do (the server API is not
 * called from browsers and answers no CORS).
 *
 * The rule: with `['*']` every answer carries `Access-Control-Allow-Origin: *`; with a list of
 * origins, an answer to a listed `Origin` carries that origin (and `Vary: Origin`), an answer to
 * any other origin carries no `Access-Control-Allow-Origin`, so the browser keeps it from the page.
 */

export const ALLOW_ORIGIN = 'access-control-allow-origin';
export const EXPOSE_HEADERS = 'access-control-expose-headers';
export const ALLOW_METHODS = 'access-control-allow-methods';
export const ALLOW_HEADERS = 'access-control-allow-headers';
export const MAX_AGE = 'access-control-max-age';
export const VARY = 'vary';

/** `api.cors.exposeHeaders` as a header value. */
export const EXPOSE_HEADERS_VALUE = api.cors.exposeHeaders.join(',');

/**
 * The origins checked: `['*']` alone, or origins exactly as a browser serialises them in `Origin`
 * (`https://shop.example`, `http://localhost:8080`: lower-case scheme and host, no default port,
 * no path or trailing slash), since an `Origin` is compared with them as it is.
 * @param source what the list came from, for the error message
 * @throws Error naming the first entry that could never match
 */
export function checkCorsOrigins(origins: readonly string[], source: string): readonly string[] {
  if (origins.length === 0) throw new Error(`${source}: give at least one origin, or * for any`);
  if (origins.includes('*')) {
    if (origins.length > 1) throw new Error(`${source}: * allows any origin and cannot be mixed with origins`);
    return origins;
  }
  for (const origin of origins) {
    let serialised: string | undefined;
    try {
      serialised = new URL(origin).origin;
    } catch {
      serialised = undefined;
    }
    if (serialised !== origin || serialised === 'null') {
      const hint = serialised === undefined || serialised === 'null' ? '' : ` (did you mean ${serialised}?)`;
      throw new Error(`${source}: "${origin}" is not an origin as browsers send it${hint}`);
    }
  }
  return origins;
}

/** A comma-separated list of origins (CDK context, environment variable), checked by {@link checkCorsOrigins}. */
export function parseCorsOrigins(raw: string, source: string): readonly string[] {
  const origins = raw
    .split(',')
    .map((origin) => origin.trim())
    .filter((origin) => origin !== '');
  return checkCorsOrigins(origins, source);
}

/**
 * The origins of a comma-separated setting (an environment variable): `api.cors.allowOrigins`
 * when it is unset or blank, else the list, checked by {@link checkCorsOrigins}.
 */
export function corsOriginsFrom(raw: string | undefined, source: string): readonly string[] {
  return raw === undefined || raw.trim() === '' ? api.cors.allowOrigins : parseCorsOrigins(raw, source);
}

/** Headers of a response, as a Lambda proxy result carries them. */
type ResponseHeaders = Record<string, string | number | boolean>;

/** Headers of a request, as a proxy event carries them (`null` in some console test events). */
type RequestHeaders = Readonly<Record<string, string | undefined>> | null | undefined;

/**
 * The request's `Origin`. API Gateway passes header names as the client sent them: `Origin` from
 * an HTTP/1.1 browser, `origin` over HTTP/2 (and from the local gateway, which lower-cases them).
 */
export function originOf(requestHeaders: RequestHeaders): string | undefined {
  if (requestHeaders === null || requestHeaders === undefined) return undefined;
  return requestHeaders.origin ?? requestHeaders.Origin;
}

/**
 * Adds the CORS headers of an answer to `headers`, for a request with `requestHeaders`. Built
 * once per cold start: with `['*']` it adds two constant entries and never reads the request;
 * with a list it reads `Origin` and does one `Set` lookup. Nothing is allocated per call.
 */
export type CorsResponseHeaders = (headers: ResponseHeaders, requestHeaders: RequestHeaders) => void;

export function corsResponseHeaders(origins: readonly string[]): CorsResponseHeaders {
  checkCorsOrigins(origins, 'CORS origins');
  if (origins[0] === '*') {
    return (headers) => {
      headers[ALLOW_ORIGIN] = '*';
      headers[EXPOSE_HEADERS] = EXPOSE_HEADERS_VALUE;
    };
  }
  const allowed: ReadonlySet<string> = new Set(origins);
  return (headers, requestHeaders) => {
    // The answer depends on Origin whether or not this one is listed: a shared cache must not give
    // one origin's answer (with or without the header) to another.
    headers[VARY] = 'Origin';
    const origin = originOf(requestHeaders);
    if (origin !== undefined && allowed.has(origin)) {
      headers[ALLOW_ORIGIN] = origin;
      headers[EXPOSE_HEADERS] = EXPOSE_HEADERS_VALUE;
    }
  };
}

/**
 * Headers of the answer to a preflight (`OPTIONS`) from `origin`: what the API Gateway MOCK
 * methods of `infra/constructs/storefront-api.ts` answer with 204, except that an unlisted origin gets no
 * `Access-Control-Allow-Origin` (API Gateway sends it the first listed origin, which the browser
 * rejects just the same).
 */
export function corsPreflightHeaders(origins: readonly string[], origin: string | undefined): Record<string, string> {
  const headers: Record<string, string> = {
    [ALLOW_METHODS]: api.cors.allowMethods.join(','),
    [ALLOW_HEADERS]: api.cors.allowHeaders.join(','),
    [MAX_AGE]: String(api.cors.maxAgeSeconds),
  };
  if (origins[0] === '*') headers[ALLOW_ORIGIN] = '*';
  else {
    headers[VARY] = 'Origin';
    if (origin !== undefined && origins.includes(origin)) headers[ALLOW_ORIGIN] = origin;
  }
  return headers;
}

/**
 * Headers of an error the gateway answers itself (missing key, unknown route, throttled, too
 * large, integration failure), as the API Gateway gateway responses of `infra/constructs/api.ts`
 * send them. A gateway response can only map static values or request values, not choose from a
 * list: so with `['*']` or one origin the value is static, and with several origins it is the
 * request's `Origin`, whatever it is. Such answers carry only a reason and a message, nothing a
 * page of another origin could use; the alternative, one static origin, would hide the reason of
 * a 403 or 429 from the pages of every other listed origin.
 */
export function corsGatewayErrorHeaders(
  origins: readonly string[],
  origin: string | undefined,
): Record<string, string> {
  if (origins[0] === '*') return { [ALLOW_ORIGIN]: '*', [EXPOSE_HEADERS]: EXPOSE_HEADERS_VALUE };
  const value = origins.length === 1 ? origins[0] : origin;
  return value === undefined
    ? { [VARY]: 'Origin' }
    : { [ALLOW_ORIGIN]: value, [VARY]: 'Origin', [EXPOSE_HEADERS]: EXPOSE_HEADERS_VALUE };
}
