/**
 * The SageMaker training contract: hyperparameters from `input/config/hyperparameters.json`
 * (every value a string), Personalize CSV files from the `interactions` and `items` channels
 * under `input/data/`, the model directory into `model/` (SageMaker tars it into
 * `model.tar.gz`), and on failure a reason in `output/failure` and a non-zero exit.
 *
 * The steps are the ones `reco train` takes (trainer by name, checked hyperparameters, the
 * Personalize readers, fit, save); only where their inputs come from differs.
 */
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MANIFEST_FILE, readManifest } from '#shared/recommender/artifact.ts';
import { DEFAULT_KS, scoreModel } from '#shared/recommender/evaluation/evaluate.ts';
import { DEFAULT_SEED, PROTOCOLS, splitData, type Protocol } from '#shared/recommender/evaluation/splits.ts';
import {
  closestName,
  describeSkipped,
  readCatalogue,
  readInteractions,
  type ReadReport,
} from '#shared/recommender/io/dataset.ts';
import {
  ALGORITHMS,
  type AlgorithmName,
  type CatalogueItem,
  type Hyperparameters,
  type Interaction,
  type ModelManifest,
  type Trainer,
  type TrainingData,
} from '#shared/recommender/model.ts';
import { trainerFor, validateHyperparameters } from '#shared/recommender/registry.ts';
import { isExplained, TrainingJobError, writeFailure, writeFailureSync } from './failure.ts';
import { CHANNELS, containerPaths, parseFlags, resolveRoot, UsageError, type ContainerPaths } from './paths.ts';

/** Hyperparameters the container reads itself; every other name goes to the trainer. */
export const RESERVED_HYPERPARAMETERS = {
  /** Which trainer (default `hybrid`). */
  algorithm: 'algorithm',
  /** `none` (default) or an evaluation protocol: hold data out, score, record the metrics in the manifest. */
  evaluation: 'evaluation',
  /** `true`: skip and count bad CSV lines instead of failing on the first one (default `false`). */
  skipInvalid: 'skipInvalid',
} as const;

const RESERVED_NAMES: readonly string[] = Object.values(RESERVED_HYPERPARAMETERS);

/** Users scored at most by the optional evaluation, so it stays a fraction of the training time. */
export const EVALUATION_MAX_USERS = 10_000;

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
}

type RawHyperparameters = Record<string, string | number | boolean>;

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
  return {
    algorithm: algorithm as AlgorithmName,
    evaluation: evaluation as JobSettings['evaluation'],
    skipInvalid,
    hyperparameters,
    ignored,
  };
}

const DATA_FILE = /\.csv(\.gz)?$/i;

/**
 * The CSV files of a channel, at any depth (SageMaker keeps the S3 key structure below the
 * channel's prefix), sorted. Hidden files and other names (`_SUCCESS`, manifests) are left out.
 */
export async function channelFiles(paths: ContainerPaths, channel: string, required: boolean): Promise<string[]> {
  const dir = paths.channel(channel);
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true, recursive: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !required) return [];
    if (code !== 'ENOENT') {
      throw new TrainingJobError(`channel "${channel}": cannot read ${dir} (${(error as Error).message})`);
    }
    const present = await readdir(paths.data).catch(() => [] as string[]);
    const pipe = present.some((name) => name.startsWith(`${channel}_`));
    const hint = pipe
      ? '; Pipe input mode is not supported, use File or FastFile'
      : present.length === 0
        ? `; ${paths.data} has no channels`
        : `; the job's channels are: ${present.sort().join(', ')}`;
    throw new TrainingJobError(`channel "${channel}" is missing: expected Personalize CSV files in ${dir}${hint}`);
  }
  const files = entries
    .filter(
      (entry) =>
        (entry.isFile() || entry.isSymbolicLink()) && !entry.name.startsWith('.') && DATA_FILE.test(entry.name),
    )
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
  if (required && files.length === 0) {
    const others = entries.filter((entry) => entry.isFile()).map((entry) => entry.name);
    const found = others.length === 0 ? 'it is empty' : `found only ${others.slice(0, 5).join(', ')}`;
    throw new TrainingJobError(`channel "${channel}" has no .csv or .csv.gz files in ${dir}; ${found}`);
  }
  return files;
}

/** Appends without spreading (a spread of a million rows overflows the call stack). */
function append<T>(target: T[], rows: readonly T[]): void {
  for (const row of rows) target.push(row);
}

function reportSkipped(reports: readonly ReadReport[], log: (line: string) => void): void {
  for (const report of reports) {
    const skipped = describeSkipped(report);
    if (skipped === undefined) continue;
    log(`warning: ${skipped}`);
    for (const example of report.examples) log(`  e.g. ${example}`);
  }
}

/** Every interactions file and every items file of the job, as one data set. */
export async function readChannels(
  paths: ContainerPaths,
  skipInvalid: boolean,
  log: (line: string) => void,
): Promise<TrainingData> {
  const interactionFiles = await channelFiles(paths, CHANNELS.interactions, true);
  const itemFiles = await channelFiles(paths, CHANNELS.items, false);
  const interactions: Interaction[] = [];
  const catalogue: CatalogueItem[] = [];
  const reports: ReadReport[] = [];
  for (const file of interactionFiles) {
    const result = await readInteractions(file, { skipInvalid });
    append(interactions, result.interactions);
    reports.push(result.report);
  }
  for (const file of itemFiles) {
    const result = await readCatalogue(file, { skipInvalid });
    append(catalogue, result.catalogue);
    reports.push(result.report);
  }
  reportSkipped(reports, log);
  log(
    `read ${interactions.length} interactions from ${interactionFiles.length} file(s), ` +
      `${catalogue.length} catalogue items from ${itemFiles.length} file(s)`,
  );
  return { interactions, catalogue };
}

/**
 * Offline metrics of the job's settings on a held-out part of the data (`evaluation` protocol),
 * one `metric <name>=<value>` log line each so SageMaker metric definitions can pick them up.
 * Empty when no user has enough history to hold any out.
 */
export async function heldOutMetrics(
  trainer: Trainer,
  data: TrainingData,
  settings: JobSettings,
  log: (line: string) => void,
): Promise<Record<string, number>> {
  if (settings.evaluation === 'none') return {};
  let split;
  try {
    split = splitData(data, { protocol: settings.evaluation, seed: DEFAULT_SEED, maxUsers: EVALUATION_MAX_USERS });
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    log(`warning: no metrics recorded: ${error.message}`);
    return {};
  }
  log(`evaluating ${settings.algorithm} (${settings.evaluation}) on ${split.cases.length} held-out users`);
  const model = await trainer.fit(split.train, settings.hyperparameters);
  const { metrics } = scoreModel(model, split, DEFAULT_KS);
  for (const [name, value] of Object.entries(metrics)) log(`metric ${name}=${value.toFixed(6)}`);
  return metrics;
}

/**
 * Records metrics in a saved model's manifest. `Model.save` takes no metrics, so the manifest is
 * rewritten: through a temporary file and a rename, so a manifest on disk is always whole.
 */
export async function recordMetrics(dir: string, metrics: Readonly<Record<string, number>>): Promise<ModelManifest> {
  const manifest = await readManifest(dir);
  const updated: ModelManifest = { ...manifest, metrics: { ...manifest.metrics, ...metrics } };
  const temporary = join(dir, `.${MANIFEST_FILE}.tmp`);
  await writeFile(temporary, JSON.stringify(updated, null, 2) + '\n');
  await rename(temporary, join(dir, MANIFEST_FILE));
  return updated;
}

/** Runs one training job under `paths`; throws on any failure. */
export async function train(paths: ContainerPaths, log: (line: string) => void): Promise<ModelManifest> {
  const settings = jobSettings(await readHyperparameterFile(paths.hyperparameters), paths.hyperparameters);
  if (settings.ignored.length > 0) log(`ignoring SageMaker's own hyperparameters: ${settings.ignored.join(', ')}`);
  const data = await readChannels(paths, settings.skipInvalid, log);
  const trainer = trainerFor(settings.algorithm);
  const metrics = await heldOutMetrics(trainer, data, settings, log);
  log(`training ${settings.algorithm} on ${data.interactions.length} interactions`);
  const model = await trainer.fit(data, settings.hyperparameters);
  await mkdir(paths.model, { recursive: true });
  await model.save(paths.model);
  return Object.keys(metrics).length > 0 ? recordMetrics(paths.model, metrics) : readManifest(paths.model);
}

export interface EntryIo {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Progress lines (CloudWatch in SageMaker). */
  readonly log: (line: string) => void;
  /** The failure reason and unexpected stacks. */
  readonly error: (line: string) => void;
}

export interface TrainIo extends EntryIo {
  /** Registers `handler` for a stop signal; the caller exits after it returns. */
  readonly onStop?: (handler: (signal: string) => void) => void;
}

/**
 * The training entry point without the process: flags (`--root DIR`), then the job. Returns the
 * exit code: 0 done, 1 the job failed, 2 a bad command line; both failures write `output/failure`.
 */
export async function trainMain(args: readonly string[], io: TrainIo): Promise<number> {
  let root = resolveRoot(undefined, io.env['SM_ROOT']);
  try {
    root = resolveRoot(parseFlags(args, ['root'] as const).root, io.env['SM_ROOT']);
    const paths = containerPaths(root);
    io.onStop?.((signal) => {
      const reason = writeFailureSync(
        paths.failure,
        new TrainingJobError(`training stopped by ${signal} (StopTrainingJob or the job's time limit)`),
      );
      io.error(`training failed: ${reason}`);
    });
    const manifest = await train(paths, io.log);
    io.log(
      `wrote ${manifest.algorithm} model (${manifest.data.users} users, ${manifest.data.items} items) to ${paths.model}`,
    );
    return 0;
  } catch (error) {
    const reason = await writeFailure(containerPaths(root).failure, error);
    io.error(`training failed: ${reason}`);
    if (error instanceof UsageError) return 2;
    if (!isExplained(error)) io.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    return 1;
  }
}
