import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BENCH_RESULTS_DIR, readBenchFigures } from '../../../../tools/cost/bench.ts';

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
    for (const figure of Object.values(figures)) expect(Number.isFinite(figure.value) && figure.value > 0).toBe(true);
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
