/**
 * The iALS stage of tuning: random neighbours of the defaults, run through successive halving
 * over iterations, each scored by NDCG@10 of a full ranking of the validation shoppers. The
 * weighting every component shares (`eventValue.log`, `decay.halfLifeDays`) is searched here too:
 * iALS is the lead component, so whether EVENT_VALUE scales the weight is decided by what helps it.
 */
import { IalsComponent, ialsSettings, trainFactors, type Factors } from '../algorithms/ials.ts';
import { prepareBase, type ModelBase } from '../component.ts';
import type { Split } from '../evaluation/splits.ts';
import { WEIGHTING_PARAMS, type InteractionMatrix } from '../matrix.ts';
import type { Hyperparameters, Interaction } from '../model.ts';
import type { BudgetMeter } from './budget.ts';
import { plannedCandidates, successiveHalving } from './halving.ts';
import { rangeFor, sampleRange, scaledWithin, type NumericRange } from './space.ts';
import {
  componentRanks,
  metricsOfRanks,
  validationCases,
  type ValidationCase,
  type ValidationMetrics,
} from './validation.ts';

/** iALS parameters searched (unprefixed); factors stay fixed so every trial costs the same. */
export const IALS_SEARCHED = ['alpha', 'unobservedWeight', 'regularization', 'regularizationExponent'] as const;

/** Rungs as shares of the full iterations: 1/4, 1/2, then all (η = 3); fewer than 3 sweeps rank settings poorly. */
const RUNG_SHARES = [1 / 4, 1 / 2, 1] as const;
export const ETA = 3;

/** A base and matrix per weighting, built once, with its validation cases. */
export interface Prepared {
  readonly base: ModelBase;
  readonly matrix: InteractionMatrix;
  readonly cases: readonly ValidationCase[];
}

export interface IalsSearchOptions {
  readonly split: Split;
  /** Resolved defaults, with the caller's fixed values (never searched). */
  readonly defaults: Hyperparameters;
  /** Names the caller set: kept as given. */
  readonly fixed: ReadonlySet<string>;
  /** `ials.` inside the hybrid, empty for plain iALS. */
  readonly prefix: string;
  readonly meter: BudgetMeter;
  /** Trials kept back for what follows the search (the blend stage). */
  readonly reserve: number;
  readonly next: () => number;
  /** Prepared bases by weighting key, shared with the caller (the defaults' is already in it). */
  readonly prepared: Map<string, Prepared>;
  /** The defaults' validation NDCG@10 (the incumbent). */
  readonly incumbent: number;
  /** Whether EVENT_VALUE changes any weight of the data (see {@link hasScaledValues}). */
  readonly valuesMatter: boolean;
  readonly log: (line: string) => void;
}

export interface IalsWinner {
  /** Changed names only (prefixed); empty when the defaults stay. */
  readonly change: Hyperparameters;
  readonly score: number;
  /** The winner's metrics at full iterations, when it is not the defaults. */
  readonly metrics?: ValidationMetrics;
  /** The winner's held-out rank per validation shopper at full iterations, when it is not the defaults. */
  readonly ranks?: readonly number[];
  /** The winner's factors at full iterations, when it is not the defaults. */
  readonly factors?: Factors;
  readonly evaluations: number;
}

/** The weighting a base depends on, as a cache key. */
export function weightingKey(params: Hyperparameters): string {
  return JSON.stringify([params[WEIGHTING_PARAMS.eventValueLog], params[WEIGHTING_PARAMS.decayHalfLifeDays]]);
}

export function prepared(split: Split, params: Hyperparameters, cache: Map<string, Prepared>): Prepared {
  const key = weightingKey(params);
  let entry = cache.get(key);
  if (entry === undefined) {
    const { base, matrix } = prepareBase(split.train, params);
    entry = { base, matrix, cases: validationCases(split, base) };
    cache.set(key, entry);
  }
  return entry;
}

/** Largest factor a searched number is scaled by: further neighbours scored far below the defaults. */
const SPREAD = 2;

/**
 * Settings from the literature, tried before any random candidate: the defaults' neighbourhood
 * cannot reach them. Rendle, Krichene, Zhang and Koren, "Revisiting the performance of iALS on
 * item recommendation benchmarks" (2021), MovieLens-1M under the NCF protocol. On a real data set of
 * that shape (kept outside this repository) this iALS with them scored 0.712 / 0.445 (HR@10 /
 * NDCG@10, 99 sampled negatives), the default hybrid 0.674 / 0.404.
 */
export const IALS_ANCHORS: readonly Readonly<Record<(typeof IALS_SEARCHED)[number], number>>[] = [
  { alpha: 1, unobservedWeight: 0.3, regularization: 0.007, regularizationExponent: 1 },
];

/** Every how many random candidates one is drawn from the whole range instead of near the incumbent. */
const GLOBAL_EVERY = 3;

/** What drawing candidates needs of the search's options. */
export type CandidateOptions = Pick<IalsSearchOptions, 'defaults' | 'fixed' | 'prefix' | 'next' | 'valuesMatter'>;

/** Whether EVENT_VALUE can change any weight: only values above 1 are scaled (`1 + ln v`). */
export function hasScaledValues(interactions: readonly Interaction[]): boolean {
  for (const { eventValue, eventCount } of interactions) {
    if (eventValue !== undefined && Number.isFinite(eventValue) && eventValue / (eventCount ?? 1) > 1) return true;
  }
  return false;
}

/**
 * A random candidate in the searched names: a neighbour of the defaults (log-uniform factor in
 * [1/2, 2]), or with `global` a draw from each name's whole range, so a data set whose good
 * region lies far from the defaults is still reached.
 */
function sampleChange(options: CandidateOptions, global: boolean): Hyperparameters {
  const { defaults, fixed, prefix, next } = options;
  const change: Record<string, number | boolean> = {};
  for (const bare of IALS_SEARCHED) {
    const name = prefix + bare;
    const value = defaults[name];
    const range = rangeFor(name) as NumericRange;
    if (fixed.has(name) || typeof value !== 'number') continue;
    change[name] = global
      ? sampleRange(range, next())
      : scaledWithin(range, value === 0 ? range.max / 2 : value, Math.exp((next() * 2 - 1) * Math.log(SPREAD)));
  }
  const eventValue = WEIGHTING_PARAMS.eventValueLog;
  if (options.valuesMatter && !fixed.has(eventValue) && next() < 1 / 3)
    change[eventValue] = defaults[eventValue] !== true;
  const decay = WEIGHTING_PARAMS.decayHalfLifeDays;
  const halfLife = defaults[decay];
  if (!fixed.has(decay) && typeof halfLife === 'number' && next() < 1 / 3) {
    change[decay] =
      next() < 0.25
        ? 0
        : scaledWithin(rangeFor(decay) as NumericRange, halfLife || 60, Math.exp((next() * 2 - 1) * Math.log(4)));
  }
  return change;
}

/** The anchors as changes of the searched names the caller left free (empty when none differs). */
function anchorChanges(options: CandidateOptions): Hyperparameters[] {
  const { defaults, fixed, prefix } = options;
  return IALS_ANCHORS.map((anchor) => {
    const change: Record<string, number> = {};
    for (const bare of IALS_SEARCHED) {
      const name = prefix + bare;
      const value = defaults[name];
      if (!fixed.has(name) && typeof value === 'number' && value !== anchor[bare]) change[name] = anchor[bare];
    }
    return change;
  }).filter((change) => Object.keys(change).length > 0);
}

/** Candidates in the order they are tried: the anchors, then random ones (every third global). */
export function candidateChanges(options: CandidateOptions, base: Hyperparameters, count: number): Hyperparameters[] {
  const candidates = anchorChanges(options)
    .slice(0, count)
    .map((anchor) => ({ ...base, ...anchor }));
  for (let n = 0; candidates.length < count; n++) {
    candidates.push({ ...base, ...sampleChange(options, n % GLOBAL_EVERY === GLOBAL_EVERY - 1) });
  }
  return candidates;
}

/**
 * First, where the data has values that scaling would change, whether EVENT_VALUE should scale
 * the weight: the defaults with `eventValue.log` flipped, at full iterations (a short rung
 * undersells it). Then successive halving over the anchors and random candidates around the
 * better of the two, as many as the budget pays for. The defaults win ties.
 */
export async function searchIals(options: IalsSearchOptions): Promise<IalsWinner> {
  const { split, defaults, prefix, meter } = options;
  const full = Number(defaults[`${prefix}iterations`]);
  const rungs = [...new Set(RUNG_SHARES.map((share) => Math.max(1, Math.round(full * share))))];
  const cost = (iterations: number): number => iterations / full;
  const fullRuns = new Map<
    Hyperparameters,
    { factors: Factors; metrics: ValidationMetrics; ranks: readonly number[] }
  >();
  let evaluations = 0;
  const evaluate = async (change: Hyperparameters, iterations: number): Promise<number> => {
    const work = meter.start();
    const params = { ...defaults, ...change };
    const { base, matrix, cases } = prepared(split, params, options.prepared);
    const settings = { ...ialsSettings(params, prefix), iterations };
    const factors = await trainFactors(matrix.byUser, matrix.byItem, settings);
    const component = new IalsComponent(base, settings, factors);
    const ranks = componentRanks((shopper) => component.score(shopper), cases);
    const metrics = metricsOfRanks(ranks);
    if (iterations === full) fullRuns.set(change, { factors, metrics, ranks });
    meter.spend(cost(iterations), work());
    evaluations++;
    options.log(
      `tune: ials ${iterations} iterations ndcg@10=${metrics['ndcg@10'].toFixed(4)} ${JSON.stringify(change)}`,
    );
    return metrics['ndcg@10'];
  };
  let best: { change: Hyperparameters; score: number } = { change: {}, score: options.incumbent };
  const eventValue = WEIGHTING_PARAMS.eventValueLog;
  if (options.valuesMatter && !options.fixed.has(eventValue) && meter.allows(1 + options.reserve)) {
    const flipped = { [eventValue]: defaults[eventValue] !== true };
    const score = await evaluate(flipped, full);
    if (score > best.score + 1e-12) best = { change: flipped, score };
  }
  const available =
    meter.budget.kind === 'trials'
      ? meter.budget.trials - meter.trialsSpent - options.reserve
      : ((meter.limitMs ?? 0) - meter.msSpent) / Math.max(1, meter.msSpent / Math.max(1e-9, meter.trialsSpent)) -
        options.reserve;
  const count = plannedCandidates(available, rungs, cost, ETA);
  const around = { ...options, defaults: { ...defaults, ...best.change } };
  const candidates = candidateChanges(around, best.change, count);
  const result = await successiveHalving<Hyperparameters>({
    candidates,
    rungs,
    eta: ETA,
    cost,
    allows: (c) => meter.allows(c + options.reserve),
    evaluate,
  });
  if (result.best !== undefined && result.best.score > best.score + 1e-12) {
    best = { change: result.best.candidate, score: result.best.score };
  }
  if (Object.keys(best.change).length === 0) return { change: {}, score: options.incumbent, evaluations };
  const run = fullRuns.get(best.change);
  return { change: best.change, score: best.score, evaluations, ...(run === undefined ? {} : run) };
}
