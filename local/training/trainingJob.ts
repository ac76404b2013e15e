import { spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { packModel } from '#shared/recommender/io/tar.ts';
import { formatTuneBudget, SMALL_TUNE_BUDGET } from '#shared/recommender/autotune/budget.ts';
import { gateMetricDefinitions, tuningMetricDefinitions } from '#shared/training/pipeline.ts';
import { repoRoot } from '../../infra/paths.ts';
import type { LocalBuckets } from './buckets.ts';

/** The part of `CreateTrainingJob` the local job reads. */
interface TrainingJobRequest {
  readonly TrainingJobName: string;
  readonly HyperParameters?: Readonly<Record<string, string>>;
  readonly InputDataConfig: readonly {
    readonly ChannelName: string;
    readonly DataSource: { readonly S3DataSource: { readonly S3Uri: string } };
  }[];
  readonly OutputDataConfig: { readonly S3OutputPath: string };
}

/** What `createTrainingJob.sync` returns: the `DescribeTrainingJob` fields the pipeline reads. */
export interface TrainingJobDescription {
  readonly TrainingJobName: string;
  readonly TrainingJobStatus: 'Completed';
  readonly ModelArtifacts: { readonly S3ModelArtifacts: string };
  readonly FinalMetricDataList: readonly { MetricName: string; Value: number; Timestamp: string }[];
}

/** A failed job, as Step Functions reports a `.sync` job that ended `Failed`. */
export class TrainingJobFailedError extends Error {
  override readonly name = 'States.TaskFailed';
}

/** The last value of each metric the job's log printed, as SageMaker's `MetricDefinitions` collect them. */
export function metricsOf(log: string, at: Date): TrainingJobDescription['FinalMetricDataList'] {
  const metrics: { MetricName: string; Value: number; Timestamp: string }[] = [];
  for (const { Name, Regex } of [...gateMetricDefinitions, ...tuningMetricDefinitions]) {
    const matches = [...log.matchAll(new RegExp(Regex, 'g'))];
    const last = matches.at(-1)?.[1];
    if (last !== undefined && Number.isFinite(Number(last))) {
      metrics.push({ MetricName: Name, Value: Number(last), Timestamp: at.toISOString() });
    }
  }
  return metrics;
}

/** Copies an `s3://` channel (a prefix or one object) into the container's channel folder. */
async function stageChannel(from: string, to: string): Promise<void> {
  await mkdir(to, { recursive: true });
  const source = await stat(from);
  await cp(from, source.isDirectory() ? to : join(to, from.split('/').at(-1) ?? 'data'), { recursive: true });
}

/**
 * The local stand-in for a SageMaker training job: stages the channels in a folder laid out like
 * `/opt/ml`, runs the image's `train` entry point in a child process (so a run on the local stack
 * leaves its event loop free), tars `model/` into `<S3OutputPath>/<job>/output/model.tar.gz`,
 * and reads the metrics from the job's log.
 */
export async function runTrainingJob(
  request: TrainingJobRequest,
  options: { readonly buckets: LocalBuckets; readonly log: (line: string) => void },
): Promise<TrainingJobDescription> {
  const root = await mkdtemp(join(tmpdir(), 'reco-training-job-'));
  try {
    await mkdir(join(root, 'input', 'config'), { recursive: true });
    // A budget in trials unless the run names one: the local run repeats exactly and stays short.
    await writeFile(
      join(root, 'input', 'config', 'hyperparameters.json'),
      JSON.stringify({ tuneBudget: formatTuneBudget(SMALL_TUNE_BUDGET), ...request.HyperParameters }),
    );
    for (const channel of request.InputDataConfig) {
      await stageChannel(
        options.buckets.pathOf(channel.DataSource.S3DataSource.S3Uri),
        join(root, 'input', 'data', channel.ChannelName),
      );
    }
    const { code, output } = await runTrain(root);
    for (const line of output.split('\n')) if (line.startsWith('gate: ')) options.log(`  ${line}`);
    if (code !== 0) {
      const reason = await readFile(join(root, 'output', 'failure'), 'utf8').catch(() => `train exited ${code}`);
      throw new TrainingJobFailedError(`training job ${request.TrainingJobName} failed: ${reason.trim()}`);
    }
    const key = `${request.OutputDataConfig.S3OutputPath.replace(/\/+$/, '')}/${request.TrainingJobName}/output/model.tar.gz`;
    const archive = options.buckets.pathOf(key);
    await mkdir(dirname(archive), { recursive: true });
    await packModel(join(root, 'model'), archive);
    return {
      TrainingJobName: request.TrainingJobName,
      TrainingJobStatus: 'Completed',
      ModelArtifacts: { S3ModelArtifacts: key },
      FinalMetricDataList: metricsOf(output, new Date()),
    };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

function runTrain(root: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'model', 'train.ts'), '--root', root], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code: code ?? 1, output: Buffer.concat(chunks).toString('utf8') }));
  });
}
