import { InvalidRequestError } from '../errors.ts';
import type { Clock } from '../ports/index.ts';
import { NotPromotableError, UnknownVersionError } from './errors.ts';
import type { GateVerdict, GuardDecision, RecordInput } from './pipeline.ts';
import { trimmedError, type ModelRegistry, type ModelStatus, type ModelVersionRecord } from './registry.ts';

export interface RecordDeps {
  readonly registry: ModelRegistry;
  readonly clock: Clock;
}

export interface RecordResult {
  readonly outcome: RecordInput['outcome'];
  /** The version whose record changed; absent when the run failed before it planned one. */
  readonly version?: string;
  /** Its status now. */
  readonly status?: ModelStatus;
  /** With `live`: the version live before. */
  readonly previous?: string;
  readonly lockReleased: boolean;
}

const gateFields = (gate: GateVerdict | undefined): Partial<ModelVersionRecord> =>
  gate === undefined
    ? {}
    : {
        metrics: { candidate: gate.candidate, ...(gate.live === undefined ? {} : { live: gate.live }) },
        holdoutUsers: gate.holdoutUsers,
        liveOverlap: gate.liveOverlap,
        verdict: gate.reason,
        ...(gate.tuning === undefined ? {} : { tuning: gate.tuning }),
      };

/**
 * The record step: writes the run's outcome to the registry and releases the lock, whatever
 * happened (the lock must never outlive the run's last step).
 * - `live`: the version's metrics and artifact, then the version live, the one before retired and
 *   the pointer moved, in one registry write;
 * - `rejected`: the version with its metrics and the gate's reason;
 * - `failed`: the error, trimmed, on the version this run made, found by the execution id when the
 *   failure path has no guard decision (status `failed` while it was still `training`; one that
 *   already went live keeps its status; a failed promotion records nothing on the version it
 *   promoted). The live model is untouched.
 * A retried step records the same again.
 */
export async function recordOutcome(input: RecordInput, deps: RecordDeps): Promise<RecordResult> {
  const settled = await record(input, deps).then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  const lockReleased = await deps.registry.releaseLock(input.executionId);
  if ('error' in settled) throw settled.error;
  return { ...settled.value, lockReleased };
}

/** Versions the failure path looks through for the one its execution made (a run makes one; runs are serial). */
export const RECENT_VERSIONS = 20;

async function record(input: RecordInput, deps: RecordDeps): Promise<Omit<RecordResult, 'lockReleased'>> {
  const now = new Date(deps.clock.now()).toISOString();
  const guard = input.guard;
  if (guard?.action === 'skip') return { outcome: input.outcome };
  if (guard === undefined && input.outcome !== 'failed') {
    throw new InvalidRequestError('guard_missing', `a ${input.outcome} outcome needs the guard's decision`);
  }
  // The failure path knows only the execution (a failed guard left no decision): its version, if it made one.
  const stored =
    guard === undefined
      ? (await deps.registry.listVersions({ limit: RECENT_VERSIONS })).find((v) => v.executionId === input.executionId)
      : await deps.registry.getVersion(guard.version);
  if (stored === undefined) {
    if (input.outcome === 'failed') return { outcome: input.outcome };
    throw new UnknownVersionError((guard as GuardDecision).version);
  }
  if (input.outcome === 'live') {
    return { outcome: input.outcome, ...(await recordLive(input, guard as GuardDecision, stored, deps)) };
  }
  const status: ModelStatus =
    input.outcome === 'rejected' ? 'rejected' : stored.status === 'training' ? 'failed' : stored.status;
  // A rejected candidate was trained: its artifact is where the guard said the job writes it.
  const modelDataUrl = input.modelDataUrl ?? (input.outcome === 'rejected' ? guard?.modelDataUrl : undefined);
  await deps.registry.putVersion({
    ...stored,
    ...gateFields(input.gate),
    ...(modelDataUrl === undefined ? {} : { modelDataUrl }),
    ...(input.outcome === 'failed' ? { error: trimmedError(input.error ?? {}) } : {}),
    status,
    updatedAt: now,
  });
  return { outcome: input.outcome, version: stored.version, status };
}

/** A trained version with its metrics, or a promoted one under its new SageMaker names; then live. */
async function recordLive(
  input: RecordInput,
  guard: GuardDecision,
  stored: ModelVersionRecord,
  deps: RecordDeps,
): Promise<Omit<RecordResult, 'lockReleased' | 'outcome'>> {
  const now = new Date(deps.clock.now()).toISOString();
  const modelDataUrl = input.modelDataUrl ?? guard.modelDataUrl ?? stored.modelDataUrl;
  if (modelDataUrl === undefined) {
    throw new NotPromotableError('no_artifact', `version ${guard.version} went live without a model artifact URL`);
  }
  await deps.registry.putVersion({
    ...stored,
    ...gateFields(input.gate),
    modelDataUrl,
    modelName: guard.modelName,
    endpointConfigName: guard.endpointConfigName,
    updatedAt: now,
  });
  const { previous } = await deps.registry.setLive({
    version: guard.version,
    modelDataUrl,
    endpointName: guard.endpointName,
    ...(stored.window === undefined ? {} : { window: stored.window }),
    since: now,
  });
  return { version: guard.version, status: 'live', ...(previous === undefined ? {} : { previous }) };
}

/**
 * The gate's metrics and reason on the candidate's record as soon as they are known, whatever
 * comes next: the live and rejected versions show them alike, and so does a candidate whose
 * deployment failed.
 */
export async function recordVerdict(
  request: { readonly version: string; readonly verdict: GateVerdict },
  deps: RecordDeps,
): Promise<void> {
  const stored = await deps.registry.getVersion(request.version);
  if (stored === undefined) throw new UnknownVersionError(request.version);
  await deps.registry.putVersion({
    ...stored,
    ...gateFields(request.verdict),
    updatedAt: new Date(deps.clock.now()).toISOString(),
  });
}
