import { describe, expect, it } from 'vitest';
import { BudgetMeter, formatTuneBudget, parseTuneBudget, processCpuMs } from '#shared/recommender/autotune/budget.ts';

describe('Function: parseTuneBudget', () => {
  it.each([
    ['90', { kind: 'seconds', seconds: 90 }],
    ['90s', { kind: 'seconds', seconds: 90 }],
    ['2.5x', { kind: 'multiple', multiple: 2.5 }],
    ['5 x', { kind: 'multiple', multiple: 5 }],
    ['8trials', { kind: 'trials', trials: 8 }],
    ['1 trial', { kind: 'trials', trials: 1 }],
  ])('reads %s', (text, expected) => {
    // Act
    const budget = parseTuneBudget(text);

    // Assess
    expect(budget).toEqual(expected);
  });

  it.each([
    ['6x', 'at most 5x'],
    ['0', 'more than 0'],
    ['fast', 'expected seconds'],
    ['1.5trials', 'whole number'],
    ['-3', 'expected seconds'],
  ])('rejects %s', (text, message) => {
    // Act
    const parse = () => parseTuneBudget(text);

    // Assess
    expect(parse).toThrow(message);
  });

  it('spells a budget back as the flag takes it', () => {
    // Act
    const texts = ['3x', '45s', '7trials'].map((text) => formatTuneBudget(parseTuneBudget(text)));

    // Assess
    expect(texts).toEqual(['3x', '45s', '7trials']);
  });
});

describe('Function: formatTuneBudget', () => {
  it('returns a measured budget in seconds to the tenth', () => {
    // Act
    const text = formatTuneBudget({ kind: 'seconds', seconds: 21.549304445999997 });

    // Assess
    expect(text).toBe('21.5s');
  });
});

describe('Class: BudgetMeter', () => {
  it('counts a budget in trials by work, whatever the time', () => {
    // Prepare
    const meter = new BudgetMeter({ kind: 'trials', trials: 3 });

    // Act
    meter.spend(1, 60_000);
    const fits = meter.allows(2);
    const over = meter.allows(2.5);

    // Assess
    expect([fits, over]).toEqual([true, false]);
  });

  it('turns a multiple into time through the first trial', () => {
    // Prepare
    const meter = new BudgetMeter({ kind: 'multiple', multiple: 4 });
    meter.reference(1_000);
    meter.spend(1, 1_000);

    // Act
    const limit = meter.limitMs;
    const fits = meter.allows(3);
    const over = meter.allows(3.5);

    // Assess
    expect(limit).toBe(4_000);
    expect([fits, over]).toEqual([true, false]);
  });

  it('times work on the clock it was given', () => {
    // Prepare
    let now = 100;
    const meter = new BudgetMeter({ kind: 'multiple', multiple: 2 }, () => now);

    // Act
    const elapsed = meter.start();
    now = 350;

    // Assess
    expect(elapsed()).toBe(250);
  });

  it('times a multiple in CPU time by default, which idle waiting does not spend', async () => {
    // Prepare
    const meter = new BudgetMeter({ kind: 'multiple', multiple: 2 });

    // Act
    const elapsed = meter.start();
    await new Promise((resolve) => setTimeout(resolve, 200));

    // Assess
    expect(elapsed()).toBeLessThan(100);
    expect(processCpuMs()).toBeGreaterThan(0);
  });
});
