/**
 * `reco train`'s tuning: hold the latest item of up to 2,000 shoppers out of the training data,
 * train the defaults on the rest (the first trial, which also times one default run), search iALS
 * and the shared weighting by successive halving, fit the hybrid's blend weights on the
 * components' cached validation scores, then train on all the data with the winner. Every stage
 * starts from the defaults, and the defaults stay unless the winner's validation gain exceeds
 * {@link STANDARD_ERRORS} paired standard error of it (see {@link decide}), so tuning never scores
 * below them there.
 */
import { blendMetricsOf, blendParams, tuneBlend } from './blendStage.ts';
import { IalsComponent, ialsSettings, trainFactors } from '../algorithms/ials.ts';
import { buildHybrid, HybridComponent, hybridSettings } from '../algorithms/hybrid.ts';
import { randomFor } from '../evaluation/random.ts';
import type { Hyperparameters, Model, Trainer, TrainingData } from '../model.ts';
import { resolveHyperparameters } from '../hyperparameters.ts';
import { BudgetMeter, formatTuneBudget, type TuneBudget } from './budget.ts';
import { hasScaledValues, prepared, searchIals, weightingKey, type Prepared } from './ialsSearch.ts';
import { componentRanks, metricsOfRanks, pairedGain, tuningSplit, type ValidationMetrics } from './validation.ts';

/** What tuning chose and measured; recorded in the model's manifest and the registry. */
export interface TuningReport {
  readonly budget: string;
  /** Work done, in trials (one = one default training run on the tuning split). */
  readonly trials: number;
  readonly tuneSeconds: number;
  /** One default training run on the tuning split, the unit a multiple is counted in. */
  readonly defaultTrialSeconds: number;
  readonly validation: { readonly protocol: 'loo-full'; readonly users: number; readonly metric: 'ndcg@10' };
  /** The defaults (with the caller's values) on validation. */
  readonly defaults: ValidationMetrics;
  /** The chosen settings on validation. */
  readonly tuned: ValidationMetrics;
  /** Each component alone on validation (hybrid only). */
  readonly components?: Readonly<Record<string, ValidationMetrics>>;
  /** Hyperparameters that differ from the defaults. */
  readonly chosen: Hyperparameters;
  /** Whether the best settings found replaced the defaults, and the numbers that decided it. */
  readonly decision: TuningDecision;
  /** Trainings scored (iALS rungs included). */
  readonly evaluations: number;
}

export interface AutotuneOptions {
  readonly budget: TuneBudget;
  /** @default 42 */
  readonly seed?: number;
  /** @default 2,000 */
  readonly maxValidationUsers?: number;
  readonly log?: (line: string) => void;
}

/** Algorithms tuning knows how to search; the others train with their defaults. */
export const TUNABLE = ['hybrid', 'ials'] as const;

export function isTunable(algorithm: string): algorithm is (typeof TUNABLE)[number] {
  return (TUNABLE as readonly string[]).includes(algorithm);
}

/**
 * Share of a trial kept for the blend stage (scoring the pools, and rebuilding item-kNN when the
 * weighting changed): 6 s next to a 13 s first trial on online-retail, 2 s next to 9 s on the
 * synthetic set (wall-clock; less in CPU time, as the stage runs on one thread).
 */
const BLEND_RESERVE = 0.5;

/**
 * Paired standard errors the best settings' validation NDCG@10 gain must exceed to replace the
 * defaults. One would be the one-standard-error rule of model selection (Breiman et al. 1984;
 * Hastie, Tibshirani and Friedman, "The Elements of Statistical Learning", §7.10), with the
 * defaults as the model to prefer, since they were chosen over several data sets. But the gain is
 * the best of the whole search (a dozen iALS settings, dozens of blend weightings) on one split,
 * and the best of 10 to 30 comparisons that are all noise lies 1.5 to 2 SE up on average: two
 * keeps such luck out (online-retail-ii-2009: +0.0037 at 1.1 SE on validation, −0.007 HR@10 on
 * the test split), while what tuning exists for stays well above it (iALS on online-retail
 * without EVENT_VALUE scaling: +0.022 at 6 SE; category popularity on the synthetic set: 5 SE).
 */
export const STANDARD_ERRORS = 2;

/** Whether tuning replaced the defaults, and the numbers that decided it. */
export interface TuningDecision {
  /** Validation NDCG@10 of the best settings found minus the defaults' (0 when nothing was found). */
  readonly gain: number;
  /** Paired standard error of that gain over the validation shoppers. */
  readonly standardError: number;
  /** The gain had to exceed this many standard errors. */
  readonly standardErrors: number;
  readonly kept: 'defaults' | 'tuned';
}

/**
 * Replace the defaults only when the best settings' gain exceeds {@link STANDARD_ERRORS} × the
 * paired standard error of the per-shopper NDCG@10 differences; `ranks` are the held-out ranks of
 * the same validation shoppers, in the same order.
 */
export function decide(ranks: {
  readonly best: readonly number[];
  readonly defaults: readonly number[];
}): TuningDecision {
  const { gain, standardError } = pairedGain(ranks.best, ranks.defaults);
  const taken = gain > 0 && gain > STANDARD_ERRORS * standardError;
  return { gain, standardError, standardErrors: STANDARD_ERRORS, kept: taken ? 'tuned' : 'defaults' };
}

const NOTHING_FOUND: TuningDecision = { gain: 0, standardError: 0, standardErrors: STANDARD_ERRORS, kept: 'defaults' };

/**
 * The tuned hyperparameters of `trainer` on `data`, with the caller's `given` values kept, or
 * undefined (and a log line) when the data holds nobody to validate on.
 */
export async function tuneHyperparameters(
  trainer: Trainer,
  data: TrainingData,
  given: Hyperparameters,
  options: AutotuneOptions,
): Promise<{ hyperparameters: Hyperparameters; report: TuningReport } | undefined> {
  const log = options.log ?? (() => {});
  if (!isTunable(trainer.algorithm)) {
    log(`tune: ${trainer.algorithm} has no search; training with its defaults`);
    return undefined;
  }
  const seed = options.seed ?? 42;
  let split;
  try {
    split = tuningSplit(data, {
      seed,
      ...(options.maxValidationUsers === undefined ? {} : { maxUsers: options.maxValidationUsers }),
    });
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    log(`tune: skipped, nothing to validate on (${error.message})`);
    return undefined;
  }
  const started = performance.now();
  const hybrid = trainer.algorithm === 'hybrid';
  const prefix = hybrid ? 'ials.' : '';
  const defaults = resolveHyperparameters(trainer.algorithm, trainer.defaults, given);
  const meter = new BudgetMeter(options.budget);
  const cache = new Map<string, Prepared>();

  // Trial 0: the defaults, timed; its components are the blend stage's starting point.
  const first = performance.now();
  const firstWork = meter.start();
  const base0 = prepared(split, defaults, cache);
  const built0 = hybrid ? await buildHybrid(split.train, defaults) : undefined;
  const ials0 =
    built0?.component.ials ??
    new IalsComponent(
      base0.base,
      ialsSettings(defaults),
      await trainFactors(base0.matrix.byUser, base0.matrix.byItem, ialsSettings(defaults)),
    );
  const firstMs = performance.now() - first;
  const firstWorkMs = firstWork();
  meter.reference(firstWorkMs);
  meter.spend(1, firstWorkMs);
  const cases0 = base0.cases;
  const ials0Ranks = componentRanks((shopper) => ials0.score(shopper), cases0);
  const incumbent = metricsOfRanks(ials0Ranks)['ndcg@10'];
  log(
    `tune: defaults trained on ${split.train.interactions.length} interactions in ${(firstMs / 1000).toFixed(1)} s; ials ndcg@10=${incumbent.toFixed(4)} on ${split.cases.length} validation shoppers; budget ${formatTuneBudget(options.budget)}`,
  );

  const fixed = new Set(Object.keys(given));
  const winner = await searchIals({
    split,
    defaults,
    fixed,
    prefix,
    meter,
    reserve: hybrid ? BLEND_RESERVE : 0,
    next: randomFor(seed, `autotune:${trainer.algorithm}`),
    prepared: cache,
    incumbent,
    valuesMatter: hasScaledValues(split.train.interactions),
    log,
  });
  let chosen: Hyperparameters = winner.change;
  let defaultMetrics: ValidationMetrics;
  let tuned: ValidationMetrics;
  let components: TuningReport['components'];
  let decision: TuningDecision = NOTHING_FOUND;
  if (built0 !== undefined) {
    const stageStart = performance.now();
    const stageWork = meter.start();
    const defaultsCases = base0.cases;
    const startMetrics = blendMetricsOf(built0.component, defaultsCases, defaults);
    defaultMetrics = startMetrics.metrics;
    const params = { ...defaults, ...winner.change };
    const sameBase = weightingKey(params) === weightingKey(defaults);
    const swapped = Object.keys(winner.change).length > 0;
    const pools = swapped ? undefined : startMetrics.pools;
    let hybridOfWinner = built0.component;
    if (swapped && sameBase && winner.factors !== undefined) {
      // Only iALS changed: the other components are the defaults' own.
      const settings = ialsSettings(params, prefix);
      const { knn, content, popularity } = built0.component;
      hybridOfWinner = new HybridComponent(
        built0.base,
        hybridSettings(params),
        new IalsComponent(built0.base, settings, winner.factors),
        knn,
        content,
        popularity,
      );
    } else if (swapped) {
      const reuse = prepared(split, params, cache);
      hybridOfWinner = (
        await buildHybrid(split.train, params, {
          prepared: reuse,
          ...(winner.factors ? { factors: winner.factors } : {}),
        })
      ).component;
    }
    const cases = sameBase ? defaultsCases : prepared(split, params, cache).cases;
    const fit = tuneBlend({ hybrid: hybridOfWinner, cases, params, fixed, ...(pools ? { pools } : {}) });
    // The search judged iALS alone; the weighting it may have changed is every component's. So the
    // defaults' components with their own fitted blend compete too, and the hybrid decides.
    const fitOfDefaults = swapped
      ? tuneBlend({
          hybrid: built0.component,
          cases: defaultsCases,
          params: defaults,
          fixed,
          pools: startMetrics.pools,
        })
      : fit;
    meter.spend(0, stageWork());
    log(`tune: blend stage ${((performance.now() - stageStart) / 1000).toFixed(1)} s`);
    const best = fitOfDefaults.metrics['ndcg@10'] > fit.metrics['ndcg@10'] ? fitOfDefaults : fit;
    if (best !== fit) log(`tune: the defaults' components, reblended, beat the search winner's on validation`);
    decision = decide({ best: best.ranks, defaults: startMetrics.ranks });
    if (decision.kept === 'tuned') {
      chosen = { ...(best === fit ? winner.change : {}), ...blendParams(best.weights, defaults) };
      tuned = best.metrics;
      components = best.components;
    } else {
      chosen = {};
      tuned = defaultMetrics;
      components = fitOfDefaults.components;
    }
  } else {
    defaultMetrics = metricsOfRanks(ials0Ranks);
    if (winner.ranks !== undefined) decision = decide({ best: winner.ranks, defaults: ials0Ranks });
    if (winner.metrics !== undefined && decision.kept === 'tuned') {
      tuned = winner.metrics;
    } else {
      chosen = {};
      tuned = defaultMetrics;
    }
  }
  log(
    `tune: ${decision.kept === 'tuned' ? 'took the best found' : 'kept the defaults'}: validation ndcg@10 gain ${decision.gain.toFixed(4)}, paired SE ${decision.standardError.toFixed(4)} (needs > ${STANDARD_ERRORS} SE)`,
  );
  const tuneMs = performance.now() - started;
  const report: TuningReport = {
    budget: formatTuneBudget(options.budget),
    trials: Number(meter.trialsSpent.toFixed(3)),
    tuneSeconds: Number((tuneMs / 1000).toFixed(2)),
    defaultTrialSeconds: Number((firstMs / 1000).toFixed(2)),
    validation: { protocol: 'loo-full', users: split.cases.length, metric: 'ndcg@10' },
    defaults: defaultMetrics,
    tuned,
    ...(components === undefined ? {} : { components }),
    chosen: changedOnly(chosen, defaults),
    decision,
    evaluations: 1 + winner.evaluations,
  };
  log(
    `tune: validation ndcg@10 ${defaultMetrics['ndcg@10'].toFixed(4)} (defaults) -> ${tuned['ndcg@10'].toFixed(4)} in ${report.tuneSeconds} s; chosen ${JSON.stringify(report.chosen)}`,
  );
  return { hyperparameters: { ...given, ...report.chosen }, report };
}

function changedOnly(change: Hyperparameters, defaults: Hyperparameters): Hyperparameters {
  return Object.fromEntries(Object.entries(change).filter(([name, value]) => defaults[name] !== value));
}

/** Tunes (unless `budget` is undefined), then trains on all of `data` with the winner. */
export async function trainTuned(
  trainer: Trainer,
  data: TrainingData,
  given: Hyperparameters,
  options: Omit<AutotuneOptions, 'budget'> & { readonly budget: TuneBudget | undefined },
): Promise<{ model: Model; report?: TuningReport; hyperparameters: Hyperparameters }> {
  const { budget, ...rest } = options;
  const tuned = budget === undefined ? undefined : await tuneHyperparameters(trainer, data, given, { ...rest, budget });
  const hyperparameters = tuned?.hyperparameters ?? given;
  const model = await trainer.fit(data, hyperparameters);
  return tuned === undefined ? { model, hyperparameters } : { model, report: tuned.report, hyperparameters };
}
