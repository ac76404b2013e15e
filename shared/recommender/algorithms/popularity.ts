/**
 * Popularity: event-weighted totals per item over the whole history, optionally plus a trend term
 * (the same totals decayed from the newest event of the data), lifted by the shopper's share of
 * each item's category over the catalogue's (see popularityScores). The cold-start floor every
 * other model must beat, and their fallback.
 */
import type { Artifact, ArtifactWriter } from '../artifact.ts';
import { WEIGHTING_DEFAULTS, WEIGHTING_PARAMS, type EventWeighting } from '../matrix.ts';
import type { Hyperparameters, Interaction, Trainer } from '../model.ts';
import { ComponentModel, prepareBase, type Component, type ComponentScores, type ModelBase } from '../component.ts';
import { numberParam, resolveHyperparameters, type ParameterName } from '../hyperparameters.ts';
import { popularityScores, sameCategoryScores } from '../fallback.ts';
import type { FoldedShopper } from '../shopperHistory.ts';

/** Names of the popularity hyperparameters (CLI `--param` keys and SageMaker hyperparameters.json keys). */
export const POPULARITY_PARAMS = {
  trendHalfLifeDays: 'trend.halfLifeDays',
  trendWeight: 'trend.weight',
} as const;
export type PopularityParamName = ParameterName<typeof POPULARITY_PARAMS>;

/**
 * Defaults: all-time totals only (`decay.halfLifeDays` 0, `trend.weight` 0). A decayed total is
 * what sells *now*, which suits a shop's next weeks but turns a data set spanning years into
 * near-random for any shopper who was active long ago; `trend.weight` > 0 adds that share (each
 * share normalised to sum 1) with a 14-day half-life. The numbers: docs/decisions/0004-ials-defaults.md.
 */
export const POPULARITY_DEFAULTS: Hyperparameters = {
  ...WEIGHTING_DEFAULTS,
  [WEIGHTING_PARAMS.decayHalfLifeDays]: 0,
  /** @default 14: half-life of the trend totals, measured from the newest event of the data */
  [POPULARITY_PARAMS.trendHalfLifeDays]: 14,
  /** @default 0: weight of the trend share next to the all-time share (0 = all-time only) */
  [POPULARITY_PARAMS.trendWeight]: 0,
};

export interface PopularitySettings {
  readonly trendHalfLifeDays: number;
  readonly trendWeight: number;
}

export function popularitySettings(params: Hyperparameters, prefix = ''): PopularitySettings {
  return {
    trendHalfLifeDays: numberParam(params, prefix + POPULARITY_PARAMS.trendHalfLifeDays),
    trendWeight: numberParam(params, prefix + POPULARITY_PARAMS.trendWeight),
  };
}

/**
 * Per item: the all-time event-weighted total (decay off, whatever the model's own decay) as a
 * share of all totals, plus `trendWeight` × the share of the totals decayed by `trendHalfLifeDays`
 * from the newest event. Pairs netting to zero or less (returned purchases) count zero.
 */
export function popularityTotals(
  interactions: readonly Interaction[],
  itemIndex: ReadonlyMap<string, number>,
  items: number,
  weighting: EventWeighting,
  settings: PopularitySettings,
): Float32Array {
  let newest = Number.NEGATIVE_INFINITY;
  for (const interaction of interactions) if (interaction.timestamp > newest) newest = interaction.timestamp;
  const halfLife = settings.trendHalfLifeDays * 86_400;
  const all = new Float64Array(items);
  const trend = new Float64Array(items);
  for (const interaction of interactions) {
    const item = itemIndex.get(interaction.itemId);
    if (item === undefined) continue;
    // No timestamp: the type and quantity weight without the model's own decay.
    const weight = weighting.rowWeight(interaction, undefined);
    all[item] = (all[item] as number) + weight;
    if (halfLife > 0) {
      const age = Math.max(0, newest - interaction.timestamp);
      trend[item] = (trend[item] as number) + weight * Math.pow(2, -age / halfLife);
    }
  }
  let allSum = 0;
  let trendSum = 0;
  for (let i = 0; i < items; i++) {
    all[i] = Math.max(0, all[i] as number);
    trend[i] = Math.max(0, trend[i] as number);
    allSum += all[i] as number;
    trendSum += trend[i] as number;
  }
  const totals = new Float32Array(items);
  const trendWeight = trendSum > 0 ? settings.trendWeight : 0;
  for (let i = 0; i < items; i++) {
    totals[i] =
      (allSum > 0 ? (all[i] as number) / allSum : 0) +
      (trendWeight > 0 ? (trendWeight * (trend[i] as number)) / trendSum : 0);
  }
  return totals;
}

/** The popularity component: its totals (all-time + trend) and the catalogue's categories. */
export class PopularityComponent implements Component {
  readonly #base: ModelBase;
  /** Undefined for artifacts written before the trend existed: the base's item totals are used. */
  readonly totals: Float32Array | undefined;

  constructor(base: ModelBase, totals?: Float32Array) {
    this.#base = base;
    this.totals = totals;
  }

  score(shopper: FoldedShopper, only?: readonly number[]): ComponentScores {
    return popularityScores(this.#base, shopper, undefined, this.totals, only);
  }

  similar(item: number): ComponentScores {
    return sameCategoryScores(this.#base, item);
  }

  async write(writer: ArtifactWriter, prefix: string): Promise<void> {
    if (this.totals !== undefined) await writer.float32(`${prefix}totals`, this.totals);
  }

  static read(artifact: Artifact, base: ModelBase, prefix: string): PopularityComponent {
    return new PopularityComponent(
      base,
      artifact.has(`${prefix}totals`) ? artifact.float32(`${prefix}totals`) : undefined,
    );
  }

  /** Totals for a freshly trained base. */
  static build(
    base: ModelBase,
    interactions: readonly Interaction[],
    settings: PopularitySettings,
  ): PopularityComponent {
    const { catalogue } = base;
    return new PopularityComponent(
      base,
      popularityTotals(interactions, catalogue.index, catalogue.size, base.weighting, settings),
    );
  }
}

export const popularityTrainer: Trainer = {
  algorithm: 'popularity',
  defaults: POPULARITY_DEFAULTS,
  async fit(data, hyperparameters) {
    const params = resolveHyperparameters('popularity', POPULARITY_DEFAULTS, hyperparameters);
    const { base } = prepareBase(data, params);
    return new ComponentModel(
      'popularity',
      base,
      PopularityComponent.build(base, data.interactions, popularitySettings(params)),
    );
  },
};
