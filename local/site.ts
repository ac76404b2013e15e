/**
 * The local stack's site: what its gateway answers outside `/v1` (`ApiGatewayOptions.site`). It serves the demo
 * shop (`web/shop/`) at `/`, with the shop's own backend under `/shop/api/` (the catalogue for its pages, sign-in),
 * and hands other prefixes (`/dashboard`) to the handlers mounted there. A path none of them serves resolves false,
 * and the API's own 404 answers it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, httpStatusOf, RouteNotFoundError } from '#shared/errors.ts';
import type { CatalogueSource } from '#shared/catalogue/catalogueIndex.ts';
import { systemClock, type Clock } from '#shared/ports/index.ts';
import { DynamoFeatureStore } from '#shared/adapters/dynamoFeatureStore.ts';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createServerApi, type ServerApi } from '../sdk/server.ts';
import type { SigV4Credentials } from './sigv4.ts';
import { buildShopAssets, type Asset, type ShopAssets, type ShopPageConfig } from './site/assets.ts';
import { ShopCatalogue } from './site/catalogue.ts';
import { readJsonBody, requireJson, sendJson } from './site/http.ts';
import { categoriesAnswer, itemsAnswer, productsAnswer } from './site/products.ts';
import { currentSession, signIn, signOutCookie, type TokenMinter } from './site/session.ts';

export type { TokenMinter } from './site/session.ts';

/** Answers a request outside `/v1`, or resolves false for a path it does not serve. */
export type SiteHandler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

export interface ShopSiteOptions {
  /** The live catalogue the shop lists. */
  readonly catalogue: CatalogueSource;
  /** Mints a signed-in shopper's user token through the server API. */
  readonly mintUserToken: TokenMinter;
  /** The storefront key the pages send. */
  readonly apiKey: string;
  /** Base URL of the storefront API the pages call. @default the page's own origin */
  readonly apiEndpoint?: string;
  readonly clock: Clock;
}

/** Paths the shop's page answers; the page itself tells them apart (`web/shop/src/router.ts`). */
const PAGE_PATH = /^\/(?:|cart|c\/[^/]+|p\/[^/]+)$/;
const ASSETS = '/shop/assets/';
const BACKEND = '/shop/api/';
/** Sign-in bodies are a user id. */
const MAX_BODY_BYTES = 1_024;

function sendAsset(
  req: IncomingMessage,
  res: ServerResponse,
  asset: Asset,
  { cacheControl, extra = {} }: { readonly cacheControl: string; readonly extra?: Record<string, string> },
) {
  const headers = {
    'content-type': asset.contentType,
    'cache-control': cacheControl,
    etag: asset.etag,
    vary: 'accept-encoding',
    'x-content-type-options': 'nosniff',
    ...extra,
  };
  if (req.headers['if-none-match'] === asset.etag) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  const gzip = /\bgzip\b/.test(req.headers['accept-encoding'] ?? '');
  const body = gzip ? asset.gzipped : asset.body;
  res.writeHead(200, {
    ...headers,
    'content-length': String(body.length),
    ...(gzip ? { 'content-encoding': 'gzip' } : {}),
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** The API's origin, from an endpoint as the SDK takes it: an http(s) URL without `/v1`. */
function originOf(apiEndpoint: string): string {
  const url = URL.parse(apiEndpoint);
  if (url === null || !/^https?:$/.test(url.protocol) || /\/v1\/?$/.test(url.pathname)) {
    throw new TypeError(`site.apiEndpoint must be an http(s) URL without /v1, got ${JSON.stringify(apiEndpoint)}`);
  }
  return url.origin;
}

/** The page may load its own files and call its own origin and the API; nothing inline runs. */
const contentSecurityPolicy = (apiEndpoint: string | undefined): string =>
  [
    "default-src 'self'",
    `connect-src 'self'${apiEndpoint === undefined ? '' : ` ${originOf(apiEndpoint)}`}`,
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ');

/** The shop: its page and files, built once at the first request, and its backend. */
export function createShopSite(options: ShopSiteOptions): SiteHandler {
  const config: ShopPageConfig = { endpoint: options.apiEndpoint ?? null, apiKey: options.apiKey };
  let assets: Promise<ShopAssets> | undefined;
  const built = () => {
    if (assets === undefined) {
      assets = buildShopAssets(config);
      // A failed build (a syntax error in web/shop while editing) is tried again at the next request.
      assets.catch(() => (assets = undefined));
    }
    return assets;
  };
  const catalogue = new ShopCatalogue({ source: options.catalogue, clock: options.clock });
  const csp = contentSecurityPolicy(options.apiEndpoint);

  const backend = async (req: IncomingMessage, res: ServerResponse, route: string, query: URLSearchParams) => {
    const method = req.method ?? 'GET';
    const reads: Record<string, (() => Promise<unknown>) | undefined> = {
      categories: async () => categoriesAnswer(await catalogue.snapshot()),
      products: async () => productsAnswer(await catalogue.snapshot(), query),
      items: async () => itemsAnswer(await catalogue.snapshot(), query),
      session: () => currentSession(req, options.mintUserToken),
    };
    if (method === 'GET' && Object.hasOwn(reads, route)) return sendJson(res, 200, await reads[route]?.());
    if (method === 'POST' && route === 'sign-in') {
      const { answer, cookie } = await signIn(await readJsonBody(req, MAX_BODY_BYTES), options.mintUserToken);
      return sendJson(res, 200, answer, { 'set-cookie': cookie });
    }
    if (method === 'POST' && route === 'sign-out') {
      requireJson(req);
      return sendJson(res, 200, { userId: null }, { 'set-cookie': signOutCookie() });
    }
    throw new RouteNotFoundError('route_not_found', `no shop route ${method} ${BACKEND}${route}`);
  };

  return async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://site.invalid');
    const { pathname } = url;
    const read = req.method === 'GET' || req.method === 'HEAD';
    if (read && PAGE_PATH.test(pathname)) {
      sendAsset(req, res, (await built()).page, {
        cacheControl: 'no-cache',
        extra: { 'content-security-policy': csp },
      });
      return true;
    }
    if (read && pathname.startsWith(ASSETS)) {
      // By name from the built files only: nothing on disk is reachable from a path.
      const asset = (await built()).files.get(pathname.slice(ASSETS.length));
      if (asset === undefined) return false;
      sendAsset(req, res, asset, { cacheControl: 'public, max-age=31536000, immutable' });
      return true;
    }
    if (pathname.startsWith(BACKEND)) {
      try {
        await backend(req, res, pathname.slice(BACKEND.length), url.searchParams);
      } catch (error) {
        // The one place the shop's errors become answers, as in the functions.
        if (!(error instanceof ApiError)) console.error('[shop] request failed', error);
        const status = httpStatusOf(error);
        const body =
          error instanceof ApiError
            ? { reason: error.reason, message: error.message }
            : { reason: 'internal_error', message: 'internal error' };
        if (!res.headersSent) sendJson(res, status, body);
      }
      return true;
    }
    return false;
  };
}

/**
 * One handler over several sites: each mount (`'/dashboard'`) gets its path and everything under it, the rest goes
 * to `root`.
 */
export function mountSites(root: SiteHandler | undefined, mounts: Readonly<Record<string, SiteHandler>> = {}) {
  const prefixes = Object.entries(mounts);
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    for (const [prefix, handler] of prefixes) {
      if (path === prefix || path.startsWith(`${prefix}/`)) return handler(req, res);
    }
    return root === undefined ? false : root(req, res);
  };
}

/** The site's settings in `LocalStackOptions.site`. */
export interface LocalSiteOptions {
  /** Base URL of the storefront API the shop's pages call. @default the page's own origin (the stack) */
  readonly apiEndpoint?: string;
  /** Sites of their own under a path prefix, such as `{ '/dashboard': handler }`. */
  readonly mounts?: Readonly<Record<string, SiteHandler>>;
}

/**
 * The local stack's site: the shop over the stack's feature table, minting tokens through the stack's server API
 * with the SDK's server entry, as a shop's backend would (`serverUrl` is known once the gateway listens).
 */
export function createLocalSite(
  options: LocalSiteOptions & {
    readonly dynamoDb: DynamoDBClient;
    readonly tableName: string;
    readonly apiKey: string;
    readonly serverCredentials: SigV4Credentials;
    readonly region: string;
    readonly serverUrl: () => string;
  },
): SiteHandler {
  let serverApi: ServerApi | undefined;
  const shop = createShopSite({
    catalogue: new DynamoFeatureStore(options.dynamoDb, options.tableName),
    mintUserToken: (userId) => {
      serverApi ??= createServerApi({
        url: options.serverUrl(),
        region: options.region,
        credentials: options.serverCredentials,
      });
      return serverApi.mintUserToken(userId);
    },
    apiKey: options.apiKey,
    ...(options.apiEndpoint === undefined ? {} : { apiEndpoint: options.apiEndpoint }),
    clock: systemClock,
  });
  return mountSites(shop, options.mounts);
}
