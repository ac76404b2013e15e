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
  warm: { measured: false, note: 'fixture: no cold-start record' },
};

/**
 * The same with the cold-start bench's warm invocations of round values: a hit billed 3 ms (1 ms
 * of it CPU), a miss 40 ms (20 ms CPU), an ingest request of 5 events 10 ms (2 ms CPU), processor
 * batches of 1 record 20 ms (4 ms CPU) and of 101 records 220 ms (104 ms CPU).
 */
export const measuredBench: BenchFigures = {
  ...roundBench,
  warm: {
    measured: true,
    file: 'bench/results/cold-start.json',
    date: '2026-12-08T00:00:00.000Z',
    recommendHit: { billedMs: 3, cpuMs: 1, from: 'fixture hit' },
    recommendMiss: { billedMs: 40, cpuMs: 20, from: 'fixture miss' },
    ingestRequest: { billedMs: 10, cpuMs: 2, events: 5, from: 'fixture ingest' },
    processorBatches: {
      one: { billedMs: 20, cpuMs: 4, from: 'fixture batch1' },
      large: { billedMs: 220, cpuMs: 104, from: 'fixture batch101' },
      largeRecords: 101,
    },
  },
};

/** A load of `perMonth` events or lists a month (the model works from per-day figures). */
export const perDay = (perMonth: number): number => perMonth / DAYS_PER_MONTH;

export const noTraffic: Load = { eventsPerDay: 0, recommendationsPerDay: 0, catalogItems: 0, cacheHitRatio: 0.6 };

export function context(options: {
  readonly load?: Partial<Load>;
  readonly shape?: DeploymentShape;
  readonly assumptions?: Partial<Assumptions>;
  /** @default roundBench */
  readonly bench?: BenchFigures;
}): CostContext {
  return {
    load: { ...noTraffic, ...options.load },
    shape: options.shape ?? deploymentShapes.default,
    prices: priceBook('us-east-1'),
    bench: options.bench ?? roundBench,
    assumptions: { ...defaultAssumptions, ...options.assumptions },
  };
}
