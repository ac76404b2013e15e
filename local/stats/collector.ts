import type { APIGatewayProxyResult } from 'aws-lambda';
import { api, stats as statsConfig, type RouteName } from '#shared/config/index.ts';
import { systemClock, type Clock } from '#shared/ports/index.ts';
import type { FallbackMetric } from '#shared/serving/failures.ts';
import {
  DEGRADED_CAUSES,
  type DegradedCause,
  type LatencyPercentiles,
  type StatsSeries,
  type StatsWindow,
} from '#shared/stats/report.ts';
import type { OperationalMetrics } from '#shared/stats/statsReport.ts';
import { periodStarts } from '#shared/stats/window.ts';
import type { GatewayResponse } from '../apiGateway.ts';
import type { MappingStats } from '../eventSourceMapping.ts';
import { LatencyHistogram } from './latencyHistogram.ts';

/** The routes whose answers are lists with an `x-cache` status and a `degraded` flag. */
const LIST_ROUTES: ReadonlySet<RouteName> = new Set(['userRecommendations', 'similarItems', 'rankings', 'trending']);

/** What one bucket of time counted. */
interface Bucket {
  /** Epoch ms of its start; a slot of the ring whose start is not the one asked for is stale. */
  start: number;
  eventsAccepted: number;
  eventsProcessed: number;
  /** The largest arrival-to-processing age of a batch's newest record, ms. */
  lagMs: number | null;
  hits: number;
  misses: number;
  answers: number;
  degraded: number;
  causes: Record<DegradedCause, number>;
  latency: Map<RouteName, LatencyHistogram>;
}

const emptyBucket = (start: number): Bucket => ({
  start,
  eventsAccepted: 0,
  eventsProcessed: 0,
  lagMs: null,
  hits: 0,
  misses: 0,
  answers: 0,
  degraded: 0,
  causes: Object.fromEntries(DEGRADED_CAUSES.map((cause) => [cause, 0])) as Record<DegradedCause, number>,
  latency: new Map(),
});

export interface LocalStatsCollectorOptions {
  /** @default systemClock */
  readonly clock?: Clock;
  /** Length of a bucket, s. @default stats.localPeriodSeconds */
  readonly resolutionSeconds?: number;
  /** How far back buckets are kept, minutes. @default stats.maxMinutes */
  readonly keepMinutes?: number;
}

/**
 * The local stack's operational metrics, with the meanings of the functions' CloudWatch metrics: a
 * ring of buckets (`stats.localPeriodSeconds` each, `stats.maxMinutes` of them) fed by the local API
 * Gateway's answers ({@link response}), the recommend function's fallbacks ({@link fallback}) and the
 * processor mapping's progress ({@link processorProgress}).
 */
export class LocalStatsCollector implements OperationalMetrics {
  readonly source = 'local';
  readonly resolutionSeconds: number;
  private readonly clock: Clock;
  private readonly ring: Bucket[];
  private readonly bucketMs: number;
  /** The mapping's `processed` when last told, to count what each progress report adds. */
  private processedSeen = 0;

  constructor(options: LocalStatsCollectorOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.resolutionSeconds = options.resolutionSeconds ?? statsConfig.localPeriodSeconds;
    this.bucketMs = this.resolutionSeconds * 1000;
    const slots = Math.ceil(((options.keepMinutes ?? statsConfig.maxMinutes) * 60) / this.resolutionSeconds) + 1;
    this.ring = Array.from({ length: slots }, () => emptyBucket(Number.NaN));
  }

  /** One answer of the API (the gateway's `onResponse`). */
  readonly response = ({ route, statusCode, result, latencyMs }: GatewayResponse): void => {
    if (route === undefined) return;
    const bucket = this.current();
    let histogram = bucket.latency.get(route);
    if (histogram === undefined) bucket.latency.set(route, (histogram = new LatencyHistogram()));
    histogram.add(latencyMs);
    if (statusCode !== 200 || result === undefined) return;
    if (route === 'events') bucket.eventsAccepted += acceptedOf(result);
    else if (LIST_ROUTES.has(route)) this.countList(bucket, result);
  };

  /** One fallback of the recommend function, by cause (its `onFallback`). */
  readonly fallback = (cause: FallbackMetric): void => {
    this.current().causes[cause] += 1;
  };

  /**
   * The processor mapping's counters, whenever they may have changed (its `onProgress`, or a
   * sample of a mapping on another thread): what `processed` grew by, and the lag of the newest
   * batch when it did.
   */
  readonly processorProgress = (stats: Readonly<MappingStats>): void => {
    const added = stats.processed - this.processedSeen;
    this.processedSeen = stats.processed;
    if (added <= 0) return;
    const bucket = this.current();
    bucket.eventsProcessed += added;
    bucket.lagMs = Math.max(bucket.lagMs ?? 0, stats.lagMs);
  };

  read(window: StatsWindow): Promise<StatsSeries> {
    const periodMs = window.periodSeconds * 1000;
    const periods = periodStarts(window).map((start) => this.merged(start, periodMs));
    const perSecond = (count: number) => count / window.periodSeconds;
    const share = (part: number, whole: number) => (whole > 0 ? part / whole : null);
    const latencyMs: Partial<Record<RouteName, LatencyPercentiles>> = {};
    for (const route of Object.keys(api.routes) as RouteName[]) {
      const histograms = periods.map((period) => period.latency.get(route));
      if (histograms.every((histogram) => histogram === undefined)) continue;
      const at = (q: number) => histograms.map((histogram) => histogram?.quantile(q) ?? null);
      latencyMs[route] = { p50: at(0.5), p90: at(0.9), p99: at(0.99) };
    }
    return Promise.resolve({
      timestamps: periods.map((period) => new Date(period.start).toISOString()),
      eventsPerSecond: periods.map((period) => perSecond(period.eventsAccepted)),
      eventsProcessedPerSecond: periods.map((period) => perSecond(period.eventsProcessed)),
      processorLagMs: periods.map((period) => period.lagMs),
      cacheHitRatio: periods.map((period) => share(period.hits, period.hits + period.misses)),
      degradedShare: periods.map((period) => share(period.degraded, period.answers)),
      degradedByCause: Object.fromEntries(
        DEGRADED_CAUSES.map((cause) => [cause, periods.map((period) => perSecond(period.causes[cause]))]),
      ) as Record<DegradedCause, number[]>,
      latencyMs,
    });
  }

  private countList(bucket: Bucket, result: APIGatewayProxyResult): void {
    bucket.answers += 1;
    const cache = result.headers?.[api.cacheStatusHeader];
    if (cache === 'HIT') bucket.hits += 1;
    else if (cache === 'MISS') bucket.misses += 1;
    if (degradedOf(result)) bucket.degraded += 1;
  }

  /** The bucket of now, emptied first if it still holds an older round of the ring. */
  private current(): Bucket {
    const start = Math.floor(this.clock.now() / this.bucketMs) * this.bucketMs;
    const slot = Math.floor(start / this.bucketMs) % this.ring.length;
    let bucket = this.ring[slot];
    if (bucket === undefined || bucket.start !== start) this.ring[slot] = bucket = emptyBucket(start);
    return bucket;
  }

  /** The buckets from `start` for `periodMs`, summed (a bucket of an older round counts nothing). */
  private merged(start: number, periodMs: number): Bucket {
    const sum = emptyBucket(start);
    for (let at = start; at < start + periodMs; at += this.bucketMs) {
      const bucket = this.ring[Math.floor(at / this.bucketMs) % this.ring.length];
      if (bucket === undefined || bucket.start !== at) continue;
      sum.eventsAccepted += bucket.eventsAccepted;
      sum.eventsProcessed += bucket.eventsProcessed;
      if (bucket.lagMs !== null) sum.lagMs = Math.max(sum.lagMs ?? 0, bucket.lagMs);
      sum.hits += bucket.hits;
      sum.misses += bucket.misses;
      sum.answers += bucket.answers;
      sum.degraded += bucket.degraded;
      for (const cause of DEGRADED_CAUSES) sum.causes[cause] += bucket.causes[cause];
      for (const [route, histogram] of bucket.latency) {
        const merged = sum.latency.get(route) ?? new LatencyHistogram();
        merged.merge(histogram);
        sum.latency.set(route, merged);
      }
    }
    return sum;
  }
}

/** `accepted` of an events answer; anything else counts nothing. */
function acceptedOf(result: APIGatewayProxyResult): number {
  const accepted = (parsed(result) as { accepted?: unknown } | undefined)?.accepted;
  return typeof accepted === 'number' && Number.isFinite(accepted) ? accepted : 0;
}

function degradedOf(result: APIGatewayProxyResult): boolean {
  return (parsed(result) as { degraded?: unknown } | undefined)?.degraded === true;
}

function parsed(result: APIGatewayProxyResult): unknown {
  try {
    return JSON.parse(result.body) as unknown;
  } catch {
    return undefined;
  }
}
