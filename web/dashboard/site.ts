/**
 * Serves the dashboard page under a base path, and its data at `<basePath>/api/stats` from
 * `fetchStats` (the server API's `GET /v1/admin/stats`, signed by whoever mounts the site): the
 * local stack mounts it at `/dashboard`, `reco dashboard` at the root. It has the shape of the local
 * gateway's `site` option (`local/apiGateway.ts`).
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface DashboardSiteOptions {
  /** Where the page lives: `''` for the root, else a path such as `/dashboard` (no trailing slash). */
  readonly basePath: string;
  /**
   * Calls the stats route with a query string (`minutes=15`, or `''`; without `?`) and resolves with
   * its response, whatever the status; rejects when there is no answer.
   */
  readonly fetchStats: (query: string) => Promise<Response>;
}

/** Answers a request when it is the site's, and resolves whether it was. */
export type SiteHandler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

const DIR = import.meta.dirname;

interface Asset {
  readonly contentType: string;
  readonly body: () => Promise<Buffer | string>;
}

/** Bundled once, on first request: the page's script with uPlot. */
let bundle: Promise<string> | undefined;
function bundled(): Promise<string> {
  bundle ??= (async () => {
    const { build } = await import('esbuild');
    const result = await build({
      entryPoints: [join(DIR, 'main.ts')],
      bundle: true,
      write: false,
      format: 'iife',
      platform: 'browser',
      target: 'es2022',
      minify: true,
      logLevel: 'silent',
    });
    return result.outputFiles[0]!.text;
  })();
  // A failed build is tried again on the next request rather than remembered.
  bundle.catch(() => (bundle = undefined));
  return bundle;
}

const file = (path: string) => () => readFile(path);
const uplotCss = createRequire(import.meta.url).resolve('uplot/dist/uPlot.min.css');

/** The page's files by name under the base path: nothing else is read from disk. */
const ASSETS: ReadonlyMap<string, Asset> = new Map([
  ['/', { contentType: 'text/html; charset=utf-8', body: file(join(DIR, 'index.html')) }],
  ['/dashboard.css', { contentType: 'text/css; charset=utf-8', body: file(join(DIR, 'dashboard.css')) }],
  ['/uplot.css', { contentType: 'text/css; charset=utf-8', body: file(uplotCss) }],
  ['/dashboard.js', { contentType: 'text/javascript; charset=utf-8', body: bundled }],
]);

/** The page loads only its own files and data: no inline script or style, no other origin. */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
} as const;

function sendJson(res: ServerResponse, status: number, body: unknown, method: string): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(text),
  });
  res.end(method === 'HEAD' ? undefined : text);
}

/** The stats route's answer passed through: its status and JSON, nothing else of it. */
async function serveStats(res: ServerResponse, method: string, options: DashboardSiteOptions, url: URL) {
  const minutes = url.searchParams.get('minutes');
  const query = minutes === null ? '' : new URLSearchParams({ minutes }).toString();
  let status: number;
  let text: string;
  try {
    const response = await options.fetchStats(query);
    status = response.status;
    text = await response.text();
  } catch (error) {
    sendJson(
      res,
      502,
      { reason: 'stats_unreachable', message: `the stats route did not answer: ${(error as Error).message}` },
      method,
    );
    return;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    sendJson(
      res,
      502,
      { reason: 'stats_invalid_response', message: `the stats route answered ${status} without JSON` },
      method,
    );
    return;
  }
  sendJson(res, status, json, method);
}

/**
 * The dashboard as a request handler: the page and its files at `<basePath>/…`, its data at
 * `<basePath>/api/stats?minutes=N` (only `minutes` is passed on). Paths outside `basePath`
 * resolve false; unknown ones inside it get a 404.
 *
 * @example
 * const site = dashboardSite({ basePath: '/dashboard', fetchStats: (q) => stack.serverFetch(`/v1/admin/stats?${q}`) });
 */
export function dashboardSite(options: DashboardSiteOptions): SiteHandler {
  const base = options.basePath.replace(/\/+$/, '');
  const segments = base.split('/');
  const valid = (segment: string) => /^[A-Za-z0-9._~-]+$/.test(segment) && !/^\.+$/.test(segment);
  if (base !== '' && (segments[0] !== '' || !segments.slice(1).every(valid))) {
    throw new TypeError(`dashboardSite: basePath must be '' or a path such as /dashboard, got "${options.basePath}"`);
  }
  return async (req, res) => {
    let url: URL;
    try {
      // Parsing resolves `.` and `..` segments: what is left is matched by name, never joined to a directory.
      url = new URL(req.url ?? '/', 'http://site.invalid');
    } catch {
      return false;
    }
    const { pathname } = url;
    if (base !== '' && pathname !== base && !pathname.startsWith(`${base}/`)) return false;
    const method = req.method ?? 'GET';
    if (pathname === base) {
      // Relative URLs in the page (`api/stats`, `dashboard.js`) need the trailing slash.
      res.writeHead(308, { location: `${base}/${url.search}` });
      res.end();
      return true;
    }
    if (method !== 'GET' && method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      sendJson(res, 405, { reason: 'method_not_allowed', message: `${method} is not served here` }, method);
      return true;
    }
    const rest = pathname.slice(base.length);
    if (rest === '/api/stats') {
      await serveStats(res, method, options, url);
      return true;
    }
    const asset = ASSETS.get(rest);
    if (asset === undefined) {
      sendJson(res, 404, { reason: 'not_found', message: 'no such dashboard file' }, method);
      return true;
    }
    let body: Buffer | string;
    try {
      body = await asset.body();
    } catch (error) {
      console.error('[dashboard] cannot serve', rest, error);
      sendJson(res, 500, { reason: 'internal_error', message: 'the dashboard file could not be made' }, method);
      return true;
    }
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'content-type': asset.contentType,
      'content-length': Buffer.byteLength(body),
      // Small files, served locally: always revalidated, so a new version shows on reload.
      'cache-control': 'no-cache',
    });
    res.end(method === 'HEAD' ? undefined : body);
    return true;
  };
}
