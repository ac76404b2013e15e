/**
 * Fitting the hybrid's blend weights without retraining it: each component scores the validation
 * shoppers once, their z-scores are cached for a pool of items per shopper (every source's top
 * {@link POOL_PER_SOURCE} plus the held-out item), and each candidate weighting re-ranks the pool
 * with the hybrid's own formula (see HybridComponent.score): Σ w·z / Σ w on items with
 * interactions, (w_content·z_content − coldPenalty) / Σ w on cold ones. A single source's top 10
 * lies inside its top 50, so its metrics on the pool equal its full-ranking metrics; a blend's
 * may differ only for an item outside every source's top 50 reaching the blend's top 10.
 */
import { COLD_CONTENT_WEIGHT, normalisation, zScore, type HybridComponent } from '../algorithms/hybrid.ts';
import type { ComponentScores } from '../component.ts';
import { metricsOfRanks, type ValidationCase, type ValidationMetrics } from './validation.ts';

/** A single source's top 10 lies inside its top 50, so single-source metrics on the pool are exact. */
export const POOL_PER_SOURCE = 50;

/** The hybrid's blend settings, as `blend.*` names them. */
export interface BlendWeights {
  readonly minHistory: number;
  readonly leadWeight: number;
  readonly secondWeight: number;
  readonly contentWeight: number;
  readonly coldPenalty: number;
  readonly popularityWeight: number;
}

const SOURCES = ['ials', 'knn', 'content', 'popularity'] as const;
type SourceName = (typeof SOURCES)[number];

/** One shopper's pool: z-scores per source (NaN where the source says nothing of the shopper). */
export interface PoolCase {
  readonly known: number;
  readonly warm: Uint8Array;
  readonly z: Readonly<Record<SourceName, Float32Array | undefined>>;
  /** Position of the held-out item in the pool; -1 when no source can rank it. */
  readonly heldOut: number;
}

/**
 * Indices of the `count` largest finite values among the items not `excluded`, through a min-heap of
 * the best so far: one comparison for most items instead of a sort of the catalogue.
 */
export function topItems(values: Float32Array, excluded: Uint8Array, count: number): number[] {
  const heap: number[] = [];
  const less = (a: number, b: number): boolean =>
    (values[a] as number) < (values[b] as number) || ((values[a] as number) === (values[b] as number) && a > b);
  const down = (from: number): void => {
    let i = from;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && less(heap[l] as number, heap[m] as number)) m = l;
      if (r < heap.length && less(heap[r] as number, heap[m] as number)) m = r;
      if (m === i) return;
      [heap[i], heap[m]] = [heap[m] as number, heap[i] as number];
      i = m;
    }
  };
  for (let item = 0; item < values.length; item++) {
    const v = values[item] as number;
    if (v !== v || excluded[item] === 1) continue;
    if (heap.length < count) {
      heap.push(item);
      for (let i = heap.length - 1; i > 0;) {
        const p = (i - 1) >> 1;
        if (!less(heap[i] as number, heap[p] as number)) break;
        [heap[i], heap[p]] = [heap[p] as number, heap[i] as number];
        i = p;
      }
    } else if (less(heap[0] as number, item)) {
      heap[0] = item;
      down(0);
    }
  }
  return heap;
}

type Stats = ReturnType<typeof normalisation>;

/** Raw scores and the hybrid's normalisation of one source, or undefined when it knows nothing. */
function sourceOf(scored: ComponentScores | undefined, normalise: (s: Float32Array) => Stats) {
  if (scored === undefined) return undefined;
  const stats = normalise(scored.scores);
  return stats.count === 0 ? undefined : { raw: scored.scores, stats };
}

/** Scores every validation shopper with each component of `hybrid` and keeps their pools. */
export function poolCases(hybrid: HybridComponent, cases: readonly ValidationCase[]): PoolCase[] {
  const totals = hybrid.base.itemTotals;
  const warm = Uint8Array.from(totals, (total) => (total > 0 ? 1 : 0));
  return cases.map(({ shopper, heldOut, excluded }) => {
    const knn = hybrid.knn.score(shopper);
    const sources: Record<SourceName, ReturnType<typeof sourceOf>> = {
      ials: sourceOf(hybrid.ials.score(shopper), (s) => normalisation(s, warm)),
      knn: sourceOf(knn, (s) => normalisation(s, warm, hybrid.knn.scoredItems)),
      content: sourceOf(hybrid.content.score(shopper), (s) => normalisation(s)),
      popularity: sourceOf(hybrid.popularity.score(shopper), (s) => normalisation(s, warm)),
    };
    // The top items by raw score are the top items by z (sd > 0); missing scores sit at the minimum.
    const pool = new Set<number>();
    for (const source of SOURCES) {
      const found = sources[source];
      if (found !== undefined) for (const item of topItems(found.raw, excluded, POOL_PER_SOURCE)) pool.add(item);
    }
    const usable = heldOut >= 0 && excluded[heldOut] === 0;
    if (usable) pool.add(heldOut);
    const items = [...pool];
    const pick = (found: ReturnType<typeof sourceOf>) =>
      found === undefined ? undefined : Float32Array.from(items, (item) => zScore(found.raw, found.stats, item));
    const known = new Set<number>(Array.from(shopper.trainedItems)).size + shopper.recentItems.length;
    return {
      known,
      warm: Uint8Array.from(items, (item) => warm[item] as number),
      z: {
        ials: pick(sources.ials),
        knn: pick(sources.knn),
        content: pick(sources.content),
        popularity: pick(sources.popularity),
      },
      heldOut: usable ? items.indexOf(heldOut) : -1,
    };
  });
}

/** Blended scores of one pool under `weights` (the hybrid's formula). */
export function blendPool(pool: PoolCase, weights: BlendWeights): Float32Array {
  const wellKnown = pool.known >= weights.minHistory;
  const w: Record<SourceName, number> = {
    ials: wellKnown ? weights.leadWeight : weights.secondWeight,
    knn: wellKnown ? weights.secondWeight : weights.leadWeight,
    content: weights.contentWeight,
    popularity: weights.popularityWeight,
  };
  const active = SOURCES.filter((s) => pool.z[s] !== undefined && (w[s] > 0 || s === 'content'));
  let total = 0;
  for (const s of active) total += w[s];
  const size = pool.warm.length;
  const out = new Float32Array(size);
  if (total <= 0) return out.fill(Number.NaN);
  const content = pool.z.content;
  const coldWeight = Math.max(w.content, COLD_CONTENT_WEIGHT);
  for (const s of active) {
    if (w[s] === 0) continue;
    // Missing scores were cached at the source's minimum z, as the hybrid counts them.
    const z = pool.z[s] as Float32Array;
    const weight = w[s];
    for (let i = 0; i < size; i++) if (pool.warm[i] === 1) out[i] = (out[i] as number) + weight * (z[i] as number);
  }
  for (let i = 0; i < size; i++) {
    if (pool.warm[i] === 1) out[i] = (out[i] as number) / total;
    else
      out[i] = content === undefined ? Number.NaN : (coldWeight * (content[i] as number) - weights.coldPenalty) / total;
  }
  return out;
}

/** Rank of the held-out item within a pool's scores (NaN last, ties against it). */
function poolRank(scores: Float32Array, heldOut: number): number {
  if (heldOut < 0) return Number.POSITIVE_INFINITY;
  const target = scores[heldOut] as number;
  if (target !== target) return Number.POSITIVE_INFINITY;
  let rank = 0;
  for (let i = 0; i < scores.length; i++) if (i !== heldOut && (scores[i] as number) >= target) rank++;
  return rank;
}

/** The held-out item's rank in each pool under `weights`. */
export function blendRanks(pools: readonly PoolCase[], weights: BlendWeights): number[] {
  return pools.map((pool) => poolRank(blendPool(pool, weights), pool.heldOut));
}

export function blendMetrics(pools: readonly PoolCase[], weights: BlendWeights): ValidationMetrics {
  return metricsOfRanks(blendRanks(pools, weights));
}

/** One source alone: its own z-scores ranked (items with interactions only, but for content). */
export function sourceMetrics(pools: readonly PoolCase[], source: SourceName): ValidationMetrics {
  return metricsOfRanks(
    pools.map((pool) => {
      const z = pool.z[source];
      if (z === undefined) return Number.POSITIVE_INFINITY;
      const scores = Float32Array.from(z, (v, i) => (source === 'content' || pool.warm[i] === 1 ? v : Number.NaN));
      return poolRank(scores, pool.heldOut);
    }),
  );
}

/**
 * Values tried per weight; at content 0 cold items keep their text ranking (see COLD_CONTENT_WEIGHT).
 * Popularity reaches 1: lifted by the shopper's category shares it can weigh as much as iALS
 * (synthetic set: fitted at 0.7 to 1).
 */
export const BLEND_GRID: Readonly<Record<keyof BlendWeights, readonly number[]>> = {
  minHistory: [1, 2, 3, 5, 8, 12, 20],
  leadWeight: [0, 0.25, 0.5, 0.75, 1],
  secondWeight: [0, 0.1, 0.25, 0.5, 0.75, 1],
  contentWeight: [0, 0.01, 0.02, 0.04, 0.06, 0.1, 0.15, 0.25, 0.35, 0.5],
  coldPenalty: [0, 0.25, 0.5, 1, 1.5, 2],
  popularityWeight: [0, 0.05, 0.1, 0.2, 0.4, 0.7, 1],
};

export interface BlendFit {
  readonly weights: BlendWeights;
  readonly metrics: ValidationMetrics;
  /** The held-out item's rank per pool under `weights`, for a paired comparison. */
  readonly ranks: readonly number[];
  /** The starting weights' metrics (the defaults, or the caller's). */
  readonly start: ValidationMetrics;
  /** Each source alone on the same pools. */
  readonly components: Readonly<Record<'ials' | 'knn' | 'content', ValidationMetrics>>;
}

const better = (a: ValidationMetrics, b: ValidationMetrics): boolean =>
  a['ndcg@10'] > b['ndcg@10'] + 1e-12 ||
  (Math.abs(a['ndcg@10'] - b['ndcg@10']) <= 1e-12 && a['hr@10'] > b['hr@10'] + 1e-12);

/**
 * Coordinate search over {@link BLEND_GRID} from `start`, after trying the corners where one
 * collaborative source ranks the items with interactions alone (content keeps the cold ones); a weighting replaces the current one only when it is better on
 * NDCG@10 (HR@10 breaking ties), so the result is never worse than `start` nor than either
 * corner on the validation pools.
 */
export function fitBlend(
  pools: readonly PoolCase[],
  start: BlendWeights,
  options: { readonly frozen?: ReadonlySet<keyof BlendWeights>; readonly passes?: number } = {},
): BlendFit {
  const frozen = options.frozen ?? new Set();
  const startMetrics = blendMetrics(pools, start);
  let weights = start;
  let metrics = startMetrics;
  const corners: BlendWeights[] =
    frozen.size > 0
      ? []
      : [
          { ...start, minHistory: 1, leadWeight: 1, secondWeight: 0, contentWeight: 0, popularityWeight: 0 },
          { ...start, minHistory: 1, leadWeight: 0, secondWeight: 1, contentWeight: 0, popularityWeight: 0 },
        ];
  for (const corner of corners) {
    const m = blendMetrics(pools, corner);
    if (better(m, metrics)) [weights, metrics] = [corner, m];
  }
  for (let pass = 0; pass < (options.passes ?? 2); pass++) {
    let changed = false;
    for (const name of Object.keys(BLEND_GRID) as (keyof BlendWeights)[]) {
      if (frozen.has(name)) continue;
      for (const value of BLEND_GRID[name]) {
        if (value === weights[name]) continue;
        const candidate = { ...weights, [name]: value };
        if (candidate.leadWeight + candidate.secondWeight + candidate.popularityWeight <= 0) continue;
        const m = blendMetrics(pools, candidate);
        if (better(m, metrics)) {
          [weights, metrics] = [candidate, m];
          changed = true;
        }
      }
    }
    if (!changed) break;
  }
  return {
    weights,
    metrics,
    ranks: blendRanks(pools, weights),
    start: startMetrics,
    components: {
      ials: sourceMetrics(pools, 'ials'),
      knn: sourceMetrics(pools, 'knn'),
      content: sourceMetrics(pools, 'content'),
    },
  };
}
