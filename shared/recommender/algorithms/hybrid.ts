/**
 * The default model: iALS, item-kNN, content and popularity trained on the same data and mixed
 * by how much is known. A shopper with enough history is led by iALS (item-kNN second); a shopper
 * with a few events by item-kNN with the iALS fold-in second; one with none gets popularity.
 * Items without interactions are scored by content alone, well below what the collaborative
 * sources are sure of. Scores are z-normalised per source before mixing, so no source wins by
 * scale, and the reason comes from the largest contribution.
 */
import type { Artifact, ArtifactWriter } from '../artifact.ts';
import { catalogueBlender, scoreSums, type CatalogueBlender, type ScoreSums } from '../kernels/catalogueBlender.ts';
import type { Hyperparameters, Trainer, TrainingData } from '../model.ts';
import { CandidateScores } from '../candidates.ts';
import { ComponentModel, prepareBase, type Component, type ComponentScores, type ModelBase } from '../component.ts';
import { numberParam, prefixedNames, resolveHyperparameters } from '../hyperparameters.ts';
import { WEIGHTING_DEFAULTS, type InteractionMatrix } from '../matrix.ts';
import type { FoldedShopper } from '../shopperHistory.ts';
import { CONTENT_DEFAULTS, CONTENT_PARAMS, ContentComponent, contentSettings } from './content.ts';
import { IALS_DEFAULTS, IALS_PARAMS, IalsComponent, ialsSettings, trainFactors, type Factors } from './ials.ts';
import { ITEM_KNN_DEFAULTS, ITEM_KNN_PARAMS, ItemKnnComponent, itemKnnSettings, itemNeighbours } from './itemKnn.ts';
import { POPULARITY_DEFAULTS, POPULARITY_PARAMS, PopularityComponent, popularitySettings } from './popularity.ts';

/** Where each component's hyperparameters sit inside the hybrid's. */
export const COMPONENT_PREFIXES = {
  ials: 'ials.',
  knn: 'knn.',
  content: 'content.',
  popularity: 'popularity.',
} as const;

/**
 * Names of the hybrid's hyperparameters (CLI `--param` keys and SageMaker hyperparameters.json
 * keys): each component's own under its prefix (`HYBRID_PARAMS.ials.factors` is `ials.factors`),
 * and the mixing weights under `blend.`.
 */
export const HYBRID_PARAMS = {
  ials: prefixedNames(COMPONENT_PREFIXES.ials, IALS_PARAMS),
  knn: prefixedNames(COMPONENT_PREFIXES.knn, ITEM_KNN_PARAMS),
  content: prefixedNames(COMPONENT_PREFIXES.content, CONTENT_PARAMS),
  popularity: prefixedNames(COMPONENT_PREFIXES.popularity, POPULARITY_PARAMS),
  blend: {
    minHistory: 'blend.minHistory',
    leadWeight: 'blend.leadWeight',
    secondWeight: 'blend.secondWeight',
    contentWeight: 'blend.contentWeight',
    coldPenalty: 'blend.coldPenalty',
    popularityWeight: 'blend.popularityWeight',
  },
} as const;

/** Component defaults without the shared weighting names, prefixed for the hybrid. */
function prefixed(prefix: string, defaults: Hyperparameters): Hyperparameters {
  return Object.fromEntries(
    Object.entries(defaults)
      .filter(([name]) => !(name in WEIGHTING_DEFAULTS))
      .map(([name, value]) => [prefix + name, value]),
  );
}

/**
 * Defaults: the components' own defaults under `ials.`, `knn.`, `content.` and `popularity.`, plus
 * the mixing weights below, chosen by the rule in docs/recommender.md (#how-the-defaults-are-chosen):
 * the highest mean validation NDCG@10 over online-retail and online-retail-ii-2009, the synthetic
 * MovieLens-shaped set as the check. A cold item is scored as a warm item with average
 * collaborative evidence: its raw content z-score would let text-only look-alikes crowd the top 10.
 */
export const HYBRID_DEFAULTS: Hyperparameters = {
  ...WEIGHTING_DEFAULTS,
  ...prefixed(COMPONENT_PREFIXES.ials, IALS_DEFAULTS),
  ...prefixed(COMPONENT_PREFIXES.knn, ITEM_KNN_DEFAULTS),
  ...prefixed(COMPONENT_PREFIXES.content, CONTENT_DEFAULTS),
  ...prefixed(COMPONENT_PREFIXES.popularity, POPULARITY_DEFAULTS),
  /** @default 1: distinct items from which a shopper counts as known well enough for iALS to lead */
  [HYBRID_PARAMS.blend.minHistory]: 1,
  /** @default 1: iALS weight for a well-known shopper (item-kNN gets `blend.secondWeight`) */
  [HYBRID_PARAMS.blend.leadWeight]: 1,
  /** @default 0.25 */
  [HYBRID_PARAMS.blend.secondWeight]: 0.25,
  /** @default 0.25: content weight on items with interactions */
  [HYBRID_PARAMS.blend.contentWeight]: 0.25,
  /** @default 0.5: subtracted from a cold item's weighted content z-score, since text alone is weaker evidence */
  [HYBRID_PARAMS.blend.coldPenalty]: 0.5,
  /**
   * @default 32: content profiles keep their 32 heaviest terms (see CONTENT_DEFAULTS.profileTerms):
   * as good as every term on four validation splits (docs/decisions/0004-ials-defaults.md), for
   * ~1 ms less per request over a 100k catalogue.
   */
  [HYBRID_PARAMS.content.profileTerms]: 32,
  /**
   * @default 0: weight of the popularity component (all-time + `popularity.trend.*` totals) on items
   * with interactions
   */
  [HYBRID_PARAMS.blend.popularityWeight]: 0,
};

export interface HybridSettings {
  readonly minHistory: number;
  readonly leadWeight: number;
  readonly secondWeight: number;
  readonly contentWeight: number;
  readonly coldPenalty: number;
  /** Absent in artifacts written before popularity joined the blend (read as 0). */
  readonly popularityWeight?: number;
}

export function hybridSettings(params: Hyperparameters): HybridSettings {
  return {
    minHistory: numberParam(params, HYBRID_PARAMS.blend.minHistory),
    leadWeight: numberParam(params, HYBRID_PARAMS.blend.leadWeight),
    secondWeight: numberParam(params, HYBRID_PARAMS.blend.secondWeight),
    contentWeight: numberParam(params, HYBRID_PARAMS.blend.contentWeight),
    coldPenalty: numberParam(params, HYBRID_PARAMS.blend.coldPenalty),
    popularityWeight: numberParam(params, HYBRID_PARAMS.blend.popularityWeight),
  };
}

/** What z-normalising one source's scores takes: z = (s − mean) / sd, a missing score counted as `min`. */
export interface Normalisation {
  /** Finite scores among the included items; 0 makes every z NaN (the source knows nothing here). */
  readonly count: number;
  readonly mean: number;
  readonly sd: number;
  readonly min: number;
}

/**
 * Mean, sd and minimum over the included items' finite scores (every item, or those `mask`
 * marks, and only the `only` items when given). Missing (NaN) scores get the lowest z-score
 * seen, i.e. "no evidence" ranks with the weakest evidence, not with the average.
 */
export function normalisation(scores: Float32Array, mask?: Uint8Array, only?: readonly number[]): Normalisation {
  if (only === undefined && mask === undefined) return normalisationOf(scoreSums(scores));
  let count = 0;
  let sum = 0;
  let squares = 0;
  let min = Number.POSITIVE_INFINITY;
  // A copy of one loop per way of calling it, so the whole-catalogue pass (100k items, per
  // source, per request) has no per-item branch on how it was called.
  if (only !== undefined) {
    for (let n = 0; n < only.length; n++) {
      const i = only[n] as number;
      const s = scores[i] as number;
      if (s !== s || (mask !== undefined && mask[i] === 0)) continue;
      count++;
      sum += s;
      squares += s * s;
      if (s < min) min = s;
    }
  } else if (mask !== undefined) {
    for (let i = 0; i < scores.length; i++) {
      const s = scores[i] as number;
      if (s !== s || mask[i] === 0) continue;
      count++;
      sum += s;
      squares += s * s;
      if (s < min) min = s;
    }
  }
  return normalisationOf({ count, sum, squares, min });
}

/** {@link normalisation} from a source's sums. */
export function normalisationOf({ count, sum, squares, min }: ScoreSums): Normalisation {
  const mean = count === 0 ? Number.NaN : sum / count;
  const sd = Math.sqrt(Math.max(0, squares / count - mean * mean)) || 1;
  return { count, mean, sd, min };
}

/** The z-score of one item under a {@link normalisation}. */
export function zScore(scores: Float32Array, stats: Normalisation, item: number): number {
  if (stats.count === 0) return Number.NaN;
  const s = scores[item] as number;
  return ((s !== s ? stats.min : s) - stats.mean) / stats.sd;
}

/** Every item's z-score (see {@link normalisation}). */
export function zScores(scores: Float32Array, mask?: Uint8Array): Float32Array {
  const stats = normalisation(scores, mask);
  return Float32Array.from(scores, (_, item) => zScore(scores, stats, item));
}

/** One source of the blend: its weight, normalisation, and per-item z-score and reason. */
interface Source extends Normalisation {
  readonly weight: number;
  /** Raw scores (every item, or the `only` ones), for the dense blend. */
  readonly raw: Float32Array | undefined;
  z(item: number): number;
  reason(item: number): string | undefined;
}

/**
 * Content's weight on cold items: its blend weight, but never below {@link COLD_CONTENT_WEIGHT},
 * so cold items stay ranked by their text when tuning sets the weight on warm items to 0.
 */
export const COLD_CONTENT_WEIGHT = 0.01;

function coldWeight(content: Source): number {
  return Math.max(content.weight, COLD_CONTENT_WEIGHT);
}

function denseSource(scored: ComponentScores, weight: number, stats: Normalisation): Source {
  return {
    ...stats,
    weight,
    raw: scored.scores,
    z: (item) => zScore(scored.scores, stats, item),
    reason: (item) => scored.reason(item),
  };
}

export class HybridComponent implements Component {
  readonly base: ModelBase;
  readonly settings: HybridSettings;
  readonly ials: IalsComponent;
  readonly knn: ItemKnnComponent;
  readonly content: ContentComponent;
  readonly popularity: PopularityComponent;
  /**
   * Whole-catalogue requests read int8 item factors (a quarter of the bytes per request) and make
   * exact only what a list can keep (see {@link ComponentScores.refineFrom}): the same lists as
   * float32 factors. Read once, when the first such request builds the blender. @default true
   */
  quantize = true;
  /** 1 for items with interactions (the collaborative sources can speak for them), 0 for cold ones. */
  readonly #warm: Uint8Array;
  readonly #coldItems: Uint32Array;
  /**
   * Buffers reused by every request, as the components' own are (one request at a time, scores
   * consumed before the next): a 100k catalogue would otherwise allocate ~1.2 MB per request.
   */
  #blend: Float32Array | undefined;
  #sum: Float64Array | undefined;
  #candidates: CandidateScores | undefined;
  /** The whole-catalogue pass of {@link #sparseScore}; built on the first such request (training never needs it). */
  #blender: CatalogueBlender | undefined;
  #scaled: Float32Array | undefined;

  constructor(
    base: ModelBase,
    settings: HybridSettings,
    ials: IalsComponent,
    knn: ItemKnnComponent,
    content: ContentComponent,
    popularity: PopularityComponent = new PopularityComponent(base),
  ) {
    this.base = base;
    this.settings = settings;
    this.ials = ials;
    this.knn = knn;
    this.content = content;
    this.popularity = popularity;
    const items = base.catalogue.size;
    this.#warm = new Uint8Array(items);
    const cold: number[] = [];
    for (let item = 0; item < items; item++) {
      this.#warm[item] = (base.itemTotals[item] as number) > 0 ? 1 : 0;
      if (this.#warm[item] === 0) cold.push(item);
    }
    this.#coldItems = Uint32Array.from(cold);
  }

  /**
   * Blends the sources' z-scores for every item, or only for `only` (a ranking's candidates,
   * where each source is also normalised over the candidates: the ranking is among them).
   */
  score(shopper: FoldedShopper, only?: readonly number[]): ComponentScores | undefined {
    const known = new Set<number>(shopper.recentItems);
    for (let n = 0; n < shopper.trainedItems.length; n++) known.add(shopper.trainedItems[n] as number);
    // Nothing known: undefined lets the model fall back to popularity.
    if (known.size === 0) return undefined;
    const wellKnown = known.size >= this.settings.minHistory;
    const ialsWeight = wellKnown ? this.settings.leadWeight : this.settings.secondWeight;
    const knnWeight = wellKnown ? this.settings.secondWeight : this.settings.leadWeight;
    const popularityWeight = this.settings.popularityWeight ?? 0;
    if (only === undefined && popularityWeight <= 0 && ialsWeight > 0) {
      const vector = this.ials.shopperVector(shopper);
      if (vector !== undefined) {
        const sparse = this.#sparseScore(shopper, vector, ialsWeight, knnWeight);
        if (sparse !== undefined) return sparse;
      }
    }

    const warm = this.#warm;
    const sources: Source[] = [];
    // A source that knows nothing here (no finite score) has nothing to add: left out, not
    // allowed to turn every blended score into NaN.
    const add = (
      scored: ComponentScores | undefined,
      weight: number,
      warmOnly: boolean,
      keepAtZero = false,
      normalised?: Normalisation,
    ): Source | undefined => {
      if (scored === undefined || weight < 0 || (weight === 0 && !keepAtZero)) return undefined;
      const stats = normalised ?? normalisation(scored.scores, warmOnly ? warm : undefined, only);
      if (stats.count === 0) return undefined;
      const source = denseSource(scored, weight, stats);
      sources.push(source);
      return source;
    };
    add(this.ials.score(shopper, only), ialsWeight, true);
    // Item-kNN reaches a few items out of many: normalised over all it reached, even for a
    // ranking, since among 100 candidates it may reach only a handful (measured: NDCG@10 0.559
    // instead of 0.563 on online-retail loo-sampled when normalised over the candidates).
    const knn = this.knn.score(shopper);
    add(knn, knnWeight, true, false, knn && normalisation(knn.scores, warm, this.knn.scoredItems));
    // A zero-weight source is not scored at all: scoring the whole catalogue for nothing cost ~5 ms a call.
    if (popularityWeight > 0) add(this.popularity.score(shopper, only), popularityWeight, true);
    // Content always scores the cold items (text is all that speaks for them), whatever its weight on warm ones.
    const content = add(this.content.score(shopper, only), this.settings.contentWeight, false, true);
    return only === undefined ? this.#denseBlend(sources, content) : this.#candidateBlendOf(sources, content, only);
  }

  /**
   * The whole catalogue without a pass per source: iALS's mean and sd come from its Gramian and
   * content's from the {@link CatalogueBlender} as it takes the content scores, so iALS's z-score
   * × weight, content's term and every constant of the blend are one WebAssembly call over the
   * warm items' factors (cold items get their {@link #coldScore} in the same call); item-kNN then
   * adds its part only on the items it reached (the rest sit at its minimum). Same scores as
   * {@link #denseBlend} up to float32 rounding; undefined when it does not apply.
   */
  #sparseScore(
    shopper: FoldedShopper,
    vector: Float32Array,
    ialsWeight: number,
    knnWeight: number,
  ): ComponentScores | undefined {
    const moments = this.ials.scoreMoments(vector);
    if (moments.count === 0) return undefined;
    const warm = this.#warm;
    const blender = (this.#blender ??= catalogueBlender(
      this.ials.itemFactors,
      this.base.catalogue.size,
      this.ials.settings.factors,
      this.#warmItems(),
      { quantize: this.quantize },
    ));
    const ials: Source = {
      ...moments,
      min: Number.NaN,
      weight: ialsWeight,
      raw: undefined,
      z: (item) => (this.ials.itemScore(vector, item) - moments.mean) / moments.sd,
      reason: this.ials.reasonFor(shopper),
    };
    const sources: Source[] = [ials];
    let knn: Source | undefined;
    if (knnWeight > 0) {
      const scored = this.knn.score(shopper);
      const stats = scored && normalisation(scored.scores, warm, this.knn.scoredItems);
      if (scored !== undefined && stats !== undefined && stats.count > 0) {
        sources.push((knn = denseSource(scored, knnWeight, stats)));
      }
    }
    let content: Source | undefined;
    const contentWeight = this.settings.contentWeight;
    const scored = contentWeight >= 0 ? this.content.score(shopper) : undefined;
    const contentStats = normalisationOf(blender.loadContent(scored?.scores));
    if (scored !== undefined && contentStats.count > 0) {
      sources.push((content = denseSource(scored, contentWeight, contentStats)));
    }
    let totalWeight = 0;
    for (const source of sources) totalWeight += source.weight;
    // weight × (s − mean) / sd / total = slope × s − slope × mean; item-kNN's unreached items sit
    // at its minimum.
    const slope = (source: Source): number => source.weight / source.sd / totalWeight;
    let bias = -slope(ials) * ials.mean;
    if (knn !== undefined) bias += slope(knn) * (knn.min - knn.mean);
    if (content !== undefined && content.weight > 0) bias -= slope(content) * content.mean;
    const k = this.ials.settings.factors;
    const scaled = (this.#scaled ??= new Float32Array(k));
    const ialsSlope = slope(ials);
    for (let f = 0; f < k; f++) scaled[f] = ialsSlope * (vector[f] as number);
    // A cold item: coldSlope × s − coldOffset (see #coldScore); NaN when no content speaks for it.
    const scores = blender.blend(
      scaled,
      content === undefined
        ? { bias, contentStep: 0, coldSlope: 0, coldOffset: Number.NaN }
        : {
            bias,
            contentStep: content.weight > 0 ? slope(content) : 0,
            coldSlope: coldWeight(content) / content.sd / totalWeight,
            coldOffset: ((coldWeight(content) * content.mean) / content.sd + this.settings.coldPenalty) / totalWeight,
          },
    );
    if (knn !== undefined) {
      const step = slope(knn);
      const raw = knn.raw as Float32Array;
      const reached = this.knn.scoredItems;
      for (let n = 0; n < reached.length; n++) {
        const item = reached[n] as number;
        if (warm[item] === 1) scores[item] = (scores[item] as number) + step * ((raw[item] as number) - knn.min);
      }
    }
    const active = sources.filter((source) => source.weight > 0);
    const blockMaxima = blender.blockMaxima();
    if (!blender.quantized) return { scores, reason: this.#reasonOf(active, content), blockMaxima };
    return {
      scores,
      reason: this.#reasonOf(active, content),
      blockMaxima,
      refineFor: (kept, complete) => void blender.refine(kept, complete),
    };
  }

  /** The items with interactions, ascending. */
  #warmItems(): Uint32Array {
    const items: number[] = [];
    for (let item = 0; item < this.#warm.length; item++) if (this.#warm[item] === 1) items.push(item);
    return Uint32Array.from(items);
  }

  /** {@link #coldScore} for every cold item, in one loop over the content scores. */
  #scoreColdItems(scores: Float32Array, content: Source | undefined, totalWeight: number): void {
    const cold = this.#coldItems;
    if (content === undefined || totalWeight <= 0 || content.raw === undefined) {
      for (let n = 0; n < cold.length; n++)
        scores[cold[n] as number] = this.#coldScore(content, totalWeight, cold[n] as number);
      return;
    }
    const raw = content.raw;
    const { mean, sd, min, count } = content;
    const weight = coldWeight(content);
    const penalty = this.settings.coldPenalty;
    for (let n = 0; n < cold.length; n++) {
      const item = cold[n] as number;
      const s = raw[item] as number;
      const z = count === 0 ? Number.NaN : ((s !== s ? min : s) - mean) / sd;
      scores[item] = (weight * z - penalty) / totalWeight;
    }
  }

  /**
   * A cold item: only its text speaks for it. It is scored as a warm item whose collaborative
   * sources are at their mean (z = 0), so a near-copy of the shopper's history places well
   * without crowding out what the shopper's peers chose, minus the cold penalty.
   */
  #coldScore(content: Source | undefined, totalWeight: number, item: number): number {
    return content === undefined || totalWeight <= 0
      ? Number.NaN
      : (coldWeight(content) * content.z(item) - this.settings.coldPenalty) / totalWeight;
  }

  /**
   * The reason of the source with the largest share (weight × z) of the item's blended score, or
   * of the next largest when that one names nothing; worked out only for the items shown. Content
   * alone speaks for a cold item.
   */
  #reasonOf(active: readonly Source[], content: Source | undefined): (item: number) => string {
    const warm = this.#warm;
    return (item) => {
      if (warm[item] === 0) return content?.reason(item) ?? 'recommended for you';
      const ranked = active
        .map((source) => ({ source, share: source.weight * source.z(item) }))
        .filter(({ share }) => share === share)
        .sort((a, b) => b.share - a.share);
      for (const { source } of ranked) {
        const reason = source.reason(item);
        if (reason !== undefined) return reason;
      }
      return 'recommended for you';
    };
  }

  /** Every item: Σ weight × z over the sources with weight, divided by the total weight. */
  #denseBlend(sources: readonly Source[], content: Source | undefined): ComponentScores {
    const items = this.base.catalogue.size;
    let totalWeight = 0;
    for (const source of sources) totalWeight += source.weight;
    const active = sources.filter((source) => source.weight > 0);
    const scores = (this.#blend ??= new Float32Array(items));
    const sum = (this.#sum ??= new Float64Array(items));
    // Σ w (s − mean) / sd = Σ (w / sd) s − Σ (w / sd) mean: one pass per source over its raw
    // scores, no z arrays written and read back.
    let offset = 0;
    for (const source of active) offset -= (source.weight / source.sd) * source.mean;
    sum.fill(active.length === 0 ? Number.NaN : offset);
    for (const source of active) {
      const slope = source.weight / source.sd;
      const missing = source.min;
      const raw = source.raw as Float32Array;
      for (let i = 0; i < items; i++) {
        const s = raw[i] as number;
        sum[i] = (sum[i] as number) + slope * (s !== s ? missing : s);
      }
    }
    for (let i = 0; i < items; i++) scores[i] = (sum[i] as number) / totalWeight;
    this.#scoreColdItems(scores, content, totalWeight);
    return { scores, reason: this.#reasonOf(active, content) };
  }

  /** The candidates only, each source normalised over them (the rest NaN). */
  #candidateBlendOf(sources: readonly Source[], content: Source | undefined, only: readonly number[]): ComponentScores {
    const items = this.base.catalogue.size;
    let totalWeight = 0;
    for (const source of sources) totalWeight += source.weight;
    const active = sources.filter((source) => source.weight > 0);
    const candidates = (this.#candidates ??= new CandidateScores(items));
    const scores = candidates.start();
    const warm = this.#warm;
    for (let n = 0; n < only.length; n++) {
      const item = only[n] as number;
      if (warm[item] === 0) {
        candidates.set(item, this.#coldScore(content, totalWeight, item));
        continue;
      }
      let sum = 0;
      for (const source of active) sum += source.weight * source.z(item);
      candidates.set(item, active.length > 0 ? sum / totalWeight : Number.NaN);
    }
    return { scores, reason: this.#reasonOf(active, content) };
  }

  similar(item: number): ComponentScores | undefined {
    return this.knn.similar(item) ?? this.ials.similar(item) ?? this.content.similar(item);
  }

  async write(writer: ArtifactWriter, _prefix: string): Promise<void> {
    await Promise.all([
      writer.json('hybrid.settings', this.settings),
      this.ials.write(writer, 'ials.'),
      this.knn.write(writer, 'item-knn.'),
      this.content.write(writer, 'content.'),
      this.popularity.write(writer, 'popularity.'),
    ]);
  }

  static read(artifact: Artifact, base: ModelBase, _prefix: string): HybridComponent {
    return new HybridComponent(
      base,
      artifact.json<HybridSettings>('hybrid.settings'),
      IalsComponent.read(artifact, base, 'ials.'),
      ItemKnnComponent.read(artifact, base, 'item-knn.'),
      ContentComponent.read(artifact, base, 'content.'),
      PopularityComponent.read(artifact, base, 'popularity.'),
    );
  }
}

/** What {@link buildHybrid} made: the component and the matrix it was trained on. */
export interface BuiltHybrid {
  readonly base: ModelBase;
  readonly matrix: InteractionMatrix;
  readonly component: HybridComponent;
}

/**
 * The hybrid's components trained on `data` with resolved `params`; `reuse` takes iALS factors and
 * a matrix already built from the same data and weighting (the tuner's), so they are not built again.
 */
export async function buildHybrid(
  data: TrainingData,
  params: Hyperparameters,
  reuse: { readonly factors?: Factors; readonly prepared?: { base: ModelBase; matrix: InteractionMatrix } } = {},
): Promise<BuiltHybrid> {
  const { base, matrix } = reuse.prepared ?? prepareBase(data, params);
  const factors = reuse.factors;
  const ials = ialsSettings(params, COMPONENT_PREFIXES.ials);
  const knn = itemKnnSettings(params, COMPONENT_PREFIXES.knn);
  const trained = factors ?? (await trainFactors(matrix.byUser, matrix.byItem, ials));
  const component = new HybridComponent(
    base,
    hybridSettings(params),
    new IalsComponent(base, ials, trained),
    new ItemKnnComponent(base, knn, itemNeighbours(matrix.byUser, matrix.byItem, knn)),
    ContentComponent.build(base, data.catalogue, contentSettings(params, COMPONENT_PREFIXES.content)),
    PopularityComponent.build(base, data.interactions, popularitySettings(params, COMPONENT_PREFIXES.popularity)),
  );
  return { base, matrix, component };
}

export const hybridTrainer: Trainer = {
  algorithm: 'hybrid',
  defaults: HYBRID_DEFAULTS,
  async fit(data, hyperparameters) {
    const params = resolveHyperparameters('hybrid', HYBRID_DEFAULTS, hyperparameters);
    const { base, component } = await buildHybrid(data, params);
    return new ComponentModel('hybrid', base, component);
  },
};
