import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IALS_PARAMS } from '#shared/recommender/algorithms/ials.ts';
import { eventWeightParam } from '#shared/recommender/matrix.ts';
import { TrainingJobError } from '../../../model/lib/failure.ts';
import { containerPaths, type ContainerPaths } from '../../../model/lib/paths.ts';
import {
  channelFiles,
  isSageMakerHyperparameter,
  jobSettings,
  readHyperparameterFile,
  recordMetrics,
  trainMain,
} from '../../../model/lib/training.ts';

const FILE = '/opt/ml/input/config/hyperparameters.json';

let root: string;
let paths: ContainerPaths;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'reco-training-'));
  paths = containerPaths(root);
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** The message of the `TrainingJobError` that `act` throws. */
async function jobError(act: () => unknown): Promise<string> {
  try {
    await act();
  } catch (error) {
    expect(error).toBeInstanceOf(TrainingJobError);
    return (error as Error).message;
  }
  throw new Error('expected a TrainingJobError');
}

async function put(path: string, text: string): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, text);
}

describe('Entry point: train', () => {
  describe('hyperparameters.json', () => {
    it('returns no hyperparameters when the file is absent', async () => {
      // Act
      const params = await readHyperparameterFile(paths.hyperparameters);

      // Assess
      expect(params).toEqual({});
    });

    it('returns the values as SageMaker wrote them (strings)', async () => {
      // Prepare
      await put(paths.hyperparameters, '{"algorithm": "ials", "ials.iterations": "3"}');

      // Act
      const params = await readHyperparameterFile(paths.hyperparameters);

      // Assess
      expect(params).toEqual({ algorithm: 'ials', 'ials.iterations': '3' });
    });

    it.each([
      ['not JSON', '{algorithm: ials}', 'not valid JSON'],
      ['a JSON array', '["ials"]', 'expected a JSON object of hyperparameters, got ["ials"]'],
      ['a nested object', '{"ials": {"iterations": 3}}', 'hyperparameter "ials" must be a string'],
      ['a null value', '{"algorithm": null}', 'hyperparameter "algorithm" must be a string'],
    ])('returns %s rejected naming the file', async (_name, text, message) => {
      // Prepare
      await put(paths.hyperparameters, text);

      // Act
      const error = await jobError(() => readHyperparameterFile(paths.hyperparameters));

      // Assess
      expect(error).toContain(paths.hyperparameters);
      expect(error).toContain(message);
    });
  });

  describe('job settings', () => {
    it('returns hybrid with no evaluation and strict reading by default', () => {
      // Act
      const settings = jobSettings({}, FILE);

      // Assess
      expect(settings).toEqual({
        algorithm: 'hybrid',
        evaluation: 'none',
        skipInvalid: false,
        hyperparameters: {},
        ignored: [],
      });
    });

    it('returns the reserved names taken out and the rest for the trainer', () => {
      // Act
      const settings = jobSettings(
        {
          algorithm: 'ials',
          evaluation: 'loo-sampled',
          skipInvalid: 'true',
          [IALS_PARAMS.iterations]: '3',
          [eventWeightParam('purchase')]: '6',
          _tuning_objective_metric: 'ndcg@10',
          sagemaker_program: 'train',
        },
        FILE,
      );

      // Assess
      expect(settings).toEqual({
        algorithm: 'ials',
        evaluation: 'loo-sampled',
        skipInvalid: true,
        hyperparameters: { [IALS_PARAMS.iterations]: '3', [eventWeightParam('purchase')]: '6' },
        ignored: ['_tuning_objective_metric', 'sagemaker_program'],
      });
    });

    it.each([
      ['an unknown algorithm', { algorithm: 'als' }, 'hyperparameter "algorithm": unknown algorithm "als"'],
      [
        'an unknown hyperparameter',
        { 'ials.iteration': '3' },
        'unknown hyperparameter "ials.iteration" for hybrid (did you mean ials.iterations?)',
      ],
      [
        'a hyperparameter of another algorithm',
        { algorithm: 'popularity', 'knn.neighbours': '10' },
        'unknown hyperparameter "knn.neighbours" for popularity',
      ],
      [
        'a number that is not one',
        { 'ials.iterations': 'three' },
        'hyperparameter "ials.iterations" for hybrid must be a number',
      ],
      [
        'a boolean that is not one',
        { 'eventValue.log': 'yes' },
        'hyperparameter "eventValue.log" for hybrid must be true or false',
      ],
      ['an unknown evaluation', { evaluation: 'loo' }, 'hyperparameter "evaluation": unknown value "loo"'],
      ['skipInvalid not a boolean', { skipInvalid: '1' }, 'hyperparameter "skipInvalid" must be true or false'],
    ])('returns %s rejected naming it', async (_name, raw, message) => {
      // Act
      const error = await jobError(() => jobSettings(raw, FILE));

      // Assess
      expect(error).toContain(`${FILE}: `);
      expect(error).toContain(message);
    });

    it('returns the valid and reserved names with an unknown one', async () => {
      // Act
      const error = await jobError(() => jobSettings({ algorithm: 'popularity', bogus: '1' }, FILE));

      // Assess
      expect(error).toMatch(/valid names: .*weight\.purchase/);
      expect(error).toContain('reserved: algorithm, evaluation, skipInvalid');
    });

    it.each([
      ['_tuning_objective_metric', true],
      ['sagemaker_region', true],
      ['ials.factors', false],
    ])('returns whether %s is one of SageMaker’s own names', (name, expected) => {
      // Act
      const own = isSageMakerHyperparameter(name);

      // Assess
      expect(own).toBe(expected);
    });
  });

  describe('channels', () => {
    it('returns the CSV and CSV.gz files at any depth, sorted, without hidden or other files', async () => {
      // Prepare
      const dir = paths.channel('interactions');
      await put(join(dir, 'b.csv'), 'x');
      await put(join(dir, 'dt=2024-01-02', 'part-0.csv.gz'), 'x');
      await put(join(dir, 'a.CSV'), 'x');
      await put(join(dir, '.a.csv'), 'x');
      await put(join(dir, '_SUCCESS'), '');
      await put(join(dir, 'manifest.json'), '{}');

      // Act
      const files = await channelFiles(paths, 'interactions', true);

      // Assess
      expect(files).toEqual([join(dir, 'a.CSV'), join(dir, 'b.csv'), join(dir, 'dt=2024-01-02', 'part-0.csv.gz')]);
    });

    it('returns no files for an absent optional channel', async () => {
      // Act
      const files = await channelFiles(paths, 'items', false);

      // Assess
      expect(files).toEqual([]);
    });

    it('returns a missing required channel rejected, listing the channels the job has', async () => {
      // Prepare
      await put(join(paths.channel('train'), 'a.csv'), 'x');

      // Act
      const error = await jobError(() => channelFiles(paths, 'interactions', true));

      // Assess
      expect(error).toContain('channel "interactions" is missing');
      expect(error).toContain("the job's channels are: train");
    });

    it('returns Pipe mode rejected with a hint', async () => {
      // Prepare
      await put(paths.channel('interactions_0'), '');

      // Act
      const error = await jobError(() => channelFiles(paths, 'interactions', true));

      // Assess
      expect(error).toContain('Pipe input mode is not supported, use File or FastFile');
    });

    it('returns a channel without CSV files rejected, naming what it holds', async () => {
      // Prepare
      await put(join(paths.channel('interactions'), 'events.jsonl.gz'), 'x');

      // Act
      const error = await jobError(() => channelFiles(paths, 'interactions', true));

      // Assess
      expect(error).toContain('channel "interactions" has no .csv or .csv.gz files');
      expect(error).toContain('found only events.jsonl.gz');
    });
  });

  describe('metrics in the manifest', () => {
    it('returns the manifest with the metrics added and everything else kept', async () => {
      // Prepare
      const manifest = {
        formatVersion: 1,
        algorithm: 'popularity',
        hyperparameters: { [eventWeightParam('view')]: 1 },
        data: { users: 1, items: 1, interactions: 1, sha256: 'abc' },
        metrics: {},
        createdAt: '2025-01-01T00:00:00.000Z',
        files: { 'itemTotals.f32': { kind: 'float32', length: 1 } },
      };
      await put(join(paths.model, 'manifest.json'), JSON.stringify(manifest));

      // Act
      const updated = await recordMetrics(paths.model, { 'ndcg@10': 0.25 });

      // Assess
      const expected = { ...manifest, metrics: { 'ndcg@10': 0.25 } };
      expect(updated).toEqual(expected);
      expect(JSON.parse(await readFile(join(paths.model, 'manifest.json'), 'utf8'))).toEqual(expected);
    });
  });

  describe('trainMain', () => {
    const io = () => {
      const lines: string[] = [];
      return {
        lines,
        io: { env: {}, log: (line: string) => lines.push(line), error: (line: string) => lines.push(line) },
      };
    };

    it('returns 2 for an unknown flag and writes the reason to output/failure', async () => {
      // Prepare
      const { lines, io: entryIo } = io();

      // Act
      const code = await trainMain(['--bogus', 'x'], { ...entryIo, env: { SM_ROOT: root } });

      // Assess
      expect(code).toBe(2);
      expect(await readFile(paths.failure, 'utf8')).toContain("Unknown option '--bogus'");
      expect(lines.join('\n')).toContain('training failed:');
    });

    it('returns 1 without interactions and writes why to output/failure', async () => {
      // Prepare
      const { io: entryIo } = io();

      // Act
      const code = await trainMain(['--root', root], entryIo);

      // Assess
      expect(code).toBe(1);
      expect(await readFile(paths.failure, 'utf8')).toContain('channel "interactions" is missing');
    });

    it('returns 0 after writing a model trained on the channels, with the stop handler registered', async () => {
      // Prepare
      const { lines, io: entryIo } = io();
      const handlers: ((signal: string) => void)[] = [];
      await put(paths.hyperparameters, '{"algorithm": "popularity"}');
      await put(join(paths.channel('interactions'), 'a.csv'), 'USER_ID,ITEM_ID,TIMESTAMP\nu1,i1,100\nu2,i1,101\n');
      await put(join(paths.channel('interactions'), 'b.csv'), 'USER_ID,ITEM_ID,TIMESTAMP\nu1,i2,102\n');
      await put(join(paths.channel('items'), 'items.csv'), 'ITEM_ID,PRICE\ni1,2.5\ni3,1\n');

      // Act
      const code = await trainMain(['--root', root], { ...entryIo, onStop: (handler) => handlers.push(handler) });

      // Assess
      expect(code).toBe(0);
      const manifest = JSON.parse(await readFile(join(paths.model, 'manifest.json'), 'utf8')) as {
        algorithm: string;
        data: { users: number; items: number; interactions: number };
      };
      expect(manifest.algorithm).toBe('popularity');
      expect(manifest.data).toMatchObject({ users: 2, items: 3, interactions: 3 });
      expect(lines).toContain('read 3 interactions from 2 file(s), 2 catalogue items from 1 file(s)');
      expect(handlers).toHaveLength(1);
    });

    it('returns the stop reason in output/failure when the stop handler runs', async () => {
      // Prepare
      const { io: entryIo } = io();
      let stop: ((signal: string) => void) | undefined;
      await trainMain(['--root', root], { ...entryIo, onStop: (handler) => (stop = handler) });

      // Act
      stop?.('SIGTERM');

      // Assess
      expect(await readFile(paths.failure, 'utf8')).toBe(
        "training stopped by SIGTERM (StopTrainingJob or the job's time limit)\n",
      );
    });
  });
});
