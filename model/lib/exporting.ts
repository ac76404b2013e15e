/**
 * The export entry point without the process: a SageMaker Processing job runs the image with
 * `export`; it reads its window and sources from the environment (`exportEnv` in
 * shared/training/pipeline.ts), writes the training CSVs into `processing/output/` and the job
 * uploads them. Nothing of a deployed model is read. On failure the reason goes to
 * `output/message`, which SageMaker shows as the processing job's ExitMessage (its first 1 KB).
 */
import { mkdir } from 'node:fs/promises';
import { ApiError } from '#shared/errors.ts';
import { isExplained, TrainingJobError, writeFailure, writeFailureSync } from './failure.ts';
import { containerPaths, parseFlags, resolveRoot, UsageError } from './paths.ts';
import type { EntryIo } from './training.ts';

export interface ExportIo extends EntryIo {
  /** Writes the export into `outputDir` (in the image: `exportFromEnvironment` of shared/training/exportMain.ts). */
  readonly runExport: (outputDir: string) => Promise<unknown>;
  /** Registers `handler` for a stop signal; the caller exits after it returns. */
  readonly onStop?: (handler: (signal: string) => void) => void;
}

/**
 * Flags: `--root DIR` (else `SM_ROOT`, else `/opt/ml`): the export writes `<root>/processing/output`.
 * Returns the exit code: 0 written, 1 the export failed, 2 a bad command line; both failures
 * write `output/message`.
 */
export async function exportMain(args: readonly string[], io: ExportIo): Promise<number> {
  let root = resolveRoot(undefined, io.env['SM_ROOT']);
  try {
    root = resolveRoot(parseFlags(args, ['root'] as const).root, io.env['SM_ROOT']);
    const paths = containerPaths(root);
    io.onStop?.((signal) => {
      const reason = writeFailureSync(
        paths.message,
        new TrainingJobError(`export stopped by ${signal} (StopProcessingJob or the job's time limit)`),
        'exporting',
      );
      io.error(`export failed: ${reason}`);
    });
    await mkdir(paths.processingOutput, { recursive: true });
    io.log(`exporting into ${paths.processingOutput}`);
    await io.runExport(paths.processingOutput);
    io.log(`export written to ${paths.processingOutput}`);
    return 0;
  } catch (error) {
    const reason = await writeFailure(containerPaths(root).message, error, 'exporting');
    io.error(`export failed: ${reason}`);
    if (error instanceof UsageError) return 2;
    if (!isExplained(error) && !(error instanceof ApiError)) {
      io.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    }
    return 1;
  }
}
