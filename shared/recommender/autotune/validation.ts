/**
 * The tuning split and full-ranking scores on it. Validation holds out each sampled shopper's
 * latest item (`loo-full`: every interaction with it leaves training) and ranks it against the
 * whole catalogue, seen and non-recommendable items excluded, as a served list would be. With one
 * relevant item NDCG@10 is 1/log2(rank + 2) inside the top 10.
 */
import type { ComponentScores, ModelBase } from '../component.ts';
import { splitData, type Split } from '../evaluation/splits.ts';
import type { TrainingData } from '../model.ts';
import { resolveShopper, type FoldedShopper } from '../shopperHistory.ts';

/** @default 2,000 validation shoppers: enough to tell settings apart, a bounded share of a trial. */
export const DEFAULT_VALIDATION_USERS = 2_000;

/** One validation shopper, resolved against a model's base. */
export interface ValidationCase {
  readonly shopper: FoldedShopper;
  /** The held-out item's index in the base's catalogue; -1 when the model cannot know it. */
  readonly heldOut: number;
  /** Seen and non-recommendable items: never ranked. */
  readonly excluded: Uint8Array;
}

export interface ValidationMetrics {
  readonly 'ndcg@10': number;
  readonly 'hr@10': number;
}

/** The tuning split: `loo-full` on the training data; throws a RangeError when nobody can be held out. */
export function tuningSplit(data: TrainingData, options: { seed: number; maxUsers?: number }): Split {
  return splitData(data, {
    protocol: 'loo-full',
    seed: options.seed,
    maxUsers: options.maxUsers ?? DEFAULT_VALIDATION_USERS,
  });
}

/** The split's shoppers against `base` (built from the split's training part). */
export function validationCases(split: Split, base: ModelBase): ValidationCase[] {
  const size = base.catalogue.size;
  const blocked = new Uint8Array(size);
  for (let item = 0; item < size; item++) if (!base.catalogue.isRecommendable(item)) blocked[item] = 1;
  return split.cases.map((testCase) => {
    const shopper = resolveShopper(base, { userId: testCase.userId });
    const excluded = Uint8Array.from(blocked);
    for (let n = 0; n < shopper.trainedItems.length; n++) excluded[shopper.trainedItems[n] as number] = 1;
    const [itemId] = [...testCase.relevant];
    const heldOut = itemId === undefined ? -1 : (base.catalogue.index.get(itemId) ?? -1);
    return { shopper, heldOut, excluded };
  });
}

/** Items ranked above the held-out one (NaN scores rank last; ties count against it). */
export function rankOfHeldOut(scores: Float32Array, testCase: ValidationCase): number {
  const { heldOut, excluded } = testCase;
  if (heldOut < 0 || excluded[heldOut] === 1) return Number.POSITIVE_INFINITY;
  const target = scores[heldOut] as number;
  if (target !== target) return Number.POSITIVE_INFINITY;
  let rank = 0;
  for (let item = 0; item < scores.length; item++) {
    if (item === heldOut || excluded[item] === 1) continue;
    if ((scores[item] as number) >= target) rank++;
  }
  return rank;
}

/** One shopper's NDCG@10 from the held-out item's rank (one relevant item). */
export function ndcgOfRank(rank: number): number {
  return rank < 10 ? 1 / Math.log2(rank + 2) : 0;
}

/** NDCG@10 and HR@10 from the held-out items' ranks. */
export function metricsOfRanks(ranks: readonly number[]): ValidationMetrics {
  let ndcg = 0;
  let hits = 0;
  for (const rank of ranks) {
    if (rank < 10) {
      hits++;
      ndcg += ndcgOfRank(rank);
    }
  }
  const n = Math.max(1, ranks.length);
  return { 'ndcg@10': ndcg / n, 'hr@10': hits / n };
}

/** Metrics with the held-out item's rank per validation shopper (in the split's order), for paired comparisons. */
export interface RankedMetrics {
  readonly metrics: ValidationMetrics;
  readonly ranks: readonly number[];
}

/** A gain in NDCG@10 of one ranking over another on the same shoppers, and its paired standard error. */
export interface PairedGain {
  /** Mean over shoppers of (NDCG@10 of `challenger` − NDCG@10 of `incumbent`). */
  readonly gain: number;
  /** Sample standard deviation of those differences over √shoppers; 0 with fewer than two shoppers. */
  readonly standardError: number;
}

/**
 * The challenger's NDCG@10 gain over the incumbent and its standard error, pairing each shopper's
 * two scores: the shoppers' own spread (most of a metric's variance) cancels, so this is the noise of
 * the comparison itself rather than of either metric.
 */
export function pairedGain(challenger: readonly number[], incumbent: readonly number[]): PairedGain {
  if (challenger.length !== incumbent.length) {
    throw new RangeError(`paired ranks differ in length: ${challenger.length} and ${incumbent.length}`);
  }
  const n = challenger.length;
  if (n === 0) return { gain: 0, standardError: 0 };
  const differences = challenger.map((rank, u) => ndcgOfRank(rank) - ndcgOfRank(incumbent[u] as number));
  const gain = differences.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { gain, standardError: 0 };
  const squares = differences.reduce((sum, d) => sum + (d - gain) * (d - gain), 0);
  return { gain, standardError: Math.sqrt(squares / (n - 1) / n) };
}

/** Held-out ranks of a component on the validation cases, each ranking the whole catalogue. */
export function componentRanks(
  score: (shopper: FoldedShopper) => ComponentScores | undefined,
  cases: readonly ValidationCase[],
): number[] {
  return cases.map((testCase) => {
    const scored = score(testCase.shopper);
    return scored === undefined ? Number.POSITIVE_INFINITY : rankOfHeldOut(scored.scores, testCase);
  });
}

/** A component's metrics on the validation cases, each ranking the whole catalogue. */
export function scoreComponent(
  score: (shopper: FoldedShopper) => ComponentScores | undefined,
  cases: readonly ValidationCase[],
): ValidationMetrics {
  return metricsOfRanks(componentRanks(score, cases));
}
