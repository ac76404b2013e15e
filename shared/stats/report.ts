import type { RouteName } from '../config/index.ts';
import type { AttributionCounts, RecommendationRecord } from '../ports/index.ts';
import type { ModelVersionRecord } from '../training/registry.ts';

/**
 * What `GET /v1/admin/stats` answers: the operational series of the last minutes, the model
 * registry, and attribution per model version and list kind. The dashboard (`/dashboard`, and
 * `npx reco dashboard` against a deployed server API) draws exactly this; in AWS the series come
 * from CloudWatch, locally from the local stack's own collector, with the same metric meanings.
 */
export interface StatsReport {
  /** Where the series come from. */
  readonly source: 'cloudwatch' | 'local';
  /** ISO time the report was made. */
  readonly generatedAt: string;
  readonly window: StatsWindow;
  readonly series: StatsSeries;
  readonly model: StatsModel;
  readonly attribution: readonly AttributionRow[];
}

export interface StatsWindow {
  /** ISO start of the first period. */
  readonly start: string;
  /** ISO end of the last period. */
  readonly end: string;
  readonly periodSeconds: number;
}

/**
 * One value per period, oldest first, aligned with `timestamps` (each the period's ISO start).
 * `null` where the period had nothing to measure (no requests: no ratio, no percentile).
 */
export interface StatsSeries {
  readonly timestamps: readonly string[];
  /** Events accepted by ingest, per second over the period. */
  readonly eventsPerSecond: readonly number[];
  /** Events the processor applied, per second over the period. */
  readonly eventsProcessedPerSecond: readonly number[];
  /** Largest age of a record when the processor took it (arrival to processing), ms. */
  readonly processorLagMs: readonly (number | null)[];
  /** Cache hits over hits and misses of the list routes. */
  readonly cacheHitRatio: readonly (number | null)[];
  /** Degraded answers over all list answers. */
  readonly degradedShare: readonly (number | null)[];
  /** Fallbacks by cause (the recommend function's fallback metrics), per second over the period. */
  readonly degradedByCause: Readonly<Record<DegradedCause, readonly number[]>>;
  /** Latency percentiles of each route that had requests in the window, ms. */
  readonly latencyMs: Readonly<Partial<Record<RouteName, LatencyPercentiles>>>;
}

/** The recommend function's fallback metrics (`shared/serving/failures.ts`). */
export const DEGRADED_CAUSES = [
  'ModelShed',
  'ModelBreakerOpen',
  'ModelFailure',
  'FeatureStoreFailure',
  'DependencyFailure',
] as const;
export type DegradedCause = (typeof DEGRADED_CAUSES)[number];

export interface LatencyPercentiles {
  readonly p50: readonly (number | null)[];
  readonly p90: readonly (number | null)[];
  readonly p99: readonly (number | null)[];
}

export interface StatsModel {
  /** The version the endpoint serves, with its offline metrics, or null before the first model. */
  readonly live: ModelVersionRecord | null;
  /** The registry's newest versions, newest first. */
  readonly registry: readonly ModelVersionRecord[];
}

/** Attribution of one model version and list kind, summed over the report's days. */
export interface AttributionRow extends AttributionCounts {
  readonly modelVersion: string;
  readonly listKind: RecommendationRecord['kind'];
  /** First and last UTC day (`yyyy-mm-dd`) summed. */
  readonly fromDay: string;
  readonly toDay: string;
  /** clicks / impressions, or null without impressions. */
  readonly clickThroughRate: number | null;
  /** purchases / clicks, or null without clicks. */
  readonly conversionRate: number | null;
}
