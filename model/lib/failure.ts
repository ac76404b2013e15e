/**
 * SageMaker's failure contract: a training container that fails exits non-zero and may write why
 * to `/opt/ml/output/failure`; the job's FailureReason then shows that text (its first 1024
 * characters). A processing job (the `export` mode) reads `/opt/ml/output/message` instead, as its
 * ExitMessage. The reason is one paragraph a shop can act on, so a data problem names the file,
 * line and field exactly as the dataset reader reported it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ApiError } from '#shared/errors.ts';
import { DatasetError } from '#shared/recommender/io/dataset.ts';
import { UsageError } from './paths.ts';

/** A problem of the job its message fully explains (hyperparameters, channels, a stop signal). */
export class TrainingJobError extends Error {
  override readonly name = 'TrainingJobError';
}

/** Errors whose messages were written for the person running the job and go out as they are. */
export function isExplained(error: unknown): error is Error {
  return error instanceof DatasetError || error instanceof TrainingJobError || error instanceof UsageError;
}

/** Line breaks would split the paragraph (a quoted CSV field can carry one into a message). */
function oneParagraph(text: string): string {
  return text.replace(/[ \t]*\r?\n[ \t]*/g, ' ').trim();
}

/** What the failing job was doing, for errors nobody explained. */
export type JobActivity = 'training' | 'exporting';

/**
 * The failure text for `error`: explained errors verbatim, the domain's errors (the export's
 * configuration and lake errors) with their machine-readable reason, anything else marked as
 * unexpected.
 */
export function failureReason(error: unknown, activity: JobActivity = 'training'): string {
  if (isExplained(error)) return oneParagraph(error.message);
  if (error instanceof ApiError) return oneParagraph(`${error.message} (${error.reason})`);
  const message = error instanceof Error ? error.message : String(error);
  return oneParagraph(`unexpected error while ${activity}: ${message === '' ? 'no message' : message}`);
}

/**
 * Writes the reason for `error` to `file` (creating `output/`) and returns it. Writing is best
 * effort: when it fails too, the caller still has the reason to print.
 */
export async function writeFailure(file: string, error: unknown, activity: JobActivity = 'training'): Promise<string> {
  const reason = failureReason(error, activity);
  try {
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, `${reason}\n`);
  } catch {
    // Nothing more to do: the exit code and the log still report the failure.
  }
  return reason;
}

/** {@link writeFailure} for signal handlers, which cannot wait for a promise before the process exits. */
export function writeFailureSync(file: string, error: unknown, activity: JobActivity = 'training'): string {
  const reason = failureReason(error, activity);
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${reason}\n`);
  } catch {
    // As above: the exit code still reports the failure.
  }
  return reason;
}
