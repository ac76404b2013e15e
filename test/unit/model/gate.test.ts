import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { itemKnnTrainer } from '#shared/recommender/algorithms/itemKnn.ts';
import { popularityTrainer } from '#shared/recommender/algorithms/popularity.ts';
import { packModel } from '#shared/recommender/io/tar.ts';
import type { DataWindow } from '#shared/recommender/dataWindow.ts';
import type { Interaction, Model, TrainingData } from '#shared/recommender/model.ts';
import { gateMetricDefinitions } from '#shared/training/pipeline.ts';
import { TrainingJobError } from '../../../model/lib/failure.ts';
import { GATE_FILE, runGate, type GateJob } from '../../../model/lib/gate.ts';
import { containerPaths, type ContainerPaths } from '../../../model/lib/paths.ts';
import { updateManifest } from '../../../model/lib/training.ts';
import { DAY, timelineData } from '../../fixtures/recommender/timeline.ts';

const FROM = 1_740_787_200;
const TO = FROM + 60 * DAY;
const HOLDOUT_FROM = TO - 7 * DAY;
const iso = (seconds: number): string => new Date(seconds * 1000).toISOString();
const WINDOW: DataWindow = { from: iso(FROM), holdoutFrom: iso(HOLDOUT_FROM), to: iso(TO) };

let data: TrainingData;
let holdout: Interaction[];
let candidate: Model;
let root: string;
let paths: ContainerPaths;
let lines: string[];

beforeAll(async () => {
  const all = timelineData({
    users: 120,
    itemsPerCluster: 15,
    clusters: 6,
    eventsPerUser: 14,
    from: FROM,
    to: TO,
    seed: 3,
  });
  data = { interactions: all.interactions.filter((i) => i.timestamp < HOLDOUT_FROM), catalogue: all.catalogue };
  holdout = all.interactions.filter((i) => i.timestamp >= HOLDOUT_FROM);
  candidate = await itemKnnTrainer.fit(data);
});

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'reco-gate-'));
  paths = containerPaths(root);
  lines = [];
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const job = (): GateJob => ({ paths, data, candidate, holdout, window: WINDOW, log: (line) => lines.push(line) });

/** Saves `model` as SageMaker's artifact in the live channel, with the window given (none: as saved). */
async function liveArtifact(model: Model, window?: DataWindow): Promise<void> {
  const dir = join(root, 'live-model');
  await model.save(dir);
  if (window !== undefined) await updateManifest(dir, (manifest) => ({ ...manifest, window }));
  await packModel(dir, join(paths.channel('live'), 'model.tar.gz'));
}

/** What SageMaker's metric definitions find in the log: the last value per metric. */
function finalMetrics(): Map<string, number> {
  const found = new Map<string, number>();
  for (const { Name, Regex } of gateMetricDefinitions) {
    for (const line of lines) {
      const match = new RegExp(Regex).exec(line);
      if (match?.[1] !== undefined) found.set(Name, Number(match[1]));
    }
  }
  return found;
}

describe('Function: runGate', () => {
  it('returns the candidate’s metrics alone for the no-live-model marker, printed and in gate.json twice', async () => {
    // Prepare
    await mkdir(paths.channel('live'), { recursive: true });
    await writeFile(join(paths.channel('live'), 'NONE'), '');

    // Act
    const report = await runGate(job());

    // Assess
    expect(report.holdoutUsers).toBeGreaterThan(20);
    expect(report.candidate?.hr10).toBeGreaterThan(0);
    expect(report.live).toBeUndefined();
    expect([...finalMetrics().keys()].sort()).toEqual([
      'candidate_coverage',
      'candidate_hr10',
      'candidate_ndcg10',
      'holdout_users',
      'live_overlap_interactions',
    ]);
    expect(finalMetrics().get('holdout_users')).toBe(report.holdoutUsers);
    expect(lines).toContain('channel "live" holds NONE: no live model to compare with');
    const written = JSON.parse(await readFile(join(paths.outputData, GATE_FILE), 'utf8')) as unknown;
    expect(written).toEqual(JSON.parse(JSON.stringify(report)));
    expect(JSON.parse(await readFile(join(paths.model, GATE_FILE), 'utf8'))).toEqual(written);
  });

  it('returns the candidate alone when the job has no live channel', async () => {
    // Act
    const report = await runGate(job());

    // Assess
    expect(report.live).toBeUndefined();
    expect(lines).toContain('no "live" channel: no live model to compare with');
  });

  it('returns both models scored on the same shoppers, the weaker live model lower', async () => {
    // Prepare: popularity by its totals alone (without categories, which lift it within the clusters).
    const weaker = await popularityTrainer.fit({ ...data, catalogue: [] });
    await liveArtifact(weaker, { ...WINDOW, holdoutFrom: iso(HOLDOUT_FROM - DAY) });

    // Act
    const report = await runGate(job());

    // Assess
    expect(report.liveOverlapInteractions).toBe(0);
    expect(report.live).toBeDefined();
    expect(report.live?.ndcg10).toBeLessThan(report.candidate?.ndcg10 ?? 0);
    expect(report.liveModel).toMatchObject({
      algorithm: 'popularity',
      window: { holdoutFrom: iso(HOLDOUT_FROM - DAY) },
    });
    expect(finalMetrics().get('live_ndcg10')).toBe(report.live?.ndcg10);
  });

  it('returns the holdout interactions inside the live model’s window counted and left out of both scores', async () => {
    // Prepare
    const liveHoldoutFrom = HOLDOUT_FROM + 3 * DAY;
    await liveArtifact(await popularityTrainer.fit(data), { ...WINDOW, holdoutFrom: iso(liveHoldoutFrom) });
    const inside = holdout.filter((i) => i.timestamp < liveHoldoutFrom).length;

    // Act
    const report = await runGate(job());
    const whole = await runGate({ ...job(), paths: containerPaths(join(root, 'no-live')), log: () => undefined });

    // Assess
    expect(inside).toBeGreaterThan(0);
    expect(report.liveOverlapInteractions).toBe(inside);
    expect(report.scoredInteractions).toBe(holdout.length - inside);
    expect(report.holdoutUsers).toBeLessThan(whole.holdoutUsers);
    expect(report.live).toBeDefined();
    expect(report.notes).toContain(
      `${inside} of ${holdout.length} holdout interactions fall in the live model's training window; both models are scored on the other ${holdout.length - inside}`,
    );
    expect(finalMetrics().get('live_overlap_interactions')).toBe(inside);
  });

  it('returns zeros for both models and no shopper when all of the holdout lies in the live model’s window', async () => {
    // Prepare
    await liveArtifact(await popularityTrainer.fit(data), { ...WINDOW, holdoutFrom: iso(TO) });

    // Act
    const report = await runGate(job());

    // Assess
    expect(report.liveOverlapInteractions).toBe(holdout.length);
    expect(report.holdoutUsers).toBe(0);
    expect(report.candidate).toEqual({ hr10: 0, ndcg10: 0, coverage: 0 });
    expect(report.live).toEqual({ hr10: 0, ndcg10: 0, coverage: 0 });
    expect(finalMetrics().size).toBe(8);
    expect(report.notes).toContain(
      "no holdout shopper has a training history and a new item outside the live model's training window: nothing scored",
    );
  });

  it('returns everything before a windowless live model’s creation counted as seen', async () => {
    // Prepare
    await liveArtifact(await popularityTrainer.fit(data));

    // Act
    const report = await runGate(job());

    // Assess
    expect(report.liveOverlapInteractions).toBe(holdout.length);
    expect(report.notes[0]).toMatch(
      /^the live model records no data window; every holdout interaction before its creation/,
    );
  });

  it('rejects a live channel holding both an artifact and the marker', async () => {
    // Prepare
    await liveArtifact(await popularityTrainer.fit(data), WINDOW);
    await writeFile(join(paths.channel('live'), 'NONE'), '');

    // Act
    const run = runGate(job());

    // Assess
    await expect(run).rejects.toThrow(TrainingJobError);
    await expect(run).rejects.toThrow('holds both model.tar.gz and the no-live-model marker NONE');
  });

  it('rejects a live artifact that is not a model, naming the channel', async () => {
    // Prepare
    await mkdir(paths.channel('live'), { recursive: true });
    await writeFile(join(paths.channel('live'), 'model.tar.gz'), 'not a tarball');

    // Act
    const run = runGate(job());

    // Assess
    await expect(run).rejects.toThrow(/^channel "live": cannot load the live model: /);
  });

  it('returns zeros and no shopper, and says so, when no holdout shopper has a training history', async () => {
    // Prepare
    const strangers = holdout.map((interaction) => ({ ...interaction, userId: `new-${interaction.userId}` }));

    // Act
    const report = await runGate({ ...job(), holdout: strangers });

    // Assess
    expect(report.holdoutUsers).toBe(0);
    expect(report.candidate).toEqual({ hr10: 0, ndcg10: 0, coverage: 0 });
    expect(finalMetrics().get('holdout_users')).toBe(0);
    expect(finalMetrics().get('candidate_ndcg10')).toBe(0);
    expect(report.notes).toContain('no holdout shopper has a training history and a new item: nothing scored');
  });
});
