/**
 * Builds the package into `sdk/dist/`: the API constants from `shared/config`, ESM and CommonJS bundles of each entry
 * (`.` and `./server`), their declarations, and the browser bundle `dist/reco.iife.js` (global `Reco`) for a plain
 * `<script>` tag. Run by `npm run build -w sdk`, which `npm test` runs first.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { build, type BuildOptions } from 'esbuild';
import { renderApiConstants } from './constants.ts';

const sdk = fileURLToPath(new URL('..', import.meta.url));
const dist = `${sdk}dist`;

writeFileSync(`${sdk}apiConstants.ts`, renderApiConstants());
rmSync(dist, { recursive: true, force: true });

const common: BuildOptions = {
  absWorkingDir: sdk,
  bundle: true,
  target: 'es2022',
  legalComments: 'none',
  logLevel: 'warning',
  // The credential chain is an optional peer dependency of the server entry, loaded only when used.
  external: ['@aws-sdk/credential-provider-node'],
};
const entries = [
  { entry: 'index.ts', platform: 'neutral' as const },
  { entry: 'server.ts', platform: 'node' as const },
];
await Promise.all([
  ...entries.flatMap(({ entry, platform }) => [
    build({
      ...common,
      platform,
      entryPoints: [entry],
      format: 'esm',
      outfile: `${dist}/esm/${entry.replace('.ts', '.js')}`,
    }),
    build({
      ...common,
      platform: platform === 'neutral' ? 'browser' : platform,
      entryPoints: [entry],
      format: 'cjs',
      outfile: `${dist}/cjs/${entry.replace('.ts', '.js')}`,
    }),
  ]),
  build({
    ...common,
    platform: 'browser',
    entryPoints: ['iife.ts'],
    format: 'iife',
    minify: true,
    outfile: `${dist}/reco.iife.js`,
  }),
]);

// Declarations: `.d.ts` beside the ESM bundles, and a copy beside the CommonJS ones, where the folder's
// `package.json` makes them CommonJS declarations. tsc keeps the sources' `.ts` specifiers in declarations; a
// consumer resolves `.js` ones.
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', `${sdk}tsconfig.build.json`], { stdio: 'inherit' });
writeFileSync(`${dist}/cjs/package.json`, '{ "type": "commonjs" }\n');
for (const file of readdirSync(`${dist}/esm`)) {
  if (!file.endsWith('.d.ts')) continue;
  const text = readFileSync(`${dist}/esm/${file}`, 'utf8').replace(/(from '\.\/[\w]+)\.ts'/g, "$1.js'");
  writeFileSync(`${dist}/esm/${file}`, text);
  writeFileSync(`${dist}/cjs/${file}`, text);
}
