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
