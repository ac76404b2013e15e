import { ModelBreakerOpenError, ModelBusyError } from './guards.ts';

/** The dependencies whose failure the serving path survives with a fallback. */
export type Dependency = 'model' | 'feature store' | 'cache' | 'recommendation log';

/**
 * A feature store read on the way of a model list failed (the live catalogue entries, the
 * popularity top-up): the list falls back as for a failed model, but it is the feature store's failure.
 */
export class FeatureStoreReadError extends Error {
  override readonly name = 'FeatureStoreReadError';
  constructor(cause: unknown) {
    super(`feature store read failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/** Told of every failure a fallback covered; for logs and metrics. */
export type OnDependencyFailure = (dependency: Dependency, error: unknown) => void;

/** Metric names of the fallbacks, by cause. */
export type FallbackMetric =
  'ModelShed' | 'ModelBreakerOpen' | 'ModelFailure' | 'FeatureStoreFailure' | 'DependencyFailure';

/**
 * The metric of one fallback: the model's by why it was not used (a timeout counts as a failure of the model), the
 * feature store's as one, and the rest together.
 */
export function fallbackMetric(dependency: Dependency, error: unknown): FallbackMetric {
  switch (dependency) {
    case 'model':
      if (error instanceof ModelBusyError) return 'ModelShed';
      if (error instanceof ModelBreakerOpenError) return 'ModelBreakerOpen';
      return 'ModelFailure';
    case 'feature store':
      return 'FeatureStoreFailure';
    case 'cache':
    case 'recommendation log':
      return 'DependencyFailure';
  }
}
