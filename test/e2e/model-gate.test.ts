import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packModel } from '#shared/recommender/io/tar.ts';
import type { DataWindow } from '#shared/recommender/dataWindow.ts';
import type { Interaction, ModelManifest } from '#shared/recommender/model.ts';
import { gateMetricDefinitions, type GateMetricName } from '#shared/training/pipeline.ts';
import type { GateReport } from '../../model/lib/gate.ts';
import { DAY, interactionsCsv, itemsCsv, timelineData } from '../fixtures/recommender/timeline.ts';

/*
 * The training job with the gate, as SageMaker runs it: `model/train.ts` in a child process on a
 * temporary `/opt/ml` holding a seeded synthetic shop (test/fixtures/recommender/timeline.ts): the
 * window's training part in `interactions`, its last week in `holdout`, the catalogue in `items`,
 * and in `live` either the no-live-model marker or an earlier job's `model/` tarred as SageMaker
 * tars it. The metrics are read from stdout with the pipeline's own metric definitions.
 */

const REPO = join(import.meta.dirname, '..', '..');
const TRAIN = join(REPO, 'model', 'train.ts');

/** 2025-03-01T00:00:00Z: a 60-day window, the last 7 days held out. */
const FROM = 1_740_787_200;
const TO = FROM + 60 * DAY;
const HOLDOUT_FROM = TO - 7 * DAY;
const iso = (seconds: number): string => new Date(seconds * 1000).toISOString();

interface Job {
  readonly root: string;
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** The last value of each metric in the log, as `FinalMetricDataList` would hold it. */
  readonly metrics: ReadonlyMap<GateMetricName, number>;
  readonly gate: GateReport;
}

const scratch: string[] = [];
let interactions: Interaction[];
let catalogueCsv: string;

function finalMetrics(log: string): Map<GateMetricName, number> {
  const metrics = new Map<GateMetricName, number>();
  for (const { Name, Regex } of gateMetricDefinitions) {
    const last = [...log.matchAll(new RegExp(Regex, 'g'))].at(-1)?.[1];
    if (last !== undefined) metrics.set(Name, Number(last));
  }
  return metrics;
}

/**
 * Lays out `/opt/ml` for a job trained on `[FROM, trainedUntil)` (recorded as its window) and
 * scored on `[holdoutFrom, TO)`; `live` is a model directory to tar into the live channel.
 */
async function runJob(options: {
  readonly hyperparameters?: Record<string, string>;
  readonly holdoutFrom?: number;
  readonly live?: string;
}): Promise<Job> {
  const holdoutFrom = options.holdoutFrom ?? HOLDOUT_FROM;
  const root = await mkdtemp(join(tmpdir(), 'reco-gate-job-'));
  scratch.push(root);
  const data = (channel: string): string => join(root, 'input', 'data', channel);
  for (const dir of [
    join(root, 'input', 'config'),
    data('interactions'),
    data('items'),
    data('holdout'),
    data('live'),
  ]) {
    await mkdir(dir, { recursive: true });
  }
  const window = { windowFrom: iso(FROM), holdoutFrom: iso(holdoutFrom), windowTo: iso(TO) };
  await writeFile(
    join(root, 'input', 'config', 'hyperparameters.json'),
    JSON.stringify({ tuneBudget: '3trials', ...window, ...(options.hyperparameters ?? {}) }),
  );
  const training = interactions.filter((row) => row.timestamp < holdoutFrom);
  await writeFile(join(data('interactions'), 'interactions.csv'), interactionsCsv(training));
  await writeFile(
    join(data('holdout'), 'holdout.csv'),
    interactionsCsv(interactions.filter((row) => row.timestamp >= holdoutFrom)),
  );
  await writeFile(join(data('items'), 'items.csv'), catalogueCsv);
  if (options.live === undefined) await writeFile(join(data('live'), 'NONE'), '');
  else await packModel(options.live, join(data('live'), 'model.tar.gz'));
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>(
    (resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', TRAIN, '--root', root], {
        cwd: REPO,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
      child.on('close', (exit) => resolve({ code: exit, stdout: out, stderr: err }));
    },
  );
  expect(code, stderr).toBe(0);
  const gate = JSON.parse(await readFile(join(root, 'output', 'data', 'gate.json'), 'utf8')) as GateReport;
  return { root, code, stdout, stderr, metrics: finalMetrics(stdout), gate };
}

const modelDir = (job: Job): string => join(job.root, 'model');

let first: Job;
let second: Job;

beforeAll(async () => {
  const shop = timelineData({
    users: 300,
    itemsPerCluster: 25,
    clusters: 8,
    eventsPerUser: 16,
    from: FROM,
    to: TO,
    seed: 11,
  });
  interactions = shop.interactions;
  catalogueCsv = itemsCsv(shop.catalogue);
  first = await runJob({});
  second = await runJob({ live: modelDir(first) });
});

afterAll(async () => {
  await Promise.all(scratch.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('Entry point: train with the gate', () => {
  it('returns the candidate’s metrics alone with the no-live-model marker, and gate.json in output/data and model/', async () => {
    // Assess
    expect([...first.metrics.keys()].sort()).toEqual([
      'candidate_coverage',
      'candidate_hr10',
      'candidate_ndcg10',
      'holdout_users',
      'live_overlap_interactions',
    ]);
    expect(first.metrics.get('holdout_users')).toBeGreaterThan(50);
    expect(first.metrics.get('candidate_hr10')).toBeGreaterThan(0.3);
    expect(first.metrics.get('live_overlap_interactions')).toBe(0);
    expect(first.stdout).toContain('channel "live" holds NONE: no live model to compare with');
    expect(first.stdout).toMatch(/gate: tuning_validation_ndcg10=[0-9.]+/);
    expect(JSON.parse(await readFile(join(modelDir(first), 'gate.json'), 'utf8'))).toEqual(first.gate);
    const manifest = JSON.parse(await readFile(join(modelDir(first), 'manifest.json'), 'utf8')) as ModelManifest;
    expect(manifest.window).toEqual<DataWindow>({ from: iso(FROM), holdoutFrom: iso(HOLDOUT_FROM), to: iso(TO) });
  });

  it('returns both models’ metrics on the same holdout shoppers with the first model live', () => {
    // Assess
    expect(second.metrics.get('holdout_users')).toBe(first.metrics.get('holdout_users'));
    expect(second.metrics.get('live_overlap_interactions')).toBe(0);
    // The live model is the first job's: trained on the same data with the same seed, loaded from its tarball.
    for (const name of ['hr10', 'ndcg10', 'coverage'] as const) {
      expect(second.metrics.get(`live_${name}`)).toBe(first.metrics.get(`candidate_${name}`));
      expect(second.metrics.get(`candidate_${name}`)).toBe(first.metrics.get(`candidate_${name}`));
    }
    expect(second.gate.liveModel?.window?.holdoutFrom).toBe(iso(HOLDOUT_FROM));
  });

  it('returns a weak candidate scored below the live model', async () => {
    // Act
    const weak = await runJob({ hyperparameters: { algorithm: 'popularity' }, live: modelDir(first) });

    // Assess
    expect(weak.metrics.get('holdout_users')).toBe(first.metrics.get('holdout_users'));
    expect(weak.metrics.get('candidate_ndcg10')).toBeLessThan(weak.metrics.get('live_ndcg10') ?? 0);
    expect(weak.metrics.get('candidate_hr10')).toBeLessThan(weak.metrics.get('live_hr10') ?? 0);
    expect(weak.metrics.get('candidate_coverage')).toBeLessThan(weak.metrics.get('live_coverage') ?? 0);
  });

  it('returns the holdout interactions the live model trained on counted, and both scored on the rest', async () => {
    // Prepare: a live model trained 3 days into what is now the holdout.
    const liveHoldoutFrom = HOLDOUT_FROM + 3 * DAY;
    const live = await runJob({ holdoutFrom: liveHoldoutFrom });
    const inside = interactions.filter((row) => row.timestamp >= HOLDOUT_FROM && row.timestamp < liveHoldoutFrom);

    // Act
    const overlapping = await runJob({ live: modelDir(live) });

    // Assess
    expect(inside.length).toBeGreaterThan(0);
    expect(overlapping.metrics.get('live_overlap_interactions')).toBe(inside.length);
    expect(overlapping.gate.scoredInteractions).toBe(overlapping.gate.holdoutInteractions - inside.length);
    expect(overlapping.metrics.get('holdout_users')).toBeLessThan(first.metrics.get('holdout_users') ?? 0);
    expect(overlapping.metrics.has('live_ndcg10')).toBe(true);
    expect(overlapping.stdout).toContain(
      `gate note: ${inside.length} of ${overlapping.gate.holdoutInteractions} holdout interactions fall in the live model's training window`,
    );
  });
});
