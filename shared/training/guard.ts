import { training } from '../config/index.ts';
import type { Clock } from '../ports/index.ts';
import { NotPromotableError, PipelineConfigError, UnknownVersionError } from './errors.ts';
import type { DataWindow, GuardDecision, GuardInput } from './pipeline.ts';
import {
  checkNamePrefix,
  dataWindow,
  executionHex,
  RESERVED_HYPERPARAMETERS,
  sageMakerName,
  versionId,
  versionPaths,
  type HoldoutSetting,
} from './plan.ts';
import type { EndpointState, NewDataCounter } from './ports.ts';
import type { LiveModel, ModelRegistry } from './registry.ts';

export interface GuardOptions {
  /** The model artifacts bucket: datasets and models of every run. */
  readonly bucket: string;
  /** Starts every SageMaker name the pipeline makes (at most `MAX_NAME_PREFIX_CHARS`). */
  readonly namePrefix: string;
  readonly endpointName: string;
  /** The training job's hyperparameters, besides the reserved window ones. */
  readonly hyperparameters?: Readonly<Record<string, string>>;
  /** @default training.windowDays */
  readonly windowDays?: number;
  /** @default training.holdout (the local run passes training.localHoldout) */
  readonly holdout?: HoldoutSetting;
  /** @default training.minNewEvents (the local run passes training.localMinNewEvents) */
  readonly minNewEvents?: number;
  /** @default training.lockSeconds */
  readonly lockSeconds?: number;
}

export interface GuardDeps {
  readonly registry: ModelRegistry;
  readonly clock: Clock;
  readonly newData: NewDataCounter;
  readonly endpoints: EndpointState;
  readonly options: GuardOptions;
}

/** Checks options once, at cold start: a bad prefix or holdout fails there, not in a run. */
export function checkGuardOptions(options: GuardOptions): GuardOptions {
  checkNamePrefix(options.namePrefix);
  dataWindow({ to: 0, windowDays: options.windowDays, holdout: options.holdout });
  const reserved = RESERVED_HYPERPARAMETERS.filter((name) => Object.hasOwn(options.hyperparameters ?? {}, name));
  if (reserved.length > 0) {
    throw new PipelineConfigError(
      'reserved_hyperparameter',
      `hyperparameters ${reserved.join(', ')} are set by the pipeline from the data window; leave them out`,
    );
  }
  return options;
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The guard step: takes the lock, then decides. A run while another holds the lock is skipped
 * (not failed); so is a run with too little new data since the live model's window, unless forced;
 * a promotion serves an earlier version again. Every skip but the lock's own releases the lock;
 * a train or promote decision keeps it until the run records its outcome.
 */
export async function guard(input: GuardInput, deps: GuardDeps): Promise<GuardDecision> {
  const { registry, clock, options } = deps;
  const startedAt = Date.parse(input.startedAt);
  const version = input.request.trigger === 'promote' ? (input.request.promoteVersion ?? '') : undefined;
  const lock = await registry.takeLock({
    holder: input.executionId,
    now: clock.now(),
    ttlSeconds: options.lockSeconds ?? training.lockSeconds,
  });
  const [live, endpointExists] = await Promise.all([
    registry.live(),
    deps.endpoints.endpointExists(options.endpointName),
  ]);
  const plan = (planned: string, names: readonly string[]) => ({
    version: planned,
    ...(live === undefined ? {} : { liveVersion: live.version }),
    endpointExists,
    modelName: sageMakerName(options.namePrefix, ...names),
    endpointConfigName: sageMakerName(options.namePrefix, ...names),
    endpointName: options.endpointName,
  });
  const trainVersion = versionId(startedAt, input.executionId);
  if (!lock.taken) {
    return {
      action: 'skip',
      reason: `locked by ${lock.heldBy} until ${iso(lock.expiresAt * 1000)}`,
      ...plan(version || trainVersion, [version || trainVersion]),
    };
  }
  if (version !== undefined) {
    const promotion = await promote(version, live, deps);
    if (promotion.skip !== undefined) await registry.releaseLock(input.executionId);
    return {
      action: promotion.skip === undefined ? 'promote' : 'skip',
      reason: promotion.skip ?? promotion.reason,
      ...plan(version, [version, executionHex(input.executionId)]),
      ...(promotion.modelDataUrl === undefined ? {} : { modelDataUrl: promotion.modelDataUrl }),
    };
  }
  const window = dataWindow({ to: startedAt, windowDays: options.windowDays, holdout: options.holdout });
  const decision = await newData(window, live, input.request.force === true, deps);
  if (decision.skip !== undefined) {
    await registry.releaseLock(input.executionId);
    return { action: 'skip', reason: decision.skip, ...plan(trainVersion, [trainVersion]) };
  }
  const paths = versionPaths(options.bucket, trainVersion);
  const hyperparameters = {
    ...options.hyperparameters,
    windowFrom: window.from,
    holdoutFrom: window.holdoutFrom,
    windowTo: window.to,
  };
  const trained: GuardDecision = {
    action: 'train',
    reason: decision.reason,
    ...plan(trainVersion, [trainVersion]),
    trainingJobName: sageMakerName(options.namePrefix, trainVersion),
    exportJobName: sageMakerName(options.namePrefix, trainVersion),
    datasetS3Uri: paths.dataset,
    modelOutputS3Uri: paths.models,
    liveModelS3Uri: live?.modelDataUrl ?? paths.noLiveModel,
    modelDataUrl: `${paths.models}${sageMakerName(options.namePrefix, trainVersion)}/output/model.tar.gz`,
    window,
    ...(live?.window === undefined ? {} : { liveWindow: live.window }),
    hyperparameters,
  };
  await registry.putVersion({
    version: trainVersion,
    status: 'training',
    createdAt: iso(clock.now()),
    executionId: input.executionId,
    trigger: input.request.trigger,
    window,
    ...(live?.window === undefined ? {} : { liveWindow: live.window }),
    hyperparameters,
    ...(live === undefined ? {} : { parent: live.version }),
    datasetS3Uri: paths.dataset,
    trainingJobName: trained.trainingJobName,
    modelName: trained.modelName,
    endpointConfigName: trained.endpointConfigName,
  });
  return trained;
}

/** Whether there is enough new data: a skip reason, or the reason to train. */
async function newData(
  window: DataWindow,
  live: LiveModel | undefined,
  force: boolean,
  deps: GuardDeps,
): Promise<{ skip?: string; reason: string }> {
  const windowFrom = Date.parse(window.from);
  const to = Date.parse(window.to);
  const liveEnd = live?.window === undefined ? undefined : Date.parse(live.window.to);
  // Forced runs train on the whole window however little of it is new; it still has to hold something.
  const from = force || liveEnd === undefined ? windowFrom : Math.max(windowFrom, liveEnd);
  const count = await deps.newData.countEvents({ from, to });
  const about = count.estimated ? 'about ' : '';
  const noun = count.events === 1 ? 'event' : 'events';
  const since =
    from === windowFrom ? `in the window since ${iso(from)}` : `since the live model's window ended ${iso(from)}`;
  if (count.events === 0) return { skip: `the lake has no events ${since}`, reason: '' };
  if (force) return { reason: `forced: ${about}${count.events} ${noun} ${since}` };
  const threshold = deps.options.minNewEvents ?? training.minNewEvents;
  const found = `${about}${count.events} new ${noun} ${since}`;
  if (count.events < threshold) return { skip: `${found}, below the threshold of ${threshold}`, reason: '' };
  return { reason: `${found} (threshold ${threshold})` };
}

/** Whether `version` can be served again, and its artifact. */
async function promote(
  version: string,
  live: LiveModel | undefined,
  deps: GuardDeps,
): Promise<{ skip?: string; reason: string; modelDataUrl?: string }> {
  const record = await deps.registry.getVersion(version);
  if (record === undefined) throw new UnknownVersionError(version);
  if (live?.version === version) return { skip: `version ${version} is already live`, reason: '' };
  if (record.status !== 'retired' && record.status !== 'rejected') {
    throw new NotPromotableError(
      'not_promotable',
      `version ${version} is ${record.status}; only a version that was live before (retired) or that the gate rejected can be promoted`,
    );
  }
  if (record.resourcesDeletedAt !== undefined) {
    throw new NotPromotableError(
      'artifact_deleted',
      `version ${version} cannot be served again: clean-up deleted its model and artifact at ${record.resourcesDeletedAt}`,
    );
  }
  if (record.modelDataUrl === undefined) {
    throw new NotPromotableError(
      'no_artifact',
      `version ${version} (${record.status}) has no model artifact; only a trained version can be promoted`,
    );
  }
  return {
    reason: `promote ${version} (${record.status}) in place of ${live?.version ?? 'no live model'}`,
    modelDataUrl: record.modelDataUrl,
  };
}
