/** `reco train`'s tuning flags: `--tune-budget <seconds|Nx|Ntrials>` and `--no-tune`. */
import {
  DEFAULT_TUNE_BUDGET,
  parseTuneBudget,
  TuneBudgetError,
  type TuneBudget,
} from '#shared/recommender/autotune/budget.ts';
import { UsageError } from './flags.ts';

/**
 * The budget the flags ask for: undefined with `--no-tune`, the default (4× one default training
 * run) without either flag. Both flags together, or a budget that cannot be read, is a usage
 * error naming the flag.
 */
export function tuneBudgetOption(values: Readonly<Record<string, unknown>>): TuneBudget | undefined {
  const text = values['tune-budget'];
  const off = values['no-tune'] === true;
  if (off && text !== undefined) throw new UsageError('--no-tune and --tune-budget exclude each other; give one');
  if (off) return undefined;
  if (text === undefined) return DEFAULT_TUNE_BUDGET;
  if (typeof text !== 'string') throw new UsageError('--tune-budget takes a value, e.g. --tune-budget 3x');
  try {
    return parseTuneBudget(text);
  } catch (error) {
    if (error instanceof TuneBudgetError) throw new UsageError(`--tune-budget: ${error.message}`);
    throw error;
  }
}
