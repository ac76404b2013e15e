/**
 * Fitting the hybrid's blend weights without retraining it: each component scores the validation
 * shoppers once, their z-scores are cached for a pool of items per shopper (every source's top
 * {@link POOL_PER_SOURCE} plus the held-out item), and each candidate weighting re-ranks the pool
 * with the hybrid's own formula (see HybridComponent.score): Σ w·z / Σ w on items with
 * interactions, (w_content·z_content − coldPenalty) / Σ w on cold ones. A single source's top 10
 * lies inside its top 100, so its metrics on the pool equal its full-ranking metrics; a blend's
 * may differ only for an item outside every source's top 100 reaching the blend's top 10.
 */
import { normalisation, zScore, type HybridComponent } from '../algorithms/hybrid.ts';
import type { ComponentScores } from '../component.ts';
import { metricsOfRanks, type ValidationCase, type ValidationMetrics } from './validation.ts';

export const POOL_PER_SOURCE = 100;

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

/** Indices of the `count` largest finite values among the eligible items. */
function topItems(values: Float32Array, eligible: (item: number) => boolean, count: number): number[] {
  const items: number[] = [];
  for (let item = 0; item < values.length; item++) {
    const v = values[item] as number;
    if (v === v && eligible(item)) items.push(item);
  }
  items.sort((a, b) => (values[b] as number) - (values[a] as number) || a - b);
  return items.slice(0, count);
}

/** Every item's z-score for one source, as the hybrid normalises it (NaN when it knows nothing). */
function zOf(scored: ComponentScores | undefined, normalise: (s: Float32Array) => ReturnType<typeof normalisation>) {
  if (scored === undefined) return undefined;
  const stats = normalise(scored.scores);
  if (stats.count === 0) return undefined;
  return Float32Array.from(scored.scores, (_, item) => zScore(scored.scores, stats, item));
}

/** Scores every validation shopper with each component of `hybrid` and keeps their pools. */
export function poolCases(hybrid: HybridComponent, cases: readonly ValidationCase[]): PoolCase[] {
  const totals = hybrid.base.itemTotals;
  const warm = Uint8Array.from(totals, (total) => (total > 0 ? 1 : 0));
  return cases.map(({ shopper, heldOut, excluded }) => {
    const knn = hybrid.knn.score(shopper);
    const full: Record<SourceName, Float32Array | undefined> = {
      ials: zOf(hybrid.ials.score(shopper), (s) => normalisation(s, warm)),
      knn: zOf(knn, (s) => normalisation(s, warm, hybrid.knn.scoredItems)),
      content: zOf(hybrid.content.score(shopper), (s) => normalisation(s)),
      popularity: zOf(hybrid.popularity.score(shopper), (s) => normalisation(s, warm)),
    };
    const pool = new Set<number>();
    const eligible = (item: number): boolean => excluded[item] === 0;
    for (const source of SOURCES) {
      const z = full[source];
      if (z !== undefined) for (const item of topItems(z, eligible, POOL_PER_SOURCE)) pool.add(item);
    }
    const usable = heldOut >= 0 && excluded[heldOut] === 0;
    if (usable) pool.add(heldOut);
    const items = [...pool];
    const pick = (z: Float32Array | undefined) => (z === undefined ? undefined : Float32Array.from(items, (i) => z[i] as number));
    const known = new Set<number>(Array.from(shopper.trainedItems)).size + shopper.recentItems.length;
    return {
      known,
      warm: Uint8Array.from(items, (item) => warm[item] as number),
      z: { ials: pick(full.ials), knn: pick(full.knn), content: pick(full.content), popularity: pick(full.popularity) },
      heldOut: usable ? items.indexOf(heldOut) : -1,
    };
  });
}

/** Missing z (an item the source did not reach) counts as the source's lowest, as in the hybrid. */
function minimumOf(z: Float32Array): number {
  let min = Number.POSITIVE_INFINITY;
  for (const v of z) if (v === v && v < min) min = v;
  return min;
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
  for (const s of active) {
    if (w[s] === 0) continue;
    const z = pool.z[s] as Float32Array;
    const min = minimumOf(z);
    for (let i = 0; i < size; i++) {
      if (pool.warm[i] === 0) continue;
      const v = z[i] as number;
      out[i] = (out[i] as number) + w[s] * (v === v ? v : min);
    }
  }
  for (let i = 0; i < size; i++) {
    if (pool.warm[i] === 1) out[i] = (out[i] as number) / total;
    else out[i] = content === undefined ? Number.NaN : (w.content * (content[i] as number) - weights.coldPenalty) / total;
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

export function blendMetrics(pools: readonly PoolCase[], weights: BlendWeights): ValidationMetrics {
  return metricsOfRanks(pools.map((pool) => poolRank(blendPool(pool, weights), pool.heldOut)));
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

/** Values tried per weight; content never drops to 0, so cold items keep their text ranking. */
export const BLEND_GRID: Readonly<Record<keyof BlendWeights, readonly number[]>> = {
  minHistory: [1, 2, 3, 5, 8, 12, 20],
  leadWeight: [0, 0.25, 0.5, 0.75, 1],
  secondWeight: [0, 0.1, 0.25, 0.5, 0.75, 1],
  contentWeight: [0.01, 0.02, 0.04, 0.06, 0.1, 0.15, 0.25],
  coldPenalty: [0, 0.25, 0.5, 1, 1.5, 2],
  popularityWeight: [0, 0.05, 0.1, 0.2, 0.4],
};

export interface BlendFit {
  readonly weights: BlendWeights;
  readonly metrics: ValidationMetrics;
  /** The starting weights' metrics (the defaults, or the caller's). */
  readonly start: ValidationMetrics;
  /** Each source alone on the same pools. */
  readonly components: Readonly<Record<'ials' | 'knn' | 'content', ValidationMetrics>>;
}

const better = (a: ValidationMetrics, b: ValidationMetrics): boolean =>
  a['ndcg@10'] > b['ndcg@10'] + 1e-12 || (Math.abs(a['ndcg@10'] - b['ndcg@10']) <= 1e-12 && a['hr@10'] > b['hr@10'] + 1e-12);

/**
 * Coordinate search over {@link BLEND_GRID} from `start`, after trying the corners where one
 * collaborative source leads alone; a weighting replaces the current one only when it is better on
 * NDCG@10 (HR@10 breaking ties), so the result is never worse than `start` nor than either
 * corner on the validation pools.
 */
export function fitBlend(pools: readonly PoolCase[], start: BlendWeights, passes = 2): BlendFit {
  const startMetrics = blendMetrics(pools, start);
  let weights = start;
  let metrics = startMetrics;
  const corners: BlendWeights[] = [
    { ...start, minHistory: 1, leadWeight: 1, secondWeight: 0, contentWeight: 0.01, popularityWeight: 0 },
    { ...start, minHistory: 1, leadWeight: 0, secondWeight: 1, contentWeight: 0.01, popularityWeight: 0 },
  ];
  for (const corner of corners) {
    const m = blendMetrics(pools, corner);
    if (better(m, metrics)) [weights, metrics] = [corner, m];
  }
  for (let pass = 0; pass < passes; pass++) {
    let changed = false;
    for (const name of Object.keys(BLEND_GRID) as (keyof BlendWeights)[]) {
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
    start: startMetrics,
    components: {
      ials: sourceMetrics(pools, 'ials'),
      knn: sourceMetrics(pools, 'knn'),
      content: sourceMetrics(pools, 'content'),
    },
  };
}
