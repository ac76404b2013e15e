import { ModelBreakerOpenError, ModelBusyError } from './guards.ts';

/** The dependencies whose failure the serving path survives with a fallback. */
export type Dependency = 'model' | 'feature store' | 'cache' | 'recommendation log';

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
