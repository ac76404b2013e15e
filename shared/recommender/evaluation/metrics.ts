/**
 * Top-K ranking metrics: pure functions of the relevant (held-out) items and a ranked list, best
 * first. Every one is in [0, 1]; an empty relevant set scores 0 (such users are not evaluated by
 * the splits, so this never dilutes an average in practice).
 */

/** Items of `ranked[0..k)` that are relevant. */
export function hitsAt(relevant: ReadonlySet<string>, ranked: readonly string[], k: number): number {
  let hits = 0;
  const end = Math.min(k, ranked.length);
  for (let i = 0; i < end; i++) if (relevant.has(ranked[i] as string)) hits++;
  return hits;
}

/** Hit rate: 1 when at least one relevant item is in the top K. */
export function hitRate(relevant: ReadonlySet<string>, ranked: readonly string[], k: number): number {
  return hitsAt(relevant, ranked, k) > 0 ? 1 : 0;
}

/** Share of the top K that is relevant (divides by K even when the list is shorter). */
export function precision(relevant: ReadonlySet<string>, ranked: readonly string[], k: number): number {
  return k > 0 ? hitsAt(relevant, ranked, k) / k : 0;
}

/** Share of the relevant items found in the top K. */
export function recall(relevant: ReadonlySet<string>, ranked: readonly string[], k: number): number {
  return relevant.size > 0 ? hitsAt(relevant, ranked, k) / relevant.size : 0;
}

/**
 * Normalised discounted cumulative gain with binary relevance: gain 1/log2(rank + 1) per hit,
 * divided by the best possible for min(|relevant|, K) hits. With one relevant item (leave-one-out)
 * this is 1/log2(rank + 1), the NCF paper's NDCG.
 */
export function ndcg(relevant: ReadonlySet<string>, ranked: readonly string[], k: number): number {
  let dcg = 0;
  const end = Math.min(k, ranked.length);
  for (let i = 0; i < end; i++) if (relevant.has(ranked[i] as string)) dcg += 1 / Math.log2(i + 2);
  let ideal = 0;
  const idealHits = Math.min(relevant.size, k);
  for (let i = 0; i < idealHits; i++) ideal += 1 / Math.log2(i + 2);
  return ideal > 0 ? dcg / ideal : 0;
}

/** Reciprocal rank of the first relevant item in the whole list (0 when none is in it). */
export function reciprocalRank(relevant: ReadonlySet<string>, ranked: readonly string[]): number {
  for (let i = 0; i < ranked.length; i++) if (relevant.has(ranked[i] as string)) return 1 / (i + 1);
  return 0;
}

/**
 * Catalogue coverage: distinct items recommended in the top K of all lists, as a share of the
 * catalogue size.
 */
export function catalogueCoverage(lists: Iterable<readonly string[]>, k: number, catalogueSize: number): number {
  if (catalogueSize <= 0) return 0;
  const seen = new Set<string>();
  for (const list of lists) for (let i = 0; i < Math.min(k, list.length); i++) seen.add(list[i] as string);
  return seen.size / catalogueSize;
}

/** Metric names in result rows, e.g. `hr@10`, `ndcg@10`, `mrr`. */
export const METRICS = ['hr', 'precision', 'recall', 'ndcg'] as const;
export type MetricName = (typeof METRICS)[number];

/** Every metric at every K plus MRR for one ranked list, keyed `hr@10`, ..., `mrr`. */
export function scoreList(
  relevant: ReadonlySet<string>,
  ranked: readonly string[],
  ks: readonly number[],
): Record<string, number> {
  const scores: Record<string, number> = {};
  for (const k of ks) {
    scores[`hr@${k}`] = hitRate(relevant, ranked, k);
    scores[`precision@${k}`] = precision(relevant, ranked, k);
    scores[`recall@${k}`] = recall(relevant, ranked, k);
    scores[`ndcg@${k}`] = ndcg(relevant, ranked, k);
  }
  scores['mrr'] = reciprocalRank(relevant, ranked);
  return scores;
}
