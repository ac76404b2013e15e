/**
 * What every algorithm shares: hyperparameter checking, the shopper history (for fold-in and
 * `excludeSeen`), the popularity fallback, and the {@link ComponentModel} that turns a scoring
 * component into a {@link Model} with filters, fallbacks and save().
 */
import { mulberry32 } from '../../random.ts';
import { ArtifactWriter, summarizeData, type Artifact } from '../artifact.ts';
import {
  ItemCatalogue,
  rankItems,
  resolveCandidates,
  type BlockMaxima,
  type CatalogueJson,
  type RankOptions,
} from '../filters.ts';
import {
  buildInteractionMatrix,
  columnTotals,
  EventWeighting,
  PURCHASE_EVENT,
  WEIGHTING_DEFAULTS,
  type InteractionMatrix,
  type SparseRows,
} from '../matrix.ts';
import type {
  AlgorithmName,
  DataSummary,
  Hyperparameters,
  Model,
  RecommendationFilters,
  RecommendationQuery,
  ScoredItem,
  TrainingData,
} from '../model.ts';

export { WEIGHTING_DEFAULTS };

/**
 * Defaults merged with the given values, every name and type checked. Strings that spell a number
 * or a boolean are accepted for numeric and boolean parameters, because SageMaker passes every
 * hyperparameter as a string.
 */
export function resolveHyperparameters(
  algorithm: AlgorithmName,
  defaults: Hyperparameters,
  given: Hyperparameters = {},
): Hyperparameters {
  const resolved: Record<string, number | string | boolean> = { ...defaults };
  const valid = Object.keys(defaults).sort();
  for (const [name, value] of Object.entries(given)) {
    const fallback = defaults[name];
    if (fallback === undefined) {
      throw new Error(`unknown hyperparameter "${name}" for ${algorithm}; valid names: ${valid.join(', ')}`);
    }
    if (typeof fallback === 'number') {
      const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
      if (typeof number !== 'number' || !Number.isFinite(number)) {
        throw new Error(`hyperparameter "${name}" for ${algorithm} must be a number, got ${JSON.stringify(value)}`);
      }
      resolved[name] = number;
    } else if (typeof fallback === 'boolean') {
      const bool = value === 'true' ? true : value === 'false' ? false : value;
      if (typeof bool !== 'boolean') {
        throw new Error(
          `hyperparameter "${name}" for ${algorithm} must be true or false, got ${JSON.stringify(value)}`,
        );
      }
      resolved[name] = bool;
    } else {
      if (typeof value !== 'string') {
        throw new Error(`hyperparameter "${name}" for ${algorithm} must be a string, got ${JSON.stringify(value)}`);
      }
      resolved[name] = value;
    }
  }
  return resolved;
}

/** A resolved numeric hyperparameter (the caller's defaults guarantee presence and type). */
export function numberParam(params: Hyperparameters, name: string): number {
  const value = params[name];
  if (typeof value !== 'number') throw new Error(`hyperparameter "${name}" must be a number`);
  return value;
}

/** Seeded PRNG (mulberry32): the same seed gives the same model on every machine. */
export const seededRandom = mulberry32;

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

/** What a model knows about the shopper of one query, in item indices. */
export interface Shopper {
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
  /** Recent item ids the model does not know (kept for `excludeSeen`). */
  readonly unknownRecentIds: readonly string[];
}

/** Everything a model needs besides its own arrays. */
export interface ModelBase {
  readonly catalogue: ItemCatalogue;
  readonly history: ShopperHistory;
  /** Total (decayed) confidence per item: the popularity fallback and the cold-item test. */
  readonly itemTotals: Float32Array;
  readonly weighting: EventWeighting;
  readonly hyperparameters: Hyperparameters;
  readonly data: DataSummary;
}

/** Scores of one component for one query, with the reason it would give. */
export interface ComponentScores {
  readonly scores: Float32Array;
  reason(item: number): string | undefined;
  /** The scores' block maxima, when the component has them: a whole-catalogue ranking skips blocks by them. */
  readonly blockMaxima?: BlockMaxima;
  /**
   * Present when the scores are approximate (int8 factors): given the items a ranking of them
   * kept (`complete` when it was full), makes exact every score that could stand in the exact
   * list, raising the block maxima to match, so a ranking taken after it is the exact one.
   */
  refineFor?(kept: readonly number[], complete: boolean): void;
}

/** The algorithm-specific part of a model. */
export interface Component {
  /**
   * Scores for every item (or at least for `only`, when given: the query's candidates, so ranking
   * 100 candidates need not score the whole catalogue), or undefined when this component has
   * nothing to say about the shopper.
   */
  score(shopper: Shopper, only?: readonly number[]): ComponentScores | undefined;
  /** Scores of items similar to `item`, or undefined when it knows nothing about the item. */
  similar(item: number): ComponentScores | undefined;
  /** Writes the component's arrays, each name prefixed. */
  write(writer: ArtifactWriter, prefix: string): Promise<void>;
}

/** Interactions → matrix, catalogue and history with the weighting hyperparameters. */
export function prepareBase(
  data: TrainingData,
  params: Hyperparameters,
): { base: ModelBase; matrix: InteractionMatrix } {
  const weighting = new EventWeighting(params);
  const matrix = buildInteractionMatrix(data.interactions, weighting, { itemIds: data.catalogue.map((e) => e.itemId) });
  const base: ModelBase = {
    catalogue: ItemCatalogue.build(matrix.itemIds, data.catalogue),
    history: ShopperHistory.fromMatrix(matrix),
    itemTotals: columnTotals(matrix.byItem),
    weighting,
    hyperparameters: params,
    data: summarizeData(data),
  };
  return { base, matrix };
}

export async function writeBase(writer: ArtifactWriter, base: ModelBase): Promise<void> {
  const { history } = base;
  await Promise.all([
    writer.json('catalogue', base.catalogue.toJSON()),
    writer.json('users', history.userIds),
    writer.uint32('seen.pointers', history.seen.pointers),
    writer.uint32('seen.items', history.seen.indices),
    writer.float32('seen.values', history.seen.values),
    writer.uint32('purchases.pointers', history.purchases.pointers),
    writer.uint32('purchases.items', history.purchases.indices),
    writer.float32('purchases.values', history.purchases.values),
    writer.float32('itemTotals', base.itemTotals),
  ]);
}

export function readBase(artifact: Artifact): ModelBase {
  const history = new ShopperHistory(
    artifact.json<string[]>('users'),
    {
      pointers: artifact.uint32('seen.pointers'),
      indices: artifact.uint32('seen.items'),
      values: artifact.float32('seen.values'),
    },
    {
      pointers: artifact.uint32('purchases.pointers'),
      indices: artifact.uint32('purchases.items'),
      values: artifact.float32('purchases.values'),
    },
  );
  const params = artifact.manifest.hyperparameters;
  return {
    catalogue: new ItemCatalogue(artifact.json<CatalogueJson>('catalogue')),
    history,
    itemTotals: artifact.float32('itemTotals'),
    weighting: new EventWeighting(params),
    hyperparameters: params,
    data: artifact.manifest.data,
  };
}

/** Resolves the query's shopper against the model: trained row plus live items with their weights. */
export function resolveShopper(base: ModelBase, query: Pick<RecommendationQuery, 'userId' | 'recentItems'>): Shopper {
  const user = query.userId === undefined ? -1 : (base.history.userIndex.get(query.userId) ?? -1);
  const { seen } = base.history;
  const start = user >= 0 ? (seen.pointers[user] as number) : 0;
  const end = user >= 0 ? (seen.pointers[user + 1] as number) : 0;
  const recent = query.recentItems ?? [];
  let newest = Number.NEGATIVE_INFINITY;
  for (const r of recent) if (r.timestamp !== undefined && r.timestamp > newest) newest = r.timestamp;
  const weights = new Map<number, number>();
  const recentPurchases = new Set<number>();
  const unknownRecentIds: string[] = [];
  for (const r of recent) {
    const item = base.catalogue.index.get(r.itemId);
    if (item === undefined) {
      unknownRecentIds.push(r.itemId);
      continue;
    }
    if (r.eventType === PURCHASE_EVENT) recentPurchases.add(item);
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
    unknownRecentIds,
  };
}

/** The item indices `excludeSeen` / `excludePurchased` remove for this shopper. */
export function excludedItems(
  base: ModelBase,
  shopper: Shopper,
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
  shopper: Shopper | undefined,
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

/**
 * A {@link Model} from a component: filters and ranking, the popularity fallback when the
 * component has nothing to say, and saving base + component arrays under one manifest.
 */
export class ComponentModel implements Model {
  readonly algorithm: AlgorithmName;
  readonly base: ModelBase;
  readonly component: Component;

  constructor(algorithm: AlgorithmName, base: ModelBase, component: Component) {
    this.algorithm = algorithm;
    this.base = base;
    this.component = component;
  }

  recommend(query: RecommendationQuery): ScoredItem[] {
    const shopper = resolveShopper(this.base, query);
    // Candidate ids are looked up once, here; the component and the ranking share the indices.
    const resolved =
      query.candidates === undefined ? undefined : resolveCandidates(this.base.catalogue, query.candidates);
    const scored =
      this.component.score(shopper, resolved?.indices) ??
      popularityScores(this.base, shopper, query.filters, this.base.itemTotals, resolved?.indices);
    const filters =
      query.filters?.excludeSeen === true && shopper.unknownRecentIds.length > 0
        ? { ...query.filters, excludeItemIds: [...(query.filters.excludeItemIds ?? []), ...shopper.unknownRecentIds] }
        : query.filters;
    const options: RankOptions = {
      catalogue: this.base.catalogue,
      scores: scored.scores,
      count: query.count,
      filters,
      excluded: excludedItems(this.base, shopper, query.filters),
      resolved,
      reason: (item) => scored.reason(item),
      ...(scored.blockMaxima === undefined ? {} : { blockMaxima: scored.blockMaxima }),
    };
    if (scored.refineFor !== undefined) {
      // Approximate scores: the list they give (no reasons yet) says how low an exact list can
      // reach; everything that could reach it is made exact, then ranked again.
      const { reason: _unused, ...withoutReasons } = options;
      const rough = rankItems(withoutReasons);
      scored.refineFor(
        rough.map(({ itemId }) => this.base.catalogue.index.get(itemId) as number),
        rough.length >= Math.floor(query.count),
      );
    }
    return rankItems(options);
  }

  similarItems(itemId: string, count: number, filters?: RecommendationFilters): ScoredItem[] {
    const item = this.base.catalogue.index.get(itemId);
    if (item === undefined) {
      // Nothing is known about the item: the best we can say is what is popular.
      return rankItems({
        catalogue: this.base.catalogue,
        scores: this.base.itemTotals,
        count,
        filters,
        reason: () => 'popular',
      });
    }
    const scored = this.component.similar(item) ?? sameCategoryScores(this.base, item);
    return rankItems({
      catalogue: this.base.catalogue,
      scores: scored.scores,
      count,
      filters,
      excluded: new Set([item]),
      reason: (other) => scored.reason(other),
    });
  }

  async save(dir: string): Promise<void> {
    const writer = new ArtifactWriter(dir);
    await writeBase(writer, this.base);
    await this.component.write(writer, `${this.algorithm}.`);
    await writer.finish({
      algorithm: this.algorithm,
      hyperparameters: this.base.hyperparameters,
      data: this.base.data,
    });
  }
}

/** Reason for a contributing history item: bought items say so, the rest were viewed. */
export function becauseOf(base: ModelBase, shopper: Shopper, item: number): string {
  const id = base.catalogue.itemIds[item] as string;
  let bought = shopper.recentPurchases.has(item);
  if (!bought && shopper.user >= 0) {
    const { purchases } = base.history;
    for (
      let p = purchases.pointers[shopper.user] as number;
      p < (purchases.pointers[shopper.user + 1] as number);
      p++
    ) {
      if (purchases.indices[p] === item) bought = true;
    }
  }
  return bought ? `because you bought ${id}` : `because you viewed ${id}`;
}

/**
 * A catalogue-sized score buffer for ranking candidates, reused by every request (a model answers
 * one at a time, and the caller consumes the scores before the next): NaN except at the items the
 * last request wrote, which {@link start} clears again — 100 writes, not a 400 kB allocation.
 */
export class CandidateScores {
  readonly #scores: Float32Array;
  readonly #written: number[] = [];

  constructor(size: number) {
    this.#scores = new Float32Array(size).fill(Number.NaN);
  }

  /** The buffer, with the previous request's scores cleared. */
  start(): Float32Array {
    const written = this.#written;
    for (let n = 0; n < written.length; n++) this.#scores[written[n] as number] = Number.NaN;
    written.length = 0;
    return this.#scores;
  }

  set(item: number, score: number): void {
    this.#scores[item] = score;
    this.#written.push(item);
  }
}

/**
 * Indices of the `n` best of `candidates` by `scoreOf`, best first, ties by lower index (a
 * bounded min-heap, so picking 50 neighbours out of thousands costs no full sort).
 */
export function topIndices(candidates: ArrayLike<number>, n: number, scoreOf: (index: number) => number): number[] {
  const heap: number[] = [];
  const scores: number[] = [];
  const weaker = (a: number, b: number): boolean =>
    (scores[a] as number) < (scores[b] as number) ||
    ((scores[a] as number) === (scores[b] as number) && (heap[a] as number) > (heap[b] as number));
  const swap = (a: number, b: number): void => {
    [heap[a], heap[b]] = [heap[b] as number, heap[a] as number];
    [scores[a], scores[b]] = [scores[b] as number, scores[a] as number];
  };
  for (let c = 0; c < candidates.length && n > 0; c++) {
    const index = candidates[c] as number;
    const score = scoreOf(index);
    if (heap.length < n) {
      heap.push(index);
      scores.push(score);
      for (let at = heap.length - 1; at > 0;) {
        const parent = (at - 1) >> 1;
        if (!weaker(at, parent)) break;
        swap(at, parent);
        at = parent;
      }
      continue;
    }
    const top = scores[0] as number;
    if (score < top || (score === top && index > (heap[0] as number))) continue;
    heap[0] = index;
    scores[0] = score;
    for (let at = 0; ;) {
      const left = 2 * at + 1;
      let weakest = at;
      if (left < heap.length && weaker(left, weakest)) weakest = left;
      if (left + 1 < heap.length && weaker(left + 1, weakest)) weakest = left + 1;
      if (weakest === at) break;
      swap(at, weakest);
      at = weakest;
    }
  }
  const order = heap.map((index, n) => ({ index, score: scores[n] as number }));
  order.sort((a, b) => b.score - a.score || a.index - b.index);
  return order.map((o) => o.index);
}
