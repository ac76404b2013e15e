import { describe, expect, it, vi } from 'vitest';
import { MemoryModelRegistry } from '#shared/adapters/memoryModelRegistry.ts';
import { ConflictError, InvalidRequestError, NotFoundError } from '#shared/errors.ts';
import { getModel, listModels, promoteModel, startTraining, type ModelAdminDeps } from '#shared/models/admin.ts';
import type { TrainingRuns } from '#shared/models/trainingRuns.ts';
import type { ModelVersionRecord } from '#shared/training/registry.ts';

const version = (n: number, overrides: Partial<ModelVersionRecord> = {}): ModelVersionRecord => ({
  version: `v2026120712000${n}-0000000${n}`,
  status: 'retired',
  createdAt: `2026-12-07T12:00:0${n}.000Z`,
  executionId: `exec-${n}`,
  trigger: 'schedule',
  modelDataUrl: `s3://artifacts/models/${n}/model.tar.gz`,
  ...overrides,
});

async function fixture(records: readonly ModelVersionRecord[]) {
  const registry = new MemoryModelRegistry();
  for (const record of records) await registry.putVersion(record);
  const start = vi.fn<TrainingRuns['start']>(async () => ({
    executionId: 'exec-new',
    startedAt: '2026-12-07T13:00:00Z',
  }));
  const deps: ModelAdminDeps = { registry, runs: { start } };
  return { registry, start, deps };
}

describe('Function: listModels', () => {
  it('returns the live version and the versions newest first, at most limit', async () => {
    // Prepare
    const { registry, deps } = await fixture([version(1), version(2), version(3)]);
    await registry.setLive({
      version: version(2).version,
      modelDataUrl: 's3://artifacts/models/2/model.tar.gz',
      endpointName: 'reco-model',
      since: '2026-12-07T12:30:00.000Z',
    });
    // Act
    const list = await listModels(deps, 2);
    // Assess
    expect(list.live).toBe(version(2).version);
    expect(list.versions.map((record) => record.version)).toEqual([version(3).version, version(2).version]);
  });

  it('returns live null before any model went live', async () => {
    // Prepare
    const { deps } = await fixture([]);
    // Act
    const list = await listModels(deps, 10);
    // Assess
    expect(list).toEqual({ live: null, versions: [] });
  });
});

describe('Function: getModel', () => {
  it('throws model_not_found for a version never made, and invalid_version for one that is not a version', async () => {
    // Prepare
    const { deps } = await fixture([version(1)]);
    // Act & Assess
    await expect(getModel(deps, 'v20261207120009-00000009')).rejects.toMatchObject({
      constructor: NotFoundError,
      reason: 'model_not_found',
    });
    await expect(getModel(deps, '../constructor')).rejects.toBeInstanceOf(InvalidRequestError);
    await expect(getModel(deps, version(1).version)).resolves.toMatchObject({ status: 'retired' });
  });
});

describe('Function: promoteModel', () => {
  it('starts a promote run for a retired version', async () => {
    // Prepare
    const { deps, start } = await fixture([version(1)]);
    // Act
    const started = await promoteModel(deps, version(1).version);
    // Assess
    expect(started.executionId).toBe('exec-new');
    expect(start).toHaveBeenCalledWith({ trigger: 'promote', promoteVersion: version(1).version });
  });

  it.each([
    ['live', 'already_live'],
    ['failed', 'not_promotable'],
    ['training', 'not_promotable'],
  ] as const)('throws a conflict (%s → %s) and starts nothing', async (status, reason) => {
    // Prepare
    const { deps, start } = await fixture([version(1, { status })]);
    // Act & Assess
    await expect(promoteModel(deps, version(1).version)).rejects.toMatchObject({ constructor: ConflictError, reason });
    expect(start).not.toHaveBeenCalled();
  });

  it('throws artifact_deleted for a version whose artifact clean-up deleted', async () => {
    // Prepare
    const { deps } = await fixture([version(1, { resourcesDeletedAt: '2026-12-07T12:40:00.000Z' })]);
    // Act & Assess
    await expect(promoteModel(deps, version(1).version)).rejects.toMatchObject({ reason: 'artifact_deleted' });
  });
});

describe('Function: startTraining', () => {
  it('starts a manual run, forced only when asked', async () => {
    // Prepare
    const { deps, start } = await fixture([]);
    // Act
    await startTraining(deps, { force: false });
    await startTraining(deps, { force: true });
    // Assess
    expect(start.mock.calls).toEqual([[{ trigger: 'manual' }], [{ trigger: 'manual', force: true }]]);
  });
});
