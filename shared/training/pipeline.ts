/**
 * The contract of the training pipeline, shared by the state machine (`infra/constructs/training-pipeline.ts`),
 * the pipeline function's steps (`functions/pipeline/`), the model image (`model/`) and the local
 * run (`local/training/`): state names, what each step takes and returns, where data lives in S3,
 * and the metric lines the training job prints for the gate.
 */

/**
 * Every state of the definition, by role. The local run overrides each task state by this name,
 * so a rename here renames both.
 */
export const pipelineStates = {
  /** Lambda `guard`: takes the lock, decides skip / train / promote, plans names and windows. */
  guard: 'Guard',
  /** Choice on `$.guard.action`. */
  route: 'Route',
  /** Succeed: too little new data (the lock is released by the guard). */
  skipped: 'Skipped',
  /** SageMaker Processing (`createProcessingJob.sync`): the model image's `export` mode. */
  exportDataset: 'ExportDataset',
  /** SageMaker training (`createTrainingJob.sync`): trains, then scores candidate and live on the holdout. */
  trainModel: 'TrainModel',
  /** Lambda `gate`: compares the candidate's holdout metrics with the live model's. */
  gate: 'Gate',
  /** Choice on `$.gate.verdict`. */
  verdict: 'Verdict',
  /** Lambda `record` with outcome `rejected`, then SNS, then Succeed. */
  recordRejected: 'RecordRejected',
  notifyRejected: 'NotifyRejected',
  rejected: 'Rejected',
  /** SageMaker API calls (no `.sync` exists for these). */
  createModel: 'CreateModel',
  createEndpointConfig: 'CreateEndpointConfig',
  /** Choice on `$.guard.endpointExists`. */
  endpointExists: 'EndpointExists',
  createEndpoint: 'CreateEndpoint',
  updateEndpoint: 'UpdateEndpoint',
  /** The deployment loop: Wait, DescribeEndpoint, Choice on `EndpointStatus`. */
  waitForEndpoint: 'WaitForEndpoint',
  describeEndpoint: 'DescribeEndpoint',
  endpointStatus: 'EndpointStatus',
  /** Application Auto Scaling on the fixed variant, once the endpoint is in service. */
  registerScaling: 'RegisterScaling',
  putScalingPolicy: 'PutScalingPolicy',
  /** Lambda `record` with outcome `live`: registry, live pointer, lock released. */
  recordLive: 'RecordLive',
  /** Lambda `cleanUp`: SageMaker models, endpoint configs and artifacts beyond `training.keepVersions`. */
  cleanUp: 'CleanUp',
  notifyLive: 'NotifyLive',
  live: 'Live',
  /** Every task's Catch: Lambda `record` with outcome `failed`, then SNS, then Fail. The live model is untouched. */
  recordFailure: 'RecordFailure',
  notifyFailure: 'NotifyFailure',
  failed: 'Failed',
} as const;

export type PipelineStateName = (typeof pipelineStates)[keyof typeof pipelineStates];

/** Where a run's data lives in the model artifacts bucket. */
export const pipelinePaths = {
  /** `datasets/<version>/interactions/interactions.csv`, `items/items.csv`, `holdout/holdout.csv`, `export.json`. */
  datasets: 'datasets/',
  /** `models/<version>/output/model.tar.gz` (SageMaker appends `<job name>/output/`). */
  models: 'models/',
  /** An empty-model marker, the `live` channel of a run with no live model (a channel cannot be optional). */
  noLiveModel: 'datasets/<version>/no-live-model/NONE',
} as const;

/** Input channels of the training job (`/opt/ml/input/data/<name>`). */
export const trainingChannels = {
  interactions: 'interactions',
  items: 'items',
  holdout: 'holdout',
  /** The live model's `model.tar.gz`, or the {@link pipelinePaths.noLiveModel} marker. */
  live: 'live',
} as const;

/** Who the gate scored, on the same holdout. */
export type GateSubject = 'candidate' | 'live';

/** Metric names the training job prints, one per line (`<name>=<number>`), and SageMaker reports as `FinalMetricDataList`. */
export const gateMetricNames = [
  'candidate_hr10',
  'candidate_ndcg10',
  'candidate_coverage',
  'live_hr10',
  'live_ndcg10',
  'live_coverage',
  /** Holdout users scored (both models score the same ones). */
  'holdout_users',
  /** Holdout interactions that fall inside the live model's training window (0: none overlap). */
  'live_overlap_interactions',
] as const;
export type GateMetricName = (typeof gateMetricNames)[number];

/**
 * Metric lines of the job's tuning, in the same `gate: <name>=<number>` form; the gate passes them
 * on to the version's registry record when the job reports them.
 */
export const tuningMetricNames = [
  /** The tuning's validation split (each shopper's latest item, full ranking): the chosen settings. */
  'tuning_validation_ndcg10',
  'tuning_validation_hr10',
  /** The defaults on the same split. */
  'tuning_defaults_ndcg10',
  /** Work the tuning did, in trials (one default training run each), and its seconds. */
  'tuning_trials',
  'tuning_seconds',
  /** The paired standard error of the best settings' gain over the defaults, and 1 when the defaults were kept, else 0. */
  'tuning_gain_se',
  'tuning_kept_defaults',
] as const;
export type TuningMetricName = (typeof tuningMetricNames)[number];

/** `MetricDefinitions` for the tuning lines: the training job lists them beside the gate's, locally and in AWS. */
export const tuningMetricDefinitions: readonly { readonly Name: TuningMetricName; readonly Regex: string }[] =
  tuningMetricNames.map((name) => ({ Name: name, Regex: `gate: ${name}=([0-9.eE+-]+)` }));

/**
 * SageMaker `MetricDefinitions`: one regex per metric over the job's log, matching the lines the
 * training entry point prints (`gate: candidate_ndcg10=0.4123`).
 */
export const gateMetricDefinitions: readonly { readonly Name: GateMetricName; readonly Regex: string }[] =
  gateMetricNames.map((name) => ({ Name: name, Regex: `gate: ${name}=([0-9.eE+-]+)` }));

/** The metric line the training entry point prints for SageMaker and the gate. */
export const gateMetricLine = (name: GateMetricName | TuningMetricName, value: number): string =>
  `gate: ${name}=${value}`;

/** A data window, ISO-8601 instants; `holdoutFrom` splits it into training and holdout. */
export interface DataWindow {
  readonly from: string;
  readonly holdoutFrom: string;
  readonly to: string;
}

/** What starts an execution (the state machine's input). */
export interface PipelineRequest {
  /** `schedule`, `manual` (`POST /v1/admin/train`, `npm run train:local`) or `promote`. */
  readonly trigger: 'schedule' | 'manual' | 'promote';
  /** With `promote`: the earlier version to serve again (rollback); no export, training or gate. */
  readonly promoteVersion?: string;
  /** Manual runs may train on whatever is new, however little. */
  readonly force?: boolean;
}

/** Lambda `guard`: `{step: 'guard', executionId: $$.Execution.Id, startedAt: $$.Execution.StartTime, request: $}`. */
export interface GuardInput {
  readonly step: 'guard';
  readonly executionId: string;
  readonly startedAt: string;
  readonly request: PipelineRequest;
}

/** The guard's decision, at `$.guard`; every later state reads its names from here. */
export interface GuardDecision {
  readonly action: 'skip' | 'train' | 'promote';
  /** Why (skip: how many new events, against what threshold). */
  readonly reason: string;
  /** The version this run creates (train) or serves again (promote). */
  readonly version: string;
  /** The version live now, if any. */
  readonly liveVersion?: string;
  /** Whether the endpoint exists (create or update). */
  readonly endpointExists: boolean;
  /** SageMaker names for this version (at most 63 characters). */
  readonly modelName: string;
  readonly endpointConfigName: string;
  readonly endpointName: string;
  /** Train: the job's name, the dataset and model prefixes, the live artifact or the marker. */
  readonly trainingJobName?: string;
  readonly exportJobName?: string;
  readonly datasetS3Uri?: string;
  readonly modelOutputS3Uri?: string;
  readonly liveModelS3Uri?: string;
  readonly window?: DataWindow;
  /** The live model's training window, so the gate can tell overlap. */
  readonly liveWindow?: DataWindow;
  /**
   * The artifact this run serves: promote, the earlier version's; train, where the training job
   * writes it (`<modelOutputS3Uri><trainingJobName>/output/model.tar.gz`). Both branches reach
   * CreateModel and RecordLive, which read it here, the one path they share.
   */
  readonly modelDataUrl?: string;
  /** Hyperparameters (strings, as SageMaker takes them). */
  readonly hyperparameters?: Readonly<Record<string, string>>;
}

/** Lambda `gate`: the training job's metrics against the tolerance. */
export interface GateInput {
  readonly step: 'gate';
  readonly guard: GuardDecision;
  /** `FinalMetricDataList` of `DescribeTrainingJob`. */
  readonly metrics: readonly { readonly MetricName: string; readonly Value: number }[];
}

export interface GateMetrics {
  readonly hr10: number;
  readonly ndcg10: number;
  readonly coverage: number;
}

export interface GateVerdict {
  readonly verdict: 'promote' | 'reject';
  readonly reason: string;
  readonly candidate: GateMetrics;
  readonly live?: GateMetrics;
  readonly holdoutUsers: number;
  /** Holdout interactions the live model was trained on (the gate says so when above 0). */
  readonly liveOverlap: number;
  /** What the job's tuning measured on its validation split, when it tuned. */
  readonly tuning?: TuningMetrics;
}

/** A tuned version's validation metrics, as its registry record keeps them. */
export interface TuningMetrics {
  readonly validationNdcg10: number;
  readonly validationHr10: number;
  readonly defaultsNdcg10: number;
  readonly trials: number;
  readonly seconds: number;
  /** Paired standard error of the best settings' validation NDCG@10 gain over the defaults'. */
  readonly gainStandardError?: number;
  /** 1 when the defaults were kept (the gain was within the noise), 0 when tuned settings replaced them. */
  readonly keptDefaults?: number;
}

/** Lambda `record`: writes the version's outcome to the registry and releases the lock. */
export interface RecordInput {
  readonly step: 'record';
  readonly outcome: 'live' | 'rejected' | 'failed';
  readonly executionId: string;
  readonly guard?: GuardDecision;
  readonly gate?: GateVerdict;
  readonly modelDataUrl?: string;
  /** The Catch's `{Error, Cause}` with outcome `failed`. */
  readonly error?: { readonly Error?: string; readonly Cause?: string };
}

/** Lambda `cleanUp`: deletes what belongs to versions beyond `training.keepVersions`. */
export interface CleanUpInput {
  readonly step: 'cleanUp';
  readonly guard: GuardDecision;
}

export type PipelineStepInput = GuardInput | GateInput | RecordInput | CleanUpInput;

/**
 * Environment of the model image's `export` mode (a SageMaker Processing job in AWS, a function
 * call locally). It writes {@link exportOutputDir} and the processing job uploads it to
 * `GuardDecision.datasetS3Uri`.
 */
export const exportEnv = {
  /** `s3://<lake bucket>/events/`: the days of the window are read under `dt=<yyyy-MM-dd>/`. */
  lakeUri: 'RECO_EXPORT_LAKE_URI',
  windowFrom: 'RECO_EXPORT_WINDOW_FROM',
  holdoutFrom: 'RECO_EXPORT_HOLDOUT_FROM',
  windowTo: 'RECO_EXPORT_WINDOW_TO',
  /** The feature table: the erasure log (`ERASED`) and the catalogue (GSI `byCatalogue`). */
  featureTableName: 'FEATURE_TABLE_NAME',
  erasureHashKeySecretArn: 'ERASURE_HASH_KEY_SECRET_ARN',
} as const;

/** Where the export writes inside its container; `interactions/`, `items/`, `holdout/`, `no-live-model/`, `export.json`. */
export const exportOutputDir = '/opt/ml/processing/output';

/**
 * The export aggregates the lake to one row per shopper, item, event type and UTC day: the
 * Personalize interactions columns (`TIMESTAMP` the latest event's, `EVENT_VALUE` the summed
 * quantity) plus this column, the number of events the row stands for. The dataset reader takes it
 * as that many events; the trainer's time decay then weighs them within a day of right (top-10
 * lists as from the raw file: 99.8 %).
 */
export const EVENT_COUNT_COLUMN = 'EVENT_COUNT';
