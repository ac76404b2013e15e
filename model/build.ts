/**
 * Bundles the three container entry points into self-contained ES modules (`train.mjs`,
 * `serve.mjs`, `export.mjs`, with source maps) that plain `node` runs: no tsx, no node_modules.
 * The Dockerfile's build stage runs exactly this; the e2e test runs it too, then starts the bundles.
 *
 *   node --import tsx model/build.ts --outdir DIR
 *
 * DIR is required and best outside the repository (the bundles are build output, not source).
 */
import { build, type Metafile } from 'esbuild';
import { rm } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { parseFlags } from './lib/paths.ts';

const MODEL_DIR = fileURLToPath(new URL('.', import.meta.url));
const REPO_ROOT = join(MODEL_DIR, '..');

export const ENTRY_POINTS = {
  train: join(MODEL_DIR, 'train.ts'),
  serve: join(MODEL_DIR, 'serve.ts'),
  export: join(MODEL_DIR, 'export.ts'),
} as const;

/** Bundled code that reaches for `require` (CommonJS inside a dependency) gets one in an ES module. */
const REQUIRE_SHIM =
  "import { createRequire as __createRequire } from 'node:module';\nconst require = __createRequire(import.meta.url);";

export interface BundleResult {
  /** Absolute paths of the bundles, by entry point. */
  readonly files: Readonly<Record<keyof typeof ENTRY_POINTS, string>>;
  readonly metafile: Metafile;
}

/** Writes one `<entry>.mjs` per entry point (and its map) into `outdir`, replacing what was there. */
export async function bundleContainer(outdir: string): Promise<BundleResult> {
  await rm(outdir, { recursive: true, force: true });
  const result = await build({
    absWorkingDir: REPO_ROOT,
    entryPoints: ENTRY_POINTS,
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'esm',
    // Readable bundles with source maps: stack traces in CloudWatch point at the TypeScript.
    minify: false,
    sourcemap: true,
    legalComments: 'linked',
    banner: { js: REQUIRE_SHIM },
    metafile: true,
    logLevel: 'warning',
  });
  return {
    files: {
      train: join(outdir, 'train.mjs'),
      serve: join(outdir, 'serve.mjs'),
      export: join(outdir, 'export.mjs'),
    },
    metafile: result.metafile,
  };
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { outdir } = parseFlags(process.argv.slice(2), ['outdir'] as const);
  if (outdir === undefined || outdir === '') {
    process.stderr.write('usage: node --import tsx model/build.ts --outdir DIR\n');
    process.exit(2);
  }
  const { files, metafile } = await bundleContainer(resolve(outdir));
  for (const file of Object.values(files)) {
    const bytes = metafile.outputs[relative(REPO_ROOT, file).split('\\').join('/')]?.bytes ?? 0;
    process.stdout.write(`${file} (${(bytes / 1024).toFixed(0)} KiB)\n`);
  }
}
