import { describe, expect, it } from 'vitest';
import { training } from '#shared/config/index.ts';
import { deploymentShapes } from '#shared/config/shapes.ts';
import { HOURS_PER_MONTH } from '../../../../../tools/cost/assumptions.ts';
import { trainingSchedule } from '../../../../../tools/cost/functions.ts';
import {
  endpointInstances,
  jobSeconds,
  modelEndpoint,
  trainingJobs,
} from '../../../../../tools/cost/services/sagemaker.ts';
import { context, perDay } from '../fixtures.ts';

describe('Function: modelEndpoint', () => {
  it('bills the real-time endpoint at its minimum instances with no traffic', () => {
    // Prepare: 1 × ml.c6i.large × 730 h × $0.102 = $74.46.
    // Act
    const [endpoint] = modelEndpoint(context({}));
    // Assess
    expect(endpoint?.usd).toBeCloseTo(74.46, 6);
  });

  it('scales the real-time endpoint with the misses, up to its maximum', () => {
    // Prepare: 120 misses/s ÷ 50/s a instance (3,000 a minute) = 2.4 → 3 instances; 10,000/s would need 200, capped at 4.
    const seconds = HOURS_PER_MONTH * 3600;
    const at = (perSecond: number) =>
      context({ load: { recommendationsPerDay: perDay(perSecond * seconds), cacheHitRatio: 0 } });
    // Act
    const three = endpointInstances(at(120)).instances;
    const capped = endpointInstances(at(10_000)).instances;
    // Assess
    expect(three).toBe(3);
    expect(capped).toBe(4);
  });

  it('bills the serverless endpoint per GB-second of the calls', () => {
    // Prepare: 1,000,000 calls × 2 ms (1.6 ms rounded up) × 3 GB = 6,000 GB-s × $0.00002 = $0.12;
    // data: 1M × 2,048 B = 2.048 GB × $0.016.
    const ctx = context({
      shape: deploymentShapes.lean,
      load: { recommendationsPerDay: perDay(1_000_000), cacheHitRatio: 0 },
    });
    // Act
    const [compute, data] = modelEndpoint(ctx);
    // Assess
    expect(compute?.usd).toBeCloseTo(0.12, 6);
    expect(data?.usd).toBeCloseTo(2.048 * 0.016, 6);
  });
});

describe('Function: trainingJobs', () => {
  it('runs the export and the training on each scheduled day with enough new events', () => {
    // Prepare: 1M events a day for 90 days = 90M events ÷ 100,000/s + 300 s = 1,200 s of ml.m5.2xlarge at $0.461/h;
    // 45M interactions × 6 s/M + 300 s = 570 s of ml.m5.xlarge at $0.23/h; 30.4167 runs a month.
    const ctx = context({ load: { eventsPerDay: 1_000_000 } });
    const runs = trainingSchedule().runs;
    const perRun = (1200 / 3600) * 0.461 + (570 / 3600) * 0.23;
    const volumes = runs * training.volumeGb * ((1200 + 570) / (HOURS_PER_MONTH * 3600)) * 0.14;
    // Act
    const [line] = trainingJobs(ctx);
    // Assess
    expect(jobSeconds(ctx)).toEqual({ exportSeconds: 1200, trainSeconds: 570 });
    expect(line?.usd).toBeCloseTo(runs * perRun + volumes, 6);
  });

  it('skips every run of an idle month', () => {
    // Act
    const [line] = trainingJobs(context({}));
    // Assess
    expect(line?.usd).toBe(0);
  });
});

describe('Function: trainingSchedule', () => {
  it.each([
    ['rate(1 day)', 730 / 24],
    ['rate(7 days)', 730 / 168],
    ['rate(6 hours)', 730 / 6],
    ['off', 0],
  ])('counts the runs of %s', (schedule, runs) => {
    // Act
    const counted = trainingSchedule(schedule).runs;
    // Assess
    expect(counted).toBeCloseTo(runs, 9);
  });

  it('rejects a schedule it cannot count', () => {
    // Act
    const attempt = () => trainingSchedule('cron(0 3 * * ? *)');
    // Assess
    expect(attempt).toThrow('cannot price training.schedule cron(0 3 * * ? *)');
  });
});
