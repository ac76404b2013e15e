import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { metricsNamespace, serviceName } from '#shared/config/index.ts';
import { functionMetrics } from '#shared/stats/metrics.ts';
import { optionalEnv } from './env.ts';

/** One logger per function; POWERTOOLS_SERVICE_NAME (set by CDK) overrides the default name. */
export const logger = new Logger({ serviceName });

class FunctionMetrics extends Metrics {
  /** Powertools' own reading of POWERTOOLS_METRICS_DISABLED (and POWERTOOLS_DEV), at construction. */
  get enabled(): boolean {
    return !this.isDisabled();
  }
}

/**
 * One Powertools Metrics instance per function: CloudWatch Embedded Metric Format written to
 * stdout, no AWS call. POWERTOOLS_METRICS_NAMESPACE and POWERTOOLS_SERVICE_NAME (set by CDK)
 * override the defaults; every metric carries the `service` dimension.
 * POWERTOOLS_METRICS_DISABLED=true turns emission off (the local stack does, by default).
 */
export const metrics = new FunctionMetrics({
  namespace: optionalEnv(process.env, 'POWERTOOLS_METRICS_NAMESPACE', metricsNamespace),
  serviceName: optionalEnv(process.env, 'POWERTOOLS_SERVICE_NAME', serviceName),
});

/**
 * Read once, at cold start. When false every function below returns after one branch: nothing is
 * stored, built or serialised per request (Powertools itself would still validate and store each
 * metric, and warn on an empty publish, even when disabled).
 */
export const metricsEnabled = metrics.enabled;

/** Counts `value` occurrences of `name` in this invocation's metrics. */
export function countMetric(name: string, value = 1): void {
  if (metricsEnabled) metrics.addMetric(name, MetricUnit.Count, value);
}

/**
 * Adds a low-cardinality dimension (such as the route) to this invocation's metrics. They are
 * then published twice over: by `service` alone (what the alarms read) and by `service` and
 * this dimension. Never pass ids or other unbounded values.
 */
export function metricDimension(name: string, value: string): void {
  if (metricsEnabled) metrics.addDimensions({ [name]: value }).addDimensions({});
}

/**
 * The route of this invocation's request, as the `route` dimension of all its metrics (see
 * {@link metricDimension}; the HTTP wrapper calls this once per request, so no route handler adds
 * it again), and how long the function took to answer it (`Latency`, ms).
 */
export function routeMetrics(route: string, latencyMs: number): void {
  if (!metricsEnabled) return;
  metricDimension(functionMetrics.routeDimension, route);
  metrics.addMetric(functionMetrics.latency, MetricUnit.Milliseconds, latencyMs);
}

/**
 * Writes this invocation's metrics as one EMF line and clears them; call once per invocation,
 * in a `finally`. Nothing is written (and nothing warned) when no metric was counted.
 * Lambda runs one invocation at a time per environment; where requests overlap in one process
 * (the local stack with RECO_METRICS=1) they may share a line, a metric's values then an array.
 */
export function publishMetrics(): void {
  if (!metricsEnabled) return;
  if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  else metrics.clearDimensions();
}
