import { training } from '../config/index.ts';
import { GateMetricsError } from './errors.ts';
import type {
  GateInput,
  GateMetricName,
  GateMetrics,
  GateVerdict,
  GateSubject,
  TuningMetricName,
  TuningMetrics,
} from './pipeline.ts';

export interface GateOptions {
  /** Relative NDCG@10 the candidate may lose against the live model. @default training.gateTolerance */
  readonly tolerance?: number;
}

/** The training job's `FinalMetricDataList` by name; a name reported twice keeps its last value. */
function metricsByName(metrics: GateInput['metrics']): ReadonlyMap<string, number> {
  return new Map(metrics.map((metric) => [metric.MetricName, metric.Value]));
}

function subjectMetrics(
  reported: ReadonlyMap<string, number>,
  subject: GateSubject,
): { metrics?: GateMetrics; missing: GateMetricName[] } {
  const names = {
    hr10: `${subject}_hr10`,
    ndcg10: `${subject}_ndcg10`,
    coverage: `${subject}_coverage`,
  } as const satisfies Record<keyof GateMetrics, GateMetricName>;
  const missing = Object.values(names).filter((name) => !Number.isFinite(reported.get(name)));
  if (missing.length > 0) return { missing };
  const value = (name: GateMetricName) => reported.get(name) as number;
  return {
    metrics: { hr10: value(names.hr10), ndcg10: value(names.ndcg10), coverage: value(names.coverage) },
    missing,
  };
}

/**
 * The tuning's metrics when the job tuned (every required one reported), else undefined; the
 * decision's numbers are added when reported.
 */
function tuningMetrics(reported: ReadonlyMap<string, number>): TuningMetrics | undefined {
  const names = {
    validationNdcg10: 'tuning_validation_ndcg10',
    validationHr10: 'tuning_validation_hr10',
    defaultsNdcg10: 'tuning_defaults_ndcg10',
    trials: 'tuning_trials',
    seconds: 'tuning_seconds',
    gainStandardError: 'tuning_gain_se',
    keptDefaults: 'tuning_kept_defaults',
  } as const satisfies Record<keyof TuningMetrics, TuningMetricName>;
  const optional = new Set<keyof TuningMetrics>(['gainStandardError', 'keptDefaults']);
  const values = Object.entries(names).map(([key, name]) => [key as keyof TuningMetrics, reported.get(name)] as const);
  const finite = (value: number | undefined): value is number => value !== undefined && Number.isFinite(value);
  if (values.some(([key, value]) => !optional.has(key) && !finite(value))) return undefined;
  return Object.fromEntries(values.filter(([, value]) => finite(value))) as unknown as TuningMetrics;
}

const percent = (fraction: number) => `${(fraction * 100).toFixed(1)} %`;
const fixed = (value: number) => value.toFixed(4);

/**
 * The gate step: promote the candidate unless its NDCG@10 on the holdout is below the live
 * model's by more than `tolerance` of it. With no live model the candidate is promoted; with a
 * live model and no holdout user scored there is nothing to judge by, and the live model stays.
 * Metrics the job did not report are an error (the run fails, the live model stays).
 */
export function gate(input: Pick<GateInput, 'guard' | 'metrics'>, options: GateOptions = {}): GateVerdict {
  const tolerance = options.tolerance ?? training.gateTolerance;
  const reported = metricsByName(input.metrics);
  const candidate = subjectMetrics(reported, 'candidate');
  const holdoutUsers = reported.get('holdout_users');
  if (candidate.metrics === undefined || holdoutUsers === undefined || !Number.isFinite(holdoutUsers)) {
    const missing = [...candidate.missing, ...(Number.isFinite(holdoutUsers) ? [] : ['holdout_users'])];
    throw new GateMetricsError(
      'candidate_metrics_missing',
      `the training job did not report ${missing.join(', ')}; check its log for the "gate: <name>=<value>" lines`,
    );
  }
  const liveOverlap = reported.get('live_overlap_interactions') ?? 0;
  const tuning = tuningMetrics(reported);
  const base = { candidate: candidate.metrics, holdoutUsers, liveOverlap, ...(tuning === undefined ? {} : { tuning }) };
  if (input.guard.liveVersion === undefined) {
    return { verdict: 'promote', reason: 'no live model to compare with', ...base };
  }
  const live = subjectMetrics(reported, 'live');
  if (live.metrics === undefined) {
    throw new GateMetricsError(
      'live_metrics_missing',
      `the training job did not report ${live.missing.join(', ')} for the live model ${input.guard.liveVersion}`,
    );
  }
  const overlap =
    liveOverlap > 0
      ? `; ${liveOverlap} holdout interactions were in the live model's training window, favouring it`
      : '';
  const withLive = { ...base, live: live.metrics };
  if (holdoutUsers === 0) {
    return { verdict: 'reject', reason: 'no holdout user was scored; the live model stays', ...withLive };
  }
  const floor = live.metrics.ndcg10 * (1 - tolerance);
  const change = live.metrics.ndcg10 === 0 ? 0 : candidate.metrics.ndcg10 / live.metrics.ndcg10 - 1;
  const comparison =
    `candidate NDCG@10 ${fixed(candidate.metrics.ndcg10)} vs live ${fixed(live.metrics.ndcg10)} ` +
    `(${change >= 0 ? '+' : ''}${percent(change)}, tolerance ${percent(tolerance)}, ${holdoutUsers} holdout users)`;
  // The epsilon keeps a candidate exactly at the floor from failing on the product's rounding.
  return candidate.metrics.ndcg10 >= floor - 1e-12
    ? { verdict: 'promote', reason: `${comparison}${overlap}`, ...withLive }
    : { verdict: 'reject', reason: `${comparison}: below the live model${overlap}`, ...withLive };
}
