/**
 * The default model: iALS, item-kNN, content and popularity trained on the same data and mixed
 * by how much is known. A shopper with enough history is led by iALS (item-kNN second); a shopper
 * with a few events by item-kNN with the iALS fold-in second; one with none gets popularity.
 * Items without interactions are scored by content alone. Scores are z-normalised per source
 * before mixing, so no source wins by scale, and the reason comes from the largest contribution.
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

/** Component defaults without the shared weighting names, prefixed for the hybrid. */
function prefixed(prefix: string, defaults: Hyperparameters): Hyperparameters {
  return Object.fromEntries(
    Object.entries(defaults)
      .filter(([name]) => !(name in WEIGHTING_DEFAULTS))
      .map(([name, value]) => [prefix + name, value]),
  );
}

/**
 * Defaults: the components' own defaults under `ials.`, `knn.` and `content.`, plus the mixing
 * weights below (set on the seeded cluster and latent-factor data of the unit tests).
 */
export const HYBRID_DEFAULTS: Hyperparameters = {
  ...WEIGHTING_DEFAULTS,
  ...prefixed('ials.', IALS_DEFAULTS),
  ...prefixed('knn.', ITEM_KNN_DEFAULTS),
  ...prefixed('content.', CONTENT_DEFAULTS),
  /** @default 5: distinct items from which a shopper counts as known well enough for iALS to lead */
  'blend.minHistory': 5,
  /** @default 1: iALS weight for a well-known shopper (item-kNN gets `blend.secondWeight`) */
  'blend.leadWeight': 1,
  /** @default 0.5 */
  'blend.secondWeight': 0.5,
  /** @default 0.1: content weight on items with interactions */
  'blend.contentWeight': 0.1,
  /** @default 0.5: subtracted from a cold item's content z-score, since text alone is weaker evidence */
  'blend.coldPenalty': 0.5,
};

export interface HybridSettings {
  readonly minHistory: number;
  readonly leadWeight: number;
  readonly secondWeight: number;
  readonly contentWeight: number;
  readonly coldPenalty: number;
}

function hybridSettings(params: Hyperparameters): HybridSettings {
  return {
    minHistory: numberParam(params, 'blend.minHistory'),
    leadWeight: numberParam(params, 'blend.leadWeight'),
    secondWeight: numberParam(params, 'blend.secondWeight'),
    contentWeight: numberParam(params, 'blend.contentWeight'),
    coldPenalty: numberParam(params, 'blend.coldPenalty'),
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

  constructor(
    base: ModelBase,
    settings: HybridSettings,
    ials: IalsComponent,
    knn: ItemKnnComponent,
    content: ContentComponent,
  ) {
    this.base = base;
    this.settings = settings;
    this.ials = ials;
    this.knn = knn;
    this.content = content;
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
    ): Source | undefined => {
      if (scored === undefined || weight <= 0) return undefined;
      const source = { scored, z: zScores(scored.scores, include), weight };
      sources.push(source);
      return source;
    };
    add(this.ials.score(shopper, only), wellKnown ? this.settings.leadWeight : this.settings.secondWeight, warm);
    add(this.knn.score(shopper), wellKnown ? this.settings.secondWeight : this.settings.leadWeight, warm);
    const content = add(this.content.score(shopper), this.settings.contentWeight, () => true);
    const items = this.base.catalogue.size;
    const scores = new Float32Array(items);
    const dominant = new Int8Array(items).fill(-1);
    let totalWeight = 0;
    for (const source of sources) if (source !== content) totalWeight += source.weight;
    for (let item = 0; item < items; item++) {
      if (!warm(item)) {
        // A cold item: only its text speaks for it.
        scores[item] = content === undefined ? Number.NaN : (content.z[item] as number) - this.settings.coldPenalty;
        dominant[item] = content === undefined ? -1 : sources.indexOf(content);
        continue;
      }
      let sum = 0;
      let weights = 0;
      let best = Number.NEGATIVE_INFINITY;
      sources.forEach((source, n) => {
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
    ]);
  }

  static read(artifact: Artifact, base: ModelBase, _prefix: string): HybridComponent {
    return new HybridComponent(
      base,
      artifact.json<HybridSettings>('hybrid.settings'),
      IalsComponent.read(artifact, base, 'ials.'),
      ItemKnnComponent.read(artifact, base, 'item-knn.'),
      ContentComponent.read(artifact, base, 'content.'),
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
      ),
    );
  },
};
