/**
 * Ratios of a subject's cold starts to the floor's measured in the same rounds. The machine is
 * shared, so each round's subject run is compared with that round's floor (the mean of the floor
 * runs that open and close the round), and the median of those ratios is the figure reported.
 */
import { median } from '../stats.ts';

/** One round: the floor runs bracketing it and the subject's run in between. */
export interface PairedRound {
  readonly floorMs: readonly number[];
  readonly subjectMs: number;
}

/** Median over rounds of subject / mean(floor runs of the round). */
export function medianPairedRatio(rounds: readonly PairedRound[]): number {
  const ratios = rounds.map((r) => r.subjectMs / (r.floorMs.reduce((s, x) => s + x, 0) / r.floorMs.length));
  return median(ratios.filter(Number.isFinite));
}
