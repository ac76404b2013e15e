/**
 * SageMaker training entry point (`docker run IMAGE train`): reads `/opt/ml/input`, writes the
 * model to `/opt/ml/model`, or the reason it could not to `/opt/ml/output/failure` and exits
 * non-zero. `--root DIR` or `SM_ROOT` replace `/opt/ml` (tests, local runs). See model/README.md.
 */
import process from 'node:process';
import { trainMain } from './lib/training.ts';

process.exitCode = await trainMain(process.argv.slice(2), {
  env: process.env,
  log: (line) => process.stdout.write(`${line}\n`),
  error: (line) => process.stderr.write(`${line}\n`),
  // StopTrainingJob and the job's time limit send SIGTERM (SIGKILL follows): record it, then stop.
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
