import type { DataWindow, GateMetrics, PipelineRequest, TuningMetrics } from './pipeline.ts';

/**
 * The model registry: every version the pipeline made, the version the endpoint serves, and the
 * lock that keeps two runs apart. DynamoDB in AWS (`registryTable`), memory in tests.
 */

export const MODEL_STATUSES = ['training', 'live', 'retired', 'rejected', 'failed'] as const;
/** `training` until the run records its outcome; `retired` once another version went live after it. */
export type ModelStatus = (typeof MODEL_STATUSES)[number];

/** Longest `Error` plus `Cause` a failed version keeps: a SageMaker cause can be kilobytes of JSON. */
export const MAX_ERROR_CHARS = 2_000;

/** One model version, as the registry keeps it. Times are ISO-8601 instants. */
export interface ModelVersionRecord {
  /** `v<yyyyMMddHHmmss>-<8 hex>`: versions sort by creation time. */
  readonly version: string;
  readonly status: ModelStatus;
  readonly createdAt: string;
  readonly updatedAt?: string;
  /** The execution that made it. */
  readonly executionId: string;
  readonly trigger: PipelineRequest['trigger'];
  /** The data it was trained on (holdout excluded) and scored on (the holdout). */
  readonly window?: DataWindow;
  /** The live model's window when this one was made: the gate's overlap. */
  readonly liveWindow?: DataWindow;
  readonly hyperparameters?: Readonly<Record<string, string>>;
  /** The version live when this one was made. */
  readonly parent?: string;
  readonly metrics?: { readonly candidate: GateMetrics; readonly live?: GateMetrics };
  readonly holdoutUsers?: number;
  /**
   * What the training job's tuning measured on its validation split (each shopper's latest item,
   * full ranking); the chosen hyperparameters are in the model's manifest (`tuning.chosen`).
   */
  readonly tuning?: TuningMetrics;
  readonly liveOverlap?: number;
  /** The gate's reason (promote or reject). */
  readonly verdict?: string;
  /** `s3://…/model.tar.gz` of the training job. */
  readonly modelDataUrl?: string;
  readonly datasetS3Uri?: string;
  readonly trainingJobName?: string;
  readonly modelName?: string;
  readonly endpointConfigName?: string;
  /** Set by the failure path, trimmed to {@link MAX_ERROR_CHARS}. */
  readonly error?: { readonly error: string; readonly cause: string };
  /** When it last went live. */
  readonly liveSince?: string;
  /** When clean-up deleted its SageMaker model, endpoint config and artifacts: it cannot be promoted again. */
  readonly resourcesDeletedAt?: string;
}

/** The version the endpoint serves (the `LIVE` pointer). */
export interface LiveModel {
  readonly version: string;
  readonly modelDataUrl: string;
  readonly endpointName: string;
  /** The data window it was trained on; the next run counts new data from its end. */
  readonly window?: DataWindow;
  /** When it went live. */
  readonly since: string;
}

/** Read-only view for the serving path: which version is live. */
export interface LiveModelSource {
  live(): Promise<LiveModel | undefined>;
}

export interface LockRequest {
  /** The execution id. The same holder may take its own lock again (a retried step). */
  readonly holder: string;
  /** Epoch ms. */
  readonly now: number;
  /** How long the lock holds without a release. */
  readonly ttlSeconds: number;
}

export type LockResult =
  | { readonly taken: true }
  | { readonly taken: false; readonly heldBy: string; /** Epoch seconds. */ readonly expiresAt: number };

export interface SetLiveRequest {
  readonly version: string;
  readonly modelDataUrl: string;
  readonly endpointName: string;
  readonly window?: DataWindow;
  /** ISO-8601. */
  readonly since: string;
}

export interface ModelRegistry extends LiveModelSource {
  /** Takes the lock when nobody holds it, its holder's expiry has passed, or `holder` holds it already. */
  takeLock(request: LockRequest): Promise<LockResult>;
  /** Releases the lock if `holder` still holds it; returns whether it did. */
  releaseLock(holder: string): Promise<boolean>;
  putVersion(record: ModelVersionRecord): Promise<void>;
  getVersion(version: string): Promise<ModelVersionRecord | undefined>;
  /** Newest first. */
  listVersions(options: { readonly limit: number }): Promise<readonly ModelVersionRecord[]>;
  /**
   * In one step: the version becomes `live`, the one live before `retired`, and the `LIVE`
   * pointer moves. Returns the version that was live before, if any. Throws
   * `UnknownVersionError` for a version never put.
   */
  setLive(request: SetLiveRequest): Promise<{ readonly previous?: string }>;
}

/** Trims a failure's `Error` and `Cause` to what a registry item should hold. */
export function trimmedError(error: { readonly Error?: string; readonly Cause?: string }): {
  error: string;
  cause: string;
} {
  const name = (error.Error ?? 'Unknown').slice(0, 200);
  const cause = error.Cause ?? '';
  const room = MAX_ERROR_CHARS - name.length;
  return { error: name, cause: cause.length > room ? `${cause.slice(0, room - 1)}…` : cause };
}
