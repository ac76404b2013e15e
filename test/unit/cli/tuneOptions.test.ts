import { describe, expect, it } from 'vitest';
import { tuneBudgetOption } from '../../../cli/tuneOptions.ts';
import { DEFAULT_TUNE_BUDGET } from '#shared/recommender/autotune/budget.ts';

import { UsageError } from '../../../cli/flags.ts';

describe('Function: tuneBudgetOption', () => {
  it('tunes with the default budget when neither flag is given', () => {
    // Act
    const budget = tuneBudgetOption({});

    // Assess
    expect(budget).toEqual(DEFAULT_TUNE_BUDGET);
  });

  it('turns tuning off with --no-tune', () => {
    // Act
    const budget = tuneBudgetOption({ 'no-tune': true });

    // Assess
    expect(budget).toBeUndefined();
  });

  it('reads seconds, multiples and trials from --tune-budget', () => {
    // Act
    const budgets = ['120', '3x', '4trials'].map((text) => tuneBudgetOption({ 'tune-budget': text }));

    // Assess
    expect(budgets).toEqual([
      { kind: 'seconds', seconds: 120 },
      { kind: 'multiple', multiple: 3 },
      { kind: 'trials', trials: 4 },
    ]);
  });

  it.each([
    [{ 'tune-budget': '7x' }, /^--tune-budget: a multiple is at most 5x/],
    [{ 'tune-budget': 'soon' }, /^--tune-budget: expected seconds/],
    [{ 'tune-budget': '3x', 'no-tune': true }, /--no-tune and --tune-budget exclude each other/],
  ])('rejects %j with a usage error naming the flag', (values, message) => {
    // Act
    const parse = () => tuneBudgetOption(values);

    // Assess
    expect(parse).toThrow(UsageError);
    expect(parse).toThrow(message);
  });
});
