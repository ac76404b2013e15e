/**
 * Failures of the stream processor, typed by whether retrying can help: a {@link PermanentFailureError}
 * fails the same way on every delivery of the same record, so the processor parks the record that
 * causes it instead of handing the batch back to Lambda; anything else (throttling, a network
 * error, a conflict that kept recurring) is retried.
 */

/** Why a record was parked, as its poison record and the runbook name it. */
export type PermanentFailureReason =
  /** The record's shopper item would exceed DynamoDB's 400 KB item limit. */
  | 'item_too_large'
  /** The item holds a value the store cannot take (a non-finite number, an unsupported type). */
  | 'item_invalid'
  /** The store refused the write as invalid (DynamoDB's `ValidationException`). */
  | 'item_rejected'
  /** Folding the record into the profile threw: a defect that the same input meets again. */
  | 'fold_failed';

/** A failure that repeats on every retry of the same input. */
export abstract class PermanentFailureError extends Error {
  constructor(
    readonly reason: PermanentFailureReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The feature store will never take this item as it is: retrying the write cannot help. */
export class FeatureItemRejectedError extends PermanentFailureError {
  constructor(
    reason: Extract<PermanentFailureReason, 'item_too_large' | 'item_invalid' | 'item_rejected'>,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(reason, message, options);
  }
}

/** Folding a shopper's events threw; the fold is pure, so the same events throw again. */
export class FoldFailedError extends PermanentFailureError {
  constructor(shopperKey: string, options?: { cause?: unknown }) {
    const cause = options?.cause instanceof Error ? `: ${options.cause.message}` : '';
    super('fold_failed', `events of ${shopperKey} could not be folded into the profile${cause}`, options);
  }
}

/** A profile kept changing between read and conditional write; Lambda retries the records. */
export class ShopperConflictError extends Error {
  constructor(shopperKey: string) {
    super(`profile of ${shopperKey} kept changing under us; the records will be retried`);
    this.name = 'ShopperConflictError';
  }
}
