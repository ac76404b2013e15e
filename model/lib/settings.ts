/**
 * A training job's settings from `input/config/hyperparameters.json` (every value a string, as
 * SageMaker writes them): the names the container reads itself, and the trainer's, each checked
 * against what is valid so a typo fails the job naming the closest valid name.
 */
import { readFile } from 'node:fs/promises';
import { DataWindowError, parseDataWindow, type DataWindow } from '#shared/recommender/dataWindow.ts';
import { PROTOCOLS, type Protocol } from '#shared/recommender/evaluation/splits.ts';
import { closestName } from '#shared/recommender/io/dataset.ts';
import { ALGORITHMS, type AlgorithmName, type Hyperparameters } from '#shared/recommender/model.ts';
import { trainerFor, validateHyperparameters } from '#shared/recommender/registry.ts';
import {
  DEFAULT_TUNE_BUDGET,
  parseTuneBudget,
  TuneBudgetError,
  type TuneBudget,
} from '#shared/recommender/autotune/budget.ts';
import { TrainingJobError } from './failure.ts';

function tuneBudgetSetting(file: string, value: string | number | boolean | undefined): TuneBudget | undefined {
  if (value === undefined) return DEFAULT_TUNE_BUDGET;
  if (value === 'none') return undefined;
  try {
    return parseTuneBudget(String(value));
  } catch (error) {
    if (!(error instanceof TuneBudgetError)) throw error;
    throw new TrainingJobError(
      `${file}: hyperparameter "${RESERVED_HYPERPARAMETERS.tuneBudget}": ${error.message}, or none`,
    );
  }
}

/** Hyperparameters the container reads itself; every other name goes to the trainer. */
export const RESERVED_HYPERPARAMETERS = {
  /** Which trainer (default `hybrid`). */
  algorithm: 'algorithm',
  /** `none` (default) or an evaluation protocol: hold data out, score, record the metrics in the manifest. */
  evaluation: 'evaluation',
  /** `true`: skip and count bad CSV lines instead of failing on the first one (default `false`). */
  skipInvalid: 'skipInvalid',
  /**
   * The lake window the channels were exported from (ISO 8601 instants, all three or none): the
   * model is trained on `[windowFrom, holdoutFrom)`, the `holdout` channel holds the rest, and the
   * manifest records the window so a later gate never scores this model on data it has seen.
   */
  windowFrom: 'windowFrom',
  holdoutFrom: 'holdoutFrom',
  windowTo: 'windowTo',
  /**
   * How much the job tunes before it trains, as `reco train --tune-budget` takes it: seconds
   * (`90`), a multiple of one default training run (`3x`, at most `5x`) or trials (`8trials`,
   * counted work, so a run repeats exactly); `none` trains with the given values only.
   * @default 4x
   */
  tuneBudget: 'tuneBudget',
} as const;

const RESERVED_NAMES: readonly string[] = Object.values(RESERVED_HYPERPARAMETERS);

/**
 * Names SageMaker adds on its own (`_tuning_objective_metric` in tuning jobs, `sagemaker_*` from
 * the SDK's framework estimators): not ours to reject.
 */
export function isSageMakerHyperparameter(name: string): boolean {
  return name.startsWith('_') || name.startsWith('sagemaker_');
}

export interface JobSettings {
  readonly algorithm: AlgorithmName;
  readonly evaluation: Protocol | 'none';
  readonly skipInvalid: boolean;
  /** For the trainer, as given (strings); already checked against its defaults. */
  readonly hyperparameters: Hyperparameters;
  /** SageMaker's own names, left out. */
  readonly ignored: readonly string[];
  /** The export's window, when the pipeline passed it. */
  readonly window?: DataWindow;
  /** How much to tune first; undefined: no tuning (`tuneBudget` `none`). */
  readonly tuneBudget: TuneBudget | undefined;
}

export type RawHyperparameters = Record<string, string | number | boolean>;

/** Reads `hyperparameters.json`; a missing file means no hyperparameters (the defaults). */
export async function readHyperparameterFile(file: string): Promise<RawHyperparameters> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new TrainingJobError(`${file}: cannot read the file (${(error as Error).message})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new TrainingJobError(`${file}: not valid JSON (${(error as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new TrainingJobError(`${file}: expected a JSON object of hyperparameters, got ${JSON.stringify(parsed)}`);
  }
  const params: RawHyperparameters = {};
  for (const [name, value] of Object.entries(parsed)) {
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      throw new TrainingJobError(
        `${file}: hyperparameter "${name}" must be a string (SageMaker passes every value as one), got ${JSON.stringify(value)}`,
      );
    }
    params[name] = value;
  }
  return params;
}

function suggestion(name: string, valid: readonly string[]): string {
  const near = closestName(name, valid);
  return near === undefined ? '' : ` (did you mean ${near}?)`;
}

function booleanSetting(file: string, name: string, value: string | number | boolean | undefined): boolean {
  if (value === undefined) return false;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new TrainingJobError(`${file}: hyperparameter "${name}" must be true or false, got ${JSON.stringify(value)}`);
}

function windowSetting(file: string, raw: RawHyperparameters): DataWindow | undefined {
  const field = (name: string) => ({ name: `hyperparameter "${name}"`, value: raw[name] });
  try {
    return parseDataWindow({
      from: field(RESERVED_HYPERPARAMETERS.windowFrom),
      holdoutFrom: field(RESERVED_HYPERPARAMETERS.holdoutFrom),
      to: field(RESERVED_HYPERPARAMETERS.windowTo),
    });
  } catch (error) {
    if (!(error instanceof DataWindowError)) throw error;
    throw new TrainingJobError(`${file}: ${error.message}`, { cause: error });
  }
}

/**
 * Splits the raw hyperparameters into the container's settings and the trainer's, checking every
 * name and value; an error names the file, the hyperparameter and what is valid.
 */
export function jobSettings(raw: RawHyperparameters, file: string): JobSettings {
  const algorithmValue = raw[RESERVED_HYPERPARAMETERS.algorithm] ?? 'hybrid';
  const algorithm = String(algorithmValue);
  if (!(ALGORITHMS as readonly string[]).includes(algorithm)) {
    throw new TrainingJobError(
      `${file}: hyperparameter "algorithm": unknown algorithm "${algorithm}"${suggestion(algorithm, ALGORITHMS)}; valid: ${ALGORITHMS.join(', ')}`,
    );
  }
  const evaluation = String(raw[RESERVED_HYPERPARAMETERS.evaluation] ?? 'none');
  const evaluations = ['none', ...PROTOCOLS];
  if (!evaluations.includes(evaluation)) {
    throw new TrainingJobError(
      `${file}: hyperparameter "evaluation": unknown value "${evaluation}"${suggestion(evaluation, evaluations)}; valid: ${evaluations.join(', ')}`,
    );
  }
  const skipInvalid = booleanSetting(file, 'skipInvalid', raw[RESERVED_HYPERPARAMETERS.skipInvalid]);
  const window = windowSetting(file, raw);
  const tuneBudget = tuneBudgetSetting(file, raw[RESERVED_HYPERPARAMETERS.tuneBudget]);
  const trainer = trainerFor(algorithm);
  const valid = Object.keys(trainer.defaults);
  const hyperparameters: RawHyperparameters = {};
  const ignored: string[] = [];
  for (const [name, value] of Object.entries(raw)) {
    if (RESERVED_NAMES.includes(name)) continue;
    if (isSageMakerHyperparameter(name)) {
      ignored.push(name);
      continue;
    }
    if (!valid.includes(name)) {
      throw new TrainingJobError(
        `${file}: unknown hyperparameter "${name}" for ${algorithm}${suggestion(name, valid)}; ` +
          `valid names: ${[...valid].sort().join(', ')}; reserved: ${RESERVED_NAMES.join(', ')}`,
      );
    }
    hyperparameters[name] = value;
  }
  try {
    validateHyperparameters(trainer, hyperparameters);
  } catch (error) {
    throw new TrainingJobError(`${file}: ${(error as Error).message}`);
  }
  const settings: JobSettings = {
    algorithm: algorithm as AlgorithmName,
    evaluation: evaluation as JobSettings['evaluation'],
    skipInvalid,
    hyperparameters,
    ignored,
    tuneBudget,
  };
  return window === undefined ? settings : { ...settings, window };
}
