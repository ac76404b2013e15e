/**
 * Which route a request is for, from the routes `shared/config` declares for each API, and its
 * path parameters as API Gateway decodes them.
 */
import { api, type ApiKind, type RouteName } from '#shared/config/index.ts';

export interface CompiledRoute {
  readonly name: RouteName;
  readonly method: string;
  readonly resource: string;
  /** The resource split on `/`: a literal segment, or `undefined` where a parameter goes. */
  readonly segments: readonly (string | undefined)[];
  readonly parameterNames: readonly string[];
  readonly needsApiKey: boolean;
}

/** Routes by their number of path segments, in declaration order. */
export type RouteTable = ReadonlyMap<number, readonly CompiledRoute[]>;

/** The routes of one of the two APIs (`api.routeApis`). */
export function compileRoutes(kind: ApiKind): RouteTable {
  const publicRoutes: readonly string[] = api.publicRoutes;
  const table = new Map<number, CompiledRoute[]>();
  for (const name of Object.keys(api.routes) as RouteName[]) {
    if (!(api.routeApis[name] as readonly ApiKind[]).includes(kind)) continue;
    const resource = api.routes[name];
    const parts = resource.split('/');
    const parameterNames: string[] = [];
    const segments = parts.map((part) => {
      const parameter = /^\{(\w+)\}$/.exec(part)?.[1];
      if (parameter === undefined) return part;
      parameterNames.push(parameter);
      return undefined;
    });
    const route: CompiledRoute = {
      name,
      method: api.routeMethods[name],
      resource,
      segments,
      parameterNames,
      needsApiKey: kind === 'storefront' && !publicRoutes.includes(name),
    };
    const sameLength = table.get(segments.length);
    if (sameLength) sameLength.push(route);
    else table.set(segments.length, [route]);
  }
  return table;
}

/**
 * One path segment percent-decoded as UTF-8, for a path parameter; undefined when a `%` is not
 * followed by two hex digits, which API Gateway refuses with a 400. Bytes that are not UTF-8 come
 * out as U+FFFD, as in a body a Lambda proxy event carries: the handlers refuse ids holding one.
 */
function decodeSegment(segment: string): string | undefined {
  if (!segment.includes('%')) return segment;
  if (/%(?![0-9A-Fa-f]{2})/.test(segment)) return undefined;
  try {
    return decodeURIComponent(segment);
  } catch {
    // A parsed path is ASCII (URL parsing escapes the rest), so each escape is one byte.
    const bytes = segment.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
    return Buffer.from(bytes, 'latin1').toString('utf8');
  }
}

/** A path parameter that is not valid percent-encoding: API Gateway's DEFAULT_4XX. */
export const malformedPath = {
  ...api.gatewayErrors.badRequest,
  message: 'the path holds a % not followed by two hex digits',
};

/**
 * The route's path parameters decoded from `parts`, by name; `null` for a route without any,
 * `undefined` when one is not valid percent-encoding.
 */
export function pathParametersOf(
  route: CompiledRoute,
  parts: readonly string[],
): Record<string, string> | null | undefined {
  if (route.parameterNames.length === 0) return null;
  const decoded: [string, string][] = [];
  for (let i = 0; i < route.segments.length; i++) {
    if (route.segments[i] !== undefined) continue;
    const value = decodeSegment(parts[i] as string);
    if (value === undefined) return undefined;
    decoded.push([route.parameterNames[decoded.length] as string, value]);
  }
  return Object.fromEntries(decoded);
}

/** Whether `parts` (a path split on `/`) fits the route: literals equal, parameters not empty. */
function fits(route: CompiledRoute, parts: readonly string[]): boolean {
  const { segments } = route;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i];
    const part = parts[i] as string;
    if (segment === undefined ? part === '' : part !== segment) return false;
  }
  return true;
}

/**
 * The first route (in declaration order) of `method` that fits the path; `null` when some route
 * fits the path with another method only, `undefined` when none fits at all. API Gateway answers
 * both alike (`MISSING_AUTHENTICATION_TOKEN`); only a preflight tells them apart.
 */
export function findRoute(table: RouteTable, method: string | undefined, parts: readonly string[]) {
  const candidates = table.get(parts.length);
  if (candidates === undefined) return undefined;
  let pathKnown = false;
  for (const route of candidates) {
    if (!fits(route, parts)) continue;
    if (route.method === method) return route;
    pathKnown = true;
  }
  return pathKnown ? null : undefined;
}

/**
 * A path that WHATWG URL parsing leaves as it is (no dot segments, percent-encoding, backslashes, or
 * characters it would encode; not `//…`, which it reads as a host): split by hand. Anything else
 * goes through `new URL`. Local-only fast path: every local request's target is parsed here, and
 * `new URL` costs more than this check for the plain paths the SDK sends.
 */
const PLAIN_PATH = /^\/(?!\/)[\w\-.~!$&'()*+,;=:@/]*$/;

export interface RequestTarget {
  readonly pathname: string;
  /** The query's parameters, `undefined` when there is no query or it is empty. */
  readonly searchParams: URLSearchParams | undefined;
}

/**
 * The request target's path and query, by hand for a plain path, else as `new URL` reads it;
 * undefined for a target URL parsing refuses (Node lets an absolute-form one such as `http://[/`
 * through), which is the client's error.
 */
export function parseTarget(raw: string): RequestTarget | undefined {
  const queryAt = raw.indexOf('?');
  const path = queryAt < 0 ? raw : raw.slice(0, queryAt);
  if (PLAIN_PATH.test(path) && !path.includes('/.')) {
    if (queryAt < 0) return { pathname: path, searchParams: undefined };
    const hashAt = raw.indexOf('#', queryAt);
    const search = hashAt < 0 ? raw.slice(queryAt + 1) : raw.slice(queryAt + 1, hashAt);
    // URL parsing drops tabs and line breaks before reading the query; leave those to it.
    if (!/[\t\n\r]/.test(search)) {
      return { pathname: path, searchParams: search === '' ? undefined : new URLSearchParams(search) };
    }
  }
  const url = URL.parse(raw, 'http://localhost');
  if (url === null) return undefined;
  return { pathname: url.pathname, searchParams: url.search === '' ? undefined : url.searchParams };
}

/** A request target URL parsing refuses: API Gateway's DEFAULT_4XX. */
export const malformedTarget = {
  ...api.gatewayErrors.badRequest,
  message: 'the request target is not a valid URL',
};

/** Paths API Gateway answers; everything else may be the local site's. */
export const isApiPath = (pathname: string): boolean => pathname === '/v1' || pathname.startsWith('/v1/');
