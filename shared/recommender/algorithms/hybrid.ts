/**
 * The default model: iALS, item-kNN, content and popularity trained on the same data and mixed
 * by how much is known. A shopper with enough history is led by iALS (item-kNN second); a shopper
 * with a few events by item-kNN with the iALS fold-in second; one with none gets popularity.
 * Items without interactions are scored by content alone, well below what the collaborative
 * sources are sure of. Scores are z-normalised per source before mixing, so no source wins by
 * scale, and the reason comes from the largest contribution.
 */
import type { Artifact, ArtifactWriter } from '../artifact.ts';
import type { Hyperparameters, Trainer } from '../model.ts';
import {
  ComponentModel,
  numberParam,
  prepareBase,
  resolveHyperparameters,
  WEIGHTING_DEFAULTS,
  type Component,
  type ComponentScores,
  type ModelBase,
  type Shopper,
} from './common.ts';
import { CONTENT_DEFAULTS, ContentComponent, contentSettings } from './content.ts';
import { IALS_DEFAULTS, IalsComponent, ialsSettings, trainFactors } from './ials.ts';
import { ITEM_KNN_DEFAULTS, ItemKnnComponent, itemKnnSettings, itemNeighbours } from './itemKnn.ts';
import { POPULARITY_DEFAULTS, PopularityComponent, popularitySettings } from './popularity.ts';

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
 * the mixing weights below, chosen on validation splits (carved from the training part of each
 * test split) of online-retail purchases and the synthetic MovieLens-shaped set, under both
 * leave-one-out (99 sampled negatives) and time-split, so that the blend beats each of its
 * components on all four. NDCG@10 there (retail loo / retail time / synthetic loo / synthetic
 * time): iALS alone 0.522 / 0.068 / 0.406 / 0.552, item-kNN alone 0.461 / 0.074 / 0.396 / 0.570,
 * these defaults 0.559 / 0.088 / 0.410 / 0.590. Second weight 1 lost on all four; a popularity
 * weight of 0.15 or 0.4 (with or without trend) lost on three. Cold items used to be scored by
 * their raw content z-score, which let text-only look-alikes crowd retail's top 10 (time-split
 * 0.064); scored as a warm item with average collaborative evidence they add a little (0.088 vs
 * 0.086 without cold items), and the penalty (0 to 1.5) made no difference there.
 */
export const HYBRID_DEFAULTS: Hyperparameters = {
  ...WEIGHTING_DEFAULTS,
  ...prefixed('ials.', IALS_DEFAULTS),
  ...prefixed('knn.', ITEM_KNN_DEFAULTS),
  ...prefixed('content.', CONTENT_DEFAULTS),
  ...prefixed('popularity.', POPULARITY_DEFAULTS),
  /** @default 5: distinct items from which a shopper counts as known well enough for iALS to lead */
  'blend.minHistory': 5,
  /** @default 1: iALS weight for a well-known shopper (item-kNN gets `blend.secondWeight`) */
  'blend.leadWeight': 1,
  /** @default 0.5 */
  'blend.secondWeight': 0.5,
  /** @default 0.06: content weight on items with interactions */
  'blend.contentWeight': 0.06,
  /** @default 0.5: subtracted from a cold item's weighted content z-score, since text alone is weaker evidence */
  'blend.coldPenalty': 0.5,
  /** @default 0: weight of the popularity component (all-time + `popularity.trend.*` totals) on items with interactions */
  'blend.popularityWeight': 0,
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

function hybridSettings(params: Hyperparameters): HybridSettings {
  return {
    minHistory: numberParam(params, 'blend.minHistory'),
    leadWeight: numberParam(params, 'blend.leadWeight'),
    secondWeight: numberParam(params, 'blend.secondWeight'),
    contentWeight: numberParam(params, 'blend.contentWeight'),
    coldPenalty: numberParam(params, 'blend.coldPenalty'),
    popularityWeight: numberParam(params, 'blend.popularityWeight'),
  };
}

/**
 * (s − mean) / sd over the given items' finite scores; missing (NaN) scores become the lowest
 * z-score seen, i.e. "no evidence" ranks with the weakest evidence, not with the average.
 */
export function zScores(scores: Float32Array, include: (item: number) => boolean): Float32Array {
  let count = 0;
  let sum = 0;
  let squares = 0;
  let min = Number.POSITIVE_INFINITY;
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i] as number;
    if (Number.isNaN(s) || !include(i)) continue;
    count++;
    sum += s;
    squares += s * s;
    if (s < min) min = s;
  }
  const z = new Float32Array(scores.length);
  if (count === 0) return z.fill(Number.NaN);
  const mean = sum / count;
  const sd = Math.sqrt(Math.max(0, squares / count - mean * mean)) || 1;
  const floor = (min - mean) / sd;
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i] as number;
    z[i] = Number.isNaN(s) ? floor : (s - mean) / sd;
  }
  return z;
}

interface Source {
  readonly scored: ComponentScores;
  readonly z: Float32Array;
  readonly weight: number;
}

export class HybridComponent implements Component {
  readonly base: ModelBase;
  readonly settings: HybridSettings;
  readonly ials: IalsComponent;
  readonly knn: ItemKnnComponent;
  readonly content: ContentComponent;
  readonly popularity: PopularityComponent;

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
  }

  score(shopper: Shopper, only?: readonly number[]): ComponentScores | undefined {
    const known = new Set<number>(Array.from(shopper.trainedItems));
    for (const item of shopper.recentItems) known.add(item);
    // Nothing known: undefined lets the model fall back to popularity.
    if (known.size === 0) return undefined;
    const { itemTotals } = this.base;
    const warm = (item: number): boolean => (itemTotals[item] as number) > 0;
    const wellKnown = known.size >= this.settings.minHistory;
    const sources: Source[] = [];
    const add = (
      scored: ComponentScores | undefined,
      weight: number,
      include: (item: number) => boolean,
      keepAtZero = false,
    ): Source | undefined => {
      if (scored === undefined || weight < 0 || (weight === 0 && !keepAtZero)) return undefined;
      const source = { scored, z: zScores(scored.scores, include), weight };
      sources.push(source);
      return source;
    };
    add(this.ials.score(shopper, only), wellKnown ? this.settings.leadWeight : this.settings.secondWeight, warm);
    add(this.knn.score(shopper), wellKnown ? this.settings.secondWeight : this.settings.leadWeight, warm);
    // A zero-weight source is not scored at all: scoring the whole catalogue for nothing cost ~5 ms a call.
    const popularityWeight = this.settings.popularityWeight ?? 0;
    if (popularityWeight > 0) add(this.popularity.score(shopper), popularityWeight, warm);
    // Content always scores the cold items (text is all that speaks for them), whatever its weight on warm ones.
    const content = add(this.content.score(shopper), this.settings.contentWeight, () => true, true);
    const items = this.base.catalogue.size;
    const scores = new Float32Array(items);
    const dominant = new Int8Array(items).fill(-1);
    let totalWeight = 0;
    for (const source of sources) totalWeight += source.weight;
    for (let item = 0; item < items; item++) {
      if (!warm(item)) {
        // A cold item: only its text speaks for it. It is scored as a warm item whose collaborative
        // sources are at their mean (z = 0), so a near-copy of the shopper's history places well
        // without crowding out what the shopper's peers chose, minus the cold penalty.
        scores[item] =
          content === undefined || totalWeight <= 0
            ? Number.NaN
            : (content.weight * (content.z[item] as number) - this.settings.coldPenalty) / totalWeight;
        dominant[item] = content === undefined ? -1 : sources.indexOf(content);
        continue;
      }
      let sum = 0;
      let weights = 0;
      let best = Number.NEGATIVE_INFINITY;
      sources.forEach((source, n) => {
        if (source.weight === 0) return;
        const contribution = source.weight * (source.z[item] as number);
        sum += contribution;
        weights += source.weight;
        if (contribution > best) {
          best = contribution;
          dominant[item] = n;
        }
      });
      scores[item] = weights > 0 ? sum / Math.max(weights, totalWeight) : Number.NaN;
    }
    return {
      scores,
      reason: (item) => {
        const source = sources[dominant[item] as number];
        return source?.scored.reason(item) ?? 'recommended for you';
      },
    };
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

export const hybridTrainer: Trainer = {
  algorithm: 'hybrid',
  defaults: HYBRID_DEFAULTS,
  async fit(data, hyperparameters) {
    const params = resolveHyperparameters('hybrid', HYBRID_DEFAULTS, hyperparameters);
    const { base, matrix } = prepareBase(data, params);
    const ials = ialsSettings(params, 'ials.');
    const knn = itemKnnSettings(params, 'knn.');
    const factors = await trainFactors(matrix.byUser, matrix.byItem, ials);
    return new ComponentModel(
      'hybrid',
      base,
      new HybridComponent(
        base,
        hybridSettings(params),
        new IalsComponent(base, ials, factors),
        new ItemKnnComponent(base, knn, itemNeighbours(matrix.byUser, matrix.byItem, knn)),
        ContentComponent.build(base, data.catalogue, contentSettings(params, 'content.')),
        PopularityComponent.build(base, data.interactions, popularitySettings(params, 'popularity.')),
      ),
    );
  },
};
