/**
 * The measured per-invocation work the cost model prices, read from the committed benchmark
 * records (`bench/results/*.json`, written by `npm run bench`), so a new bench run moves the
 * estimate without an edit here.
 */
import { readFileSync } from 'node:fs';
import * as z from 'zod';

/** Where the records are. */
export const BENCH_RESULTS_DIR = new URL('../../bench/results/', import.meta.url);

/** A measured number and where it was read, for the formula text. */
export interface Measured {
  readonly value: number;
  /** `file metric` it came from. */
  readonly from: string;
}

/** What the model takes from the benches. */
export interface BenchFigures {
  /** Recommend handler, cache hit: wall time and CPU time per invocation, ms. */
  readonly recommendHitMs: Measured;
  readonly recommendHitCpuMs: Measured;
  /** Recommend handler, cache miss with the stand-ins and no model: wall and CPU per invocation, ms. */
  readonly recommendMissMs: Measured;
  readonly recommendMissCpuMs: Measured;
  /** Processor CPU per event (applyEventBatch on 1,000-record batches), ms. */
  readonly processorCpuMsPerEvent: Measured;
  /** Feature-store writes per event of the processor bench. */
  readonly processorWritesPerEvent: Measured;
  /** Ingest CPU per event (acceptEvents), ms. */
  readonly ingestCpuMsPerEvent: Measured;
  /** Mean size of one event, bytes. */
  readonly eventBytes: Measured;
  /** Model process CPU per hybrid miss over a 100k-item catalogue at 100 requests/s, ms. */
  readonly modelCpuMsPerRequest: Measured;
  /** Time inside the model per call at 100 requests/s, p50, ms. */
  readonly modelCallMs: Measured;
  /** Bytes of a served list. */
  readonly responseBytes: Measured;
  /** Seconds to train iALS on 1M interactions. */
  readonly trainSecondsPerMillion: Measured;
  /** Events per second one core decodes and validates (the export's work per event). */
  readonly decodeEventsPerSecond: Measured;
}

const subject = z.object({ units: z.number().positive(), medianMs: z.number().positive() });
const record = z.object({ subject, floor: subject.optional(), metrics: z.record(z.string(), z.unknown()) });

function load(dir: URL, name: string): z.infer<typeof record> {
  const file = new URL(`${name}.json`, dir);
  return record.parse(JSON.parse(readFileSync(file, 'utf8')));
}

function metric(dir: URL, name: string, key: string, scale = 1): Measured {
  const value = load(dir, name).metrics[key];
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new Error(`bench/results/${name}.json has no numeric metrics.${key}`);
  }
  return { value: value * scale, from: `bench/results/${name}.json metrics.${key}` };
}

/** Reads every figure the model needs; throws naming the file and metric that is missing. */
export function readBenchFigures(dir: URL = BENCH_RESULTS_DIR): BenchFigures {
  const processor = load(dir, 'processor');
  const ingest = load(dir, 'ingest');
  const trainSeconds = metric(dir, 'recommender-speed', 'trainSeconds');
  const trainInteractions = metric(dir, 'recommender-speed', 'trainInteractions');
  return {
    recommendHitMs: metric(dir, 'recommend-lambda', 'oursHitP50Ms'),
    recommendHitCpuMs: metric(dir, 'recommend-lambda', 'oursHitCpuUsPerInvocation', 1 / 1000),
    recommendMissMs: metric(dir, 'recommend-lambda', 'oursMissP50Ms'),
    recommendMissCpuMs: metric(dir, 'recommend-lambda', 'oursMissCpuUsPerInvocation', 1 / 1000),
    processorCpuMsPerEvent: {
      value: processor.subject.medianMs / processor.subject.units,
      from: 'bench/results/processor.json subject.medianMs / subject.units',
    },
    processorWritesPerEvent: metric(dir, 'processor', 'writesPerEvent'),
    ingestCpuMsPerEvent: {
      value: ingest.subject.medianMs / ingest.subject.units,
      from: 'bench/results/ingest.json subject.medianMs / subject.units',
    },
    eventBytes: metric(dir, 'ingest', 'meanEventBytes'),
    modelCpuMsPerRequest: metric(dir, 'serving', 'missAt100ModelCpuMsPerRequest'),
    modelCallMs: metric(dir, 'serving', 'missAt100CallInModelP50Ms'),
    responseBytes: metric(dir, 'serving', 'hitResponseBytes'),
    trainSecondsPerMillion: {
      value: (trainSeconds.value / trainInteractions.value) * 1e6,
      from: 'bench/results/recommender-speed.json metrics.trainSeconds / metrics.trainInteractions × 1M',
    },
    decodeEventsPerSecond: {
      value: (processor.floor?.units ?? Number.NaN) / ((processor.floor?.medianMs ?? Number.NaN) / 1000),
      from: 'bench/results/processor.json floor (base64 + JSON.parse + schema) units / medianMs',
    },
  };
}
