/**
 * `npm run train:local`: one run of the training pipeline as CDK synthesises it, on this machine
 * (see local/training/retrain.ts). Prints the path the execution took, the candidate's holdout
 * metrics beside the live model's, and the verdict. On a running `npm start`, `POST
 * /v1/admin/train` runs the same definition in the background and prints the same lines.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { describeRun } from './training/localPipeline.ts';
import { retrainOnSimulatedTraffic } from './training/retrain.ts';

function integer(name: string, raw: string | undefined, fallback: number, min: number): number {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min) throw new Error(`--${name} must be an integer ≥ ${min}, got "${raw}"`);
  return Number(raw);
}

const { values } = parseArgs({
  options: {
    seed: { type: 'string' },
    history: { type: 'string' },
    traffic: { type: 'string' },
    rate: { type: 'string' },
    holdout: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
  strict: true,
});
if (values.help) {
  console.log(
    'usage: npm run train:local -- [--seed N] [--history EVENTS] [--traffic EVENTS] [--rate EVENTS_PER_S] [--holdout SECONDS]',
  );
  process.exit(0);
}
const dataDir = await mkdtemp(join(tmpdir(), 'reco-train-local-'));
try {
  const result = await retrainOnSimulatedTraffic({
    seed: integer('seed', values.seed, 42, 0),
    historyEvents: integer('history', values.history, 30_000, 1),
    trafficEvents: integer('traffic', values.traffic, 20_000, 1),
    eventsPerSecond: integer('rate', values.rate, 1_000, 1),
    holdoutSeconds: integer('holdout', values.holdout, 8, 1),
    dataDir,
    log: (line) => console.log(line),
  });
  console.log(`started from ${result.bootstrap.version}, trained on ${result.bootstrap.trainedOn} interactions`);
  for (const line of describeRun(result.run)) console.log(line);
  const { start, traffic, pipeline } = result.timings;
  console.log(
    `timings: stack and first model ${(start / 1000).toFixed(1)} s, traffic ${(traffic / 1000).toFixed(1)} s, ` +
      `pipeline ${(pipeline / 1000).toFixed(1)} s`,
  );
  process.exitCode = result.run.status === 'SUCCEEDED' ? 0 : 1;
} finally {
  await rm(dataDir, { recursive: true, force: true });
}
