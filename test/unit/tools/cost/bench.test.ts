import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BENCH_RESULTS_DIR, readBenchFigures, readWarmBilling } from '../../../../tools/cost/bench.ts';

describe('Function: readBenchFigures', () => {
  it('reads the committed bench records, naming the file and metric of each figure', () => {
    // Prepare
    const recommend = JSON.parse(readFileSync(new URL('recommend-lambda.json', BENCH_RESULTS_DIR), 'utf8')) as {
      metrics: { oursHitP50Ms: number };
    };
    // Act
    const figures = readBenchFigures();
    // Assess
    expect(figures.recommendHitMs).toEqual({
      value: recommend.metrics.oursHitP50Ms,
      from: 'bench/results/recommend-lambda.json metrics.oursHitP50Ms',
    });
    const { warm: _warm, ...measured } = figures;
    for (const figure of Object.values(measured)) expect(Number.isFinite(figure.value) && figure.value > 0).toBe(true);
  });

  it('names the metric a record lacks', () => {
    // Prepare: a copy of the records whose recommend-lambda record lost a metric.
    const dir = mkdtempSync(join(tmpdir(), 'cost-bench-'));
    for (const name of ['processor', 'ingest', 'serving', 'recommender-speed', 'recommend-lambda']) {
      const record = JSON.parse(readFileSync(new URL(`${name}.json`, BENCH_RESULTS_DIR), 'utf8')) as {
        metrics: Record<string, unknown>;
      };
      if (name === 'recommend-lambda') delete record.metrics.oursMissP50Ms;
      writeFileSync(join(dir, `${name}.json`), JSON.stringify(record));
    }
    // Act
    const attempt = () => readBenchFigures(pathToFileURL(`${dir}/`));
    // Assess
    expect(attempt).toThrow('bench/results/recommend-lambda.json has no numeric metrics.oursMissP50Ms');
  });
});

/** A cold-start record as the bench writes it, with only what the cost model reads (a fixture, not the live file). */
const coldStartRecord = (metrics: Record<string, number>) => ({
  schemaVersion: 1,
  name: 'cold-start',
  date: '2026-12-08T01:02:03.000Z',
  metrics,
});

const WARM_METRICS = {
  billedMsPer1000Hit: 3_000,
  cpuMsPer1000Hit: 1_000,
  billedMsPer1000Miss: 40_000,
  cpuMsPer1000Miss: 20_000,
  ingestWarmEventsPerRequest: 5,
  ingestBilledMsPer1000Request: 10_000,
  ingestCpuMsPer1000Request: 2_000,
  processorWarmLargeBatchRecords: 100,
  processorBilledMsPer1000Batch1: 20_000,
  processorCpuMsPer1000Batch1: 4_000,
  processorBilledMsPer1000Batch100: 219_000,
  processorCpuMsPer1000Batch100: 103_000,
};

function recordsDir(record?: unknown): URL {
  const dir = mkdtempSync(join(tmpdir(), 'cost-cold-start-'));
  if (record !== undefined) writeFileSync(join(dir, 'cold-start.json'), JSON.stringify(record));
  return pathToFileURL(`${dir}/`);
}

describe('Function: readWarmBilling', () => {
  it('returns the warm invocations per invocation with the file and date they came from', () => {
    // Prepare
    const dir = recordsDir(coldStartRecord(WARM_METRICS));

    // Act
    const warm = readWarmBilling(dir);

    // Assess
    expect(warm).toEqual({
      measured: true,
      file: 'bench/results/cold-start.json',
      date: '2026-12-08T01:02:03.000Z',
      recommendHit: {
        billedMs: 3,
        cpuMs: 1,
        from: 'bench/results/cold-start.json metrics.billedMsPer1000Hit, cpuMsPer1000Hit',
      },
      recommendMiss: {
        billedMs: 40,
        cpuMs: 20,
        from: 'bench/results/cold-start.json metrics.billedMsPer1000Miss, cpuMsPer1000Miss',
      },
      ingestRequest: {
        billedMs: 10,
        cpuMs: 2,
        events: 5,
        from: 'bench/results/cold-start.json metrics.ingestBilledMsPer1000Request, ingestCpuMsPer1000Request',
      },
      processorBatches: {
        one: {
          billedMs: 20,
          cpuMs: 4,
          from: 'bench/results/cold-start.json metrics.processorBilledMsPer1000Batch1, processorCpuMsPer1000Batch1',
        },
        large: {
          billedMs: 219,
          cpuMs: 103,
          from: 'bench/results/cold-start.json metrics.processorBilledMsPer1000Batch100, processorCpuMsPer1000Batch100',
        },
        largeRecords: 100,
      },
    });
  });

  it('leaves out the ingest and processor figures of a record without their warm blocks', () => {
    // Prepare
    const { billedMsPer1000Hit, cpuMsPer1000Hit, billedMsPer1000Miss, cpuMsPer1000Miss } = WARM_METRICS;
    const dir = recordsDir(
      coldStartRecord({ billedMsPer1000Hit, cpuMsPer1000Hit, billedMsPer1000Miss, cpuMsPer1000Miss }),
    );

    // Act
    const warm = readWarmBilling(dir);

    // Assess
    expect(warm.measured).toBe(true);
    expect(warm.measured && [warm.ingestRequest, warm.processorBatches]).toEqual([undefined, undefined]);
  });

  it('returns a note instead of figures when the record is missing, unreadable or without the recommend blocks', () => {
    // Prepare
    const missing = recordsDir();
    const broken = recordsDir({ name: 'cold-start' });
    const { cpuMsPer1000Hit: _cpu, ...withoutHitCpu } = WARM_METRICS;
    const partial = recordsDir(coldStartRecord(withoutHitCpu));

    // Act
    const notes = [missing, broken, partial].map((dir) => readWarmBilling(dir));

    // Assess
    expect(notes).toEqual([
      { measured: false, note: 'bench/results/cold-start.json not found: run `npm run bench -- cold-start`' },
      { measured: false, note: 'bench/results/cold-start.json not a bench record: run `npm run bench -- cold-start`' },
      {
        measured: false,
        note: 'bench/results/cold-start.json has no billedMsPer1000Hit/Miss with their cpuMsPer1000Hit/Miss',
      },
    ]);
  });
});
