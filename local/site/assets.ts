import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

/** One file the shop serves, built once and kept in memory with its gzip form. */
export interface Asset {
  readonly body: Buffer;
  readonly gzipped: Buffer;
  readonly contentType: string;
  readonly etag: string;
}

/** What the page reads from its `#shop-config` element. */
export interface ShopPageConfig {
  /** Base URL of the storefront API (without `/v1`); null: the page's own origin. */
  readonly endpoint: string | null;
  /** The storefront key, public as in every shop's pages. */
  readonly apiKey: string;
}

/** The shop's files: the page template, its CSS and TypeScript, and the icon. */
export const shopDir = fileURLToPath(new URL('../../web/shop/', import.meta.url));
/** The SDK's sources, bundled as `npm run build -w sdk` bundles `dist/reco.iife.js`. */
const sdkDir = fileURLToPath(new URL('../../sdk/', import.meta.url));

const asset = (body: Buffer, contentType: string): Asset => ({
  body,
  gzipped: gzipSync(body, { level: 9 }),
  contentType,
  etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 16)}"`,
});

async function bundle(options: { dir: string; entry: string; target: string }): Promise<Buffer> {
  const result = await build({
    absWorkingDir: options.dir,
    entryPoints: [options.entry],
    bundle: true,
    minify: true,
    format: 'iife',
    platform: 'browser',
    target: options.target,
    legalComments: 'none',
    logLevel: 'silent',
    write: false,
  });
  return Buffer.from(result.outputFiles[0]?.contents ?? []);
}

/** `app.js` becomes `app.<hash>.js`: its address changes with its bytes, so browsers may keep it for good. */
const hashedName = (name: string, built: Asset): string => {
  const dot = name.lastIndexOf('.');
  const hash = built.etag.slice(1, 9).replace(/[^\w]/g, 'x');
  return `${name.slice(0, dot)}.${hash}${name.slice(dot)}`;
};

/** JSON safe inside a `<script>` element: no `<`, so no `</script>` or `<!--` can end it. */
const scriptJson = (value: unknown): string => JSON.stringify(value).replace(/</g, '\\u003c');

export interface ShopAssets {
  /** The page, for every shop path. */
  readonly page: Asset;
  /** The other files by their hashed names (`app.1a2b3c4d.js`). */
  readonly files: ReadonlyMap<string, Asset>;
}

/**
 * Builds the shop: its TypeScript (`web/shop/src/main.ts`) and the SDK's browser bundle with esbuild, its CSS
 * minified, and the page with their hashed addresses and `config` filled in. About 100 ms, once per site.
 */
export async function buildShopAssets(config: ShopPageConfig): Promise<ShopAssets> {
  const [app, reco, css, icon, template] = await Promise.all([
    bundle({ dir: shopDir, entry: 'src/main.ts', target: 'es2020' }),
    // As sdk/scripts/build.ts builds dist/reco.iife.js, from the sources, so the shop never runs a stale build.
    bundle({ dir: sdkDir, entry: 'iife.ts', target: 'es2022' }),
    build({
      absWorkingDir: shopDir,
      entryPoints: ['shop.css'],
      bundle: true,
      minify: true,
      logLevel: 'silent',
      write: false,
    }).then((result) => Buffer.from(result.outputFiles[0]?.contents ?? [])),
    readFile(`${shopDir}favicon.svg`),
    readFile(`${shopDir}index.html`, 'utf8'),
  ]);
  const files = new Map<string, Asset>();
  const names = new Map<string, string>();
  for (const [name, built] of [
    ['app.js', asset(app, 'text/javascript; charset=utf-8')],
    ['reco.iife.js', asset(reco, 'text/javascript; charset=utf-8')],
    ['shop.css', asset(css, 'text/css; charset=utf-8')],
    ['favicon.svg', asset(icon, 'image/svg+xml')],
  ] as const) {
    const hashed = hashedName(name, built);
    files.set(hashed, built);
    names.set(name, `/shop/assets/${hashed}`);
  }
  const html = template
    .replace(/\{\{asset:([\w.]+)\}\}/g, (_, name: string) => {
      const path = names.get(name);
      if (path === undefined) throw new Error(`web/shop/index.html names an unknown asset: ${name}`);
      return path;
    })
    .replace('{{config}}', () => scriptJson(config));
  return { page: asset(Buffer.from(html), 'text/html; charset=utf-8'), files };
}
