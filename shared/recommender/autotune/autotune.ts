/**
 * `reco train`'s tuning: hold the latest item of up to 2,000 shoppers out of the training data,
 * train the defaults on the rest (the first trial, which also times one default run), search iALS
 * and the shared weighting by successive halving, fit the hybrid's blend weights on the
 * components' cached validation scores, then train on all the data with the winner. Every stage
 * starts from the defaults, and the defaults stay unless the winner beats them on validation by
 * more than {@link MIN_RELATIVE_GAIN}, so tuning never scores below them there.
 */
import { blendMetricsOf, blendParams, tuneBlend } from './blendStage.ts';
import { IalsComponent, ialsSettings, trainFactors } from '../algorithms/ials.ts';
import { buildHybrid, HybridComponent, hybridSettings } from '../algorithms/hybrid.ts';
import { randomFor } from '../evaluation/random.ts';
import type { Hyperparameters, Model, Trainer, TrainingData } from '../model.ts';
import { resolveHyperparameters } from '../hyperparameters.ts';
import { BudgetMeter, formatTuneBudget, type TuneBudget } from './budget.ts';
import { hasScaledValues, prepared, searchIals, weightingKey, type Prepared } from './ialsSearch.ts';
import { tuningSplit, scoreComponent, type ValidationMetrics } from './validation.ts';

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
 * Tuned settings replace the defaults only when they beat them on validation by more than this
 * share of the defaults' NDCG@10: 2,000 validation shoppers do not resolve smaller gains, and a
 * change that is noise there costs on other shoppers (synthetic set: +0.4 % on validation, −2 %
 * HR@10 on the test split).
 */
export const MIN_RELATIVE_GAIN = 0.01;

/** Whether `tuned` beats `defaults` on validation NDCG@10 by more than {@link MIN_RELATIVE_GAIN}. */
export function clearlyBetter(tuned: ValidationMetrics, defaults: ValidationMetrics): boolean {
  return tuned['ndcg@10'] > defaults['ndcg@10'] * (1 + MIN_RELATIVE_GAIN);
}

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
  const incumbent = scoreComponent((shopper) => ials0.score(shopper), cases0)['ndcg@10'];
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
  /** The best settings' validation metrics, kept or not. */
  let found: ValidationMetrics | undefined;
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
    found = best.metrics;
    if (clearlyBetter(best.metrics, defaultMetrics)) {
      chosen = { ...(best === fit ? winner.change : {}), ...blendParams(best.weights, defaults) };
      tuned = best.metrics;
      components = best.components;
    } else {
      chosen = {};
      tuned = defaultMetrics;
      components = fitOfDefaults.components;
    }
  } else {
    defaultMetrics = scoreComponent((shopper) => ials0.score(shopper), cases0);
    found = winner.metrics;
    if (found !== undefined && clearlyBetter(found, defaultMetrics)) {
      tuned = found;
    } else {
      chosen = {};
      tuned = defaultMetrics;
    }
  }
  if (found !== undefined && tuned === defaultMetrics && found['ndcg@10'] > defaultMetrics['ndcg@10']) {
    log(
      `tune: kept the defaults: the best found (ndcg@10=${found['ndcg@10'].toFixed(4)}) beats them by less than ${MIN_RELATIVE_GAIN * 100} %`,
    );
  }
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
