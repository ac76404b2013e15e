import { describe, expect, it } from 'vitest';
import { evaluate, formatReport } from '#shared/recommender/evaluation/evaluate.ts';
import { splitData } from '#shared/recommender/evaluation/splits.ts';
import { oracleTrainer, randomTrainer, syntheticData } from './fakes.ts';

const DATA = syntheticData(2_000, 1_000, 5);

describe('Function: evaluate', () => {
  it('scores an oracle at 1 and a random ranking near K/(N+1) under loo-sampled', async () => {
    // Prepare
    const split = splitData(DATA, { protocol: 'loo-sampled', seed: 1, negatives: 99 });

    // Act
    const report = await evaluate([oracleTrainer(split), randomTrainer], DATA, {
      protocol: 'loo-sampled',
      split,
      ks: [10],
    });

    // Assess
    const [oracle, random] = report.rows;
    expect(oracle?.metrics['hr@10']).toBe(1);
    expect(oracle?.metrics['ndcg@10']).toBe(1);
    expect(oracle?.metrics['mrr']).toBe(1);
    expect(random?.metrics['hr@10']).toBeGreaterThan(0.08);
    expect(random?.metrics['hr@10']).toBeLessThan(0.12);
    expect(random?.metrics['mrr']).toBeLessThan(0.1);
    expect(report.users).toBe(split.cases.length);
  });

  it('scores an oracle at 1 under loo-full and time-split', async () => {
    // Prepare
    const full = splitData(DATA, { protocol: 'loo-full' });
    const time = splitData(DATA, { protocol: 'time-split', quantile: 0.8 });

    // Act
    const fullReport = await evaluate([oracleTrainer(full)], DATA, { protocol: 'loo-full', split: full, ks: [5] });
    const timeReport = await evaluate([oracleTrainer(time)], DATA, { protocol: 'time-split', split: time, ks: [20] });

    // Assess
    expect(fullReport.rows[0]?.metrics['hr@5']).toBe(1);
    expect(fullReport.rows[0]?.metrics['ndcg@5']).toBe(1);
    expect(timeReport.rows[0]?.metrics['hr@20']).toBe(1);
    expect(timeReport.rows[0]?.metrics['ndcg@20']).toBeCloseTo(1, 12);
    expect(timeReport.cutoff).toBe(time.cutoff);
  });

  it('passes each algorithm its hyperparameters and reports train time and coverage', async () => {
    // Prepare
    const received: unknown[] = [];
    const trainer = {
      ...randomTrainer,
      fit: (...args: Parameters<typeof randomTrainer.fit>) => {
        received.push(args[1]);
        return randomTrainer.fit(...args);
      },
    };

    // Act
    const report = await evaluate([trainer], DATA, {
      protocol: 'loo-full',
      maxUsers: 100,
      ks: [10],
      hyperparameters: { popularity: { halfLifeDays: 30 } },
    });

    // Assess
    expect(received).toEqual([{ halfLifeDays: 30 }]);
    expect(report.users).toBe(100);
    const row = report.rows[0];
    expect(row?.trainMs).toBeGreaterThanOrEqual(0);
    expect(row?.metrics['coverage@10']).toBeGreaterThan(0);
    expect(row?.metrics['coverage@10']).toBeLessThanOrEqual(1);
  });

  it('rejects a non-positive K', async () => {
    // Prepare
    const options = { protocol: 'loo-full', ks: [0] } as const;

    // Act
    const run = evaluate([randomTrainer], DATA, options);

    // Assess
    await expect(run).rejects.toThrow(/ks must be positive integers/);
  });
});

describe('Function: formatReport', () => {
  it('puts algorithms side by side with one metric per line', async () => {
    // Prepare
    const split = splitData(DATA, { protocol: 'loo-sampled', maxUsers: 200 });
    const report = await evaluate([oracleTrainer(split), randomTrainer], DATA, {
      protocol: 'loo-sampled',
      split,
      ks: [10],
    });

    // Act
    const text = formatReport(report);

    // Assess
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^loo-sampled: 200 users evaluated/);
    expect(lines[1]).toMatch(/^metric\s+ials\s+popularity$/);
    expect(lines[2]).toMatch(/^hr@10\s+1\.0000\s+0\.\d{4}$/);
  });
});
