import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api } from '#shared/config/index.ts';
import { pipelineStates as s } from '#shared/training/pipeline.ts';
import type { ModelVersionRecord } from '#shared/training/registry.ts';
import { startSimulatedStack, type SimulatedStack } from '#local/training/retrain.ts';

/*
 * The gate's other branch on the local stack: a candidate worse than the live model (the
 * popularity ranking against the hybrid model the stack started with) is recorded as rejected
 * and never deployed.
 */

let simulated: SimulatedStack;
const dataDir = mkdtempSync(join(tmpdir(), 'reco-training-rejected-'));

beforeAll(async () => {
  delete process.env.AWS_ENDPOINT_URL_DYNAMODB;
  delete process.env.AWS_ENDPOINT_URL_KINESIS;
  simulated = await startSimulatedStack({
    seed: 7,
    historyEvents: 20_000,
    trafficEvents: 6_000,
    eventsPerSecond: 2_000,
    holdoutSeconds: 4,
    dataDir,
    trainingHyperparameters: { algorithm: 'popularity' },
  });
}, 170_000);

afterAll(async () => {
  await simulated?.stack.stop();
  await rm(dataDir, { recursive: true, force: true });
});

describe('Local stack: a candidate the gate rejects', () => {
  it('records it as rejected with both models metrics, notifies, and keeps the live model', async () => {
    // Prepare
    const live = simulated.stack.model?.modelVersion;
    // Act
    const run = await simulated.stack.training.run({ trigger: 'manual', force: true });
    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(run.path.slice(-4)).toEqual([s.verdict, s.recordRejected, s.notifyRejected, s.rejected]);
    expect(run.path).not.toContain(s.createModel);
    const list = await simulated.stack.serverFetch(api.routes.models);
    const body = (await list.json()) as { live: string; versions: ModelVersionRecord[] };
    expect(body.live).toBe(live);
    const rejected = body.versions[0];
    expect(rejected).toMatchObject({ status: 'rejected', parent: live });
    expect(rejected?.metrics?.candidate.ndcg10).toBeLessThan(rejected?.metrics?.live?.ndcg10 ?? 0);
    expect(rejected?.verdict).toMatch(/below the live model/);
    expect(simulated.stack.endpoint.version).toBe(live);
  });
});
