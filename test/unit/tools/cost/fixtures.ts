/** Contexts with round numbers, so the worked examples of the tests can be done by hand. */
import { deploymentShapes, type DeploymentShape } from '#shared/config/shapes.ts';
import { defaultAssumptions, DAYS_PER_MONTH, type Assumptions } from '../../../../tools/cost/assumptions.ts';
import type { BenchFigures, Measured } from '../../../../tools/cost/bench.ts';
import type { CostContext, Load } from '../../../../tools/cost/model.ts';
import { priceBook } from '../../../../tools/cost/prices.ts';

const m = (value: number): Measured => ({ value, from: 'fixture' });

/** Bench figures of round values (a hit of 2 ms, a miss of 50 ms, events of 170 B). */
export const roundBench: BenchFigures = {
  recommendHitMs: m(2),
  recommendHitCpuMs: m(1),
  recommendMissMs: m(50),
  recommendMissCpuMs: m(40),
  processorCpuMsPerEvent: m(0.03),
  processorWritesPerEvent: m(0.5),
  ingestCpuMsPerEvent: m(0.01),
  eventBytes: m(170),
  modelCpuMsPerRequest: m(2),
  modelCallMs: m(1.6),
  responseBytes: m(1000),
  trainSecondsPerMillion: m(6),
  decodeEventsPerSecond: m(100_000),
};

/** A load of `perMonth` events or lists a month (the model works from per-day figures). */
export const perDay = (perMonth: number): number => perMonth / DAYS_PER_MONTH;

export const noTraffic: Load = { eventsPerDay: 0, recommendationsPerDay: 0, catalogItems: 0, cacheHitRatio: 0.6 };

export function context(options: {
  readonly load?: Partial<Load>;
  readonly shape?: DeploymentShape;
  readonly assumptions?: Partial<Assumptions>;
}): CostContext {
  return {
    load: { ...noTraffic, ...options.load },
    shape: options.shape ?? deploymentShapes.default,
    prices: priceBook('us-east-1'),
    bench: roundBench,
    assumptions: { ...defaultAssumptions, ...options.assumptions },
  };
}
