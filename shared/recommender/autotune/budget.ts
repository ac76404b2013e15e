/**
 * How much tuning `reco train` may do. Three ways to say it:
 * - a multiple of one default training run (`4x`), measured by the first trial, which trains the
 *   defaults on the tuning split, in the process's CPU time: the default, so tuning scales with
 *   the data and not with how busy the machine was during the first trial;
 * - wall-clock seconds (`90` or `90s`);
 * - trials (`8trials`): work counted, not timed, so a run gives the same model on a loaded machine
 *   as on an idle one (the local stack's first model, the local pipeline, the tests). A trial is
 *   one iALS training at its full iterations; a shorter rung of successive halving counts the
 *   share of iterations it ran.
 */
export type TuneBudget =
  | { readonly kind: 'multiple'; readonly multiple: number }
  | { readonly kind: 'seconds'; readonly seconds: number }
  | { readonly kind: 'trials'; readonly trials: number };

/** At most 5× one default training run: the cap, so training + tuning stays ≤ 6×. */
export const MAX_MULTIPLE = 5;

/** @default 4× one default training run (tuning) + the final run on all data = 5×. */
export const DEFAULT_TUNE_BUDGET: TuneBudget = { kind: 'multiple', multiple: 4 };

/**
 * The small budget of the local stack's first model, the local pipeline run and the tests: the
 * defaults' trial, then the blend fit on their cached scores (successive halving needs 1.75 more
 * trials to start), counted in trials so the result does not depend on the machine's load.
 */
export const SMALL_TUNE_BUDGET: TuneBudget = { kind: 'trials', trials: 3 };

/** A budget that cannot be read; the message says what forms are valid. */
export class TuneBudgetError extends Error {
  override readonly name = 'TuneBudgetError';
}

const FORMS =
  'seconds (e.g. 90 or 90s), a multiple of one default training run (e.g. 3x, at most 5x) or trials (e.g. 8trials)';

/** Parses `90`, `90s`, `3x`, `2.5x` or `8trials` (spaces allowed before the unit). */
export function parseTuneBudget(text: string): TuneBudget {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(s|x|×|trials?)?\s*$/i.exec(text);
  if (match === null) throw new TuneBudgetError(`expected ${FORMS}, got "${text}"`);
  const value = Number(match[1]);
  const unit = (match[2] ?? 's').toLowerCase();
  if (!(value > 0)) throw new TuneBudgetError(`must be more than 0, got "${text}"`);
  if (unit === 'x' || unit === '×') {
    if (value > MAX_MULTIPLE) {
      throw new TuneBudgetError(`a multiple is at most ${MAX_MULTIPLE}x one default training run, got "${text}"`);
    }
    return { kind: 'multiple', multiple: value };
  }
  if (unit.startsWith('trial')) {
    if (!Number.isInteger(value)) throw new TuneBudgetError(`trials must be a whole number, got "${text}"`);
    return { kind: 'trials', trials: value };
  }
  return { kind: 'seconds', seconds: value };
}

/** The budget as the flag spells it, for logs and the manifest. */
export function formatTuneBudget(budget: TuneBudget): string {
  if (budget.kind === 'multiple') return `${budget.multiple}x`;
  if (budget.kind === 'trials') return `${budget.trials}trials`;
  // Tenths of a second: a budget derived from a measured time reads as `21.5s`, not 17 digits.
  return `${Math.round(budget.seconds * 10) / 10}s`;
}

/** CPU milliseconds of this process, every thread (iALS's workers included). */
export function processCpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/**
 * Spends a budget. `spend(cost, ms)` records one piece of work (its cost in trials and its time);
 * `allows(cost)` says whether work of that cost still fits, judged by trials or by the time one
 * trial took so far.
 */
export class BudgetMeter {
  readonly budget: TuneBudget;
  readonly #clock: () => number;
  #trials = 0;
  #ms = 0;
  /** The first trial's time, which turns a multiple into milliseconds. */
  #referenceMs: number | undefined;

  /**
   * @param clock milliseconds on the clock work is timed by. @default for a multiple, the process's
   *   CPU time ({@link processCpuMs}): the multiple is a ratio of two pieces of work, and on a
   *   shared machine other processes stretch their wall-clock times at different moments (one busy
   *   first trial doubled a budget); for seconds, wall-clock time.
   */
  constructor(budget: TuneBudget, clock?: () => number) {
    this.budget = budget;
    this.#clock = clock ?? (budget.kind === 'multiple' ? processCpuMs : () => performance.now());
  }

  /** Starts timing a piece of work on the meter's clock; the function returned gives its ms so far. */
  start(): () => number {
    const from = this.#clock();
    return () => this.#clock() - from;
  }

  /** Sets the time of one default training run on the tuning split. */
  reference(ms: number): void {
    this.#referenceMs ??= ms;
  }

  spend(cost: number, ms: number): void {
    this.#trials += cost;
    this.#ms += ms;
  }

  get trialsSpent(): number {
    return this.#trials;
  }

  get msSpent(): number {
    return this.#ms;
  }

  /** Milliseconds allowed, or undefined for a budget in trials. */
  get limitMs(): number | undefined {
    if (this.budget.kind === 'seconds') return this.budget.seconds * 1000;
    if (this.budget.kind === 'multiple') return this.budget.multiple * (this.#referenceMs ?? 0);
    return undefined;
  }

  /** Whether work costing `cost` trials fits in what is left. */
  allows(cost: number): boolean {
    if (this.budget.kind === 'trials') return this.#trials + cost <= this.budget.trials + 1e-9;
    const perTrial = this.#trials > 0 ? this.#ms / this.#trials : (this.#referenceMs ?? 0);
    return this.#ms + cost * perTrial <= (this.limitMs ?? 0);
  }
}
