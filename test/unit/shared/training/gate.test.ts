import { describe, expect, it } from 'vitest';
import { GateMetricsError } from '#shared/training/errors.ts';
import { gate } from '#shared/training/gate.ts';
import type { GuardDecision } from '#shared/training/pipeline.ts';

const guardWith = (liveVersion?: string): GuardDecision => ({
  action: 'train',
  reason: 'enough new data',
  version: 'v20260502030000-00000002',
  ...(liveVersion === undefined ? {} : { liveVersion }),
  endpointExists: true,
  modelName: 'reco-v20260502030000-00000002',
  endpointConfigName: 'reco-v20260502030000-00000002',
  endpointName: 'reco-endpoint',
});

const metrics = (values: Record<string, number>) =>
  Object.entries(values).map(([MetricName, Value]) => ({ MetricName, Value, Timestamp: '2026-05-02T04:00:00Z' }));

const candidate = { candidate_hr10: 0.5, candidate_ndcg10: 0.3, candidate_coverage: 0.4, holdout_users: 900 };
const live = (ndcg10: number) => ({ live_hr10: 0.5, live_ndcg10: ndcg10, live_coverage: 0.35 });

describe('Function: gate', () => {
  it('promotes the candidate when no model is live', () => {
    // Act
    const verdict = gate({ guard: guardWith(), metrics: metrics(candidate) });
    // Assess
    expect(verdict).toEqual({
      verdict: 'promote',
      reason: 'no live model to compare with',
      candidate: { hr10: 0.5, ndcg10: 0.3, coverage: 0.4 },
      holdoutUsers: 900,
      liveOverlap: 0,
    });
  });

  it('promotes a candidate within the tolerance below the live model, exactly at it included', () => {
    // Act
    const within = gate({ guard: guardWith('v1'), metrics: metrics({ ...candidate, ...live(0.305) }) });
    const atFloor = gate({ guard: guardWith('v1'), metrics: metrics({ ...candidate, ...live(0.3 / 0.98) }) });
    // Assess
    expect(within.verdict).toBe('promote');
    expect(within.live).toEqual({ hr10: 0.5, ndcg10: 0.305, coverage: 0.35 });
    expect(within.reason).toBe('candidate NDCG@10 0.3000 vs live 0.3050 (-1.6 %, tolerance 2.0 %, 900 holdout users)');
    expect(atFloor.verdict).toBe('promote');
  });

  it('rejects a candidate further below the live model than the tolerance, with the tolerance given', () => {
    // Act
    const verdict = gate({ guard: guardWith('v1'), metrics: metrics({ ...candidate, ...live(0.32) }) });
    const looser = gate(
      { guard: guardWith('v1'), metrics: metrics({ ...candidate, ...live(0.32) }) },
      { tolerance: 0.1 },
    );
    // Assess
    expect(verdict.verdict).toBe('reject');
    expect(verdict.reason).toMatch(/below the live model$/);
    expect(looser.verdict).toBe('promote');
  });

  it('says when holdout interactions were in the live model’s training window', () => {
    // Act
    const verdict = gate({
      guard: guardWith('v1'),
      metrics: metrics({ ...candidate, ...live(0.31), live_overlap_interactions: 42 }),
    });
    // Assess
    expect(verdict.liveOverlap).toBe(42);
    expect(verdict.reason).toMatch(/42 holdout interactions were in the live model's training window/);
  });

  it('rejects when no holdout user was scored while a model is live', () => {
    // Act
    const verdict = gate({ guard: guardWith('v1'), metrics: metrics({ ...candidate, holdout_users: 0, ...live(0) }) });
    // Assess
    expect(verdict).toMatchObject({ verdict: 'reject', reason: 'no holdout user was scored; the live model stays' });
  });

  it('throws GateMetricsError naming the candidate metrics missing', () => {
    // Act
    const missing = () => gate({ guard: guardWith(), metrics: metrics({ candidate_hr10: 0.5 }) });
    // Assess
    expect(missing).toThrow(GateMetricsError);
    expect(missing).toThrow('candidate_ndcg10, candidate_coverage, holdout_users');
  });

  it('throws GateMetricsError when a model is live and its metrics are missing', () => {
    // Act
    const missing = () => gate({ guard: guardWith('v1'), metrics: metrics(candidate) });
    // Assess
    expect(missing).toThrow(expect.objectContaining({ reason: 'live_metrics_missing' }));
  });
});

describe('Function: gate, tuning metrics', () => {
  it('passes the training job tuning metrics on to the verdict, for the registry record', () => {
    // Prepare
    const tuning = {
      tuning_validation_ndcg10: 0.21,
      tuning_validation_hr10: 0.33,
      tuning_defaults_ndcg10: 0.19,
      tuning_trials: 3,
      tuning_seconds: 12.5,
      tuning_gain_se: 0.0034,
      tuning_kept_defaults: 1,
    };

    // Act
    const tuned = gate({ guard: guardWith(), metrics: metrics({ ...candidate, ...tuning }) });
    const untuned = gate({ guard: guardWith(), metrics: metrics(candidate) });

    // Assess
    expect(tuned.tuning).toEqual({
      validationNdcg10: 0.21,
      validationHr10: 0.33,
      defaultsNdcg10: 0.19,
      trials: 3,
      seconds: 12.5,
      gainStandardError: 0.0034,
      keptDefaults: 1,
    });
    expect(untuned.tuning).toBeUndefined();
  });
});
