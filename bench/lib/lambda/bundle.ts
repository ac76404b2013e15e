/**
 * A handler bundled the way the CDK app deploys it, so the benchmark runs the code Lambda runs
 * (minified, one ESM file, the AWS SDK inside) rather than the TypeScript sources through tsx.
 */
import { build } from 'esbuild';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The `require` shim `RecoFunction` prepends to every ESM bundle (CommonJS dependencies call
 * `require()`); kept byte for byte so minified output matches the deployed one.
 */
export const CREATE_REQUIRE_BANNER =
  "import { createRequire as __recoCreateRequire } from 'node:module';" +
  'const require = __recoCreateRequire(import.meta.url);';

export interface HandlerBundle {
  /** Absolute path of the bundle (`index.mjs`, as `NodejsFunction` names an ESM bundle). */
  readonly file: string;
  readonly bytes: number;
}

/**
 * Bundles `<sourceRoot>/<entry>` into `<outDir>/index.mjs` with the esbuild options `NodejsFunction`
 * derives from `RecoFunction`'s props (`infra/constructs/reco-function.ts`): `--bundle
 * --platform=node --target=node24` (from `NODEJS_24_X`) `--format=esm --minify --sourcemap
 * --sources-content=false --keep-names --main-fields=module,main` and the banner; no externals,
 * because `bundleAwsSDK` is set. esbuild runs from the source root, as the CDK runs it from
 * `projectRoot`, so `#shared/*` resolves through that tree's `package.json`.
 *
 * @example
 * const { file } = await bundleLikeCdk('/work/main', 'functions/recommend/handler.ts', '/tmp/b');
 */
export async function bundleLikeCdk(sourceRoot: string, entry: string, outDir: string): Promise<HandlerBundle> {
  const file = join(outDir, 'index.mjs');
  await build({
    absWorkingDir: sourceRoot,
    entryPoints: [join(sourceRoot, entry)],
    outfile: file,
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'esm',
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    keepNames: true,
    mainFields: ['module', 'main'],
    banner: { js: CREATE_REQUIRE_BANNER },
    external: [],
    logLevel: 'error',
  });
  return { file, bytes: (await stat(file)).size };
}
