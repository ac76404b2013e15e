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
  /** The Lambda handlers' warm invocations as the cold-start bench billed them, or why there are none. */
  readonly warm: WarmBilling;
}

/** One kind of warm invocation of a bundled handler, per invocation (means of the bench's invocations). */
export interface WarmInvocation {
  /** Billed ms: each invocation's wall time rounded up to Lambda's 1 ms step, on the bench's full core. */
  readonly billedMs: number;
  /** CPU ms (user + system) of the same invocations: the part that stretches at a smaller memory size. */
  readonly cpuMs: number;
  /** `file metrics` it came from. */
  readonly from: string;
}

/**
 * `bench/results/cold-start.json`'s warm invocations: the recommend function's hits and misses
 * (in-process LRU, stand-ins, no model), and where the record has them, ingest requests and
 * processor batches of two sizes. `measured: false` when the record is missing or unreadable.
 */
export type WarmBilling =
  | {
      readonly measured: true;
      /** The record, relative to the repository. */
      readonly file: string;
      /** When the bench ran (the record's `date`). */
      readonly date: string;
      readonly recommendHit: WarmInvocation;
      readonly recommendMiss: WarmInvocation;
      /** One `POST /v1/events` of `events` events, PutRecords to the Kinesis stand-in included. */
      readonly ingestRequest?: WarmInvocation & { readonly events: number };
      /** Kinesis batches of one record and of `largeRecords`, their DynamoDB writes included. */
      readonly processorBatches?: {
        readonly one: WarmInvocation;
        readonly large: WarmInvocation;
        readonly largeRecords: number;
      };
    }
  | {
      readonly measured: false;
      /** Why, for the output. */
      readonly note: string;
    };

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

const COLD_START = 'cold-start';

const coldStartRecord = z.object({ date: z.string(), metrics: z.record(z.string(), z.unknown()) });

/**
 * The warm invocations of `cold-start.json` in `dir`. A missing or unreadable record gives
 * `measured: false` with a note (the estimate then falls back to the CPU figures and the
 * assumptions' round trips); a record without the ingest or processor blocks leaves those out.
 */
export function readWarmBilling(dir: URL = BENCH_RESULTS_DIR): WarmBilling {
  const file = new URL(`${COLD_START}.json`, dir);
  const name = `bench/results/${COLD_START}.json`;
  let parsed: z.infer<typeof coldStartRecord>;
  try {
    parsed = coldStartRecord.parse(JSON.parse(readFileSync(file, 'utf8')));
  } catch (error) {
    const why = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : 'not a bench record';
    return { measured: false, note: `${name} ${why}: run \`npm run bench -- cold-start\`` };
  }
  const { metrics } = parsed;
  const n = (key: string) => {
    const value = metrics[key];
    return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
  };
  const warm = (billedKey: string, cpuKey: string): WarmInvocation | undefined => {
    const billed = n(billedKey);
    const cpu = n(cpuKey);
    if (billed === undefined || cpu === undefined) return undefined;
    return { billedMs: billed / 1000, cpuMs: cpu / 1000, from: `${name} metrics.${billedKey}, ${cpuKey}` };
  };
  const recommendHit = warm('billedMsPer1000Hit', 'cpuMsPer1000Hit');
  const recommendMiss = warm('billedMsPer1000Miss', 'cpuMsPer1000Miss');
  if (recommendHit === undefined || recommendMiss === undefined) {
    return { measured: false, note: `${name} has no billedMsPer1000Hit/Miss with their cpuMsPer1000Hit/Miss` };
  }
  const ingest = warm('ingestBilledMsPer1000Request', 'ingestCpuMsPer1000Request');
  const ingestEvents = n('ingestWarmEventsPerRequest');
  const largeRecords = n('processorWarmLargeBatchRecords');
  const one = warm('processorBilledMsPer1000Batch1', 'processorCpuMsPer1000Batch1');
  const large =
    largeRecords === undefined
      ? undefined
      : warm(`processorBilledMsPer1000Batch${largeRecords}`, `processorCpuMsPer1000Batch${largeRecords}`);
  return {
    measured: true,
    file: name,
    date: parsed.date,
    recommendHit,
    recommendMiss,
    ...(ingest && ingestEvents ? { ingestRequest: { ...ingest, events: ingestEvents } } : {}),
    ...(one && large && largeRecords && largeRecords > 1 ? { processorBatches: { one, large, largeRecords } } : {}),
  };
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
    warm: readWarmBilling(dir),
  };
}
