/**
 * The stats API's answer (`StatsReport`, `shared/stats/report.ts`) read as hostile JSON: only the
 * fields the page draws, each checked, with anything missing or not a finite number as `null`.
 * Hand-written rather than a zod schema so one bad value costs one "–" on the page instead of the
 * whole report, and the page's bundle stays small.
 */
import { DEGRADED_CAUSES, type DegradedCause } from '#shared/stats/report.ts';

export type Value = number | null;

/** Most periods and rows the page takes from one report (the API sends far fewer). */
export const LIMITS = { periods: 10_000, rows: 1_000, routes: 50, metrics: 50 } as const;

export interface ReadLatency {
  readonly route: string;
  readonly p50: readonly Value[];
  readonly p90: readonly Value[];
  readonly p99: readonly Value[];
}

export interface ReadModel {
  readonly version: string;
  readonly status: string | null;
  readonly createdAt: string | null;
  readonly liveSince: string | null;
  readonly trigger: string | null;
  readonly verdict: string | null;
  readonly holdoutUsers: Value;
  /** The candidate's offline metrics by name, in the API's order. */
  readonly metrics: readonly (readonly [string, Value])[];
  /** The live model's metrics on the same holdout when this one was made. */
  readonly liveMetrics: readonly (readonly [string, Value])[];
  readonly tuning: readonly (readonly [string, Value])[];
}

export interface ReadAttribution {
  readonly modelVersion: string;
  readonly listKind: string;
  readonly fromDay: string | null;
  readonly toDay: string | null;
  readonly impressions: Value;
  readonly clicks: Value;
  readonly addToCarts: Value;
  readonly purchases: Value;
  readonly revenue: Value;
  readonly clickThroughRate: Value;
  readonly conversionRate: Value;
}

export interface ReadReport {
  readonly source: string | null;
  readonly generatedAt: string | null;
  readonly periodSeconds: Value;
  /** Epoch seconds of each period's start (uPlot's x values); a period without a valid time is left out. */
  readonly times: readonly number[];
  readonly eventsPerSecond: readonly Value[];
  readonly eventsProcessedPerSecond: readonly Value[];
  readonly processorLagMs: readonly Value[];
  readonly cacheHitRatio: readonly Value[];
  readonly degradedShare: readonly Value[];
  readonly degradedByCause: readonly (readonly [DegradedCause, readonly Value[]])[];
  readonly latency: readonly ReadLatency[];
  readonly live: ReadModel | null;
  readonly registry: readonly ReadModel[];
  readonly attribution: readonly ReadAttribution[];
}

type Json = Readonly<Record<string, unknown>>;

const objectOf = (value: unknown): Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : {};
/** An own field only: `constructor` or `__proto__` never reach the prototype. */
const field = (object: Json, key: string): unknown => (Object.hasOwn(object, key) ? object[key] : undefined);
const arrayOf = (value: unknown, limit: number): readonly unknown[] =>
  Array.isArray(value) ? value.slice(0, limit) : [];
export const valueOf = (value: unknown): Value => (typeof value === 'number' && Number.isFinite(value) ? value : null);
const textOf = (value: unknown): string | null => (typeof value === 'string' ? value : null);

/** Values aligned with the periods kept: `valid[i]` says whether period i had a readable time. */
const seriesOf = (value: unknown, valid: readonly boolean[]): Value[] => {
  const values = arrayOf(value, LIMITS.periods);
  return valid.flatMap((ok, i) => (ok ? [valueOf(values[i])] : []));
};

const metricsOf = (value: unknown): (readonly [string, Value])[] =>
  Object.entries(objectOf(value))
    .slice(0, LIMITS.metrics)
    .map(([name, metric]) => [name, valueOf(metric)] as const);

function modelOf(value: unknown): ReadModel | null {
  const record = objectOf(value);
  const version = textOf(field(record, 'version'));
  if (version === null) return null;
  const metrics = objectOf(field(record, 'metrics'));
  return {
    version,
    status: textOf(field(record, 'status')),
    createdAt: textOf(field(record, 'createdAt')),
    liveSince: textOf(field(record, 'liveSince')),
    trigger: textOf(field(record, 'trigger')),
    verdict: textOf(field(record, 'verdict')),
    holdoutUsers: valueOf(field(record, 'holdoutUsers')),
    metrics: metricsOf(field(metrics, 'candidate')),
    liveMetrics: metricsOf(field(metrics, 'live')),
    tuning: metricsOf(field(record, 'tuning')),
  };
}

function attributionOf(value: unknown): ReadAttribution | null {
  const row = objectOf(value);
  const modelVersion = textOf(field(row, 'modelVersion'));
  const listKind = textOf(field(row, 'listKind'));
  if (modelVersion === null || listKind === null) return null;
  const count = (key: string) => valueOf(field(row, key));
  return {
    modelVersion,
    listKind,
    fromDay: textOf(field(row, 'fromDay')),
    toDay: textOf(field(row, 'toDay')),
    impressions: count('impressions'),
    clicks: count('clicks'),
    addToCarts: count('addToCarts'),
    purchases: count('purchases'),
    revenue: count('revenue'),
    clickThroughRate: count('clickThroughRate'),
    conversionRate: count('conversionRate'),
  };
}

const present = <T>(value: T | null): value is T => value !== null;

/** Reads a stats report from parsed JSON; never throws, whatever the JSON. */
export function readReport(json: unknown): ReadReport {
  const report = objectOf(json);
  const window = objectOf(field(report, 'window'));
  const series = objectOf(field(report, 'series'));
  const stamps = arrayOf(field(series, 'timestamps'), LIMITS.periods).map((stamp) =>
    typeof stamp === 'string' ? Date.parse(stamp) / 1000 : Number.NaN,
  );
  const valid = stamps.map((time) => Number.isFinite(time));
  const times = stamps.filter((_, i) => valid[i]);
  const byCause = objectOf(field(series, 'degradedByCause'));
  const model = objectOf(field(report, 'model'));
  return {
    source: textOf(field(report, 'source')),
    generatedAt: textOf(field(report, 'generatedAt')),
    periodSeconds: valueOf(field(window, 'periodSeconds')),
    times,
    eventsPerSecond: seriesOf(field(series, 'eventsPerSecond'), valid),
    eventsProcessedPerSecond: seriesOf(field(series, 'eventsProcessedPerSecond'), valid),
    processorLagMs: seriesOf(field(series, 'processorLagMs'), valid),
    cacheHitRatio: seriesOf(field(series, 'cacheHitRatio'), valid),
    degradedShare: seriesOf(field(series, 'degradedShare'), valid),
    degradedByCause: DEGRADED_CAUSES.map((cause) => [cause, seriesOf(field(byCause, cause), valid)] as const),
    latency: Object.entries(objectOf(field(series, 'latencyMs')))
      .slice(0, LIMITS.routes)
      .map(([route, percentiles]) => {
        const p = objectOf(percentiles);
        return {
          route,
          p50: seriesOf(field(p, 'p50'), valid),
          p90: seriesOf(field(p, 'p90'), valid),
          p99: seriesOf(field(p, 'p99'), valid),
        };
      }),
    live: modelOf(field(model, 'live')),
    registry: arrayOf(field(model, 'registry'), LIMITS.rows).map(modelOf).filter(present),
    attribution: arrayOf(field(report, 'attribution'), LIMITS.rows).map(attributionOf).filter(present),
  };
}
