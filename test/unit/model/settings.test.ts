import { DEFAULT_TUNE_BUDGET } from '#shared/recommender/autotune/budget.ts';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IALS_PARAMS } from '#shared/recommender/algorithms/ials.ts';
import { eventWeightParam } from '#shared/recommender/matrix.ts';
import { TrainingJobError } from '../../../model/lib/failure.ts';
import { containerPaths, type ContainerPaths } from '../../../model/lib/paths.ts';
import { isSageMakerHyperparameter, jobSettings, readHyperparameterFile } from '../../../model/lib/settings.ts';

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
    it('returns hybrid with no evaluation, strict reading and the default tuning budget by default', () => {
      // Act
      const settings = jobSettings({}, FILE);

      // Assess
      expect(settings).toEqual({
        algorithm: 'hybrid',
        evaluation: 'none',
        skipInvalid: false,
        hyperparameters: {},
        ignored: [],
        tuneBudget: DEFAULT_TUNE_BUDGET,
      });
    });

    it('reads tuneBudget as reco train --tune-budget does, and none as no tuning', () => {
      // Act
      const trials = jobSettings({ tuneBudget: '5trials' }, FILE);
      const off = jobSettings({ tuneBudget: 'none' }, FILE);
      const bad = () => jobSettings({ tuneBudget: '12x' }, FILE);

      // Assess
      expect(trials.tuneBudget).toEqual({ kind: 'trials', trials: 5 });
      expect(off.tuneBudget).toBeUndefined();
      expect(bad).toThrow('hyperparameter "tuneBudget": a multiple is at most 5x');
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
        tuneBudget: DEFAULT_TUNE_BUDGET,
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

  describe('data window', () => {
    const WINDOW = {
      windowFrom: '2025-03-01T00:00:00Z',
      holdoutFrom: '2025-05-24T00:00:00.000Z',
      windowTo: '2025-06-01T00:00:00+00:00',
    };

    it('returns the window normalised, and none of its names for the trainer', () => {
      // Act
      const settings = jobSettings({ algorithm: 'popularity', ...WINDOW }, FILE);

      // Assess
      expect(settings.window).toEqual({
        from: '2025-03-01T00:00:00.000Z',
        holdoutFrom: '2025-05-24T00:00:00.000Z',
        to: '2025-06-01T00:00:00.000Z',
      });
      expect(settings.hyperparameters).toEqual({});
    });

    it('returns no window when none of the three is given', () => {
      // Act
      const settings = jobSettings({}, FILE);

      // Assess
      expect(settings).not.toHaveProperty('window');
    });

    it.each([
      [
        'only some bounds',
        { windowFrom: WINDOW.windowFrom },
        'missing hyperparameter "holdoutFrom", hyperparameter "windowTo"',
      ],
      [
        'a date without a time',
        { ...WINDOW, windowTo: '2025-06-01' },
        'hyperparameter "windowTo": expected an ISO 8601 instant',
      ],
      ['a local time', { ...WINDOW, windowFrom: '2025-03-01T00:00:00' }, 'hyperparameter "windowFrom": expected'],
      ['epoch seconds', { ...WINDOW, holdoutFrom: '1748044800' }, 'hyperparameter "holdoutFrom": expected'],
      [
        'an impossible date',
        { ...WINDOW, windowFrom: '2025-02-30T25:00:00Z' },
        'hyperparameter "windowFrom": expected',
      ],
      [
        'bounds out of order',
        { ...WINDOW, holdoutFrom: '2025-06-02T00:00:00Z' },
        'hyperparameter "windowFrom" ≤ hyperparameter "holdoutFrom" ≤ hyperparameter "windowTo" does not hold',
      ],
    ])('returns %s rejected naming the hyperparameter', async (_name, raw, message) => {
      // Act
      const error = await jobError(() => jobSettings(raw, FILE));

      // Assess
      expect(error).toContain(`${FILE}: `);
      expect(error).toContain(message);
    });
  });
});
