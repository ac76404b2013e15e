import { createHash } from 'node:crypto';
import { training } from '../config/index.ts';
import { PipelineConfigError } from './errors.ts';
import { pipelinePaths, type DataWindow } from './pipeline.ts';

/**
 * Names, windows and S3 locations of one run, all derived from the execution (its id and start
 * time), so a retried step plans the same run again.
 */

const DAY_MS = 24 * 60 * 60 * 1000;

/** The holdout: the newest `seconds` of the window, or the newest `fraction` of it. */
export type HoldoutSetting = { readonly seconds: number } | { readonly fraction: number };

/** Longest SageMaker resource name. */
export const MAX_SAGEMAKER_NAME_CHARS = 63;
const SAGEMAKER_NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9])*$/;
/** `v<yyyyMMddHHmmss>-<8 hex>`. */
export const VERSION_PATTERN = /^v\d{14}-[0-9a-f]{8}$/;
const VERSION_CHARS = 24;
/** A promotion's names add `-<8 hex>` of its own execution to the version's. */
const PROMOTE_SUFFIX_CHARS = 9;
/** Longest name prefix: room for `-<version>-<8 hex>` within {@link MAX_SAGEMAKER_NAME_CHARS}. */
export const MAX_NAME_PREFIX_CHARS = MAX_SAGEMAKER_NAME_CHARS - 1 - VERSION_CHARS - PROMOTE_SUFFIX_CHARS;

/** Hyperparameters the pipeline sets itself, so the model records the data window it learnt from. */
export const RESERVED_HYPERPARAMETERS = ['windowFrom', 'holdoutFrom', 'windowTo'] as const;

/** 8 hex digits that stand for an execution (its id hashed: any id format gives the same shape). */
export const executionHex = (executionId: string): string =>
  createHash('sha256').update(executionId, 'utf8').digest('hex').slice(0, 8);

/** `v<yyyyMMddHHmmss>-<8 hex>` of the execution's start (UTC): ids sort by creation time. */
export function versionId(startedAt: number, executionId: string): string {
  const stamp = new Date(startedAt).toISOString().slice(0, 19).replace(/[-:T]/g, '');
  return `v${stamp}-${executionHex(executionId)}`;
}

/** Checks a SageMaker name prefix: SageMaker's characters, short enough for every name the pipeline makes. */
export function checkNamePrefix(prefix: string): string {
  if (!SAGEMAKER_NAME.test(prefix) || prefix.length > MAX_NAME_PREFIX_CHARS) {
    throw new PipelineConfigError(
      'invalid_name_prefix',
      `the SageMaker name prefix "${prefix}" must be 1 to ${MAX_NAME_PREFIX_CHARS} letters, digits and inner hyphens`,
    );
  }
  return prefix;
}

/** The holdout's length in ms for a window of `windowMs`; it must leave some of the window to train on. */
export function holdoutMs(holdout: HoldoutSetting, windowMs: number): number {
  // The config writes a fraction as `seconds` below 1 too.
  const fraction = 'fraction' in holdout ? holdout.fraction : holdout.seconds < 1 ? holdout.seconds : undefined;
  const ms = fraction === undefined ? ('seconds' in holdout ? holdout.seconds * 1000 : NaN) : fraction * windowMs;
  if (!(ms > 0 && ms < windowMs)) {
    throw new PipelineConfigError(
      'invalid_holdout',
      `the holdout ${JSON.stringify(holdout)} must be longer than 0 and shorter than the ${windowMs / DAY_MS}-day window`,
    );
  }
  return Math.round(ms);
}

/** The window of a run that starts at `to`: `windowDays` back, the newest holdout slice split off. */
export function dataWindow(options: {
  readonly to: number;
  readonly windowDays?: number;
  readonly holdout?: HoldoutSetting;
}): DataWindow {
  const windowMs = (options.windowDays ?? training.windowDays) * DAY_MS;
  const holdout = holdoutMs(options.holdout ?? training.holdout, windowMs);
  const iso = (ms: number) => new Date(ms).toISOString();
  return { from: iso(options.to - windowMs), holdoutFrom: iso(options.to - holdout), to: iso(options.to) };
}

/** `<prefix>-<parts…>`, checked against SageMaker's length limit. */
export function sageMakerName(prefix: string, ...parts: readonly string[]): string {
  const name = [prefix, ...parts].join('-');
  if (name.length > MAX_SAGEMAKER_NAME_CHARS || !SAGEMAKER_NAME.test(name)) {
    throw new PipelineConfigError('invalid_sagemaker_name', `"${name}" is not a valid SageMaker name (63 characters)`);
  }
  return name;
}

/** S3 locations of a version in the model artifacts bucket (`pipelinePaths`). */
export const versionPaths = (bucket: string, version: string) => ({
  dataset: `s3://${bucket}/${pipelinePaths.datasets}${version}/`,
  models: `s3://${bucket}/${pipelinePaths.models}${version}/`,
  noLiveModel: `s3://${bucket}/${pipelinePaths.noLiveModel.replace('<version>', version)}`,
});

/** `s3://bucket/key/prefix` → its parts; anything else is a configuration error. */
export function parseS3Uri(uri: string): { readonly bucket: string; readonly key: string } {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (match === null) throw new PipelineConfigError('invalid_s3_uri', `"${uri}" is not an s3://bucket/key URI`);
  return { bucket: match[1] as string, key: match[2] as string };
}
