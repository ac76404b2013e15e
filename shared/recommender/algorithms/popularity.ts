/**
 * Popularity: time-decayed, event-weighted totals per item, lifted within the shopper's favourite
 * categories. The cold-start floor every other model must beat, and their fallback.
 */
import type { Artifact, ArtifactWriter } from '../artifact.ts';
import type { Hyperparameters, Trainer } from '../model.ts';
import {
  ComponentModel,
  popularityScores,
  prepareBase,
  resolveHyperparameters,
  sameCategoryScores,
  WEIGHTING_DEFAULTS,
  type Component,
  type ComponentScores,
  type ModelBase,
  type Shopper,
} from './common.ts';

/**
 * Defaults: the shared event weights, and a 14-day half-life (shorter than the other models'),
 * because what sells now matters more for a non-personal list than what sold last quarter.
 */
export const POPULARITY_DEFAULTS: Hyperparameters = { ...WEIGHTING_DEFAULTS, 'decay.halfLifeDays': 14 };

/** The popularity component: everything it needs is in the base (item totals, categories). */
export class PopularityComponent implements Component {
  readonly #base: ModelBase;

  constructor(base: ModelBase) {
    this.#base = base;
  }

  score(shopper: Shopper): ComponentScores {
    return popularityScores(this.#base, shopper);
  }

  similar(item: number): ComponentScores {
    return sameCategoryScores(this.#base, item);
  }

  async write(_writer: ArtifactWriter, _prefix: string): Promise<void> {
    // Nothing beyond the base: item totals and the catalogue are the whole model.
  }

  static read(_artifact: Artifact, base: ModelBase, _prefix: string): PopularityComponent {
    return new PopularityComponent(base);
  }
}

export const popularityTrainer: Trainer = {
  algorithm: 'popularity',
  defaults: POPULARITY_DEFAULTS,
  async fit(data, hyperparameters) {
    const params = resolveHyperparameters('popularity', POPULARITY_DEFAULTS, hyperparameters);
    const { base } = prepareBase(data, params);
    return new ComponentModel('popularity', base, new PopularityComponent(base));
  },
};
