/** iALS hyperparameters: their names, defaults and the checked settings training and serving read. */
import { WEIGHTING_DEFAULTS } from '../../matrix.ts';
import type { Hyperparameters } from '../../model.ts';
import { numberParam, type ParameterName } from '../../hyperparameters.ts';

/** Names of the iALS hyperparameters (CLI `--param` keys and SageMaker hyperparameters.json keys). */
export const IALS_PARAMS = {
  factors: 'factors',
  iterations: 'iterations',
  alpha: 'alpha',
  unobservedWeight: 'unobservedWeight',
  regularization: 'regularization',
  regularizationExponent: 'regularizationExponent',
  cgSteps: 'cgSteps',
  initScale: 'initScale',
  seed: 'seed',
  workers: 'workers',
  foldInRecentMultiplier: 'foldIn.recentMultiplier',
} as const;
export type IalsParamName = ParameterName<typeof IALS_PARAMS>;

/**
 * Defaults, each the best of its neighbours on validation splits. ν = 1 makes λ_u = λ·(|I_u| +
 * α0·|I|), so the λ/α0 balance does not drift with catalogue size; 2 warm-started CG steps per
 * sweep match 3 (Takács et al. use 2-3) at two thirds of the time. The numbers:
 * docs/decisions/0004-ials-defaults.md.
 */
export const IALS_DEFAULTS: Hyperparameters = {
  ...WEIGHTING_DEFAULTS,
  /** @default 64 latent factors */
  [IALS_PARAMS.factors]: 64,
  /** @default 12 sweeps over users and items */
  [IALS_PARAMS.iterations]: 12,
  /** @default 1: confidence of an observed pair is 1 + alpha · weighted value */
  [IALS_PARAMS.alpha]: 1,
  /** @default 0.1: α0, the weight of every unobserved pair */
  [IALS_PARAMS.unobservedWeight]: 0.1,
  /** @default 0.05: λ before frequency scaling */
  [IALS_PARAMS.regularization]: 0.05,
  /** @default 1: ν in λ·(|I_u| + α0·|I|)^ν; 0 = plain λ */
  [IALS_PARAMS.regularizationExponent]: 1,
  /** @default 2 CG steps per row and sweep */
  [IALS_PARAMS.cgSteps]: 2,
  /** @default 0.1: standard deviation of the initial factors, divided by √factors */
  [IALS_PARAMS.initScale]: 0.1,
  /** @default 42 */
  [IALS_PARAMS.seed]: 42,
  /** @default 2 worker threads (capped at the available cores; 1 = train on the calling thread) */
  [IALS_PARAMS.workers]: 2,
  /** @default 2: live (recent) events count this many times their trained weight at fold-in */
  [IALS_PARAMS.foldInRecentMultiplier]: 2,
};

/** The numbers iALS needs at training and request time. */
export interface IalsSettings {
  readonly factors: number;
  readonly iterations: number;
  readonly alpha: number;
  readonly unobservedWeight: number;
  readonly regularization: number;
  readonly regularizationExponent: number;
  readonly cgSteps: number;
  readonly initScale: number;
  readonly seed: number;
  readonly workers: number;
  readonly recentMultiplier: number;
}

/** Settings from (possibly prefixed, for the hybrid) hyperparameters. */
export function ialsSettings(params: Hyperparameters, prefix = ''): IalsSettings {
  const n = (name: IalsParamName): number => numberParam(params, prefix + name);
  const settings: IalsSettings = {
    factors: n(IALS_PARAMS.factors),
    iterations: n(IALS_PARAMS.iterations),
    alpha: n(IALS_PARAMS.alpha),
    unobservedWeight: n(IALS_PARAMS.unobservedWeight),
    regularization: n(IALS_PARAMS.regularization),
    regularizationExponent: n(IALS_PARAMS.regularizationExponent),
    cgSteps: n(IALS_PARAMS.cgSteps),
    initScale: n(IALS_PARAMS.initScale),
    seed: n(IALS_PARAMS.seed),
    workers: n(IALS_PARAMS.workers),
    recentMultiplier: n(IALS_PARAMS.foldInRecentMultiplier),
  };
  if (!Number.isInteger(settings.factors) || settings.factors < 1)
    throw new Error('factors must be a positive integer');
  if (!Number.isInteger(settings.iterations) || settings.iterations < 0) throw new Error('iterations must be >= 0');
  if (!Number.isInteger(settings.cgSteps) || settings.cgSteps < 1) throw new Error('cgSteps must be >= 1');
  if (settings.unobservedWeight <= 0 || settings.regularization <= 0) {
    throw new Error('unobservedWeight and regularization must be positive (they keep every system solvable)');
  }
  return settings;
}

/** λ_u = λ·(observations + α0·|I|)^ν, the same scaling the trainer uses. */
export function rowRegularization(settings: IalsSettings, observations: number, otherCount: number): number {
  return (
    settings.regularization *
    Math.pow(observations + settings.unobservedWeight * otherCount, settings.regularizationExponent)
  );
}
