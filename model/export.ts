/**
 * SageMaker Processing entry point (`docker run IMAGE export`): exports the lake window its
 * environment names (`exportEnv` in shared/training/pipeline.ts) as training CSVs into
 * `/opt/ml/processing/output`, or writes why it could not to `/opt/ml/output/message` and exits
 * non-zero. `--root DIR` or `SM_ROOT` replace `/opt/ml` (tests, local runs). See model/README.md.
 */
import process from 'node:process';
import { exportFromEnvironment } from '#shared/training/exportMain.ts';
import { exportMain } from './lib/exporting.ts';

process.exitCode = await exportMain(process.argv.slice(2), {
  env: process.env,
  log: (line) => process.stdout.write(`${line}\n`),
  error: (line) => process.stderr.write(`${line}\n`),
  runExport: (outputDir) => exportFromEnvironment(process.env, outputDir),
  // StopProcessingJob and the job's time limit send SIGTERM: record it, then stop.
  onStop: (handler) => {
    for (const [signal, code] of [
      ['SIGTERM', 143],
      ['SIGINT', 130],
    ] as const) {
      process.once(signal, () => {
        handler(signal);
        process.exit(code);
      });
    }
  },
});
