import { RetentionDays } from 'aws-cdk-lib/aws-logs';

/** The day counts CloudWatch Logs accepts as a retention period. */
const allowedRetentionDays: ReadonlySet<number> = new Set(
  Object.values(RetentionDays).filter((value): value is number => typeof value === 'number'),
);

/**
 * Converts a retention in days from `shared/config` to the CDK enum, failing at synth time
 * (rather than at deploy time) when CloudWatch Logs would reject the value.
 */
export function retentionDays(days: number): RetentionDays {
  if (!allowedRetentionDays.has(days)) {
    throw new Error(
      `CloudWatch Logs does not accept a retention of ${days} days; allowed: ${[...allowedRetentionDays].join(', ')}`,
    );
  }
  return days as RetentionDays;
}
