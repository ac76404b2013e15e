/**
 * SageMaker inference entry point (`docker run IMAGE serve`): HTTP on `SAGEMAKER_BIND_TO_PORT`
 * or 8080 with `GET /ping` and `POST /invocations`, serving the model in `/opt/ml/model`.
 * Flags for tests and local runs: `--root DIR`, `--port N` (0 = any free port), `--host H`.
 * See model/README.md for the HTTP contract.
 */
import process from 'node:process';
import { serveMain } from './lib/serving.ts';

process.exitCode = await serveMain(process.argv.slice(2), {
  env: process.env,
  log: (line) => process.stdout.write(`${line}\n`),
  error: (line) => process.stderr.write(`${line}\n`),
  onStop: (handler) => {
    process.once('SIGTERM', () => handler('SIGTERM'));
    process.once('SIGINT', () => handler('SIGINT'));
  },
});
