import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { runInNewContext } from 'node:vm';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
// The sources' types: the type check runs before the package is built; the tests load the built package.
import type * as RecoPackage from '../../../sdk/index.ts';
import { describe, expect, it } from 'vitest';
import { renderApiConstants } from '../../../sdk/scripts/constants.ts';

// These tests read the built package (`npm run build -w sdk`, which `npm test` and `npm run test:unit` run first).
const sdk = new URL('../../../sdk/', import.meta.url);
const pkg = JSON.parse(readFileSync(new URL('package.json', sdk), 'utf8')) as {
  name: string;
  sideEffects: boolean;
  files: string[];
  dependencies?: object;
  exports: Record<string, string | Record<string, Record<string, string>>>;
};
const BUDGET_BYTES = 8 * 1024;
/** Names only shared/config's server-side sections hold: none may reach a shop's page. */
const SERVER_ONLY = [
  'streamProcessing',
  'maxBatchingWindowSeconds',
  'seenEventsPerUser',
  'userFeaturesSeconds',
  'modelBudgetMs',
  'breakerResetMs',
  'attributionDays',
];

const minGzip = (code: string | Uint8Array) => gzipSync(code, { level: 9 }).length;

describe('Package: @reco-stack/sdk', () => {
  it('is a scoped, side-effect-free package without runtime dependencies that ships JavaScript and declarations', () => {
    // Assess
    expect(pkg.name).toBe('@reco-stack/sdk');
    expect(pkg.sideEffects).toBe(false);
    expect(pkg.dependencies).toBeUndefined();
    expect(pkg.files).toEqual(['dist', 'README.md']);
    const shipped = readdirSync(new URL('dist/', sdk), { recursive: true }).map(String);
    expect(shipped.filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))).toEqual([]);
  });

  it('has an exports map whose ESM, CommonJS and types targets all exist', () => {
    // Act
    const targets = Object.values(pkg.exports).flatMap((entry) =>
      typeof entry === 'string' ? [entry] : Object.values(entry).flatMap((kind) => Object.values(kind)),
    );
    // Assess
    expect(Object.keys(pkg.exports)).toEqual(['.', './server', './reco.iife.js', './package.json']);
    for (const target of targets) expect(existsSync(new URL(target, sdk)), target).toBe(true);
    expect(readFileSync(new URL('dist/cjs/package.json', sdk), 'utf8')).toContain('commonjs');
  });

  it('loads through its exports map as ESM and as CommonJS', async () => {
    // Act
    const name = '@reco-stack/sdk';
    const esm = (await import(name)) as typeof RecoPackage;
    const cjs = createRequire(import.meta.url)(name) as typeof RecoPackage;
    // Assess
    expect(typeof esm.createRecoClient).toBe('function');
    expect(typeof cjs.createRecoClient).toBe('function');
  });

  it('holds the API routes and limits of shared/config, as the build generates them', () => {
    // Assess
    expect(readFileSync(new URL('apiConstants.ts', sdk), 'utf8')).toBe(renderApiConstants());
  });
});

describe('Package: the browser bundles', () => {
  const iife = readFileSync(new URL('dist/reco.iife.js', sdk), 'utf8');

  it(`keeps the IIFE within ${BUDGET_BYTES} bytes minified and gzipped`, () => {
    // Act
    const bytes = minGzip(iife);
    // Assess
    console.log(`dist/reco.iife.js: ${iife.length} bytes minified, ${bytes} gzipped`);
    expect(bytes).toBeLessThanOrEqual(BUDGET_BYTES);
  });

  it('keeps the ESM browser entry, as a bundler would minify it, within the same budget', async () => {
    // Act
    const result = await build({
      entryPoints: [new URL('dist/esm/index.js', sdk).pathname],
      bundle: true,
      minify: true,
      format: 'esm',
      platform: 'browser',
      write: false,
      metafile: true,
    });
    const code = result.outputFiles[0]!.contents;
    // Assess
    console.log(`dist/esm/index.js: ${code.byteLength} bytes minified, ${minGzip(code)} gzipped`);
    expect(minGzip(code)).toBeLessThanOrEqual(BUDGET_BYTES);
    expect(Object.keys(result.metafile.inputs)).toEqual([expect.stringMatching(/dist\/esm\/index\.js$/)]);
  });

  it('carries no server-only configuration and imports nothing', () => {
    // Assess
    for (const name of SERVER_ONLY) expect(iife).not.toContain(name);
    expect(iife).not.toMatch(/\brequire\(|\bimport\(/);
  });

  it('exposes one global, Reco, that tracks and reads through the page’s fetch', async () => {
    // Prepare
    const sent: { url: string; body?: string }[] = [];
    const context: Record<string, unknown> = {
      crypto: globalThis.crypto,
      TextEncoder,
      AbortController,
      URL,
      console,
      setTimeout,
      clearTimeout,
      queueMicrotask,
      fetch: async (url: string, init: { body?: string }) => {
        sent.push({ url, ...(init.body === undefined ? {} : { body: init.body }) });
        return new Response(JSON.stringify({ accepted: 1, rejected: [] }), { status: 200 });
      },
    };
    const before = new Set(Object.keys(context));
    // Act
    runInNewContext(iife, context);
    const Reco = context.Reco as typeof RecoPackage;
    const reco = Reco.createRecoClient({ endpoint: 'https://api.example.test', apiKey: 'k' });
    reco.track.view('sku-1');
    await reco.flush();
    // Assess
    expect(Object.keys(context).filter((key) => !before.has(key))).toEqual(['Reco']);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.url).toBe('https://api.example.test/v1/events');
    expect(JSON.parse(sent[0]?.body ?? '{}').events[0]).toMatchObject({ type: 'view', itemId: 'sku-1' });
  });
});

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
/** Runs tsc on a project; tsc exits non-zero, and execFileSync throws with its output, on any error. */
const typeCheck = (project: string) => execFileSync(process.execPath, [tsc, '-p', project], { encoding: 'utf8' });

/**
 * The README's examples as files: each ```ts block, and the inline script of each ```html block (checked as TypeScript
 * beside a declaration of the `Reco` global). A block importing `@reco-stack/sdk/server` is the shop's server, which
 * the server-rendering example imports as `./recoToken.ts`.
 */
function readmeExamples(): { browser: Record<string, string>; node: Record<string, string> } {
  const readme = readFileSync(new URL('README.md', sdk), 'utf8');
  const browser: Record<string, string> = {};
  const node: Record<string, string> = {};
  let n = 0;
  for (const [, lang, code] of readme.matchAll(/```(ts|html)\n([\s\S]*?)```/g)) {
    n += 1;
    if (lang === 'html') {
      const script = /<script>([\s\S]*?)<\/script>/.exec(code!)?.[1] ?? '';
      browser[`example${n}.ts`] = `declare const Reco: typeof import('@reco-stack/sdk');\n${script}\nexport {};\n`;
    } else if (code!.includes("'@reco-stack/sdk/server'")) {
      node['recoToken.ts'] = code!;
    } else if (code!.includes("'./recoToken.ts'")) {
      node[`example${n}.ts`] = code!;
    } else {
      browser[`example${n}.ts`] = `${code}\nexport {};\n`;
    }
  }
  return { browser, node };
}

describe('Package: consumers', () => {
  it('type-checks a Vite-style app (strict, erasableSyntaxOnly, verbatimModuleSyntax) and a Node server using it', () => {
    // Act / Assess
    typeCheck(new URL('consumer/tsconfig.browser.json', import.meta.url).pathname);
    typeCheck(new URL('consumer/tsconfig.node.json', import.meta.url).pathname);
  }, 60_000);

  it('type-checks every example of the README, as a shop would paste it', () => {
    // Prepare: under node_modules, so the examples resolve the package by its name as a shop's code does.
    const examples = readmeExamples();
    const root = new URL('../../../node_modules/.cache/reco-sdk-readme/', import.meta.url).pathname;
    rmSync(root, { recursive: true, force: true });
    for (const kind of ['browser', 'node'] as const) {
      mkdirSync(`${root}${kind}`, { recursive: true });
      for (const [file, code] of Object.entries(examples[kind])) writeFileSync(`${root}${kind}/${file}`, code);
      const base = new URL(`consumer/tsconfig.${kind}.json`, import.meta.url).pathname;
      writeFileSync(`${root}tsconfig.${kind}.json`, JSON.stringify({ extends: base, include: [kind] }));
    }
    // Assess
    expect(Object.keys(examples.browser).length).toBeGreaterThanOrEqual(3);
    expect(Object.keys(examples.node)).toContain('recoToken.ts');
    typeCheck(`${root}tsconfig.browser.json`);
    typeCheck(`${root}tsconfig.node.json`);
  }, 60_000);
});
