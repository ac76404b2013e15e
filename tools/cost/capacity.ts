/** Traffic a shape's fixed capacity takes: the provisioned stream's shards, the endpoint's maximum. */
import type { DeploymentShape } from '#shared/config/shapes.ts';
import type { Assumptions } from './assumptions.ts';

/** A shard takes 1,000 records or 1 MiB a second of writes. */
const SHARD_RECORDS_PER_SECOND = 1000;
const SHARD_BYTES_PER_SECOND = 2 ** 20;

/** Events a day a provisioned stream takes at `peakToMean` (`undefined`: on-demand, no fixed limit). */
export function streamEventsPerDayLimit(
  shape: DeploymentShape,
  options: { readonly eventBytes: number; readonly assumptions: Assumptions },
): number | undefined {
  if (shape.stream.mode !== 'provisioned') return undefined;
  const perShard = Math.min(SHARD_RECORDS_PER_SECOND, SHARD_BYTES_PER_SECOND / options.eventBytes);
  return (shape.stream.shards * perShard * 86_400) / options.assumptions.peakToMean;
}

/**
 * Model calls a second the endpoint answers at most: the real-time variant at its maximum
 * instances and scaling target, the serverless one at its maximum concurrency and call time.
 */
export function endpointCallsPerSecondLimit(
  shape: DeploymentShape,
  options: { readonly targetPerInstanceMinute: number; readonly callMs: number },
): number {
  const { endpoint } = shape;
  return endpoint.mode === 'realtime'
    ? (endpoint.maxInstances * options.targetPerInstanceMinute) / 60
    : endpoint.maxConcurrency / (Math.ceil(options.callMs) / 1000);
}
