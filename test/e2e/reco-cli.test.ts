import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/*
 * `reco` as a user runs it: `node bin/reco.js …` in a child process, on the online-retail
 * fixture (UCI Online Retail subset, CC BY 4.0; see test/fixtures/recommender/README.md).
 */

const ROOT = join(import.meta.dirname, '..', '..');
const FIXTURES = join(ROOT, 'test', 'fixtures', 'recommender');
const INTERACTIONS = join(FIXTURES, 'interactions.csv.gz');
const ITEMS = join(FIXTURES, 'items.csv');

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function reco(args: readonly string[]): Promise<Run> {
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'reco.js'), ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

const jsonLines = (text: string): unknown[] =>
  text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as unknown);

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'reco-cli-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('CLI: reco usage', () => {
  it('prints the usage with --help and exits 0', async () => {
    // Act
    const run = await reco(['--help']);

    // Assess
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('usage: reco <command> [options]');
    for (const command of ['train', 'rank', 'recommend', 'similar', 'evaluate', 'tune']) {
      expect(run.stdout).toContain(`  ${command} `);
    }
  });

  it.each([
    [['trian'], 'unknown command "trian" (did you mean train?)'],
    [['train', '--bogus'], "Unknown option '--bogus'"],
    [['train', '--interactions', INTERACTIONS], '--out is required'],
    [['train', '--interactions', INTERACTIONS, '--out', 'x', '--algorithm', 'ials2'], 'valid: hybrid, ials, item-knn'],
    [['train', '--interactions', INTERACTIONS, '--out', 'x', '--param', 'factors'], '--param must be key=value'],
    [['recommend', '--model', 'm', '--users', 'u', '--count', 'ten'], '--count must be a positive integer, got "ten"'],
    [['evaluate', '--interactions', INTERACTIONS, '--protocol', 'loo'], '--protocol: unknown protocol "loo"'],
    [['evaluate', '--interactions', INTERACTIONS, '--k', '5,x'], '--k must list positive integers, got "x"'],
    [['evaluate', '--interactions', INTERACTIONS, '--algorithms', 'popularity,knn'], '--algorithms: unknown algorithm'],
    [['tune', '--interactions', INTERACTIONS, '--algorithm', 'ials', '--out', 'x', '--trials', '0'], '--trials'],
  ])('exits 2 naming the flag for %j', async (args, message) => {
    // Act
    const run = await reco(args);

    // Assess
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
    expect(run.stdout).toBe('');
  });

  it('exits 2 without a command', async () => {
    // Act
    const run = await reco([]);

    // Assess
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('usage: reco');
  });
});

describe('CLI: reco with bad data', () => {
  it('exits 1 naming file, line and field of a bad timestamp', async () => {
    // Prepare
    const path = join(dir, 'bad.csv');
    await writeFile(path, 'USER_ID,ITEM_ID,TIMESTAMP\nu1,i1,100\nu1,i2,1291191960000\n');

    // Act
    const run = await reco(['evaluate', '--interactions', path, '--algorithms', 'popularity']);

    // Assess
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`${path}:line 3: TIMESTAMP: 1291191960000 is out of range`);
  });

  it('exits 1 suggesting the column a misspelt header meant', async () => {
    // Prepare
    const path = join(dir, 'misspelt.csv');
    await writeFile(path, 'USER,ITEM_ID,TIMESTAMP\nu1,i1,100\n');

    // Act
    const run = await reco(['train', '--interactions', path, '--out', join(dir, 'never')]);

    // Assess
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('missing required column USER_ID; did you mean USER_ID instead of USER?');
  });

  it('skips and counts bad lines with --skip-invalid', async () => {
    // Prepare
    const original = await readFile(join(FIXTURES, 'interactions.csv'), 'utf8');
    const path = join(dir, 'some-bad.csv');
    await writeFile(path, `${original}u1,i1\nu2,i2,yesterday,purchase,1\n`);

    // Act
    const run = await reco([
      'evaluate',
      '--interactions',
      path,
      '--algorithms',
      'popularity',
      '--protocol',
      'loo-full',
      '--skip-invalid',
    ]);

    // Assess
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain(`${path}: 2 of 413 lines skipped (column-count 1, timestamp 1)`);
    expect(run.stdout).toMatch(/^metric\s+popularity$/m);
  });
});

describe('CLI: reco train, recommend, similar, rank', () => {
  const model = (): string => join(dir, 'model');

  beforeAll(async () => {
    // A budget in trials: the same model on a loaded machine.
    const run = await reco([
      'train',
      '--interactions',
      INTERACTIONS,
      '--items',
      ITEMS,
      '--out',
      model(),
      '--pack',
      '--tune-budget',
      '3trials',
    ]);
    expect(run.code, run.stderr).toBe(0);
  });

  it('writes a model directory with its manifest and a packed archive', async () => {
    // Act
    const manifest = JSON.parse(await readFile(join(model(), 'manifest.json'), 'utf8')) as { algorithm: string };
    const archive = await stat(join(model(), 'model.tar.gz'));

    // Assess
    expect(manifest.algorithm).toBe('hybrid');
    expect(archive.size).toBeGreaterThan(0);
  });

  it('recommends K items per user, known or not, without seen items when asked', async () => {
    // Prepare
    const users = join(dir, 'users.jsonl');
    await writeFile(users, '{"userId":"12347"}\nnobody-knows-me\n');

    // Act
    const run = await reco(['recommend', '--model', model(), '--users', users, '--count', '5', '--exclude-seen']);

    // Assess
    expect(run.code, run.stderr).toBe(0);
    const lines = jsonLines(run.stdout) as { userId: string; itemIds: string[]; scores: number[] }[];
    expect(lines.map((l) => l.userId)).toEqual(['12347', 'nobody-knows-me']);
    for (const line of lines) {
      expect(line.itemIds).toHaveLength(5);
      expect(line.scores).toHaveLength(5);
    }
  });

  it('finds similar items for a known item', async () => {
    // Prepare
    const items = join(dir, 'items.txt');
    await writeFile(items, '85123A\n');

    // Act
    const run = await reco(['similar', '--model', model(), '--items', items, '--count', '3']);

    // Assess
    expect(run.code, run.stderr).toBe(0);
    const [line] = jsonLines(run.stdout) as { itemId: string; itemIds: string[] }[];
    expect(line?.itemId).toBe('85123A');
    expect(line?.itemIds.length).toBeGreaterThan(0);
    expect(line?.itemIds).not.toContain('85123A');
  });

  it('ranks exactly the requested items, in input order of requests, unknown ones included', async () => {
    // Prepare
    const requests = join(dir, 'requests.jsonl');
    const first = { userId: '12347', itemIds: ['85123A', 'unknown-item', '71053', '22752'] };
    const second = { userId: 'stranger', itemIds: ['22752', '85123A'] };
    await writeFile(requests, `${JSON.stringify(first)}\n${JSON.stringify(second)}\n`);

    // Act
    const run = await reco(['rank', '--model', model(), '--requests', requests]);
    const again = await reco(['rank', '--model', model(), '--requests', requests]);

    // Assess
    expect(run.code, run.stderr).toBe(0);
    const lines = jsonLines(run.stdout) as { userId: string; itemIds: string[]; scores: number[] }[];
    expect(lines.map((l) => l.userId)).toEqual(['12347', 'stranger']);
    expect([...(lines[0]?.itemIds ?? [])].sort()).toEqual([...first.itemIds].sort());
    expect([...(lines[1]?.itemIds ?? [])].sort()).toEqual([...second.itemIds].sort());
    const scores = lines[0]?.scores ?? [];
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    expect(again.stdout).toBe(run.stdout);
  });

  it('exits 1 naming the line of a malformed request', async () => {
    // Prepare
    const requests = join(dir, 'bad-requests.jsonl');
    await writeFile(requests, '{"userId":"12347","itemIds":["85123A"]}\n{"userId":"12347","itemIds":"85123A"}\n');

    // Act
    const run = await reco(['rank', '--model', model(), '--requests', requests]);

    // Assess
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`${requests}:line 2: itemIds must be an array of strings`);
  });

  it('rejects an unknown hyperparameter naming the valid ones', async () => {
    // Act
    const run = await reco([
      'train',
      '--interactions',
      INTERACTIONS,
      '--out',
      join(dir, 'never'),
      '--algorithm',
      'popularity',
      '--param',
      'nonsense=1',
    ]);

    // Assess
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('nonsense');
    expect(run.stderr).toMatch(/valid.*weight\.purchase/);
  });

  it('rejects a hyperparameter of the wrong type, naming the flag and the valid names', async () => {
    // Act
    const run = await reco([
      'train',
      '--interactions',
      INTERACTIONS,
      '--out',
      join(dir, 'never'),
      '--algorithm',
      'popularity',
      '--param',
      'weight.purchase=lots',
    ]);

    // Assess
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      '--param: hyperparameter "weight.purchase" for popularity must be a number, got "lots"',
    );
    expect(run.stderr).toMatch(/; valid for popularity: .*weight\.purchase/);
  });
});

describe('CLI: reco evaluate and tune', () => {
  it('prints one table with the algorithms side by side', async () => {
    // Act
    const run = await reco([
      'evaluate',
      '--interactions',
      INTERACTIONS,
      '--items',
      ITEMS,
      '--algorithms',
      'popularity,item-knn',
      '--k',
      '5,10',
      '--event-types',
      'purchase',
    ]);

    // Assess
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^loo-sampled: \d+ users evaluated/);
    expect(run.stdout).toMatch(/^metric\s+popularity\s+item-knn$/m);
    expect(run.stdout).toMatch(/^hr@10\s+\d\.\d{4}\s+\d\.\d{4}$/m);
  });

  it('writes the best parameters, which train accepts with --params-file', async () => {
    // Prepare
    const best = join(dir, 'best.json');

    // Act
    const tuned = await reco([
      'tune',
      '--interactions',
      INTERACTIONS,
      '--algorithm',
      'popularity',
      '--out',
      best,
      '--trials',
      '3',
    ]);
    const trained = await reco([
      'train',
      '--interactions',
      INTERACTIONS,
      '--algorithm',
      'popularity',
      '--params-file',
      best,
      '--out',
      join(dir, 'tuned-model'),
    ]);

    // Assess
    expect(tuned.code, tuned.stderr).toBe(0);
    const result = JSON.parse(await readFile(best, 'utf8')) as { algorithm: string; hyperparameters: object };
    expect(result.algorithm).toBe('popularity');
    expect(typeof result.hyperparameters).toBe('object');
    expect(trained.code, trained.stderr).toBe(0);
  });
});
