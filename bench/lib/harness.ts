/**
 * The benchmark harness: timing rounds, result records and the summary table.
 *
 * A suite measures its code path ("subject") against a floor in the same process and the same
 * rounds, interleaved, so the ratio between the two survives a noisy machine even when the
 * absolute numbers do not. The harness writes one JSON record per suite and regenerates
 * `SUMMARY.md` from every record in the output directory.
 */
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { arch, cpus, platform } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { median, summarize } from './stats.ts';

/** A piece of work timed once per round. */
export interface Workload {
  /** What runs, e.g. `acceptEvents` or `JSON.parse`. */
  readonly label: string;
  /** Units (events) processed by one call of `run`; throughput is units per second. */
  readonly units: number;
  run(): unknown;
}

/** Timing of one workload over the timed rounds (warm-up rounds excluded). */
export interface Throughput {
  readonly label: string;
  readonly units: number;
  readonly rounds: number;
  readonly medianMs: number;
  /** 95th-percentile round time (nearest rank): a slow round, not the slowest. */
  readonly p95Ms: number;
  readonly minMs: number;
  readonly maxMs: number;
  /** Units per second in the median round. */
  readonly medianPerSecond: number;
  /** Units per second in the p95 round (the throughput 95 % of rounds beat or match). */
  readonly p95PerSecond: number;
  /** Every timed round in ms, in the order run. */
  readonly samplesMs: readonly number[];
}

export interface PairedMeasurement {
  readonly subject: Throughput;
  readonly floor: Throughput;
  /** subject.medianPerSecond / floor.medianPerSecond. */
  readonly ratio: number;
  /** Median over rounds of (floor time / subject time) within the same round. */
  readonly pairedRatio: number;
  readonly warmupRounds: number;
  /** Whether a full garbage collection ran before every round. */
  readonly gcBetweenRounds: boolean;
}

/** A target from the issue tracker, evaluated for information only (never fails the run). */
export interface TargetCheck {
  readonly description: string;
  readonly comparator: '>=' | '<';
  readonly threshold: number;
  readonly actual: number;
  readonly unit: string;
  readonly pass: boolean;
}

/** What a suite's `run()` returns. */
export interface BenchResult extends PairedMeasurement {
  /** Unit of `units`, e.g. `events`; throughputs are per second. */
  readonly unit: string;
  /** Other numbers worth keeping (workload shape, writes per event, ...). */
  readonly metrics: Readonly<Record<string, number>>;
  readonly targets: readonly TargetCheck[];
}

/** A module in `bench/suites/` exports these three names. */
export interface BenchSuite {
  readonly name: string;
  readonly description: string;
  run(): Promise<BenchResult>;
}

/** The JSON written to `<outDir>/<name>.json`. */
export interface BenchRecord extends BenchResult {
  readonly schemaVersion: 1;
  readonly name: string;
  readonly description: string;
  /** ISO 8601 time the suite finished. */
  readonly date: string;
  readonly node: string;
  readonly cpu: string;
  readonly cores: number;
  readonly platform: string;
  readonly arch: string;
  /** Wall time of the whole suite, setup included. */
  readonly wallMs: number;
}

export interface MeasureOptions {
  readonly warmupRounds: number;
  readonly rounds: number;
  /** Called before every round; defaults to a full GC when one can be triggered. */
  readonly beforeRound?: () => void;
}

export const SUMMARY_FILE = 'SUMMARY.md';

let gcFunction: (() => void) | null | undefined;

/**
 * A full GC between rounds keeps one round's garbage from being collected on the next round's
 * clock. Uses `global.gc` when Node runs with `--expose-gc`, and otherwise obtains it through V8's
 * runtime flags (supported by Node, no extra process needed). Undefined if neither works.
 */
export function garbageCollector(): (() => void) | undefined {
  if (gcFunction === undefined) {
    const exposed = (globalThis as { gc?: unknown }).gc;
    if (typeof exposed === 'function') {
      gcFunction = exposed as () => void;
    } else {
      try {
        setFlagsFromString('--expose-gc');
        const gc: unknown = runInNewContext('gc');
        gcFunction = typeof gc === 'function' ? (gc as () => void) : null;
      } catch {
        gcFunction = null;
      }
    }
  }
  return gcFunction ?? undefined;
}

/** Milliseconds one call of `run` takes, measured with `process.hrtime.bigint()`. */
export async function timeOnce(run: () => unknown): Promise<number> {
  const start = process.hrtime.bigint();
  await run();
  const end = process.hrtime.bigint();
  return Number(end - start) / 1e6;
}

export function throughputOf(label: string, units: number, samplesMs: readonly number[]): Throughput {
  const s = summarize(samplesMs);
  const perSecond = (ms: number): number => (ms > 0 ? (units * 1000) / ms : Number.POSITIVE_INFINITY);
  return {
    label,
    units,
    rounds: s.count,
    medianMs: s.median,
    p95Ms: s.p95,
    minMs: s.min,
    maxMs: s.max,
    medianPerSecond: perSecond(s.median),
    p95PerSecond: perSecond(s.p95),
    samplesMs: samplesMs.map((ms) => Math.round(ms * 1000) / 1000),
  };
}

/**
 * Warm-up rounds, then timed rounds of subject and floor, one after the other in the same round
 * and in alternating order (floor first in even rounds), so drift in machine speed hits both.
 */
export async function measurePair(
  subject: Workload,
  floor: Workload,
  options: MeasureOptions,
): Promise<PairedMeasurement> {
  const { warmupRounds, rounds } = options;
  if (!Number.isInteger(warmupRounds) || warmupRounds < 0) throw new RangeError('warmupRounds must be >= 0');
  if (!Number.isInteger(rounds) || rounds < 1) throw new RangeError('rounds must be >= 1');
  const gc = options.beforeRound === undefined ? garbageCollector() : undefined;
  const beforeRound = options.beforeRound ?? gc ?? (() => undefined);

  for (let i = 0; i < warmupRounds; i++) {
    await floor.run();
    await subject.run();
  }
  const subjectMs: number[] = [];
  const floorMs: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const order = i % 2 === 0 ? [floor, subject] : [subject, floor];
    for (const workload of order) {
      beforeRound();
      const ms = await timeOnce(() => workload.run());
      (workload === subject ? subjectMs : floorMs).push(ms);
    }
  }
  const subjectThroughput = throughputOf(subject.label, subject.units, subjectMs);
  const floorThroughput = throughputOf(floor.label, floor.units, floorMs);
  // Per-unit speeds, so the paired ratio stays right when the two workloads differ in size.
  const paired = subjectMs.map(
    (ms, i) => subject.units / Math.max(ms, 1e-9) / (floor.units / Math.max(floorMs[i] as number, 1e-9)),
  );
  return {
    subject: subjectThroughput,
    floor: floorThroughput,
    ratio: subjectThroughput.medianPerSecond / floorThroughput.medianPerSecond,
    pairedRatio: median(paired),
    warmupRounds,
    gcBetweenRounds: gc !== undefined,
  };
}

export function atLeast(description: string, actual: number, threshold: number, unit: string): TargetCheck {
  return { description, comparator: '>=', threshold, actual, unit, pass: actual >= threshold };
}

export function below(description: string, actual: number, threshold: number, unit: string): TargetCheck {
  return { description, comparator: '<', threshold, actual, unit, pass: actual < threshold };
}

export interface RunSuiteOptions {
  readonly outDir: string;
  /** Injected for tests. */
  readonly now?: () => Date;
}

function machine(): Pick<BenchRecord, 'node' | 'cpu' | 'cores' | 'platform' | 'arch'> {
  const cores = cpus();
  return {
    node: process.version,
    cpu: cores[0]?.model.trim() ?? 'unknown',
    cores: cores.length,
    platform: platform(),
    arch: arch(),
  };
}

async function writeAtomically(path: string, text: string): Promise<void> {
  const temporary = `${path}.tmp`;
  await writeFile(temporary, text, 'utf8');
  await rename(temporary, path);
}

const SUITE_NAME = /^[a-z0-9][a-z0-9-]*$/;

/** Runs one suite and writes `<outDir>/<name>.json`; returns the record written. */
export async function runSuite(suite: BenchSuite, options: RunSuiteOptions): Promise<BenchRecord> {
  if (!SUITE_NAME.test(suite.name)) throw new Error(`suite name must match ${SUITE_NAME}: ${suite.name}`);
  const now = options.now ?? (() => new Date());
  const start = process.hrtime.bigint();
  const result = await suite.run();
  const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
  const record: BenchRecord = {
    schemaVersion: 1,
    name: suite.name,
    description: suite.description,
    date: now().toISOString(),
    ...machine(),
    wallMs: Math.round(wallMs),
    ...result,
  };
  await mkdir(options.outDir, { recursive: true });
  await writeAtomically(join(options.outDir, `${suite.name}.json`), `${JSON.stringify(record, null, 2)}\n`);
  return record;
}

function isThroughput(value: unknown): value is Throughput {
  const t = value as Partial<Throughput> | null;
  return (
    typeof t === 'object' &&
    t !== null &&
    typeof t.label === 'string' &&
    typeof t.medianPerSecond === 'number' &&
    typeof t.p95PerSecond === 'number'
  );
}

export function isBenchRecord(value: unknown): value is BenchRecord {
  const r = value as Partial<BenchRecord> | null;
  return (
    typeof r === 'object' &&
    r !== null &&
    r.schemaVersion === 1 &&
    typeof r.name === 'string' &&
    typeof r.date === 'string' &&
    typeof r.ratio === 'number' &&
    isThroughput(r.subject) &&
    isThroughput(r.floor) &&
    Array.isArray(r.targets)
  );
}

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });

/** `45,623 events/s`, `0.43`, `25.0 %` (unit `%` takes a fraction). */
export function formatNumber(value: number, unit: string): string {
  if (unit === '%') return `${(value * 100).toFixed(1)} %`;
  const text = Math.abs(value) >= 100 ? integer.format(value) : decimal.format(value);
  return unit === '' ? text : `${text} ${unit}`;
}

const cell = (text: string): string => text.replaceAll('|', '\\|').replaceAll('\n', ' ');

/** `validation throughput ≥ 5,000 events/s (45,623 events/s)`, without the verdict. */
export function describeTarget(target: TargetCheck): string {
  const comparator = target.comparator === '>=' ? '≥' : '<';
  return `${target.description} ${comparator} ${formatNumber(target.threshold, target.unit)} (${formatNumber(target.actual, target.unit)})`;
}

const formatTarget = (target: TargetCheck): string => `${target.pass ? 'pass' : '**FAIL**'}: ${describeTarget(target)}`;

export const SUMMARY_HEADER = [
  '| Suite | Ours, median | Ours, p95 round | Floor, median | Ours / floor | Targets (information only) | Measured |',
  '| --- | --: | --: | --: | --: | --- | --- |',
] as const;

/** One markdown table row for a record. */
export function summaryRow(record: BenchRecord): string {
  const perSecond = `${record.unit}/s`;
  const cells = [
    `[${record.name}](./${record.name}.json)`,
    `${formatNumber(record.subject.medianPerSecond, perSecond)} (${record.subject.label})`,
    formatNumber(record.subject.p95PerSecond, perSecond),
    `${formatNumber(record.floor.medianPerSecond, perSecond)} (${record.floor.label})`,
    `${formatNumber(record.ratio, '%')} (paired ${formatNumber(record.pairedRatio, '%')})`,
    record.targets.map(formatTarget).join('<br>') || '–',
    `${record.date.slice(0, 10)}, Node ${record.node}, ${record.cpu} (${record.cores} cores)`,
  ];
  return `| ${cells.map(cell).join(' | ')} |`;
}

export function renderSummary(records: readonly BenchRecord[]): string {
  const sorted = [...records].sort((a, b) => a.name.localeCompare(b.name));
  return [
    '# Benchmark results',
    '',
    'Generated by `npm run bench` from the JSON records in this directory; do not edit by hand.',
    'Throughputs are per second on one JavaScript thread. Absolute numbers depend on the machine and',
    'its load; the ours/floor ratio is measured in the same rounds and is the comparable number.',
    'See [bench/README.md](../README.md) for what each suite measures.',
    '',
    ...SUMMARY_HEADER,
    ...sorted.map(summaryRow),
    '',
  ].join('\n');
}

/** Every record in `outDir`. */
export async function readRecords(outDir: string): Promise<BenchRecord[]> {
  const files = (await readdir(outDir)).filter((file) => file.endsWith('.json')).sort();
  const records: BenchRecord[] = [];
  for (const file of files) {
    const value: unknown = JSON.parse(await readFile(join(outDir, file), 'utf8'));
    if (!isBenchRecord(value)) throw new Error(`${join(outDir, file)} is not a benchmark record`);
    records.push(value);
  }
  return records;
}

/** Regenerates `<outDir>/SUMMARY.md` from every record there (not only the ones just run). */
export async function writeSummary(outDir: string): Promise<string> {
  const text = renderSummary(await readRecords(outDir));
  await mkdir(outDir, { recursive: true });
  await writeAtomically(join(outDir, SUMMARY_FILE), text);
  return text;
}

export function isBenchSuite(value: unknown): value is BenchSuite {
  const s = value as Partial<BenchSuite> | null;
  return (
    (typeof s === 'object' || typeof s === 'function') &&
    s !== null &&
    typeof s.name === 'string' &&
    typeof s.description === 'string' &&
    typeof s.run === 'function'
  );
}

/**
 * The suites in `dir` (one per `*.ts` file, sorted by name), or only those named. Throws on an
 * unknown name or a module that does not export `name`, `description` and `run`.
 */
export async function loadSuites(dir: string, names: readonly string[] = []): Promise<BenchSuite[]> {
  const files = (await readdir(dir)).filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts')).sort();
  const suites: BenchSuite[] = [];
  for (const file of files) {
    const module: unknown = await import(pathToFileURL(join(dir, file)).href);
    if (!isBenchSuite(module)) throw new Error(`${file} must export name, description and run()`);
    suites.push({ name: module.name, description: module.description, run: () => module.run() });
  }
  const unknown = names.filter((name) => !suites.some((suite) => suite.name === name));
  if (unknown.length > 0) {
    const available = suites.map((suite) => suite.name).join(', ');
    throw new Error(`unknown suite(s): ${unknown.join(', ')}; available: ${available}`);
  }
  return names.length === 0 ? suites : suites.filter((suite) => names.includes(suite.name));
}
