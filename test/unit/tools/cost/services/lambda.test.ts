import { describe, expect, it } from 'vitest';
import { billedMs, cpuScale, processorBatchMs, warmBilledMs } from '../../../../../tools/cost/functions.ts';
import { lambda, lambdaUsd } from '../../../../../tools/cost/services/lambda.ts';
import { context, measuredBench, perDay } from '../fixtures.ts';

describe('Function: lambdaUsd', () => {
  it('prices the Lambda pricing page example: 1M requests × 100 ms × 512 MB arm64', () => {
    // Prepare: 1,000,000 × 0.1 s × 0.5 GB = 50,000 GB-s; × $0.0000133334 = $0.66667; + 1M × $0.20/M = $0.20.
    const expected = 50_000 * 0.0000133334 + 0.2;
    // Act
    const month = lambdaUsd({
      invocations: 1_000_000,
      billedMs: 100,
      memoryMb: 512,
      requestPerMillionUsd: 0.2,
      gbSecondUsd: 0.0000133334,
    });
    // Assess
    expect(month.gbSeconds).toBe(50_000);
    expect(month.usd).toBeCloseTo(expected, 6);
    expect(month.usd).toBeCloseTo(0.86667, 5);
  });
});

describe('Function: billedMs', () => {
  it('scales CPU time to the memory size and rounds up to the 1 ms billing step', () => {
    // Prepare: at 1,024 MB a function has 1,024/1,769 of a vCPU: 10 ms of CPU take 10 × 1.7275 = 17.275 ms; + 5 ms of waiting = 22.275 → 23 ms.
    // Act
    const ms = billedMs({ cpuMs: 10, waitMs: 5, memoryMb: 1024, fullVcpuMb: 1769 });
    // Assess
    expect(cpuScale(1024, 1769)).toBeCloseTo(1.7275, 4);
    expect(ms).toBe(23);
  });

  it('does not speed up CPU work above one full vCPU', () => {
    // Act
    const ms = billedMs({ cpuMs: 10, waitMs: 0, memoryMb: 3538, fullVcpuMb: 1769 });
    // Assess
    expect(ms).toBe(10);
  });
});

describe('Function: lambda', () => {
  it('bills the recommend function at the hit and miss times of the bench', () => {
    // Prepare: 1M lists a month, half hits. Shared cache: hit = ceil(1 × 1.7275 + 1 + 1 Valkey) = 4 ms;
    // miss = ceil(40 × 1.7275 + 10 + 1.6 + 10 overhead + 1) = ceil(91.7) = 92 ms.
    // 500,000 × 4 ms + 500,000 × 92 ms = 48,000 s × 1 GB = 48,000 GB-s × $0.0000133334 = $0.640003; + $0.20.
    const ctx = context({ load: { recommendationsPerDay: perDay(1_000_000), cacheHitRatio: 0.5 } });
    // Act
    const line = lambda(ctx).find((l) => l.item === 'recommend function');
    // Assess
    expect(line?.usd).toBeCloseTo(48_000 * 0.0000133334 + 0.2, 6);
    expect(line?.formula).toContain('= 4 ms');
    expect(line?.formula).toContain('= 92 ms');
  });

  it('bills nothing for a function that is not invoked', () => {
    // Act
    const lines = lambda(context({}));
    // Assess
    expect(lines.filter((l) => l.item !== 'catalogue function').every((l) => l.usd === 0)).toBe(true);
  });
});

describe('Function: lambda, at the billed time the cold-start bench measured', () => {
  it('bills the recommend function at the measured hit and miss with their CPU part scaled to 1,024 MB', () => {
    // Prepare: scale 1,769 / 1,024 = 1.72754. Shared cache: hit = ceil(3 + 1 × 0.72754 + 1 Valkey) = ceil(4.73) = 5 ms;
    // miss = ceil(40 + 20 × 0.72754 + 1.6 model + 10 overhead + 1 Valkey) = ceil(67.15) = 68 ms.
    // 500,000 × 5 ms + 500,000 × 68 ms = 36,500 s × 1 GB = 36,500 GB-s × $0.0000133334; + 1M × $0.20/M.
    const ctx = context({
      load: { recommendationsPerDay: perDay(1_000_000), cacheHitRatio: 0.5 },
      bench: measuredBench,
    });

    // Act
    const line = lambda(ctx).find((l) => l.item === 'recommend function');

    // Assess
    expect(line?.usd).toBeCloseTo(36_500 * 0.0000133334 + 0.2, 6);
    expect(line?.formula).toContain('= 5 ms');
    expect(line?.formula).toContain('= 68 ms');
    expect(line?.formula).toContain('fixture hit');
  });

  it('bills an ingest request of 5 events at the measured wait plus its CPU per event scaled', () => {
    // Prepare: wait 10 − 2 = 8 ms; 5 events × 0.4 ms × 1.72754 = 3.455 ms; ceil(11.455) = 12 ms.
    const ctx = context({ load: { eventsPerDay: perDay(5_000_000) }, bench: measuredBench });

    // Act
    const line = lambda(ctx).find((l) => l.item === 'ingest function');

    // Assess
    expect(line?.formula).toContain('= 12 ms');
    expect(line?.formula).toContain('fixture ingest');
  });

  it('bills a processor batch of n records at the fixed and per-record parts of the two measured batch sizes', () => {
    // Prepare: 1 record: 4 ms CPU, 16 ms wait; 101 records: 104 ms CPU, 116 ms wait. Per record 1 ms CPU and 1 ms
    // wait; fixed 3 ms CPU and 15 ms wait. 10 records: ceil(13 × 1.72754 + 15 + 10) = ceil(47.46) = 48 ms.
    const batches = measuredBench.warm.measured ? measuredBench.warm.processorBatches : undefined;

    // Act
    const batch = processorBatchMs(batches ?? fail(), 10, cpuScale(1024, 1769));

    // Assess
    expect(batch).toEqual({ ms: 48, cpuPerRecord: 1, waitPerRecord: 1, fixedCpu: 3, fixedWait: 15 });
  });

  it('does not scale below one billed millisecond', () => {
    // Act
    const ms = warmBilledMs({ billedMs: 0.2, cpuMs: 0.1 }, 1);

    // Assess
    expect(ms).toBe(1);
  });
});

function fail(): never {
  throw new Error('measuredBench has processor batches');
}
