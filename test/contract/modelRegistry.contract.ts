import { beforeEach, describe, expect, it } from 'vitest';
import { UnknownVersionError } from '#shared/training/errors.ts';
import type { ModelRegistry, ModelVersionRecord } from '#shared/training/registry.ts';

const NOW = Date.parse('2026-05-01T03:00:00.000Z');
const window = {
  from: '2026-01-31T03:00:00.000Z',
  holdoutFrom: '2026-04-24T03:00:00.000Z',
  to: '2026-05-01T03:00:00.000Z',
};

const record = (version: string, overrides: Partial<ModelVersionRecord> = {}): ModelVersionRecord => ({
  version,
  status: 'training',
  createdAt: '2026-05-01T03:00:00.000Z',
  executionId: `arn:aws:states:eu-west-1:123456789012:execution:training:${version}`,
  trigger: 'schedule',
  window,
  hyperparameters: { algorithm: 'hybrid', windowFrom: window.from },
  modelName: `reco-${version}`,
  ...overrides,
});

const setLiveOf = (version: string, since = '2026-05-01T04:00:00.000Z') => ({
  version,
  modelDataUrl: `s3://artifacts/models/${version}/job/output/model.tar.gz`,
  endpointName: 'reco-endpoint',
  window,
  since,
});

/**
 * The behaviour every ModelRegistry adapter must have, run against the in-memory registry (unit)
 * and the DynamoDB one on the local stand-in (integration). `createRegistry` gives an empty one.
 */
export function modelRegistryContract(name: string, createRegistry: () => Promise<ModelRegistry>): void {
  describe(`Contract: ModelRegistry (${name})`, () => {
    let registry: ModelRegistry;
    beforeEach(async () => {
      registry = await createRegistry();
    });

    describe('Method: takeLock', () => {
      it('returns taken to the first holder and the holder and expiry to a second one', async () => {
        // Act
        const first = await registry.takeLock({ holder: 'exec-1', now: NOW, ttlSeconds: 600 });
        const second = await registry.takeLock({ holder: 'exec-2', now: NOW + 5_000, ttlSeconds: 600 });
        // Assess
        expect(first).toEqual({ taken: true });
        expect(second).toEqual({ taken: false, heldBy: 'exec-1', expiresAt: NOW / 1000 + 600 });
      });

      it('lets exactly one of two holders win when both try at the same instant', async () => {
        // Act
        const results = await Promise.all(
          ['exec-a', 'exec-b', 'exec-c'].map((holder) => registry.takeLock({ holder, now: NOW, ttlSeconds: 600 })),
        );
        // Assess
        const winners = results.filter((result) => result.taken);
        expect(winners).toHaveLength(1);
        const heldBy = new Set(results.flatMap((result) => (result.taken ? [] : [result.heldBy])));
        expect(heldBy.size).toBe(1);
      });

      it('returns taken to the holder again (a retried step) and to anyone once the lock expired', async () => {
        // Prepare
        await registry.takeLock({ holder: 'exec-1', now: NOW, ttlSeconds: 60 });
        // Act
        const again = await registry.takeLock({ holder: 'exec-1', now: NOW + 1_000, ttlSeconds: 60 });
        const beforeExpiry = await registry.takeLock({ holder: 'exec-2', now: NOW + 60_000, ttlSeconds: 60 });
        const afterExpiry = await registry.takeLock({ holder: 'exec-2', now: NOW + 61_000, ttlSeconds: 60 });
        // Assess
        expect(again).toEqual({ taken: true });
        expect(beforeExpiry).toMatchObject({ taken: false, heldBy: 'exec-1' });
        expect(afterExpiry).toEqual({ taken: true });
      });
    });

    describe('Method: releaseLock', () => {
      it('releases only the holder’s own lock', async () => {
        // Prepare
        await registry.takeLock({ holder: 'exec-1', now: NOW, ttlSeconds: 600 });
        // Act
        const byOther = await registry.releaseLock('exec-2');
        const stillHeld = await registry.takeLock({ holder: 'exec-3', now: NOW, ttlSeconds: 600 });
        const byHolder = await registry.releaseLock('exec-1');
        const byHolderAgain = await registry.releaseLock('exec-1');
        const free = await registry.takeLock({ holder: 'exec-3', now: NOW, ttlSeconds: 600 });
        // Assess
        expect([byOther, byHolder, byHolderAgain]).toEqual([false, true, false]);
        expect(stillHeld.taken).toBe(false);
        expect(free).toEqual({ taken: true });
      });
    });

    describe('Method: putVersion', () => {
      it('round-trips a record with every field, and replaces it whole', async () => {
        // Prepare
        const full = record('v20260501030000-0000000a', {
          status: 'rejected',
          liveWindow: window,
          parent: 'v20260430030000-00000009',
          metrics: {
            candidate: { hr10: 0.4, ndcg10: 0.25, coverage: 0.6 },
            live: { hr10: 0.5, ndcg10: 0.3, coverage: 0.5 },
          },
          holdoutUsers: 812,
          liveOverlap: 0,
          verdict: 'candidate NDCG@10 0.25 is below the live model’s 0.3',
          modelDataUrl: 's3://artifacts/models/v/job/output/model.tar.gz',
          datasetS3Uri: 's3://artifacts/datasets/v/',
          trainingJobName: 'reco-v20260501030000-0000000a',
          endpointConfigName: 'reco-v20260501030000-0000000a',
          error: { error: 'States.TaskFailed', cause: '{}' },
          updatedAt: '2026-05-01T05:00:00.000Z',
        });
        // Act
        await registry.putVersion(record(full.version));
        await registry.putVersion(full);
        const read = await registry.getVersion(full.version);
        await registry.putVersion(record(full.version));
        const replaced = await registry.getVersion(full.version);
        // Assess
        expect(read).toEqual(full);
        expect(replaced).toEqual(record(full.version));
        expect(await registry.getVersion('v20990101000000-00000000')).toBeUndefined();
      });
    });

    describe('Method: listVersions', () => {
      it('returns versions newest first, at most limit, and an empty list for an empty registry', async () => {
        // Prepare
        const empty = await registry.listVersions({ limit: 5 });
        const versions = Array.from({ length: 7 }, (_, i) => `v2026050${i + 1}030000-0000000${i}`);
        for (const version of [...versions].reverse()) await registry.putVersion(record(version));
        // Act
        const three = await registry.listVersions({ limit: 3 });
        const all = await registry.listVersions({ limit: 100 });
        // Assess
        expect(empty).toEqual([]);
        expect(three.map((r) => r.version)).toEqual([versions[6], versions[5], versions[4]]);
        expect(all.map((r) => r.version)).toEqual([...versions].reverse());
      });
    });

    describe('Method: setLive', () => {
      it('returns no previous for the first live version, and moves the pointer', async () => {
        // Prepare
        await registry.putVersion(record('v20260501030000-00000001'));
        // Act
        const before = await registry.live();
        const result = await registry.setLive(setLiveOf('v20260501030000-00000001'));
        // Assess
        expect(before).toBeUndefined();
        expect(result).toEqual({});
        expect(await registry.live()).toEqual({
          version: 'v20260501030000-00000001',
          modelDataUrl: 's3://artifacts/models/v20260501030000-00000001/job/output/model.tar.gz',
          endpointName: 'reco-endpoint',
          window,
          since: '2026-05-01T04:00:00.000Z',
        });
        expect(await registry.getVersion('v20260501030000-00000001')).toMatchObject({
          status: 'live',
          liveSince: '2026-05-01T04:00:00.000Z',
          modelDataUrl: 's3://artifacts/models/v20260501030000-00000001/job/output/model.tar.gz',
        });
      });

      it('retires the version live before and returns it; setting the same version again changes nothing else', async () => {
        // Prepare
        await registry.putVersion(record('v20260501030000-00000001'));
        await registry.putVersion(record('v20260502030000-00000002'));
        await registry.setLive(setLiveOf('v20260501030000-00000001'));
        // Act
        const result = await registry.setLive(setLiveOf('v20260502030000-00000002', '2026-05-02T04:00:00.000Z'));
        const again = await registry.setLive(setLiveOf('v20260502030000-00000002', '2026-05-02T04:00:00.000Z'));
        // Assess
        expect(result).toEqual({ previous: 'v20260501030000-00000001' });
        expect(again).toEqual({ previous: 'v20260502030000-00000002' });
        expect((await registry.live())?.version).toBe('v20260502030000-00000002');
        expect((await registry.getVersion('v20260501030000-00000001'))?.status).toBe('retired');
        expect((await registry.getVersion('v20260502030000-00000002'))?.status).toBe('live');
      });

      it('throws UnknownVersionError for a version never put, leaving the pointer where it was', async () => {
        // Prepare
        await registry.putVersion(record('v20260501030000-00000001'));
        await registry.setLive(setLiveOf('v20260501030000-00000001'));
        // Act
        const attempt = registry.setLive(setLiveOf('v20990101000000-00000000'));
        // Assess
        await expect(attempt).rejects.toBeInstanceOf(UnknownVersionError);
        expect((await registry.live())?.version).toBe('v20260501030000-00000001');
        expect((await registry.getVersion('v20260501030000-00000001'))?.status).toBe('live');
      });
    });
  });
}
