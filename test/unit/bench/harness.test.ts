import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  SUMMARY_FILE,
  SUMMARY_HEADER,
  atLeast,
  below,
  isBenchRecord,
  loadSuites,
  measurePair,
  runSuite,
  summaryRow,
  throughputOf,
  writeSummary,
  type BenchResult,
  type BenchSuite,
} from '../../../bench/lib/harness.ts';
import { median, p95, percentile, summarize } from '../../../bench/lib/stats.ts';

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);
const noop = (): void => undefined;

/** A suite that does trivial work, so the harness can be exercised in milliseconds. */
function fakeSuite(name = 'fake'): BenchSuite {
  return {
    name,
    description: 'sums small arrays | for the harness test',
    async run(): Promise<BenchResult> {
      const numbers = range(100);
      const measurement = await measurePair(
        { label: 'reduce', units: 100, run: () => numbers.reduce((a, b) => a + b, 0) },
        { label: 'for loop', units: 100, run: () => numbers.length },
        { warmupRounds: 1, rounds: 5, beforeRound: noop },
      );
      return {
        unit: 'numbers',
        ...measurement,
        metrics: { numbers: 100 },
        targets: [atLeast('speed', 10, 5, 'numbers/s'), below('writes per number', 2, 1, '')],
      };
    },
  };
}

describe('Bench: statistics', () => {
  it('takes the middle value, or the mean of the two middle values', () => {
    // Act & Assert
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
    expect(median(range(100).reverse())).toBe(50.5);
  });

  it('takes nearest-rank percentiles without interpolating', () => {
    // Act & Assert
    expect(p95(range(100))).toBe(95);
    expect(p95(range(20))).toBe(19);
    expect(p95(range(10))).toBe(10);
    expect(p95([5, 1, 4, 2, 3])).toBe(5);
    expect(percentile(range(10), 50)).toBe(5);
    expect(percentile(range(10), 100)).toBe(10);
    expect(percentile([42], 1)).toBe(42);
  });

  it('does not reorder its input', () => {
    // Prepare
    const values = [3, 1, 2];

    // Act
    median(values);
    p95(values);

    // Assert
    expect(values).toEqual([3, 1, 2]);
  });

  it('refuses empty input, non-finite values and percentiles out of range', () => {
    // Act & Assert
    expect(() => median([])).toThrow(RangeError);
    expect(() => p95([])).toThrow(RangeError);
    expect(() => median([1, Number.NaN])).toThrow(RangeError);
    expect(() => percentile([1], 0)).toThrow(RangeError);
    expect(() => percentile([1], 101)).toThrow(RangeError);
  });

  it('summarizes min, median, p95 and max', () => {
    // Act & Assert
    expect(summarize(range(20).reverse())).toEqual({ count: 20, min: 1, median: 10.5, p95: 19, max: 20 });
  });

  it('turns round times into throughput at the median and at the p95 round', () => {
    // Act
    const throughput = throughputOf('work', 1_000, [100, 200, 300, 400, 500]);

    // Assert
    expect(throughput).toMatchObject({ label: 'work', units: 1_000, rounds: 5, medianMs: 300, p95Ms: 500 });
    expect(throughput.medianPerSecond).toBeCloseTo(1_000 / 0.3);
    expect(throughput.p95PerSecond).toBeCloseTo(2_000);
  });
});

describe('Bench: measuring', () => {
  it('runs warm-up and timed rounds of both workloads, interleaved', async () => {
    // Prepare
    const calls: string[] = [];
    let rounds = 0;

    // Act
    const measurement = await measurePair(
      { label: 'ours', units: 10, run: () => calls.push('ours') },
      { label: 'floor', units: 10, run: () => calls.push('floor') },
      { warmupRounds: 2, rounds: 3, beforeRound: () => rounds++ },
    );

    // Assert
    expect(calls).toEqual(['floor', 'ours', 'floor', 'ours', 'floor', 'ours', 'ours', 'floor', 'floor', 'ours']);
    expect(rounds).toBe(6);
    expect(measurement.subject.rounds).toBe(3);
    expect(measurement.floor.rounds).toBe(3);
    expect(measurement.subject.samplesMs).toHaveLength(3);
    expect(measurement.ratio).toBeCloseTo(measurement.subject.medianPerSecond / measurement.floor.medianPerSecond);
    expect(measurement.pairedRatio).toBeGreaterThan(0);
    expect(measurement.gcBetweenRounds).toBe(false);
  });

  it('evaluates targets for information', () => {
    // Act & Assert
    expect(atLeast('x', 5, 5, 'events/s').pass).toBe(true);
    expect(atLeast('x', 4.9, 5, 'events/s').pass).toBe(false);
    expect(below('y', 0.4, 1, '').pass).toBe(true);
    expect(below('y', 1, 1, '').pass).toBe(false);
  });
});

describe('Bench: records and summary', () => {
  let outDir: string;

  beforeEach(async () => {
    outDir = await mkdtemp(join(tmpdir(), 'bench-harness-'));
  });

  afterEach(async () => {
    await rm(outDir, { recursive: true, force: true });
  });

  it('writes a well-formed JSON record for a suite', async () => {
    // Prepare
    const date = new Date('2025-01-15T12:00:00.000Z');

    // Act
    const record = await runSuite(fakeSuite(), { outDir, now: () => date });

    // Assert
    const written: unknown = JSON.parse(await readFile(join(outDir, 'fake.json'), 'utf8'));
    expect(written).toEqual(record);
    expect(isBenchRecord(written)).toBe(true);
    expect(record).toMatchObject({
      schemaVersion: 1,
      name: 'fake',
      date: '2025-01-15T12:00:00.000Z',
      node: process.version,
      unit: 'numbers',
      warmupRounds: 1,
      metrics: { numbers: 100 },
    });
    expect(record.cpu).toEqual(expect.any(String));
    expect(record.cores).toBeGreaterThan(0);
    expect(record.subject).toMatchObject({ label: 'reduce', units: 100, rounds: 5 });
    expect(record.floor).toMatchObject({ label: 'for loop', units: 100, rounds: 5 });
    expect(record.subject.p95Ms).toBeGreaterThanOrEqual(record.subject.medianMs);
    expect(Number.isFinite(record.ratio)).toBe(true);
    expect(record.targets.map((t) => t.pass)).toEqual([true, false]);
    expect(await readdir(outDir)).toEqual(['fake.json']);
  });

  it('regenerates SUMMARY.md with one table row per record in the directory', async () => {
    // Prepare
    const alpha = await runSuite(fakeSuite('alpha'), { outDir });
    await runSuite(fakeSuite('beta'), { outDir });

    // Act
    const text = await writeSummary(outDir);

    // Assert
    expect(await readFile(join(outDir, SUMMARY_FILE), 'utf8')).toBe(text);
    const lines = text.split('\n');
    const header = lines.indexOf(SUMMARY_HEADER[0]);
    expect(header).toBeGreaterThan(-1);
    const rows = lines.slice(header + 2).filter((line) => line.startsWith('|'));
    expect(rows).toHaveLength(2);
    expect(rows[0]).toBe(summaryRow(alpha));
    expect(rows[1]).toContain('[beta](./beta.json)');
    const columns = SUMMARY_HEADER[0].split(' | ').length;
    for (const row of rows) expect(row.split(/(?<!\\) \| /)).toHaveLength(columns);
    expect(rows[0]).toContain('pass: speed ≥ 5 numbers/s (10 numbers/s)');
    expect(rows[0]).toContain('**FAIL**: writes per number < 1 (2)');
  });

  it('refuses a file in the results directory that is not a record', async () => {
    // Prepare
    await writeFile(join(outDir, 'junk.json'), '{"hello": "world"}');

    // Act & Assert
    await expect(writeSummary(outDir)).rejects.toThrow(/not a benchmark record/);
  });

  it('loads suites from a directory, all or by name', async () => {
    // Prepare
    const suiteSource = (name: string) =>
      `export const name = '${name}';\nexport const description = 'test';\nexport async function run() { return {}; }\n`;
    await writeFile(join(outDir, 'b.ts'), suiteSource('second'));
    await writeFile(join(outDir, 'a.ts'), suiteSource('first'));

    // Act
    const all = await loadSuites(outDir);
    const named = await loadSuites(outDir, ['second']);

    // Assert
    expect(all.map((s) => s.name)).toEqual(['first', 'second']);
    expect(named.map((s) => s.name)).toEqual(['second']);
    await expect(loadSuites(outDir, ['nope'])).rejects.toThrow(/unknown suite\(s\): nope; available: first, second/);
  });
});
