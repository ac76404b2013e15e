import { describe, expect, it } from 'vitest';
import { MemoryModelResources } from '#shared/adapters/memoryModelResources.ts';
import { MemoryModelRegistry } from '#shared/adapters/memoryModelRegistry.ts';
import { cleanUp } from '#shared/training/cleanUp.ts';
import type { CleanUpInput, GuardDecision } from '#shared/training/pipeline.ts';
import type { ModelStatus } from '#shared/training/registry.ts';

const NOW = Date.parse('2026-05-10T05:00:00.000Z');
const versionOf = (day: number) => `v202605${String(day).padStart(2, '0')}030000-0000000${day % 10}`;
const input = { step: 'cleanUp', guard: { version: versionOf(9) } as GuardDecision } as CleanUpInput;

/** Versions of days 1..9 with the given statuses, each with a model, a config and objects; `live` is live. */
async function setup(statuses: readonly ModelStatus[], live: number) {
  const registry = new MemoryModelRegistry();
  const resources = new MemoryModelResources();
  for (const [i, status] of statuses.entries()) {
    const version = versionOf(i + 1);
    await registry.putVersion({ version, status, createdAt: 'x', executionId: `e${i}`, trigger: 'schedule' });
    resources.models.add(`reco-${version}`);
    resources.endpointConfigs.add(`reco-${version}`);
    resources.objects.add(`s3://artifacts/datasets/${version}/interactions/interactions.csv`);
    resources.objects.add(`s3://artifacts/models/${version}/job/output/model.tar.gz`);
  }
  await registry.setLive({ version: versionOf(live), modelDataUrl: 's3://x', endpointName: 'e', since: 'x' });
  const deps = {
    registry,
    resources,
    clock: { now: () => NOW },
    options: { bucket: 'artifacts', namePrefix: 'reco', keepVersions: 3 },
  };
  return { registry, resources, deps };
}

describe('Function: cleanUp', () => {
  it('keeps the newest versions up to keepVersions and deletes the rest’s models, configs and objects', async () => {
    // Prepare
    const { registry, resources, deps } = await setup(
      ['retired', 'rejected', 'failed', 'retired', 'rejected', 'retired', 'live'],
      7,
    );
    resources.models.add(`reco-${versionOf(1)}-abcdef01`);
    // Act
    const result = await cleanUp(input, deps);
    // Assess
    expect(result.kept).toEqual([versionOf(7), versionOf(6), versionOf(5)]);
    expect(result.cleaned.map((c) => c.version)).toEqual([4, 3, 2, 1].map(versionOf));
    expect(result.cleaned.at(-1)).toEqual({ version: versionOf(1), models: 2, endpointConfigs: 1, objects: 2 });
    expect([...resources.models]).toEqual([5, 6, 7].map((day) => `reco-${versionOf(day)}`));
    expect(resources.objects.size).toBe(6);
    expect((await registry.getVersion(versionOf(1)))?.resourcesDeletedAt).toBe('2026-05-10T05:00:00.000Z');
    expect(result.failed).toEqual([]);
  });

  it('keeps the live version when it is older than the newest ones, and never touches a training one', async () => {
    // Prepare
    const { resources, deps } = await setup(['retired', 'live', 'rejected', 'failed', 'rejected', 'training'], 2);
    // Act
    const result = await cleanUp(input, deps);
    // Assess
    expect(result.kept).toEqual([versionOf(2), versionOf(5), versionOf(4)]);
    expect(result.cleaned.map((c) => c.version)).toEqual([versionOf(3), versionOf(1)]);
    expect(resources.models.has(`reco-${versionOf(6)}`)).toBe(true);
  });

  it('cleans a version once: a second run finds nothing more to do', async () => {
    // Prepare
    const { deps } = await setup(['retired', 'retired', 'retired', 'retired', 'live'], 5);
    await cleanUp(input, deps);
    // Act
    const again = await cleanUp(input, deps);
    // Assess
    expect(again.cleaned).toEqual([]);
  });

  it('reports a version whose deletion failed and leaves it for the next run', async () => {
    // Prepare
    const { registry, resources, deps } = await setup(['retired', 'retired', 'retired', 'live'], 4);
    const failing = Object.assign(Object.create(resources) as MemoryModelResources, {
      deleteModels: async () => {
        throw new Error('ThrottlingException');
      },
    });
    // Act
    const result = await cleanUp(input, { ...deps, resources: failing });
    // Assess
    expect(result.failed).toEqual([{ version: versionOf(1), error: 'Error: ThrottlingException' }]);
    expect((await registry.getVersion(versionOf(1)))?.resourcesDeletedAt).toBeUndefined();
  });
});
