import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelManifest } from '#shared/recommender/model.ts';

/*
 * `reco train` tuning as a user runs it (`node bin/reco.js train …`, a child process) on the
 * online-retail fixture (UCI Online Retail subset, CC BY 4.0; see test/fixtures/recommender/README.md),
 * on a budget in trials so the run is the same on a loaded machine.
 */

const ROOT = join(import.meta.dirname, '..', '..');
const FIXTURES = join(ROOT, 'test', 'fixtures', 'recommender');
const DATA = ['--interactions', join(FIXTURES, 'interactions.csv.gz'), '--items', join(FIXTURES, 'items.csv')];

function reco(args: readonly string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'reco.js'), ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stderr })));
}

const manifestOf = async (dir: string): Promise<ModelManifest> =>
  JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as ModelManifest;

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'reco-tuning-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('Command: reco train', () => {
  it('tunes within a budget in trials and records the chosen settings in the manifest', async () => {
    // Prepare
    const out = join(dir, 'tuned');

    // Act
    const run = await reco(['train', ...DATA, '--out', out, '--tune-budget', '6trials']);

    // Assess
    expect(run.code, run.stderr).toBe(0);
    const manifest = await manifestOf(out);
    const tuning = manifest.tuning;
    if (tuning === undefined) throw new Error('the manifest has no tuning record');
    expect(tuning.budget).toBe('6trials');
    expect(tuning.trials).toBeLessThanOrEqual(6);
    expect(tuning.evaluations).toBeGreaterThan(1);
    expect(tuning.validation.users).toBeGreaterThan(0);
    expect(tuning.tuned['ndcg@10']).toBeGreaterThanOrEqual(tuning.defaults['ndcg@10']);
    for (const [name, value] of Object.entries(tuning.chosen)) expect(manifest.hyperparameters[name]).toEqual(value);
    expect(manifest.metrics['validation.ndcg@10']).toBe(tuning.tuned['ndcg@10']);
    expect(run.stderr).toContain('tune: validation ndcg@10');
  });

  it('gives the same model twice on the same budget in trials', async () => {
    // Act
    const first = await reco(['train', ...DATA, '--out', join(dir, 'a'), '--tune-budget', '4trials']);
    const second = await reco(['train', ...DATA, '--out', join(dir, 'b'), '--tune-budget', '4trials']);

    // Assess
    expect([first.code, second.code]).toEqual([0, 0]);
    const [a, b] = await Promise.all([manifestOf(join(dir, 'a')), manifestOf(join(dir, 'b'))]);
    expect(a.tuning?.chosen).toEqual(b.tuning?.chosen);
    expect(a.hyperparameters).toEqual(b.hyperparameters);
  });

  it('trains with the given values only under --no-tune', async () => {
    // Prepare
    const out = join(dir, 'untuned');

    // Act
    const run = await reco(['train', ...DATA, '--out', out, '--no-tune']);

    // Assess
    expect(run.code, run.stderr).toBe(0);
    expect((await manifestOf(out)).tuning).toBeUndefined();
    expect(run.stderr).not.toContain('tune:');
  });
});
