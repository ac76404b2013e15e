import { training } from '../config/index.ts';
import type { Clock } from '../ports/index.ts';
import type { CleanUpInput } from './pipeline.ts';
import { sageMakerName, versionPaths } from './plan.ts';
import type { ModelResources } from './ports.ts';
import type { ModelRegistry, ModelVersionRecord } from './registry.ts';

export interface CleanUpOptions {
  /** The model artifacts bucket (datasets and models of every version). */
  readonly bucket: string;
  /** The SageMaker name prefix the guard used. */
  readonly namePrefix: string;
  /** @default training.keepVersions */
  readonly keepVersions?: number;
}

export interface CleanUpDeps {
  readonly registry: ModelRegistry;
  readonly resources: ModelResources;
  readonly clock: Clock;
  readonly options: CleanUpOptions;
}

export interface CleanedVersion {
  readonly version: string;
  readonly models: number;
  readonly endpointConfigs: number;
  readonly objects: number;
}

export interface CleanUpResult {
  readonly kept: readonly string[];
  readonly cleaned: readonly CleanedVersion[];
  /** Versions whose clean-up failed; the next run tries them again. */
  readonly failed: readonly { readonly version: string; readonly error: string }[];
}

/** Versions clean-up looks at, newest first; older ones were cleaned by earlier runs. */
export const CLEAN_UP_SCAN = 500;

/**
 * The clean-up step, after a version went live: keeps the live version and the newest others up
 * to `keepVersions` in all (rollback targets), and deletes what the rest left behind: SageMaker
 * models and endpoint configs (every name the version had, promotions included) and its dataset
 * and model objects. Versions still `training` are never touched. A version whose deletion fails
 * is reported and left for the next run; the live model is never affected.
 */
export async function cleanUp(_input: CleanUpInput, deps: CleanUpDeps): Promise<CleanUpResult> {
  const { registry, options } = deps;
  const keepVersions = options.keepVersions ?? training.keepVersions;
  const [live, versions] = await Promise.all([registry.live(), registry.listVersions({ limit: CLEAN_UP_SCAN })]);
  const settled = versions.filter((record) => record.status !== 'training');
  const kept = new Set(live === undefined ? [] : [live.version]);
  for (const record of settled) {
    if (kept.size >= keepVersions) break;
    kept.add(record.version);
  }
  const stale = settled.filter((record) => !kept.has(record.version) && record.resourcesDeletedAt === undefined);
  const cleaned: CleanedVersion[] = [];
  const failed: { version: string; error: string }[] = [];
  for (const record of stale) {
    try {
      cleaned.push(await deleteResources(record, deps));
    } catch (error) {
      failed.push({ version: record.version, error: `${(error as Error).name}: ${(error as Error).message}` });
    }
  }
  return { kept: [...kept], cleaned, failed };
}

async function deleteResources(record: ModelVersionRecord, deps: CleanUpDeps): Promise<CleanedVersion> {
  const { resources, options } = deps;
  const names = sageMakerName(options.namePrefix, record.version);
  const paths = versionPaths(options.bucket, record.version);
  // Endpoint configs first: a config names its model.
  const endpointConfigs = await resources.deleteEndpointConfigs(names);
  const models = await resources.deleteModels(names);
  const objects =
    (await resources.deleteObjects(record.datasetS3Uri ?? paths.dataset)) +
    (await resources.deleteObjects(paths.models));
  await deps.registry.putVersion({ ...record, resourcesDeletedAt: new Date(deps.clock.now()).toISOString() });
  return { version: record.version, models, endpointConfigs, objects };
}
