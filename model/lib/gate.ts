/**
 * The gate's half inside the training job: with a `holdout` channel, the freshly trained candidate
 * and the live model (the `live` channel: its `model.tar.gz`, or the no-live-model marker) are
 * scored on the same holdout shoppers, each metric printed as a `gate: <name>=<value>` line that
 * SageMaker's metric definitions turn into `FinalMetricDataList` for the gate function, and the
 * whole report written as `gate.json` into `output/data/` and into the model directory.
 *
 * The live model's recorded window says what it was trained on; holdout interactions inside it are
 * counted (`live_overlap_interactions`) and left out, so neither model is scored on data the live
 * one has seen. Every metric is printed even when no shopper could be scored (zeros, with
 * `holdout_users=0`), so the gate function can tell "nothing to judge by" from a job that failed.
 */
import { mkdir, readdir, rename, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { training } from '#shared/config/index.ts';
import { readManifest } from '#shared/recommender/artifact.ts';
import { inTrainedPart, type DataWindow } from '#shared/recommender/dataWindow.ts';
import { catalogueSizeOf, holdoutCases, scoreHoldout } from '#shared/recommender/evaluation/holdout.ts';
import type { HoldoutCase, HoldoutMetrics } from '#shared/recommender/evaluation/holdout.ts';
import { DEFAULT_SEED } from '#shared/recommender/evaluation/splits.ts';
import type { Interaction, Model, ModelManifest, TrainingData } from '#shared/recommender/model.ts';
import { gateMetricLine, pipelinePaths, type GateMetricName, type GateMetrics } from '#shared/training/pipeline.ts';
import { readInteractionChannel, type ChannelReading } from './channels.ts';
import { TrainingJobError } from './failure.ts';
import { loadServingModel, MODEL_ARCHIVE } from './loading.ts';
import { CHANNELS, type ContainerPaths } from './paths.ts';

export const GATE_FILE = 'gate.json';

/** The file the pipeline puts in the `live` channel when nothing is live (`NONE`). */
export const NO_LIVE_MODEL_MARKER = basename(pipelinePaths.noLiveModel);

/** What `gate.json` holds. */
export interface GateReport {
  /** The metrics' cutoff (`training.gateK`). */
  readonly k: number;
  /** Holdout rows read, rows inside the live model's training window, and rows scored on. */
  readonly holdoutInteractions: number;
  readonly liveOverlapInteractions: number;
  readonly scoredInteractions: number;
  /** Shoppers both models were scored on. */
  readonly holdoutUsers: number;
  /** Zeros when no holdout shopper could be scored. */
  readonly candidate: GateMetrics;
  /** Absent with no live model. */
  readonly live?: GateMetrics;
  readonly window?: DataWindow;
  readonly liveModel?: { readonly algorithm: string; readonly createdAt: string; readonly window?: DataWindow };
  /** Why something is absent or was left out, for a person reading the report. */
  readonly notes: readonly string[];
  /** The printed metric lines' values, by name. */
  readonly metrics: Readonly<Partial<Record<GateMetricName, number>>>;
}

interface LiveModel {
  readonly model: Model;
  readonly manifest: ModelManifest;
  cleanup(): Promise<void>;
}

/** The live channel's model, loaded as the endpoint loads one; undefined for the marker or no channel. */
async function loadLiveModel(paths: ContainerPaths, log: (line: string) => void): Promise<LiveModel | undefined> {
  const dir = paths.channel(CHANNELS.live);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    log(`no "${CHANNELS.live}" channel: no live model to compare with`);
    return undefined;
  }
  if (names.includes(NO_LIVE_MODEL_MARKER)) {
    if (names.includes(MODEL_ARCHIVE)) {
      throw new TrainingJobError(
        `channel "${CHANNELS.live}" holds both ${MODEL_ARCHIVE} and the no-live-model marker ${NO_LIVE_MODEL_MARKER}; expected one of them`,
      );
    }
    log(`channel "${CHANNELS.live}" holds ${NO_LIVE_MODEL_MARKER}: no live model to compare with`);
    return undefined;
  }
  let loaded;
  try {
    loaded = await loadServingModel(dir);
  } catch (error) {
    throw new TrainingJobError(`channel "${CHANNELS.live}": cannot load the live model: ${(error as Error).message}`, {
      cause: error,
    });
  }
  try {
    return { model: loaded.serving.model, manifest: await readManifest(loaded.dir), cleanup: loaded.cleanup };
  } catch (error) {
    await loaded.cleanup();
    throw error;
  }
}

/**
 * What the live model may have trained on: its recorded window, or, for a model that records
 * none, everything before it was created (the only bound it gives).
 */
function liveTrainingWindow(manifest: ModelManifest, notes: string[]): DataWindow {
  if (manifest.window !== undefined) return manifest.window;
  notes.push(
    `the live model records no data window; every holdout interaction before its creation (${manifest.createdAt}) counts as seen`,
  );
  return { from: new Date(0).toISOString(), holdoutFrom: manifest.createdAt, to: manifest.createdAt };
}

const rounded = (value: number): number => Math.round(value * 1e6) / 1e6;

function gateMetrics(metrics: HoldoutMetrics): GateMetrics {
  return { hr10: rounded(metrics.hitRate), ndcg10: rounded(metrics.ndcg), coverage: rounded(metrics.coverage) };
}

export interface GateJob {
  readonly paths: ContainerPaths;
  /** The candidate's training data: the shoppers' histories and the catalogue coverage divides by. */
  readonly data: TrainingData;
  readonly candidate: Model;
  /** The holdout rows ({@link readHoldout}). */
  readonly holdout: readonly Interaction[];
  /** The candidate's window, recorded in the report. */
  readonly window?: DataWindow;
  readonly log: (line: string) => void;
}

/** Reads the `holdout` channel; before training, so a bad file fails the job before the long part. */
export async function readHoldout(paths: ContainerPaths, reading: ChannelReading): Promise<Interaction[]> {
  const { interactions, files } = await readInteractionChannel(paths, CHANNELS.holdout, reading);
  reading.log(`read ${interactions.length} holdout interactions from ${files} file(s)`);
  return interactions;
}

interface Scored {
  readonly cases: readonly HoldoutCase[];
  readonly scoredInteractions: number;
  readonly overlap: number;
}

/** The shoppers to score, leaving out what the live model has seen. */
function chooseCases(job: GateJob, live: LiveModel | undefined, notes: string[]): Scored {
  const options = { maxUsers: training.gateMaxUsers, seed: DEFAULT_SEED };
  if (live === undefined) {
    const cases = holdoutCases(job.data.interactions, job.holdout, options);
    return { cases, scoredInteractions: job.holdout.length, overlap: 0 };
  }
  const seen = inTrainedPart(liveTrainingWindow(live.manifest, notes));
  const rest = job.holdout.filter((interaction) => !seen(interaction));
  const overlap = job.holdout.length - rest.length;
  if (overlap > 0) {
    notes.push(
      `${overlap} of ${job.holdout.length} holdout interactions fall in the live model's training window; ` +
        `both models are scored on the other ${rest.length}`,
    );
  }
  return { cases: holdoutCases(job.data.interactions, rest, options), scoredInteractions: rest.length, overlap };
}

/** Writes `gate.json` through a temporary file, so a reader never sees half of it. */
async function writeReport(dir: string, report: GateReport): Promise<void> {
  await mkdir(dir, { recursive: true });
  const temporary = join(dir, `.${GATE_FILE}.tmp`);
  await writeFile(temporary, JSON.stringify(report, null, 2) + '\n');
  await rename(temporary, join(dir, GATE_FILE));
}

/** Scores candidate and live model on the holdout, prints the metric lines, writes `gate.json` twice. */
export async function runGate(job: GateJob): Promise<GateReport> {
  const notes: string[] = [];
  const live = await loadLiveModel(job.paths, job.log);
  let report: GateReport;
  try {
    const chosen = chooseCases(job, live, notes);
    const scoring = {
      k: training.gateK,
      catalogueSize: catalogueSizeOf(
        job.data.interactions,
        job.data.catalogue.map((item) => item.itemId),
      ),
    };
    job.log(
      `scoring the candidate${live === undefined ? '' : ' and the live model'} on ${chosen.cases.length} holdout ` +
        `shoppers (K=${scoring.k}, ${chosen.scoredInteractions} holdout interactions)`,
    );
    if (chosen.cases.length === 0) {
      const where = live === undefined ? '' : " outside the live model's training window";
      notes.push(`no holdout shopper has a training history and a new item${where}: nothing scored`);
    }
    const candidate = gateMetrics(scoreHoldout(job.candidate, chosen.cases, scoring));
    const liveScores = live === undefined ? undefined : gateMetrics(scoreHoldout(live.model, chosen.cases, scoring));
    const metrics: Partial<Record<GateMetricName, number>> = {
      candidate_hr10: candidate.hr10,
      candidate_ndcg10: candidate.ndcg10,
      candidate_coverage: candidate.coverage,
      ...(liveScores === undefined
        ? {}
        : { live_hr10: liveScores.hr10, live_ndcg10: liveScores.ndcg10, live_coverage: liveScores.coverage }),
      holdout_users: chosen.cases.length,
      live_overlap_interactions: chosen.overlap,
    };
    report = {
      k: scoring.k,
      holdoutInteractions: job.holdout.length,
      liveOverlapInteractions: chosen.overlap,
      scoredInteractions: chosen.scoredInteractions,
      holdoutUsers: chosen.cases.length,
      candidate,
      ...(liveScores === undefined ? {} : { live: liveScores }),
      ...(job.window === undefined ? {} : { window: job.window }),
      ...(live === undefined
        ? {}
        : {
            liveModel: {
              algorithm: live.manifest.algorithm,
              createdAt: live.manifest.createdAt,
              ...(live.manifest.window === undefined ? {} : { window: live.manifest.window }),
            },
          }),
      notes,
      metrics,
    };
  } finally {
    await live?.cleanup();
  }
  for (const note of report.notes) job.log(`gate note: ${note}`);
  for (const [name, value] of Object.entries(report.metrics) as [GateMetricName, number][]) {
    job.log(gateMetricLine(name, value));
  }
  await writeReport(job.paths.outputData, report);
  await writeReport(job.paths.model, report);
  return report;
}
