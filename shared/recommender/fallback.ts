/**
 * The popularity fallback: what a model answers when its own component has nothing to say about
 * a shopper or an item.
 */
import { CandidateScores } from './candidates.ts';
import type { ComponentScores, ModelBase } from './component.ts';
import type { BlockMaxima } from './filters.ts';
import type { RecommendationFilters } from './model.ts';
import type { FoldedShopper } from './shopperHistory.ts';

/** Block maxima of score arrays that never change (a model's item totals), worked out once each. */
const fixedMaxima = new WeakMap<Float32Array, BlockMaxima>();
const FIXED_BLOCK_ITEMS = 64;

function maximaOf(scores: Float32Array): BlockMaxima {
  let known = fixedMaxima.get(scores);
  if (known === undefined) {
    const maxima = new Float32Array(Math.ceil(scores.length / FIXED_BLOCK_ITEMS)).fill(Number.NEGATIVE_INFINITY);
    // NaN never wins (the ranking counts it as −∞).
    for (let item = 0; item < scores.length; item++) {
      const block = Math.floor(item / FIXED_BLOCK_ITEMS);
      if ((scores[item] as number) > (maxima[block] as number)) maxima[block] = scores[item] as number;
    }
    fixedMaxima.set(scores, (known = { size: FIXED_BLOCK_ITEMS, maxima }));
  }
  return known;
}

/** Candidate buffers of {@link popularityScores}, one per model (one request at a time, as the components' own). */
const popularityCandidates = new WeakMap<ModelBase, CandidateScores>();

/**
 * Popularity within the shopper's categories; `popular` or `popular in <category>` reasons. A
 * shopper with no favourite category (none known: the usual case behind this fallback) gets the
 * totals as they are, neither copied nor rescored, with their block maxima, so a new shopper's
 * list over a 100k catalogue is a top-k over ~1.6k blocks; with `only` (a ranking's candidates),
 * only those are scored, the rest NaN.
 */
export function popularityScores(
  base: ModelBase,
  shopper: FoldedShopper | undefined,
  filters?: RecommendationFilters,
  itemTotals: Float32Array = base.itemTotals,
  only?: readonly number[],
): ComponentScores {
  const { catalogue } = base;
  // Favourite categories from the shopper's items: popular items there get up to twice the score.
  const affinity = new Map<string, number>();
  let total = 0;
  if (shopper !== undefined) {
    const add = (item: number, weight: number): void => {
      for (const category of catalogue.categories[item] ?? [])
        affinity.set(category, (affinity.get(category) ?? 0) + weight);
      total += weight;
    };
    for (let n = 0; n < shopper.trainedItems.length; n++)
      add(shopper.trainedItems[n] as number, shopper.trainedWeights[n] as number);
    shopper.recentItems.forEach((item, n) => add(item, (shopper.recentWeights[n] as number) * 2));
  }
  if (!(total > 0)) {
    const reason = filters?.category === undefined ? 'popular' : `popular in ${filters.category}`;
    return { scores: itemTotals, reason: () => reason, blockMaxima: maximaOf(itemTotals) };
  }
  const boostOf = (item: number): { best: number; bestCategory: string | undefined } => {
    let best = 0;
    let bestCategory: string | undefined;
    for (const category of catalogue.categories[item] ?? []) {
      const share = (affinity.get(category) ?? 0) / total;
      if (share > best) {
        best = share;
        bestCategory = category;
      }
    }
    return { best, bestCategory };
  };
  const boostedBy = new Map<number, string | undefined>();
  let scores: Float32Array;
  if (only !== undefined) {
    let candidates = popularityCandidates.get(base);
    if (candidates === undefined) popularityCandidates.set(base, (candidates = new CandidateScores(catalogue.size)));
    scores = candidates.start();
    for (let n = 0; n < only.length; n++) {
      const item = only[n] as number;
      const { best, bestCategory } = boostOf(item);
      candidates.set(item, (itemTotals[item] as number) * (1 + best));
      boostedBy.set(item, bestCategory);
    }
  } else {
    scores = new Float32Array(catalogue.size);
    for (let item = 0; item < catalogue.size; item++) {
      const { best, bestCategory } = boostOf(item);
      scores[item] = (itemTotals[item] as number) * (1 + best);
      if (bestCategory !== undefined) boostedBy.set(item, bestCategory);
    }
  }
  return {
    scores,
    reason: (item) => {
      const category = filters?.category ?? boostedBy.get(item);
      return category === undefined ? 'popular' : `popular in ${category}`;
    },
  };
}

/** Popular items sharing the most specific category with `item`: the similar-items fallback. */
export function sameCategoryScores(base: ModelBase, item: number): ComponentScores {
  const { catalogue, itemTotals } = base;
  const own = catalogue.categories[item] ?? [];
  const scores = new Float32Array(catalogue.size);
  const shared: (string | undefined)[] = new Array<string | undefined>(catalogue.size);
  for (let other = 0; other < catalogue.size; other++) {
    let depth = 0;
    const categories = catalogue.categories[other] ?? [];
    for (let level = own.length - 1; level >= 0; level--) {
      if (categories.includes(own[level] as string)) {
        depth = level + 1;
        shared[other] = own[level];
        break;
      }
    }
    // Depth first, popularity as the tie-break within a depth (totals are far below 1e6).
    scores[other] = depth * 1e6 + Math.min(itemTotals[other] as number, 999_999);
  }
  scores[item] = Number.NaN;
  return {
    scores,
    reason: (other) => (shared[other] === undefined ? 'popular' : `popular in ${shared[other]}`),
  };
}
