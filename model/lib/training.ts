/**
 * The SageMaker training contract: hyperparameters from `input/config/hyperparameters.json`
 * (every value a string), Personalize CSV files from the `interactions` and `items` channels
 * under `input/data/`, the model directory into `model/` (SageMaker tars it into
 * `model.tar.gz`), and on failure a reason in `output/failure` and a non-zero exit. With a
 * `holdout` channel the job then gates: candidate and live model scored on it (see gate.ts).
 *
 * The steps are the ones `reco train` takes (trainer by name, checked hyperparameters, the
 * Personalize readers, fit, save); only where their inputs come from differs.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MANIFEST_FILE, readManifest } from '#shared/recommender/artifact.ts';
import { rowsInHoldout } from '#shared/recommender/dataWindow.ts';
import { DEFAULT_KS, scoreModel } from '#shared/recommender/evaluation/evaluate.ts';
import { DEFAULT_SEED, splitData } from '#shared/recommender/evaluation/splits.ts';
import type { Interaction, ModelManifest, TrainingData } from '#shared/recommender/model.ts';
import { trainerFor } from '#shared/recommender/registry.ts';
import { tuneHyperparameters, type TuningReport } from '#shared/recommender/autotune/autotune.ts';
import { recordTuning } from '#shared/recommender/autotune/record.ts';
import { gateMetricLine } from '#shared/training/pipeline.ts';
import { hasChannel, readChannels } from './channels.ts';
import { isExplained, TrainingJobError, writeFailure, writeFailureSync } from './failure.ts';
import { readHoldout, runGate, type GateReport } from './gate.ts';
import { CHANNELS, containerPaths, parseFlags, resolveRoot, UsageError, type ContainerPaths } from './paths.ts';
import { jobSettings, readHyperparameterFile, type JobSettings } from './settings.ts';

/** Users scored at most by the optional evaluation, so it stays a fraction of the training time. */
export const EVALUATION_MAX_USERS = 10_000;

/**
 * Offline metrics of the job's settings on a held-out part of the data (`evaluation` protocol),
 * one `metric <name>=<value>` log line each so SageMaker metric definitions can pick them up.
 * Empty when no user has enough history to hold any out.
 */
export async function heldOutMetrics(
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
  const model = await trainerFor(settings.algorithm).fit(split.train, settings.hyperparameters);
  const { metrics } = scoreModel(model, split, DEFAULT_KS);
  for (const [name, value] of Object.entries(metrics)) log(`metric ${name}=${value.toFixed(6)}`);
  return metrics;
}

/**
 * The tuning's validation metrics as the metric lines SageMaker collects (`gate: <name>=<value>`),
 * so the pipeline's record step keeps them on the version's registry record.
 */
export function tuningMetricLines(report: TuningReport): string[] {
  return [
    gateMetricLine('tuning_validation_ndcg10', report.tuned['ndcg@10']),
    gateMetricLine('tuning_validation_hr10', report.tuned['hr@10']),
    gateMetricLine('tuning_defaults_ndcg10', report.defaults['ndcg@10']),
    gateMetricLine('tuning_trials', report.trials),
    gateMetricLine('tuning_seconds', report.tuneSeconds),
    gateMetricLine('tuning_gain_se', report.decision.standardError),
    gateMetricLine('tuning_kept_defaults', report.decision.kept === 'defaults' ? 1 : 0),
  ];
}

/**
 * Rewrites a saved model's manifest with `change` applied. `Model.save` takes no metrics and no
 * window, so the job adds them afterwards: through a temporary file and a rename, so a manifest
 * on disk is always whole.
 */
export async function updateManifest(
  dir: string,
  change: (manifest: ModelManifest) => ModelManifest,
): Promise<ModelManifest> {
  const updated = change(await readManifest(dir));
  const temporary = join(dir, `.${MANIFEST_FILE}.tmp`);
  await writeFile(temporary, JSON.stringify(updated, null, 2) + '\n');
  await rename(temporary, join(dir, MANIFEST_FILE));
  return updated;
}

/** Records metrics in a saved model's manifest, keeping the others. */
export function recordMetrics(dir: string, metrics: Readonly<Record<string, number>>): Promise<ModelManifest> {
  return updateManifest(dir, (manifest) => ({ ...manifest, metrics: { ...manifest.metrics, ...metrics } }));
}

/** What one training job wrote: the manifest, and the gate's report when the job had a holdout. */
export interface TrainingResult {
  readonly manifest: ModelManifest;
  readonly gate?: GateReport;
}

/** The holdout rows when the job gates; undefined (and a word in the log) when it does not. */
async function gateInputs(
  paths: ContainerPaths,
  settings: JobSettings,
  log: (line: string) => void,
): Promise<Interaction[] | undefined> {
  if (await hasChannel(paths, CHANNELS.holdout)) return readHoldout(paths, { skipInvalid: settings.skipInvalid, log });
  if (await hasChannel(paths, CHANNELS.live)) {
    log(`warning: a "${CHANNELS.live}" channel without a "${CHANNELS.holdout}" channel: no gate, nothing to score on`);
  }
  return undefined;
}

/**
 * Rows stamped at or after `holdoutFrom`: the export splits by arrival time, so these are events
 * whose shopper's clock ran ahead of the server's, or a window that does not match the data.
 * Either way the job says so rather than fail: a skewed phone must not stop a day's training.
 */
function checkWindow(data: TrainingData, settings: JobSettings, log: (line: string) => void): void {
  if (settings.window === undefined) return;
  const late = rowsInHoldout(data.interactions, settings.window);
  if (late > 0) {
    log(
      `warning: channel "${CHANNELS.interactions}": ${late} interactions stamped at or after holdoutFrom ` +
        `(${settings.window.holdoutFrom}); shopper clocks ahead of the server's, or a window that does not match the data`,
    );
  }
}

/**
 * Runs one training job under `paths`: train, save, record metrics and window, then gate when
 * the job has a `holdout` channel. Throws on any failure.
 */
export async function train(paths: ContainerPaths, log: (line: string) => void): Promise<TrainingResult> {
  const settings = jobSettings(await readHyperparameterFile(paths.hyperparameters), paths.hyperparameters);
  if (settings.ignored.length > 0) log(`ignoring SageMaker's own hyperparameters: ${settings.ignored.join(', ')}`);
  const data = await readChannels(paths, { skipInvalid: settings.skipInvalid, log });
  checkWindow(data, settings, log);
  const holdout = await gateInputs(paths, settings, log);
  const trainer = trainerFor(settings.algorithm);
  const tuned =
    settings.tuneBudget === undefined
      ? undefined
      : await tuneHyperparameters(trainer, data, settings.hyperparameters, { budget: settings.tuneBudget, log });
  const chosen = { ...settings, hyperparameters: tuned?.hyperparameters ?? settings.hyperparameters };
  if (tuned !== undefined) for (const line of tuningMetricLines(tuned.report)) log(line);
  const metrics = await heldOutMetrics(data, chosen, log);
  log(`training ${settings.algorithm} on ${data.interactions.length} interactions`);
  const model = await trainer.fit(data, chosen.hyperparameters);
  await mkdir(paths.model, { recursive: true });
  await model.save(paths.model);
  if (tuned !== undefined) await recordTuning(paths.model, tuned.report);
  const { window } = settings;
  const manifest =
    Object.keys(metrics).length > 0 || window !== undefined
      ? await updateManifest(paths.model, (saved) => ({
          ...saved,
          metrics: { ...saved.metrics, ...metrics },
          ...(window === undefined ? {} : { window }),
        }))
      : await readManifest(paths.model);
  if (holdout === undefined) return { manifest };
  const gate = await runGate({
    paths,
    data,
    candidate: model,
    holdout,
    log,
    ...(window === undefined ? {} : { window }),
  });
  return { manifest, gate };
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
    const { manifest } = await train(paths, io.log);
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
