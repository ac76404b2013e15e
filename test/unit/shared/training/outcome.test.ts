import { describe, expect, it } from 'vitest';
import { MemoryModelRegistry } from '#shared/adapters/memoryModelRegistry.ts';
import { UnknownVersionError } from '#shared/training/errors.ts';
import { recordOutcome } from '#shared/training/outcome.ts';
import type { GateVerdict, GuardDecision, RecordInput } from '#shared/training/pipeline.ts';
import { MAX_ERROR_CHARS, type ModelVersionRecord } from '#shared/training/registry.ts';

const NOW = Date.parse('2026-05-02T05:00:00.000Z');
const EXECUTION = 'exec-2';
const OLD = 'v20260501030000-00000001';
const NEW = 'v20260502030000-00000002';
const window = {
  from: '2026-02-01T03:00:00.000Z',
  holdoutFrom: '2026-04-25T03:00:00.000Z',
  to: '2026-05-02T03:00:00.000Z',
};

const guard: GuardDecision = {
  action: 'train',
  reason: 'enough',
  version: NEW,
  liveVersion: OLD,
  endpointExists: true,
  modelName: `reco-${NEW}`,
  endpointConfigName: `reco-${NEW}`,
  endpointName: 'reco-endpoint',
  window,
};
const verdict: GateVerdict = {
  verdict: 'promote',
  reason: 'candidate NDCG@10 0.31 vs live 0.30',
  candidate: { hr10: 0.5, ndcg10: 0.31, coverage: 0.4 },
  live: { hr10: 0.49, ndcg10: 0.3, coverage: 0.38 },
  holdoutUsers: 900,
  liveOverlap: 0,
};
const training = (version: string, overrides: Partial<ModelVersionRecord> = {}): ModelVersionRecord => ({
  version,
  status: 'training',
  createdAt: '2026-05-02T03:00:01.000Z',
  executionId: EXECUTION,
  trigger: 'schedule',
  window,
  ...overrides,
});

/** A registry where OLD is live and NEW is being trained by EXECUTION, which holds the lock. */
async function setup() {
  const registry = new MemoryModelRegistry();
  await registry.putVersion(training(OLD, { executionId: 'exec-1', modelDataUrl: 's3://a/old.tar.gz' }));
  await registry.setLive({
    version: OLD,
    modelDataUrl: 's3://a/old.tar.gz',
    endpointName: 'reco-endpoint',
    since: 'x',
  });
  await registry.putVersion(training(NEW));
  await registry.takeLock({ holder: EXECUTION, now: NOW, ttlSeconds: 600 });
  return { registry, deps: { registry, clock: { now: () => NOW } } };
}

const record = (overrides: Partial<RecordInput>): RecordInput => ({
  step: 'record',
  outcome: 'live',
  executionId: EXECUTION,
  guard,
  ...overrides,
});

describe('Function: recordOutcome', () => {
  it('with live: stores the metrics and artifact, sets the version live, retires the old one and releases the lock', async () => {
    // Prepare
    const { registry, deps } = await setup();
    // Act
    const result = await recordOutcome(record({ gate: verdict, modelDataUrl: 's3://a/new.tar.gz' }), deps);
    // Assess
    expect(result).toEqual({ outcome: 'live', version: NEW, status: 'live', previous: OLD, lockReleased: true });
    expect(await registry.getVersion(NEW)).toEqual({
      ...training(NEW),
      status: 'live',
      metrics: { candidate: verdict.candidate, live: verdict.live },
      holdoutUsers: 900,
      liveOverlap: 0,
      verdict: verdict.reason,
      modelDataUrl: 's3://a/new.tar.gz',
      modelName: `reco-${NEW}`,
      endpointConfigName: `reco-${NEW}`,
      liveSince: '2026-05-02T05:00:00.000Z',
      updatedAt: '2026-05-02T05:00:00.000Z',
    });
    expect((await registry.getVersion(OLD))?.status).toBe('retired');
    expect(await registry.live()).toEqual({
      version: NEW,
      modelDataUrl: 's3://a/new.tar.gz',
      endpointName: 'reco-endpoint',
      window,
      since: '2026-05-02T05:00:00.000Z',
    });
    expect(await registry.releaseLock(EXECUTION)).toBe(false);
  });

  it('with live after a promotion: serves the version again under the promotion’s names, its metrics kept', async () => {
    // Prepare
    const { registry, deps } = await setup();
    await recordOutcome(record({ gate: verdict, modelDataUrl: 's3://a/new.tar.gz' }), deps);
    await registry.takeLock({ holder: 'exec-3', now: NOW, ttlSeconds: 600 });
    const promote: GuardDecision = {
      action: 'promote',
      reason: 'rollback',
      version: OLD,
      liveVersion: NEW,
      endpointExists: true,
      modelName: `reco-${OLD}-abcdef01`,
      endpointConfigName: `reco-${OLD}-abcdef01`,
      endpointName: 'reco-endpoint',
      modelDataUrl: 's3://a/old.tar.gz',
    };
    // Act
    const result = await recordOutcome(record({ executionId: 'exec-3', guard: promote }), deps);
    // Assess
    expect(result).toEqual({ outcome: 'live', version: OLD, status: 'live', previous: NEW, lockReleased: true });
    expect(await registry.getVersion(OLD)).toMatchObject({
      status: 'live',
      modelName: `reco-${OLD}-abcdef01`,
      modelDataUrl: 's3://a/old.tar.gz',
    });
    expect((await registry.getVersion(OLD))?.metrics).toBeUndefined();
    expect((await registry.getVersion(NEW))?.status).toBe('retired');
  });

  it('with rejected: stores the metrics, the reason and the artifact the guard planned, and leaves the live model alone', async () => {
    // Prepare
    const { registry, deps } = await setup();
    const rejected = { ...verdict, verdict: 'reject' as const, reason: 'below the live model' };
    // Act
    const result = await recordOutcome(
      record({ outcome: 'rejected', gate: rejected, guard: { ...guard, modelDataUrl: 's3://a/new.tar.gz' } }),
      deps,
    );
    // Assess
    expect(result).toEqual({ outcome: 'rejected', version: NEW, status: 'rejected', lockReleased: true });
    expect(await registry.getVersion(NEW)).toMatchObject({
      status: 'rejected',
      verdict: 'below the live model',
      modelDataUrl: 's3://a/new.tar.gz',
    });
    expect((await registry.live())?.version).toBe(OLD);
  });

  it('with failed: marks the version failed with the error trimmed, and leaves the live model alone', async () => {
    // Prepare
    const { registry, deps } = await setup();
    const cause = JSON.stringify({ FailureReason: 'x'.repeat(5_000) });
    // Act
    const result = await recordOutcome(
      record({ outcome: 'failed', error: { Error: 'SageMaker.AmazonSageMakerException', Cause: cause } }),
      deps,
    );
    // Assess
    const stored = await registry.getVersion(NEW);
    expect(result).toEqual({ outcome: 'failed', version: NEW, status: 'failed', lockReleased: true });
    expect(stored?.status).toBe('failed');
    expect(stored?.error?.error).toBe('SageMaker.AmazonSageMakerException');
    expect(stored?.error?.cause.startsWith('{"FailureReason":"xxx')).toBe(true);
    expect((stored?.error?.error.length ?? 0) + (stored?.error?.cause.length ?? 0)).toBe(MAX_ERROR_CHARS);
    expect((await registry.live())?.version).toBe(OLD);
  });

  it('with failed after the version went live (clean-up failed): keeps it live and stores the error', async () => {
    // Prepare
    const { registry, deps } = await setup();
    await recordOutcome(record({ gate: verdict, modelDataUrl: 's3://a/new.tar.gz' }), deps);
    // Act
    const result = await recordOutcome(record({ outcome: 'failed', error: { Error: 'Lambda.Unknown' } }), deps);
    // Assess
    expect(result).toMatchObject({ status: 'live', lockReleased: false });
    expect(await registry.getVersion(NEW)).toMatchObject({
      status: 'live',
      error: { error: 'Lambda.Unknown', cause: '' },
    });
    expect((await registry.live())?.version).toBe(NEW);
  });

  it('with failed and no guard decision (the failure path’s input): finds the execution’s version by its id', async () => {
    // Prepare
    const { registry, deps } = await setup();
    // Act
    const result = await recordOutcome(
      { step: 'record', outcome: 'failed', executionId: EXECUTION, error: { Error: 'States.TaskFailed', Cause: 'x' } },
      deps,
    );
    // Assess
    expect(result).toEqual({ outcome: 'failed', version: NEW, status: 'failed', lockReleased: true });
    expect(await registry.getVersion(NEW)).toMatchObject({ error: { error: 'States.TaskFailed', cause: 'x' } });
  });

  it('with failed before the execution made a version: releases the lock it may hold, records nothing', async () => {
    // Prepare
    const { registry, deps } = await setup();
    await registry.releaseLock(EXECUTION);
    await registry.takeLock({ holder: 'exec-9', now: NOW, ttlSeconds: 600 });
    // Act
    const result = await recordOutcome(
      { step: 'record', outcome: 'failed', executionId: 'exec-9', error: { Error: 'Lambda.Unknown' } },
      deps,
    );
    // Assess
    expect(result).toEqual({ outcome: 'failed', lockReleased: true });
    expect((await registry.getVersion(NEW))?.status).toBe('training');
  });

  it('throws InvalidRequestError guard_missing for a live or rejected outcome without the guard', async () => {
    // Prepare
    const { deps } = await setup();
    // Act
    const attempt = recordOutcome({ step: 'record', outcome: 'rejected', executionId: EXECUTION }, deps);
    // Assess
    await expect(attempt).rejects.toThrow(expect.objectContaining({ reason: 'guard_missing', status: 400 }));
  });

  it('releases the lock even when recording throws', async () => {
    // Prepare
    const { registry, deps } = await setup();
    const unknown = { ...guard, version: 'v20990101000000-00000000' };
    // Act
    const attempt = recordOutcome(record({ guard: unknown, modelDataUrl: 's3://a/x.tar.gz' }), deps);
    // Assess
    await expect(attempt).rejects.toBeInstanceOf(UnknownVersionError);
    expect(await registry.releaseLock(EXECUTION)).toBe(false);
  });
});
