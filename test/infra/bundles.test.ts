import { build } from 'esbuild';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const functions = readdirSync(new URL('../../functions/', import.meta.url), { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && entry.name !== 'lib')
  .map((entry) => entry.name);

/** A function's bundle, built in memory with the options every test here shares. */
function bundleOf(name: string, options: { readonly minify?: boolean; readonly metafile?: boolean } = {}) {
  return build({
    absWorkingDir: root,
    entryPoints: [`functions/${name}/handler.ts`],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    write: false,
    logLevel: 'silent',
    ...options,
  });
}

/** The metafile of a function's bundle: its inputs and how each imports the others. */
async function bundleMeta(name: string) {
  const { metafile } = await bundleOf(name, { metafile: true });
  if (metafile === undefined) throw new Error(`esbuild wrote no metafile for ${name}`);
  return metafile;
}

/** The source files esbuild puts in a function's bundle, relative to the repository. */
async function bundledSources(name: string): Promise<string[]> {
  return Object.keys((await bundleMeta(name)).inputs);
}

describe('Function bundles', () => {
  it('finds every function', () => {
    expect(functions).toEqual(expect.arrayContaining(['catalogue', 'ingest', 'privacy', 'processor', 'recommend']));
  });

  it.each(functions)('returns a %s bundle with no local-stack code and no test code in it', async (name) => {
    // Act
    const sources = await bundledSources(name);

    // Assess
    expect(sources).toContain(`functions/${name}/handler.ts`);
    expect(sources.filter((source) => /^(local|test|bench)\//.test(source))).toEqual([]);
  });

  it('returns a recommend bundle that reaches the Redis cache (and ioredis) only through a dynamic import', async () => {
    // Prepare
    const redisCache = 'shared/adapters/redisCache.ts';

    // Act
    const { inputs } = await bundleMeta('recommend');

    // Assess
    // Without a cache URL the function then never evaluates ioredis at cold start (see functions/lib/lazyRedisCache.ts).
    const importers = Object.entries(inputs).flatMap(([file, input]) =>
      input.imports.filter((i) => i.path === redisCache).map((i) => ({ file, kind: i.kind })),
    );
    expect(importers).toEqual([{ file: 'functions/lib/lazyRedisCache.ts', kind: 'dynamic-import' }]);
  });

  it.each(['recommend', 'ingest', 'processor', 'catalogue', 'pipeline'])(
    'returns a %s bundle whose schemas are zod/mini’s, without classic zod',
    async (name) => {
      // Act
      const { outputs } = await bundleMeta(name);
      const kept = Object.values(outputs).flatMap((output) =>
        Object.entries(output.inputs)
          .filter(([, input]) => input.bytesInOutput > 0)
          .map(([source]) => source),
      );

      // Assess
      // zod/mini keeps only what the schemas use: classic zod would add about 65 KiB to every cold start.
      expect(kept.filter((source) => source.includes('node_modules/zod/v4/mini/'))).not.toEqual([]);
      expect(kept.filter((source) => source.includes('node_modules/zod/v4/classic/'))).toEqual([]);
    },
  );

  it('returns a processor bundle that reaches the SQS client only through a dynamic import', async () => {
    // Prepare
    const sqsModules = ['shared/adapters/sqsPoisonSink.ts', 'functions/lib/sqs.ts'];

    // Act
    const { inputs } = await bundleMeta('processor');

    // Assess
    // A poison record is rare: most execution environments never evaluate the SQS client (see functions/lib/lazySqsPoisonSink.ts).
    const importers = Object.entries(inputs).flatMap(([file, input]) =>
      input.imports.filter((i) => sqsModules.includes(i.path)).map((i) => ({ file, path: i.path, kind: i.kind })),
    );
    expect(importers).toEqual([
      { file: 'functions/lib/lazySqsPoisonSink.ts', path: 'shared/adapters/sqsPoisonSink.ts', kind: 'dynamic-import' },
      { file: 'functions/lib/lazySqsPoisonSink.ts', path: 'functions/lib/sqs.ts', kind: 'dynamic-import' },
    ]);
  });

  it.each([
    { name: 'recommend', builds: false },
    { name: 'privacy', builds: false },
    { name: 'catalogue', builds: false },
    { name: 'processor', builds: true },
    { name: 'ingest', builds: true },
  ])(
    'returns a $name bundle that builds the event schemas only if it parses events ($builds)',
    async ({ name, builds }) => {
      // Prepare: a message only the event schemas' cross-field rules carry.
      const ruleMessage = 'userId or anonymousId is required';

      // Act
      const result = await bundleOf(name, { minify: true });

      // Assess
      expect(result.outputFiles[0]?.text.includes(ruleMessage)).toBe(builds);
    },
  );
});
