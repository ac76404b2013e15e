import { ApiError } from '../errors.ts';

/**
 * Errors of the training pipeline's steps. Step Functions shows the class name as the failure's
 * `Error` and the message as its `Cause`, and the failure path records both in the registry.
 */
abstract class PipelineError extends ApiError {}

/** A version the registry does not have. */
export class UnknownVersionError extends PipelineError {
  readonly status = 404;
  constructor(readonly version: string) {
    super('unknown_version', `the registry has no model version ${version}`);
  }
}

/** A version that cannot be served again: no artifact, or clean-up deleted it. */
export class NotPromotableError extends PipelineError {
  readonly status = 409;
}

/** The training job's metrics cannot be judged: a metric the gate needs is missing or not a number. */
export class GateMetricsError extends PipelineError {
  readonly status = 422;
}

/** The pipeline's settings (names, windows, environment) cannot work. */
export class PipelineConfigError extends PipelineError {
  readonly status = 500;
}

/** The export could not produce a dataset (unreadable lake, too many bad lines). */
export class ExportError extends PipelineError {
  readonly status = 500;
}
