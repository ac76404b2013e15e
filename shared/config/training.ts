/**
 * The model lifecycle: a Step Functions state machine (`infra/constructs/training-pipeline.ts`)
 * exports a window of the lake, trains on SageMaker, gates the candidate against the live model on
 * a time holdout, and deploys it. The local stack runs the same definition (`local/training/`).
 */
export const training = {
  /** Days of the lake a training run reads. */
  windowDays: 90,
  /**
   * The newest slice of the window held out to score the candidate and the live model: a duration
   * in seconds, or a fraction of the window when below 1. The candidate is trained without it.
   */
  holdout: { seconds: 7 * 24 * 60 * 60 },
  /** Locally the window is the simulated history plus the live traffic: a few minutes of holdout. */
  localHoldout: { seconds: 3 * 60 },
  /** A run with fewer new lake events than this since the live model's window is skipped, not failed. */
  minNewEvents: 1_000,
  /** Locally a few minutes of simulated traffic is enough to retrain. */
  localMinNewEvents: 200,
  /**
   * How long a run's lock holds without being released: longer than the slowest run (export and
   * training at their limits, plus a deployment), shorter than a day so a crashed run cannot
   * block the next day's.
   */
  lockSeconds: 8 * 60 * 60,
  /**
   * The gate: a candidate whose NDCG@10 on the holdout is below the live model's by more than this
   * fraction of it is rejected (0.02: up to 2 % worse is noise on a small holdout).
   */
  gateTolerance: 0.02,
  /** Cutoff of the gate's metrics. */
  gateK: 10,
  /** Users of the holdout the gate scores at most (a seeded sample), so scoring stays a fraction of training. */
  gateMaxUsers: 10_000,
  /** Versions whose SageMaker model, endpoint config and artifact are kept (the live one included). */
  keepVersions: 3,
  /** When a run starts: an EventBridge Scheduler expression, or `off`. */
  schedule: 'rate(1 day)',
  /**
   * Export (SageMaker Processing), training and endpoint instance types (x86: SageMaker trains on no
   * Graviton type). The export aggregates in memory, about 32 bytes per (shopper, item, type, day)
   * plus about 100 bytes per distinct id: 900M events (10M a day for 90 days) at the simulator's
   * 0.5 entries per event need about 15 GB, hence 32 GB (`ml.m5.2xlarge`).
   */
  exportInstanceType: 'ml.m5.2xlarge',
  trainingInstanceType: 'ml.m5.xlarge',
  endpointInstanceType: 'ml.c6i.large',
  /** Hard limits of the jobs, s (SageMaker's `StoppingCondition.MaxRuntimeInSeconds`). */
  exportMaxSeconds: 2 * 60 * 60,
  trainingMaxSeconds: 4 * 60 * 60,
  /** Volume of the export and training instances, GB. */
  volumeGb: 100,
  /** Poll interval of the endpoint deployment loop, s (0 locally through the interpreter's wait overrides). */
  deployPollSeconds: 30,
  /** How long the recommend function reuses the live version it read from the registry, ms. */
  liveVersionCacheMs: 30_000,
  /** The same on the local stack, whose one process serves every request. */
  localLiveVersionCacheMs: 1_000,
} as const;
