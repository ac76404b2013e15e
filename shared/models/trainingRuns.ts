import type { PipelineRequest } from '../training/pipeline.ts';

/** A started run of the training pipeline. */
export interface StartedRun {
  /** The execution's id (its ARN in AWS). */
  readonly executionId: string;
  readonly startedAt: string;
}

/** Starts the training pipeline: Step Functions in AWS, the local interpreter on the local stack. */
export interface TrainingRuns {
  start(request: PipelineRequest): Promise<StartedRun>;
}
