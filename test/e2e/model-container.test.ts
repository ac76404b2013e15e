import { spawn } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { InvokeEndpointCommand, ModelError, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { HYBRID_PARAMS } from '#shared/recommender/algorithms/hybrid.ts';
import { readCatalogue, readInteractions } from '#shared/recommender/io/dataset.ts';
import type { ModelManifest } from '#shared/recommender/model.ts';
import { packModel } from '#shared/recommender/io/tar.ts';
import { bundleContainer } from '../../model/build.ts';

/*
 * The SageMaker container contract without Docker: the entry points run as SageMaker runs them
 * (`train`, then `serve`), on a temporary `/opt/ml`-like root holding the online-retail fixture
 * (UCI Online Retail subset, CC BY 4.0; see test/fixtures/recommender/README.md). The last part
 * bundles the entry points the way the Dockerfile's build stage does and runs the bundles with
 * plain node through model/docker-entrypoint.sh, from a directory with no node_modules.
 */

const REPO = join(import.meta.dirname, '..', '..');
const FIXTURES = join(REPO, 'test', 'fixtures', 'recommender');
const TSX = ['--import', 'tsx'];
const TRAIN = join(REPO, 'model', 'train.ts');
const SERVE = join(REPO, 'model', 'serve.ts');
const ENTRYPOINT = join(REPO, 'model', 'docker-entrypoint.sh');

/** A shopper of the fixture with ten purchases. */
const KNOWN_USER = '12386';

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The environment of a child: no endpoint or version overrides leaking in from the test run. */
function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  for (const name of ['SM_ROOT', 'SAGEMAKER_BIND_TO_PORT', 'MODEL_VERSION', 'NODE_OPTIONS']) {
    if (!(name in extra)) delete env[name];
  }
  return env;
}

function run(command: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}) {
  const child = spawn(command, args, {
    cwd: options.cwd ?? REPO,
    env: options.env ?? childEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise<Run>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

interface Served {
  readonly url: string;
  /** Sends SIGTERM and resolves with the exit code. */
  stop(): Promise<number | null>;
  output(): string;
}

/** Starts a serve process, reads the URL it prints, waits for `/ping` to say 200. */
async function serve(
  command: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<Served> {
  const child = spawn(command, args, {
    cwd: options.cwd ?? REPO,
    env: options.env ?? childEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(stdout);
      if (match?.[1] !== undefined) resolve(match[1]);
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    void exited.then((code) => reject(new Error(`serve exited with ${code} before listening: ${stderr}`)));
  });
  for (;;) {
    const status = await fetch(`${url}/ping`).then(
      (response) => response.status,
      () => 0,
    );
    if (status === 200) break;
    if (child.exitCode !== null) throw new Error(`serve exited with ${child.exitCode}: ${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url,
    stop: () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
    output: () => stdout + stderr,
  };
}

/** A temporary `/opt/ml`: the fixture in the channels, and the given hyperparameters.json. */
async function makeRoot(hyperparameters: Record<string, string>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'reco-opt-ml-'));
  await mkdir(join(root, 'input', 'config'), { recursive: true });
  await mkdir(join(root, 'input', 'data', 'interactions'), { recursive: true });
  await mkdir(join(root, 'input', 'data', 'items'), { recursive: true });
  // Tuning counted in trials unless a test names its budget: the same run on a loaded machine.
  await writeFile(
    join(root, 'input', 'config', 'hyperparameters.json'),
    JSON.stringify({ tuneBudget: '3trials', ...hyperparameters }),
  );
  // SageMaker writes these too; the container reads neither.
  await writeFile(
    join(root, 'input', 'config', 'resourceconfig.json'),
    '{"current_host": "algo-1", "hosts": ["algo-1"], "network_interface_name": "eth0"}',
  );
  await writeFile(
    join(root, 'input', 'config', 'inputdataconfig.json'),
    '{"interactions": {"TrainingInputMode": "File"}, "items": {"TrainingInputMode": "File"}}',
  );
  await copyFile(
    join(FIXTURES, 'interactions.csv.gz'),
    join(root, 'input', 'data', 'interactions', 'interactions.csv.gz'),
  );
  await copyFile(join(FIXTURES, 'items.csv'), join(root, 'input', 'data', 'items', 'items.csv'));
  return root;
}

const HYPERPARAMETERS = {
  algorithm: 'hybrid',
  [HYBRID_PARAMS.ials.iterations]: '3',
  [HYBRID_PARAMS.ials.factors]: '16',
  evaluation: 'loo-sampled',
  // SageMaker adds this in tuning jobs; the container leaves it alone.
  _tuning_objective_metric: 'ndcg@10',
};

const exists = (path: string): Promise<boolean> =>
  stat(path).then(
    () => true,
    () => false,
  );

const readManifest = async (root: string): Promise<ModelManifest> =>
  JSON.parse(await readFile(join(root, 'model', 'manifest.json'), 'utf8')) as ModelManifest;

interface Invocation {
  modelVersion: string;
  algorithm: string;
  items: { itemId: string; score: number; reason: string | null }[];
}

const invoke = async (url: string, body: unknown, path = '/invocations'): Promise<Invocation> => {
  const response = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(response.status, await response.clone().text()).toBe(200);
  return (await response.json()) as Invocation;
};

const scratch: string[] = [];
let trainedRoot: string;
let training: Run;

beforeAll(async () => {
  trainedRoot = await makeRoot(HYPERPARAMETERS);
  scratch.push(trainedRoot);
  training = await run(process.execPath, [...TSX, TRAIN, '--root', trainedRoot]);
});

afterAll(async () => {
  await Promise.all(scratch.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('Entry point: train', () => {
  it('returns exit 0 with the model directory, its hyperparameters and held-out metrics in model/', async () => {
    // Assess
    expect(training.code, training.stderr).toBe(0);
    const manifest = await readManifest(trainedRoot);
    expect(manifest.algorithm).toBe('hybrid');
    expect(manifest.hyperparameters).toMatchObject({
      [HYBRID_PARAMS.ials.iterations]: 3,
      [HYBRID_PARAMS.ials.factors]: 16,
    });
    expect(manifest.hyperparameters).not.toHaveProperty('_tuning_objective_metric');
    expect(manifest.data).toMatchObject({ users: 43, items: 306, interactions: 411 });
    expect(manifest.metrics['ndcg@10']).toBeGreaterThan(0);
    expect(manifest.metrics['ndcg@10']).toBeLessThanOrEqual(1);
    expect(training.stdout).toMatch(/^metric ndcg@10=0\.\d{6}$/m);
    expect(training.stdout).toContain("ignoring SageMaker's own hyperparameters: _tuning_objective_metric");
    expect(await exists(join(trainedRoot, 'output', 'failure'))).toBe(false);
  });

  it('returns exit 1 with output/failure naming the file and line of a broken interactions file', async () => {
    // Prepare
    const root = await makeRoot({ algorithm: 'popularity' });
    scratch.push(root);
    const broken = join(root, 'input', 'data', 'interactions', 'late.csv');
    await writeFile(broken, 'USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE\nu1,i1,1291194540,purchase\nu1,i2,yesterday,view\n');

    // Act
    const result = await run(process.execPath, [...TSX, TRAIN, '--root', root]);

    // Assess
    expect(result.code).toBe(1);
    const reason = `${broken}:line 3: TIMESTAMP: "yesterday" is not an integer number of epoch seconds`;
    expect(await readFile(join(root, 'output', 'failure'), 'utf8')).toBe(`${reason}\n`);
    expect(result.stderr).toContain(reason);
    expect(await exists(join(root, 'model', 'manifest.json'))).toBe(false);
  });

  it('returns exit 1 with output/failure naming an unknown hyperparameter (root from SM_ROOT)', async () => {
    // Prepare
    const root = await makeRoot({ algorithm: 'hybrid', 'ials.iteration': '3' });
    scratch.push(root);

    // Act
    const result = await run(process.execPath, [...TSX, TRAIN], { env: childEnv({ SM_ROOT: root }) });

    // Assess
    expect(result.code).toBe(1);
    const failure = await readFile(join(root, 'output', 'failure'), 'utf8');
    expect(failure).toContain('unknown hyperparameter "ials.iteration" for hybrid (did you mean ials.iterations?)');
    expect(failure.trim().split('\n')).toHaveLength(1);
  });
});

describe('Entry point: serve', () => {
  let served: Served;
  let manifest: ModelManifest;

  beforeAll(async () => {
    manifest = await readManifest(trainedRoot);
    served = await serve(process.execPath, [
      ...TSX,
      SERVE,
      '--root',
      trainedRoot,
      '--port',
      '0',
      '--host',
      '127.0.0.1',
    ]);
  });

  afterAll(async () => {
    await served.stop();
  });

  it('returns 200 on /ping with the model version once loaded', async () => {
    // Act
    const response = await fetch(`${served.url}/ping`);

    // Assess
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      status: 'ok',
      modelVersion: `hybrid-${manifest.createdAt}`,
      algorithm: 'hybrid',
    });
  });

  it('returns a known shopper’s ranking, best first, each item with a reason', async () => {
    // Act
    const result = await invoke(served.url, { userId: KNOWN_USER, count: 5 });

    // Assess
    expect(result.modelVersion).toBe(`hybrid-${manifest.createdAt}`);
    expect(result.algorithm).toBe('hybrid');
    expect(result.items).toHaveLength(5);
    const scores = result.items.map((item) => item.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    for (const item of result.items) expect(item.reason).toEqual(expect.any(String));
  });

  it('returns an anonymous shopper’s ranking from recentItems alone, without what they just saw', async () => {
    // Prepare
    const recentItems = [
      { itemId: '22567', eventType: 'view', timestamp: 1_291_194_600 },
      { itemId: '22915', eventType: 'add_to_cart', timestamp: 1_291_194_540 },
    ];

    // Act
    const result = await invoke(served.url, { recentItems, count: 10, filters: { excludeSeen: true } });

    // Assess
    expect(result.items).toHaveLength(10);
    const ids = result.items.map((item) => item.itemId);
    expect(ids).not.toContain('22567');
    expect(ids).not.toContain('22915');
    expect(result.items.some((item) => item.reason?.startsWith('because you') === true)).toBe(true);
  });

  it('returns exactly the candidates ranked, an unknown one last saying there is not enough data', async () => {
    // Prepare
    const candidates = ['22567', 'NOT-IN-CATALOGUE', '85123A', '21258', '22915'];

    // Act
    const result = await invoke(served.url, { userId: KNOWN_USER, candidates, count: 10 });

    // Assess
    expect(result.items.map((item) => item.itemId).sort()).toEqual([...candidates].sort());
    expect(result.items.at(-1)).toMatchObject({ itemId: 'NOT-IN-CATALOGUE', reason: 'not enough data' });
  });

  it('returns items similar to an item, without the item itself', async () => {
    // Act
    const result = await invoke(served.url, { similarTo: '22567', count: 5 });

    // Assess
    expect(result.items).toHaveLength(5);
    expect(result.items.map((item) => item.itemId)).not.toContain('22567');
  });

  it('returns only items passing the filters', async () => {
    // Prepare
    const { interactions } = await readInteractions(join(FIXTURES, 'interactions.csv'));
    const seen = new Set(interactions.filter((i) => i.userId === KNOWN_USER).map((i) => i.itemId));
    const { catalogue } = await readCatalogue(join(FIXTURES, 'items.csv'));
    const price = new Map(catalogue.map((entry) => [entry.itemId, entry.price]));
    const unfiltered = await invoke(served.url, { userId: KNOWN_USER, count: 1, filters: { maxPrice: 2 } });
    const excluded = unfiltered.items[0]?.itemId ?? '';

    // Act
    const result = await invoke(served.url, {
      userId: KNOWN_USER,
      count: 20,
      filters: { excludeSeen: true, maxPrice: 2, excludeItemIds: [excluded] },
    });

    // Assess
    expect(result.items.length).toBeGreaterThan(0);
    for (const { itemId } of result.items) {
      expect(seen.has(itemId), itemId).toBe(false);
      expect(price.get(itemId), itemId).toBeLessThanOrEqual(2);
      expect(itemId).not.toBe(excluded);
    }
  });

  interface BadRequest {
    readonly body?: string;
    readonly type?: string;
    readonly method?: string;
    readonly path?: string;
  }

  it.each<[string, BadRequest, number, Record<string, string>]>([
    ['count 0', { body: '{"count": 0}' }, 400, { reason: 'invalid_field', field: 'count' }],
    ['an unknown field', { body: '{"userID": "u1"}' }, 400, { reason: 'unknown_field', field: 'userID' }],
    [
      'a timestamp in milliseconds',
      { body: '{"recentItems": [{"itemId": "22567", "timestamp": 1291194600000}]}' },
      400,
      { reason: 'invalid_field', field: 'recentItems[0].timestamp' },
    ],
    ['broken JSON', { body: '{"userId": ' }, 400, { reason: 'invalid_json' }],
    ['text/plain', { body: '{}', type: 'text/plain' }, 415, { reason: 'unsupported_media_type' }],
    [
      'a body of 1 MiB and more',
      { body: JSON.stringify({ userId: 'u'.repeat(1024 * 1024) }) },
      413,
      { reason: 'body_too_large' },
    ],
    ['GET', { method: 'GET' }, 405, { reason: 'method_not_allowed' }],
    ['an unknown route', { path: '/v1/recommendations' }, 404, { reason: 'route_not_found' }],
  ])('returns %s rejected with 4xx {reason, message}', async (_name, request, status, expected) => {
    // Act
    const response = await fetch(`${served.url}${request.path ?? '/invocations'}`, {
      method: request.method ?? 'POST',
      headers: { 'content-type': request.type ?? 'application/json' },
      ...(request.body === undefined ? {} : { body: request.body }),
    });

    // Assess
    expect(response.status).toBe(status);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject(expected);
    expect(body['message']).toEqual(expect.any(String));
  });

  it('returns the ranking to the AWS SDK’s InvokeEndpoint, and a ModelError, through AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME', async () => {
    // Prepare
    vi.stubEnv('AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME', served.url);
    const client = new SageMakerRuntimeClient({
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    const command = (body: unknown) =>
      new InvokeEndpointCommand({
        EndpointName: 'reco-model',
        ContentType: 'application/json',
        Accept: 'application/json',
        Body: JSON.stringify(body),
      });

    try {
      // Act
      const output = await client.send(command({ userId: KNOWN_USER, count: 3 }));
      const failure: unknown = await client.send(command({ count: 0 })).then(
        () => undefined,
        (error: unknown) => error,
      );

      // Assess
      const result = JSON.parse(new TextDecoder().decode(output.Body)) as Invocation;
      expect(result.items).toHaveLength(3);
      expect(output.ContentType).toBe('application/json; charset=utf-8');
      expect(output.InvokedProductionVariant).toBe('AllTraffic');
      expect(failure).toBeInstanceOf(ModelError);
      expect((failure as ModelError).OriginalStatusCode).toBe(400);
      expect(JSON.parse((failure as ModelError).OriginalMessage ?? '{}')).toMatchObject({
        reason: 'invalid_field',
        field: 'count',
      });
    } finally {
      client.destroy();
      vi.unstubAllEnvs();
    }
  });
});

describe('Entry point: serve from model.tar.gz', () => {
  it('returns rankings from a model unpacked at start, named by MODEL_VERSION, and exits 0 on SIGTERM', async () => {
    // Prepare
    const root = await mkdtemp(join(tmpdir(), 'reco-opt-ml-'));
    scratch.push(root);
    await packModel(join(trainedRoot, 'model'), join(root, 'model', 'model.tar.gz'));
    const served = await serve(
      process.execPath,
      [...TSX, SERVE, '--root', root, '--port', '0', '--host', '127.0.0.1'],
      {
        env: childEnv({ MODEL_VERSION: 'reco-2025-06-01' }),
      },
    );

    // Act
    const result = await invoke(served.url, { userId: KNOWN_USER, count: 2 });
    const code = await served.stop();

    // Assess
    expect(result.modelVersion).toBe('reco-2025-06-01');
    expect(result.items).toHaveLength(2);
    expect(code).toBe(0);
    expect(served.output()).toContain('SIGTERM: shutting down');
  });
});

describe('Container build: bundled entry points run with plain node', () => {
  let program: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    // The image's layout: /opt/program/docker-entrypoint.sh and /opt/program/dist/*.mjs, no node_modules.
    program = await mkdtemp(join(tmpdir(), 'reco-program-'));
    scratch.push(program);
    await bundleContainer(join(program, 'dist'));
    await copyFile(ENTRYPOINT, join(program, 'docker-entrypoint.sh'));
    env = childEnv({ PATH: `${dirname(process.execPath)}${delimiter}${process.env['PATH'] ?? ''}` });
  });

  it('returns self-contained bundles: only node: built-ins imported', async () => {
    // Act
    const bundles = await Promise.all(
      ['train.mjs', 'serve.mjs', 'export.mjs'].map((name) => readFile(join(program, 'dist', name), 'utf8')),
    );

    // Assess
    for (const text of bundles) {
      const imports = [...text.matchAll(/^import .* from ["']([^"']+)["'];?$/gm)].map((match) => match[1]);
      expect(imports.length).toBeGreaterThan(0);
      expect(imports.filter((specifier) => !specifier?.startsWith('node:'))).toEqual([]);
    }
  });

  it('returns exit 0 and a model from `docker-entrypoint.sh train`', async () => {
    // Prepare
    const root = await makeRoot({ algorithm: 'hybrid', [HYBRID_PARAMS.ials.iterations]: '2' });
    scratch.push(root);

    // Act
    const result = await run('sh', [join(program, 'docker-entrypoint.sh'), 'train', '--root', root], {
      env,
      cwd: program,
    });

    // Assess
    expect(result.code, result.stderr).toBe(0);
    expect((await readManifest(root)).algorithm).toBe('hybrid');
  });

  it('returns rankings from `docker-entrypoint.sh serve` on the trained model, and exits 0 on SIGTERM', async () => {
    // Prepare
    const served = await serve(
      'sh',
      [join(program, 'docker-entrypoint.sh'), 'serve', '--root', trainedRoot, '--port', '0', '--host', '127.0.0.1'],
      { env, cwd: program },
    );

    // Act
    const result = await invoke(served.url, { userId: KNOWN_USER, count: 3 });
    const code = await served.stop();

    // Assess
    expect(result.items).toHaveLength(3);
    expect(code).toBe(0);
  });

  it('returns exit 1 at once from `docker-entrypoint.sh serve` without a model, never waiting for one', async () => {
    // Prepare
    const root = await mkdtemp(join(tmpdir(), 'reco-opt-ml-'));
    scratch.push(root);

    // Act
    const result = await run(
      'sh',
      [join(program, 'docker-entrypoint.sh'), 'serve', '--root', root, '--port', '0', '--host', '127.0.0.1'],
      { env, cwd: program },
    );

    // Assess
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^listening on http:\/\//);
    expect(result.stderr).toContain(`serve: cannot load the model from ${join(root, 'model')}: no model in`);
  });

  it('returns exit 1 from `docker-entrypoint.sh export` without its environment, the reason in output/message', async () => {
    // Prepare
    const root = await mkdtemp(join(tmpdir(), 'reco-opt-ml-'));
    scratch.push(root);

    // Act
    const result = await run('sh', [join(program, 'docker-entrypoint.sh'), 'export', '--root', root], {
      env,
      cwd: program,
    });

    // Assess
    expect(result.code).toBe(1);
    const message = await readFile(join(root, 'output', 'message'), 'utf8');
    expect(message).toContain('RECO_EXPORT_LAKE_URI is required');
    expect(message.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain(`export failed: ${message.trim()}`);
  });

  it('returns exit 64 with the usage for an unknown mode', async () => {
    // Act
    const result = await run('sh', [join(program, 'docker-entrypoint.sh'), 'predict'], { env, cwd: program });

    // Assess
    expect(result.code).toBe(64);
    expect(result.stderr).toContain('usage: docker run IMAGE train|serve|export');
  });
});
