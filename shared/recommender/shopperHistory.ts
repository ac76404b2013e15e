/**
 * The shoppers a model was trained on, and one query's shopper resolved against them: trained
 * row plus live items, for fold-in, `excludeSeen` / `excludePurchased` and "because you ..." reasons.
 */
import type { ModelBase } from './component.ts';
import { PURCHASE_EVENT, type InteractionMatrix, type SparseRows } from './matrix.ts';

/** The event a "because you added … to cart" reason names. */
export const ADD_TO_CART_EVENT = 'add_to_cart';
import type { RecommendationFilters, RecommendationQuery } from './model.ts';

/** Shopper ids with their training rows: what they interacted with and what they bought. */
export class ShopperHistory {
  readonly userIds: readonly string[];
  readonly userIndex: ReadonlyMap<string, number>;
  readonly seen: SparseRows;
  readonly purchases: SparseRows;

  constructor(userIds: readonly string[], seen: SparseRows, purchases: SparseRows) {
    this.userIds = userIds;
    this.userIndex = new Map(userIds.map((id, u) => [id, u]));
    this.seen = seen;
    this.purchases = purchases;
  }

  static fromMatrix(matrix: InteractionMatrix): ShopperHistory {
    return new ShopperHistory(matrix.userIds, matrix.byUser, matrix.purchases);
  }
}

/**
 * The shopper of one query as a model sees them, in item indices: their trained row with the
 * query's live items folded in. Not the person (a shopper, keyed `u:<userId>` or `a:<anonymousId>`).
 */
export interface FoldedShopper {
  /** Trained user index, or -1 for a new or anonymous shopper. */
  readonly user: number;
  /** Training-row items and confidences (empty for unknown shoppers). */
  readonly trainedItems: ArrayLike<number>;
  readonly trainedWeights: ArrayLike<number>;
  /** Known items of `recentItems` with their live weights (duplicates summed, newest first). */
  readonly recentItems: readonly number[];
  readonly recentWeights: readonly number[];
  /** Recent items with a purchase event (item indices). */
  readonly recentPurchases: ReadonlySet<number>;
  /** Recent items with an add-to-cart event (item indices). */
  readonly recentCarts: ReadonlySet<number>;
  /** Recent item ids the model does not know (kept for `excludeSeen`). */
  readonly unknownRecentIds: readonly string[];
}

/** Resolves the query's shopper against the model: trained row plus live items with their weights. */
export function resolveShopper(
  base: ModelBase,
  query: Pick<RecommendationQuery, 'userId' | 'recentItems'>,
): FoldedShopper {
  const user = query.userId === undefined ? -1 : (base.history.userIndex.get(query.userId) ?? -1);
  const { seen } = base.history;
  const start = user >= 0 ? (seen.pointers[user] as number) : 0;
  const end = user >= 0 ? (seen.pointers[user + 1] as number) : 0;
  const recent = query.recentItems ?? [];
  let newest = Number.NEGATIVE_INFINITY;
  for (const r of recent) if (r.timestamp !== undefined && r.timestamp > newest) newest = r.timestamp;
  const weights = new Map<number, number>();
  const recentPurchases = new Set<number>();
  const recentCarts = new Set<number>();
  const unknownRecentIds: string[] = [];
  for (const r of recent) {
    const item = base.catalogue.index.get(r.itemId);
    if (item === undefined) {
      unknownRecentIds.push(r.itemId);
      continue;
    }
    if (r.eventType === PURCHASE_EVENT) recentPurchases.add(item);
    if (r.eventType === ADD_TO_CART_EVENT) recentCarts.add(item);
    const weight = base.weighting.recentWeight(r, Number.isFinite(newest) ? newest : 0);
    weights.set(item, (weights.get(item) ?? 0) + weight);
  }
  const recentItems: number[] = [];
  const recentWeights: number[] = [];
  for (const [item, weight] of weights) {
    if (weight <= 0) continue;
    recentItems.push(item);
    recentWeights.push(weight);
  }
  return {
    user,
    trainedItems: seen.indices.subarray(start, end),
    trainedWeights: seen.values.subarray(start, end),
    recentItems,
    recentWeights,
    recentPurchases,
    recentCarts,
    unknownRecentIds,
  };
}

/** The item indices `excludeSeen` / `excludePurchased` remove for this shopper. */
export function excludedItems(
  base: ModelBase,
  shopper: FoldedShopper,
  filters: RecommendationFilters | undefined,
): Set<number> {
  const excluded = new Set<number>();
  if (filters?.excludeSeen === true) {
    for (let n = 0; n < shopper.trainedItems.length; n++) excluded.add(shopper.trainedItems[n] as number);
    for (const item of shopper.recentItems) excluded.add(item);
  }
  if (filters?.excludePurchased === true) {
    const { purchases } = base.history;
    if (shopper.user >= 0) {
      for (
        let p = purchases.pointers[shopper.user] as number;
        p < (purchases.pointers[shopper.user + 1] as number);
        p++
      ) {
        excluded.add(purchases.indices[p] as number);
      }
    }
    for (const item of shopper.recentPurchases) excluded.add(item);
  }
  return excluded;
}

/**
 * The reason naming a history item of `shopper` (the caller picks the one contributing most to a
 * ranked item's score), with the strongest interaction known for it: bought, then added to cart,
 * then viewed. The trained rows keep purchases but not carts, so a trained item that was only put
 * in a cart reads "viewed".
 */
export function becauseOf(base: ModelBase, shopper: FoldedShopper, item: number): string {
  const id = base.catalogue.itemIds[item] as string;
  let bought = shopper.recentPurchases.has(item);
  if (!bought && shopper.user >= 0) {
    const { purchases } = base.history;
    for (
      let p = purchases.pointers[shopper.user] as number;
      p < (purchases.pointers[shopper.user + 1] as number);
      p++
    ) {
      if (purchases.indices[p] === item && (purchases.values[p] as number) > 0) bought = true;
    }
  }
  if (bought) return `because you bought ${id}`;
  return shopper.recentCarts.has(item) ? `because you added to cart ${id}` : `because you viewed ${id}`;
}

/**
 * The shopper's distinct history items with their summed weights: the training row plus the
 * live items × `recentMultiplier`, as each component scores them.
 */
export function historyWeights(
  shopper: FoldedShopper,
  recentMultiplier: number,
): { items: number[]; weights: number[] } {
  const merged = new Map<number, number>();
  for (let n = 0; n < shopper.trainedItems.length; n++) {
    const item = shopper.trainedItems[n] as number;
    merged.set(item, (merged.get(item) ?? 0) + (shopper.trainedWeights[n] as number));
  }
  shopper.recentItems.forEach((item, n) => {
    merged.set(item, (merged.get(item) ?? 0) + recentMultiplier * (shopper.recentWeights[n] as number));
  });
  return { items: [...merged.keys()], weights: [...merged.values()] };
}
