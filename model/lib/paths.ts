/**
 * Where SageMaker puts things inside a container, relative to one root (`/opt/ml` in SageMaker,
 * a temporary directory in tests), and the command-line handling the two entry points share.
 */
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { exportOutputDir, trainingChannels } from '#shared/training/pipeline.ts';

/** The root SageMaker mounts everything under. */
export const DEFAULT_ROOT = '/opt/ml';

/** The port SageMaker sends `/ping` and `/invocations` to, unless `SAGEMAKER_BIND_TO_PORT` says otherwise. */
export const DEFAULT_PORT = 8080;

/**
 * Channel names of a training job: `interactions` is required, `items` optional; `holdout` and
 * `live` (the live model's `model.tar.gz` or the no-live-model marker) turn the gate on.
 */
export const CHANNELS = trainingChannels;

export interface ContainerPaths {
  readonly root: string;
  /** `input/config/hyperparameters.json`: every value a string. */
  readonly hyperparameters: string;
  /** `input/data/`: one directory per channel in File and FastFile mode. */
  readonly data: string;
  /** `input/data/<channel>/`. */
  readonly channel: (name: string) => string;
  /** `model/`: training writes the model here; SageMaker tars it into `model.tar.gz`. */
  readonly model: string;
  /** `output/failure`: why training failed, shown as the job's FailureReason. */
  readonly failure: string;
  /** `output/data/`: SageMaker uploads it as the job's `output.tar.gz` (the gate's `gate.json`). */
  readonly outputData: string;
  /** `processing/output/`: what the export writes and its processing job uploads. */
  readonly processingOutput: string;
  /** `output/message`: why a processing job failed, shown as its ExitMessage. */
  readonly message: string;
}

export function containerPaths(root: string): ContainerPaths {
  return {
    root,
    hyperparameters: join(root, 'input', 'config', 'hyperparameters.json'),
    data: join(root, 'input', 'data'),
    channel: (name) => join(root, 'input', 'data', name),
    model: join(root, 'model'),
    failure: join(root, 'output', 'failure'),
    outputData: join(root, 'output', 'data'),
    processingOutput: join(root, relative(DEFAULT_ROOT, exportOutputDir)),
    message: join(root, 'output', 'message'),
  };
}

/** A bad command line or environment; the entry points exit 2 on it. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** `--root` wins over `SM_ROOT`, which wins over `/opt/ml`. */
export function resolveRoot(flag: string | undefined, env: string | undefined): string {
  if (flag !== undefined && flag !== '') return flag;
  if (env !== undefined && env !== '') return env;
  return DEFAULT_ROOT;
}

/** `--port` wins over `SAGEMAKER_BIND_TO_PORT`, which wins over 8080; 0 asks for any free port. */
export function resolvePort(flag: string | undefined, env: string | undefined): number {
  const [text, source] =
    flag !== undefined ? [flag, '--port'] : env !== undefined && env !== '' ? [env, 'SAGEMAKER_BIND_TO_PORT'] : [];
  if (text === undefined) return DEFAULT_PORT;
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65_535) {
    throw new UsageError(`${source}: expected a port number from 0 to 65535, got "${text}"`);
  }
  return port;
}

/** Parses `--name value` flags; anything else is a usage error naming the valid flags. */
export function parseFlags<const Names extends readonly string[]>(
  args: readonly string[],
  names: Names,
): Partial<Record<Names[number], string>> {
  try {
    const { values } = parseArgs({
      args: [...args],
      options: Object.fromEntries(names.map((name) => [name, { type: 'string' as const }])),
      strict: true,
      allowPositionals: false,
    });
    return values as Partial<Record<Names[number], string>>;
  } catch (error) {
    throw new UsageError(
      `${(error as Error).message}; valid flags: ${names.map((name) => `--${name} VALUE`).join(' ')}`,
    );
  }
}
