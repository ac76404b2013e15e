import { ConflictError, InvalidRequestError, NotFoundError } from '../errors.ts';
import type { ModelRegistry, ModelVersionRecord } from '../training/registry.ts';
import type { StartedRun, TrainingRuns } from './trainingRuns.ts';

/** What the model routes read and start. */
export interface ModelAdminDeps {
  readonly registry: Pick<ModelRegistry, 'listVersions' | 'getVersion' | 'live'>;
  readonly runs: TrainingRuns;
}

/** Versions a list shows at most. */
export const MAX_LISTED_VERSIONS = 100;

/** A version id as the pipeline makes them (`v<yyyyMMddHHmmss>-<hex>`), checked before any read. */
const VERSION_PATTERN = /^v\d{14}-[0-9a-f]{1,16}$/;

export interface ModelList {
  /** The version the endpoint serves, if any. */
  readonly live: string | null;
  /** Newest first, each with its metrics, status and lineage (`parent`). */
  readonly versions: readonly ModelVersionRecord[];
}

/** `GET /v1/admin/models` */
export async function listModels(deps: ModelAdminDeps, limit: number): Promise<ModelList> {
  const [live, versions] = await Promise.all([deps.registry.live(), deps.registry.listVersions({ limit })]);
  return { live: live?.version ?? null, versions };
}

function checkVersion(version: string): void {
  if (!VERSION_PATTERN.test(version)) {
    throw new InvalidRequestError('invalid_version', 'a model version looks like v20261207190102-1a2b3c4d');
  }
}

/** `GET /v1/admin/models/{version}` */
export async function getModel(deps: ModelAdminDeps, version: string): Promise<ModelVersionRecord> {
  checkVersion(version);
  const record = await deps.registry.getVersion(version);
  if (record === undefined) throw new NotFoundError('model_not_found', `no model version ${version}`);
  return record;
}

/** `POST /v1/admin/train`: a run now; `force` trains on whatever is new, however little. */
export function startTraining(deps: ModelAdminDeps, options: { readonly force: boolean }): Promise<StartedRun> {
  return deps.runs.start({ trigger: 'manual', ...(options.force ? { force: true } : {}) });
}

/**
 * `POST /v1/admin/models/{version}/promote`: serve an earlier version again (a rollback), or one
 * the gate rejected (an operator overruling it). Its artifact must still exist; the run deploys it
 * without exporting, training or gating.
 */
export async function promoteModel(deps: ModelAdminDeps, version: string): Promise<StartedRun> {
  const record = await getModel(deps, version);
  if (record.status === 'live') throw new ConflictError('already_live', `${version} is the live version`);
  if ((record.status !== 'retired' && record.status !== 'rejected') || record.modelDataUrl === undefined) {
    throw new ConflictError(
      'not_promotable',
      `${version} is ${record.status}; only a trained version that was live before (retired) or that the gate rejected can be promoted`,
    );
  }
  if (record.resourcesDeletedAt !== undefined) {
    throw new ConflictError('artifact_deleted', `${version}'s artifact was cleaned up at ${record.resourcesDeletedAt}`);
  }
  return deps.runs.start({ trigger: 'promote', promoteVersion: version });
}
