import { describe, expect, it } from 'vitest';
import { MemoryLake } from '#shared/adapters/memoryLake.ts';
import { MemoryEndpointState } from '#shared/adapters/memoryModelResources.ts';
import { MemoryModelRegistry } from '#shared/adapters/memoryModelRegistry.ts';
import { NotPromotableError, PipelineConfigError, UnknownVersionError } from '#shared/training/errors.ts';
import { checkGuardOptions, guard, type GuardOptions } from '#shared/training/guard.ts';
import type { GuardInput, PipelineRequest } from '#shared/training/pipeline.ts';
import { executionHex } from '#shared/training/plan.ts';
import type { LakeEvent } from '#shared/training/ports.ts';

const DAY = 86_400_000;
const START = '2026-05-01T03:00:00.000Z';
const START_MS = Date.parse(START);
const EXECUTION = 'arn:aws:states:eu-west-1:123456789012:execution:training:run-2';
const VERSION = `v20260501030000-${executionHex(EXECUTION)}`;
const OPTIONS: GuardOptions = {
  bucket: 'artifacts',
  namePrefix: 'reco',
  endpointName: 'reco-endpoint',
  hyperparameters: { algorithm: 'hybrid' },
  minNewEvents: 3,
};

const events = (count: number, receivedAt: number): LakeEvent[] =>
  Array.from({ length: count }, (_, i) => ({
    type: 'view',
    userId: `u${i}`,
    itemId: 'sku-1',
    timestamp: receivedAt,
    receivedAt,
  }));

function setup(options: { lake?: LakeEvent[]; endpoint?: boolean; guardOptions?: Partial<GuardOptions> } = {}) {
  const registry = new MemoryModelRegistry();
  const lake = new MemoryLake().add(...(options.lake ?? []));
  const deps = {
    registry,
    clock: { now: () => START_MS + 1_500 },
    newData: lake,
    endpoints: new MemoryEndpointState(options.endpoint ? ['reco-endpoint'] : []),
    options: { ...OPTIONS, ...options.guardOptions },
  };
  return { registry, deps };
}

const input = (request: PipelineRequest = { trigger: 'schedule' }, executionId = EXECUTION): GuardInput => ({
  step: 'guard',
  executionId,
  startedAt: START,
  request,
});

/** A live version made by an earlier run whose window ended `endedAt`. */
async function withLive(registry: MemoryModelRegistry, version: string, endedAt: number) {
  const window = {
    from: new Date(endedAt - 90 * DAY).toISOString(),
    holdoutFrom: new Date(endedAt - 7 * DAY).toISOString(),
    to: new Date(endedAt).toISOString(),
  };
  await registry.putVersion({
    version,
    status: 'training',
    createdAt: window.to,
    executionId: 'earlier',
    trigger: 'schedule',
    window,
  });
  await registry.setLive({
    version,
    modelDataUrl: `s3://artifacts/models/${version}/job/output/model.tar.gz`,
    endpointName: 'reco-endpoint',
    window,
    since: window.to,
  });
  return window;
}

describe('Function: guard', () => {
  it('returns a train decision naming everything the run makes, records the version and keeps the lock', async () => {
    // Prepare
    const { registry, deps } = setup({ lake: events(5, START_MS - DAY) });
    // Act
    const decision = await guard(input(), deps);
    // Assess
    const window = {
      from: '2026-01-31T03:00:00.000Z',
      holdoutFrom: '2026-04-24T03:00:00.000Z',
      to: START,
    };
    expect(decision).toEqual({
      action: 'train',
      reason: '5 new events in the window since 2026-01-31T03:00:00.000Z (threshold 3)',
      version: VERSION,
      endpointExists: false,
      modelName: `reco-${VERSION}`,
      endpointConfigName: `reco-${VERSION}`,
      endpointName: 'reco-endpoint',
      trainingJobName: `reco-${VERSION}`,
      exportJobName: `reco-${VERSION}`,
      datasetS3Uri: `s3://artifacts/datasets/${VERSION}/`,
      modelOutputS3Uri: `s3://artifacts/models/${VERSION}/`,
      liveModelS3Uri: `s3://artifacts/datasets/${VERSION}/no-live-model/NONE`,
      modelDataUrl: `s3://artifacts/models/${VERSION}/reco-${VERSION}/output/model.tar.gz`,
      window,
      hyperparameters: {
        algorithm: 'hybrid',
        windowFrom: window.from,
        holdoutFrom: window.holdoutFrom,
        windowTo: START,
      },
    });
    expect(await registry.getVersion(VERSION)).toEqual({
      version: VERSION,
      status: 'training',
      createdAt: '2026-05-01T03:00:01.500Z',
      executionId: EXECUTION,
      trigger: 'schedule',
      window,
      hyperparameters: decision.hyperparameters,
      datasetS3Uri: decision.datasetS3Uri,
      trainingJobName: decision.trainingJobName,
      modelName: decision.modelName,
      endpointConfigName: decision.endpointConfigName,
    });
    expect((await registry.takeLock({ holder: 'other', now: START_MS, ttlSeconds: 60 })).taken).toBe(false);
  });

  it('counts new data from the live model’s window end and trains against its artifact', async () => {
    // Prepare
    const { registry, deps } = setup({
      lake: [...events(10, START_MS - 3 * DAY), ...events(4, START_MS - DAY)],
      endpoint: true,
    });
    const liveWindow = await withLive(registry, 'v20260429030000-00000001', START_MS - 2 * DAY);
    // Act
    const decision = await guard(input(), deps);
    // Assess
    expect(decision).toMatchObject({
      action: 'train',
      reason: `4 new events since the live model's window ended ${liveWindow.to} (threshold 3)`,
      liveVersion: 'v20260429030000-00000001',
      endpointExists: true,
      liveModelS3Uri: 's3://artifacts/models/v20260429030000-00000001/job/output/model.tar.gz',
      liveWindow,
    });
    expect(await registry.getVersion(VERSION)).toMatchObject({ parent: 'v20260429030000-00000001', liveWindow });
  });

  it('skips with how many new events against what threshold, and releases the lock', async () => {
    // Prepare
    const { registry, deps } = setup({ lake: events(2, START_MS - DAY) });
    // Act
    const decision = await guard(input(), deps);
    // Assess
    expect(decision).toMatchObject({
      action: 'skip',
      reason: '2 new events in the window since 2026-01-31T03:00:00.000Z, below the threshold of 3',
      version: VERSION,
    });
    expect(await registry.getVersion(VERSION)).toBeUndefined();
    expect((await registry.takeLock({ holder: 'other', now: START_MS, ttlSeconds: 60 })).taken).toBe(true);
  });

  it('skips an empty lake (not a failure), even when forced', async () => {
    // Prepare
    const { registry, deps } = setup();
    // Act
    const scheduled = await guard(input(), deps);
    const forced = await guard(input({ trigger: 'manual', force: true }), deps);
    // Assess
    expect(scheduled).toMatchObject({ action: 'skip', reason: expect.stringMatching(/^the lake has no events/) });
    expect(forced.action).toBe('skip');
    expect((await registry.takeLock({ holder: 'other', now: START_MS, ttlSeconds: 60 })).taken).toBe(true);
  });

  it('trains on the whole window when forced, however little is new', async () => {
    // Prepare
    const { registry, deps } = setup({ lake: events(1, START_MS - 10 * DAY) });
    await withLive(registry, 'v20260429030000-00000001', START_MS - DAY);
    // Act
    const decision = await guard(input({ trigger: 'manual', force: true }), deps);
    // Assess
    expect(decision).toMatchObject({
      action: 'train',
      reason: 'forced: 1 event in the window since 2026-01-31T03:00:00.000Z',
    });
  });

  it('skips a run while another holds the lock, saying whose, and leaves that lock alone', async () => {
    // Prepare
    const { registry, deps } = setup({ lake: events(5, START_MS - DAY) });
    await registry.takeLock({ holder: 'exec-1', now: START_MS - 1_000, ttlSeconds: 3_600 });
    // Act
    const decision = await guard(input(), deps);
    // Assess
    expect(decision).toMatchObject({
      action: 'skip',
      reason: 'locked by exec-1 until 2026-05-01T03:59:59.000Z',
    });
    expect(await registry.releaseLock('exec-1')).toBe(true);
  });

  it('returns the same decision when the step is retried (the holder takes its own lock again)', async () => {
    // Prepare
    const { deps } = setup({ lake: events(5, START_MS - DAY) });
    // Act
    const first = await guard(input(), deps);
    const retried = await guard(input(), deps);
    // Assess
    expect(retried).toEqual(first);
  });

  describe('with trigger promote', () => {
    it('returns a promote decision with the artifact and names of its own, keeping the lock', async () => {
      // Prepare
      const { registry, deps } = setup({ endpoint: true });
      await withLive(registry, 'v20260420030000-00000001', START_MS - 10 * DAY);
      await withLive(registry, 'v20260429030000-00000002', START_MS - 2 * DAY);
      // Act
      const decision = await guard(input({ trigger: 'promote', promoteVersion: 'v20260420030000-00000001' }), deps);
      // Assess
      const names = `reco-v20260420030000-00000001-${executionHex(EXECUTION)}`;
      expect(decision).toEqual({
        action: 'promote',
        reason: 'promote v20260420030000-00000001 (retired) in place of v20260429030000-00000002',
        version: 'v20260420030000-00000001',
        liveVersion: 'v20260429030000-00000002',
        endpointExists: true,
        modelName: names,
        endpointConfigName: names,
        endpointName: 'reco-endpoint',
        modelDataUrl: 's3://artifacts/models/v20260420030000-00000001/job/output/model.tar.gz',
      });
      expect((await registry.takeLock({ holder: 'other', now: START_MS, ttlSeconds: 60 })).taken).toBe(false);
    });

    it('skips promoting the version already live, releasing the lock', async () => {
      // Prepare
      const { registry, deps } = setup();
      await withLive(registry, 'v20260429030000-00000002', START_MS - 2 * DAY);
      // Act
      const decision = await guard(input({ trigger: 'promote', promoteVersion: 'v20260429030000-00000002' }), deps);
      // Assess
      expect(decision).toMatchObject({ action: 'skip', reason: 'version v20260429030000-00000002 is already live' });
      expect(await registry.releaseLock(EXECUTION)).toBe(false);
    });

    it('throws for an unknown version, a failed one, one with no artifact and one whose artifact was cleaned up', async () => {
      // Prepare
      const { registry, deps } = setup();
      const base = { status: 'rejected', createdAt: START, executionId: 'e', trigger: 'schedule' } as const;
      await registry.putVersion({ ...base, version: 'v20260420030000-0000000a' });
      await registry.putVersion({
        ...base,
        status: 'failed',
        version: 'v20260420030000-0000000c',
        modelDataUrl: 's3://x',
      });
      await registry.putVersion({
        ...base,
        version: 'v20260420030000-0000000b',
        modelDataUrl: 's3://artifacts/models/b/model.tar.gz',
        resourcesDeletedAt: '2026-04-25T00:00:00.000Z',
      });
      const promote = (promoteVersion: string) => guard(input({ trigger: 'promote', promoteVersion }), deps);
      // Act, Assess
      await expect(promote('v20990101000000-00000000')).rejects.toBeInstanceOf(UnknownVersionError);
      await expect(promote('v20260420030000-0000000c')).rejects.toThrow(
        expect.objectContaining({ reason: 'not_promotable' }),
      );
      await expect(promote('v20260420030000-0000000a')).rejects.toThrow(
        expect.objectContaining({ name: 'NotPromotableError', reason: 'no_artifact' }),
      );
      await expect(promote('v20260420030000-0000000b')).rejects.toThrow(
        new NotPromotableError(
          'artifact_deleted',
          'version v20260420030000-0000000b cannot be served again: clean-up deleted its model and artifact at 2026-04-25T00:00:00.000Z',
        ),
      );
    });
  });
});

describe('Function: checkGuardOptions', () => {
  it('refuses reserved hyperparameters, a bad prefix and a holdout longer than the window', () => {
    expect(checkGuardOptions(OPTIONS)).toBe(OPTIONS);
    expect(() => checkGuardOptions({ ...OPTIONS, hyperparameters: { windowFrom: 'x' } })).toThrow(
      expect.objectContaining({ reason: 'reserved_hyperparameter' }),
    );
    expect(() => checkGuardOptions({ ...OPTIONS, namePrefix: 'reco_prod' })).toThrow(PipelineConfigError);
    expect(() => checkGuardOptions({ ...OPTIONS, windowDays: 1, holdout: { seconds: 2 * 86_400 } })).toThrow(
      PipelineConfigError,
    );
  });
});
