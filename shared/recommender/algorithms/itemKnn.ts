/**
 * Item-based k-nearest neighbours on co-occurrence: asymmetric cosine with shrinkage (Aiolli
 * 2013), sim(i, j) = Σ_u r_ui·r_uj / (‖i‖^(2α)·‖j‖^(2(1−α)) + shrinkage), α = 0.5 being plain
 * cosine. The top neighbours per item are kept; a shopper's score for j is Σ_h w_h·sim(h, j) over
 * their items h, which also names the item behind a recommendation.
 */
import type { Artifact, ArtifactWriter } from '../artifact.ts';
import { WEIGHTING_DEFAULTS, type SparseRows } from '../matrix.ts';
import type { Hyperparameters, Trainer } from '../model.ts';
import { becauseOf, type FoldedShopper } from '../shopperHistory.ts';
import { ComponentModel, prepareBase, type Component, type ComponentScores, type ModelBase } from '../component.ts';
import { numberParam, resolveHyperparameters, type ParameterName } from '../hyperparameters.ts';
import { topIndices } from '../candidates.ts';

/** Names of the item-kNN hyperparameters (CLI `--param` keys and SageMaker hyperparameters.json keys). */
export const ITEM_KNN_PARAMS = {
  neighbours: 'neighbours',
  shrinkage: 'shrinkage',
  alpha: 'alpha',
  maxUserItems: 'maxUserItems',
  recentMultiplier: 'recentMultiplier',
} as const;
export type ItemKnnParamName = ParameterName<typeof ITEM_KNN_PARAMS>;

/**
 * Defaults: 100 neighbours (fewer cut items out of every neighbour list, so they cannot be ranked
 * at all; more add little), shrinkage 10 (damps similarities resting on a handful of shared
 * shoppers), α = 0.5 (cosine). Co-occurrence multiplies two weights, so it depends most on the
 * weighting's per-shopper decay. The numbers: docs/decisions/0004-ials-defaults.md.
 */
export const ITEM_KNN_DEFAULTS: Hyperparameters = {
  ...WEIGHTING_DEFAULTS,
  /** @default 100 neighbours kept per item */
  [ITEM_KNN_PARAMS.neighbours]: 100,
  /** @default 10 */
  [ITEM_KNN_PARAMS.shrinkage]: 10,
  /** @default 0.5: asymmetric-cosine α; 0.5 = cosine, higher favours popular neighbours less */
  [ITEM_KNN_PARAMS.alpha]: 0.5,
  /** @default 500: shoppers with more items are left out of co-occurrence (bots, resellers; cost is quadratic) */
  [ITEM_KNN_PARAMS.maxUserItems]: 500,
  /** @default 2: live events count this many times their trained weight */
  [ITEM_KNN_PARAMS.recentMultiplier]: 2,
};

export interface ItemKnnSettings {
  readonly neighbours: number;
  readonly shrinkage: number;
  readonly alpha: number;
  readonly maxUserItems: number;
  readonly recentMultiplier: number;
}

export function itemKnnSettings(params: Hyperparameters, prefix = ''): ItemKnnSettings {
  const n = (name: ItemKnnParamName): number => numberParam(params, prefix + name);
  return {
    neighbours: n(ITEM_KNN_PARAMS.neighbours),
    shrinkage: n(ITEM_KNN_PARAMS.shrinkage),
    alpha: n(ITEM_KNN_PARAMS.alpha),
    maxUserItems: n(ITEM_KNN_PARAMS.maxUserItems),
    recentMultiplier: n(ITEM_KNN_PARAMS.recentMultiplier),
  };
}

/** Top neighbours per item as CSR: `indices` are neighbour items, `values` similarities, best first. */
export function itemNeighbours(byUser: SparseRows, byItem: SparseRows, settings: ItemKnnSettings): SparseRows {
  const items = byItem.pointers.length - 1;
  const squaredNorms = new Float64Array(items);
  for (let i = 0; i < items; i++) {
    let sum = 0;
    for (let p = byItem.pointers[i] as number; p < (byItem.pointers[i + 1] as number); p++)
      sum += (byItem.values[p] as number) ** 2;
    squaredNorms[i] = sum;
  }
  const left = Float64Array.from(squaredNorms, (s) => Math.pow(s, settings.alpha));
  const right = Float64Array.from(squaredNorms, (s) => Math.pow(s, 1 - settings.alpha));
  const overlap = new Float64Array(items);
  const touched: number[] = [];
  const pointers = new Uint32Array(items + 1);
  const neighbourItems: number[] = [];
  const neighbourSims: number[] = [];
  for (let i = 0; i < items; i++) {
    touched.length = 0;
    for (let p = byItem.pointers[i] as number; p < (byItem.pointers[i + 1] as number); p++) {
      const u = byItem.indices[p] as number;
      const start = byUser.pointers[u] as number;
      const end = byUser.pointers[u + 1] as number;
      if (end - start > settings.maxUserItems) continue;
      const rui = byItem.values[p] as number;
      for (let q = start; q < end; q++) {
        const j = byUser.indices[q] as number;
        if (j === i) continue;
        if (overlap[j] === 0) touched.push(j);
        overlap[j] = (overlap[j] as number) + rui * (byUser.values[q] as number);
      }
    }
    const sim = (j: number): number =>
      (overlap[j] as number) / ((left[i] as number) * (right[j] as number) + settings.shrinkage);
    for (const j of topIndices(touched, settings.neighbours, sim)) {
      neighbourItems.push(j);
      neighbourSims.push(sim(j));
    }
    for (const j of touched) overlap[j] = 0;
    pointers[i + 1] = neighbourItems.length;
  }
  return { pointers, indices: Uint32Array.from(neighbourItems), values: Float32Array.from(neighbourSims) };
}

export class ItemKnnComponent implements Component {
  readonly base: ModelBase;
  readonly settings: ItemKnnSettings;
  readonly neighbours: SparseRows;
  /**
   * Buffers reused by every request (one at a time, consumed before the next), reset where the
   * last request wrote: a shopper touches a few thousand neighbours, not the 100k-item catalogue.
   */
  #scores: Float32Array | undefined;
  #strongest: Float32Array | undefined;
  #source: Int32Array | undefined;
  #written: number[] = [];

  /** The items the last {@link score} call gave a (finite) score; every other item is NaN. */
  get scoredItems(): readonly number[] {
    return this.#written;
  }

  constructor(base: ModelBase, settings: ItemKnnSettings, neighbours: SparseRows) {
    this.base = base;
    this.settings = settings;
    this.neighbours = neighbours;
  }

  score(shopper: FoldedShopper): ComponentScores | undefined {
    const history = new Map<number, number>();
    for (let n = 0; n < shopper.trainedItems.length; n++)
      history.set(shopper.trainedItems[n] as number, shopper.trainedWeights[n] as number);
    shopper.recentItems.forEach((item, n) => {
      history.set(
        item,
        (history.get(item) ?? 0) + this.settings.recentMultiplier * (shopper.recentWeights[n] as number),
      );
    });
    if (history.size === 0) return undefined;
    const items = this.base.catalogue.size;
    // NaN = no neighbour of anything the shopper touched: ranked after every scored item.
    const scores = (this.#scores ??= new Float32Array(items).fill(Number.NaN));
    const strongest = (this.#strongest ??= new Float32Array(items));
    const source = (this.#source ??= new Int32Array(items).fill(-1));
    const written = this.#written;
    for (let n = 0; n < written.length; n++) {
      const j = written[n] as number;
      scores[j] = Number.NaN;
      strongest[j] = 0;
      source[j] = -1;
    }
    written.length = 0;
    const { pointers, indices, values } = this.neighbours;
    const { catalogue } = this.base;
    for (const [h, weight] of history) {
      const nameable = catalogue.isRecommendable(h);
      for (let p = pointers[h] as number; p < (pointers[h + 1] as number); p++) {
        const j = indices[p] as number;
        const contribution = weight * (values[p] as number);
        const previous = scores[j] as number;
        if (previous !== previous) {
          scores[j] = contribution;
          written.push(j);
        } else scores[j] = previous + contribution;
        // A non-recommendable item (postage, a fee) still adds to the score but is never the reason.
        if (contribution > (strongest[j] as number) && nameable) {
          strongest[j] = contribution;
          source[j] = h;
        }
      }
    }
    return {
      scores,
      reason: (item) => {
        const h = source[item] as number;
        return h < 0 ? undefined : becauseOf(this.base, shopper, h);
      },
    };
  }

  similar(item: number): ComponentScores | undefined {
    const { pointers, indices, values } = this.neighbours;
    if (pointers[item] === pointers[item + 1]) return undefined;
    const scores = new Float32Array(this.base.catalogue.size).fill(Number.NaN);
    for (let p = pointers[item] as number; p < (pointers[item + 1] as number); p++)
      scores[indices[p] as number] = values[p] as number;
    const id = this.base.catalogue.itemIds[item] as string;
    return { scores, reason: () => `often viewed with ${id}` };
  }

  async write(writer: ArtifactWriter, prefix: string): Promise<void> {
    await Promise.all([
      writer.json(`${prefix}settings`, this.settings),
      writer.uint32(`${prefix}neighbours.pointers`, this.neighbours.pointers),
      writer.uint32(`${prefix}neighbours.items`, this.neighbours.indices),
      writer.float32(`${prefix}neighbours.similarities`, this.neighbours.values),
    ]);
  }

  static read(artifact: Artifact, base: ModelBase, prefix: string): ItemKnnComponent {
    return new ItemKnnComponent(base, artifact.json<ItemKnnSettings>(`${prefix}settings`), {
      pointers: artifact.uint32(`${prefix}neighbours.pointers`),
      indices: artifact.uint32(`${prefix}neighbours.items`),
      values: artifact.float32(`${prefix}neighbours.similarities`),
    });
  }
}

export const itemKnnTrainer: Trainer = {
  algorithm: 'item-knn',
  defaults: ITEM_KNN_DEFAULTS,
  async fit(data, hyperparameters) {
    const params = resolveHyperparameters('item-knn', ITEM_KNN_DEFAULTS, hyperparameters);
    const settings = itemKnnSettings(params);
    const { base, matrix } = prepareBase(data, params);
    return new ComponentModel(
      'item-knn',
      base,
      new ItemKnnComponent(base, settings, itemNeighbours(matrix.byUser, matrix.byItem, settings)),
    );
  },
};
