import type { ScoredItem } from '../recommender/model.ts';
import type { CacheStatus } from './guards.ts';

/** An item of a served list: the scored-item shape, with the reason always named. */
export type ServedItem = Required<ScoredItem>;

/** Every answer of the recommendation API. */
export interface ServedList {
  readonly recommendationId: string;
  readonly modelVersion: string;
  readonly items: readonly ServedItem[];
  /** True when a dependency failed and a fallback answered. */
  readonly degraded: boolean;
  /** What the caller should know about the answer, e.g. that the item a similar list is about is unknown. */
  readonly notice?: { readonly reason: string; readonly message: string };
}

/** A served list and where it came from. */
export interface Served {
  readonly body: ServedList;
  readonly cache: CacheStatus;
}

/** Rounds a score for the wire: four decimals carry every difference a list can show. */
export const roundScore = (score: number): number => Math.round(score * 1e4) / 1e4;

/** The model's items as served: scores rounded, and `defaultReason` where the model gave none. */
export const servedItems = (items: readonly ScoredItem[], defaultReason: string): ServedItem[] =>
  items.map((item) => ({ itemId: item.itemId, score: roundScore(item.score), reason: item.reason ?? defaultReason }));
