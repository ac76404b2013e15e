/**
 * The extension point for a new algorithm: a {@link Component} scores items for a shopper and
 * for an item, and {@link ComponentModel} turns it into a {@link Model} with filters, the
 * popularity fallback and save(). {@link ModelBase} is what every component model carries besides
 * its own arrays.
 */
import { ArtifactWriter, summarizeData, type Artifact } from './artifact.ts';
import { popularityScores, sameCategoryScores } from './fallback.ts';
import {
  ItemCatalogue,
  rankItems,
  resolveCandidates,
  type BlockMaxima,
  type CatalogueJson,
  type RankOptions,
} from './filters.ts';
import { buildInteractionMatrix, columnTotals, EventWeighting, type InteractionMatrix } from './matrix.ts';
import type {
  AlgorithmName,
  DataSummary,
  Hyperparameters,
  Model,
  RecommendationFilters,
  RecommendationQuery,
  ScoredItem,
  TrainingData,
} from './model.ts';
import { excludedItems, resolveShopper, ShopperHistory, type FoldedShopper } from './shopperHistory.ts';

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
  score(shopper: FoldedShopper, only?: readonly number[]): ComponentScores | undefined;
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
    // Nothing is known about the item, or it is a non-product code (postage, a fee) whose
    // neighbours are every basket and whose name a reason must not carry: what is popular.
    if (item === undefined || !this.base.catalogue.isRecommendable(item)) {
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
