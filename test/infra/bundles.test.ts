import { build } from 'esbuild';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const functions = readdirSync(new URL('../../functions/', import.meta.url), { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && entry.name !== 'lib')
  .map((entry) => entry.name);

/** The source files esbuild puts in a function's bundle, relative to the repository. */
async function bundledSources(name: string): Promise<string[]> {
  const result = await build({
    absWorkingDir: root,
    entryPoints: [`functions/${name}/handler.ts`],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  return Object.keys(result.metafile.inputs);
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
});
