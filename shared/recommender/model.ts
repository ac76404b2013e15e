/**
 * The recommender's contracts: what training data looks like, what a model answers, and how it
 * is saved. Pure TypeScript, no AWS: the same model loads in the CLI and in the SageMaker
 * container's model server (`model/`); the recommend Lambda calls that server's endpoint.
 */
import type { CatalogueItem } from '../catalogue/item.ts';
import type { DataWindow } from '../training/pipeline.ts';
import type { TuningReport } from './autotune/autotune.ts';

/** Algorithm names are constants; `hybrid` is the default that `reco train` builds. */
export const ALGORITHMS = ['hybrid', 'ials', 'item-knn', 'popularity', 'content'] as const;
export type AlgorithmName = (typeof ALGORITHMS)[number];

/** One interaction, in the Amazon Personalize interactions schema (timestamp in epoch seconds). */
export interface Interaction {
  readonly userId: string;
  readonly itemId: string;
  readonly timestamp: number;
  /** e.g. `view`, `add_to_cart`, `purchase`, `return`; weights come from the hyperparameters. */
  readonly eventType?: string;
  /** e.g. a quantity or a rating; with `eventCount`, the sum over the row's events. */
  readonly eventValue?: number;
  /**
   * Events of this type the row stands for (an aggregated export row, `timestamp` the latest
   * one's); absent means 1. Training weighs the row as that many events of the mean quantity.
   */
  readonly eventCount?: number;
}

export type { CatalogueItem };

export interface TrainingData {
  readonly interactions: readonly Interaction[];
  /** Catalogue metadata, in the Amazon Personalize items schema. */
  readonly catalogue: readonly CatalogueItem[];
}

/** Hyperparameters as given on the command line or in SageMaker's hyperparameters.json. */
export type Hyperparameters = Readonly<Record<string, number | string | boolean>>;

/** A shopper's recent behaviour, as the live features hold it (newest first). */
export interface RecentInteraction {
  readonly itemId: string;
  readonly eventType?: string;
  /** Epoch seconds. */
  readonly timestamp?: number;
  /** Overrides the weight derived from the event type. */
  readonly weight?: number;
}

/** Ranking-time filters; every one optional. */
export interface RecommendationFilters {
  /** Drop items the shopper interacted with (in training data or `recentItems`). */
  readonly excludeSeen?: boolean;
  /** Drop items the shopper bought. */
  readonly excludePurchased?: boolean;
  /** Keep only items in this category (any level). */
  readonly category?: string;
  readonly inStockOnly?: boolean;
  readonly minPrice?: number;
  readonly maxPrice?: number;
  readonly excludeItemIds?: readonly string[];
}

export interface RecommendationQuery {
  /** A known (trained) user id; may be absent or unknown for new and anonymous shoppers. */
  readonly userId?: string;
  /** Live history, folded in at request time so new behaviour counts without retraining. */
  readonly recentItems?: readonly RecentInteraction[];
  readonly count: number;
  readonly filters?: RecommendationFilters;
  /** Rank only these items (personalized ranking); otherwise the whole catalogue. */
  readonly candidates?: readonly string[];
}

export interface ScoredItem {
  readonly itemId: string;
  readonly score: number;
  /** Short, shop-language reason: `because you viewed <itemId>`, `popular in <category>`, `trending`, ... */
  readonly reason?: string;
}

/** Counts and a content hash of the training data, recorded in the manifest. */
export interface DataSummary {
  readonly users: number;
  readonly items: number;
  readonly interactions: number;
  readonly sha256: string;
}

/** `manifest.json` of a model directory. */
export interface ModelManifest {
  readonly formatVersion: 1;
  readonly algorithm: AlgorithmName;
  readonly hyperparameters: Hyperparameters;
  readonly data: DataSummary;
  /** Offline metrics recorded at training time, e.g. `{"hr@10": 0.71}`. */
  readonly metrics: Readonly<Record<string, number>>;
  /** ISO 8601. */
  readonly createdAt: string;
  /**
   * The lake window the model's data came from, when a training pipeline says so: it was trained
   * on `[from, holdoutFrom)` only, so a later gate never scores it on interactions it has seen.
   */
  readonly window?: DataWindow;
  /**
   * What tuning at training time chose and measured on its validation split (absent when the
   * model was trained with `--no-tune` or by an algorithm tuning does not search).
   */
  readonly tuning?: TuningReport;
  /** Files of the artifact, relative to the directory: name → { dtype, length } or JSON. */
  readonly files: Readonly<Record<string, { readonly kind: 'float32' | 'uint32' | 'json'; readonly length?: number }>>;
}

/** A trained model. Scores are comparable within one query, not across models. */
export interface Model {
  readonly algorithm: AlgorithmName;
  /**
   * Personalized ranking: scores for `query.candidates` (or the whole catalogue), best first,
   * at most `query.count`, filters applied. Unknown users and items still get a stable order.
   */
  recommend(query: RecommendationQuery): ScoredItem[];
  /** Items most similar to `itemId` (which may be a cold item known only from the catalogue). */
  similarItems(itemId: string, count: number, filters?: RecommendationFilters): ScoredItem[];
  /** Writes the artifact (manifest + binary arrays + id maps) into `dir`. */
  save(dir: string): Promise<void>;
}

/** Builds a model from data; one per algorithm. */
export interface Trainer {
  readonly algorithm: AlgorithmName;
  /** Hyperparameter names with defaults (the best found); unknown names are rejected. */
  readonly defaults: Hyperparameters;
  fit(data: TrainingData, hyperparameters?: Hyperparameters): Promise<Model>;
}
