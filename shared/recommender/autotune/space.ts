/**
 * The search space of the hyperparameters worth tuning: a range per parameter (log-uniform where
 * the value acts as a scale), keyed by the name without its component prefix, so `alpha` and
 * `ials.alpha` share one range. Names absent here (seeds, thread counts, fold-in multipliers that
 * validation cannot see) are never varied.
 */
import type { Hyperparameters } from '../model.ts';

export interface NumericRange {
  readonly kind: 'log' | 'linear';
  readonly min: number;
  readonly max: number;
  readonly integer?: boolean;
}

export interface BooleanRange {
  readonly kind: 'boolean';
}

export type ParameterRange = NumericRange | BooleanRange;

/** Not hyperparameters: they change how training runs, not what it learns. */
export const NEVER_TUNED: ReadonlySet<string> = new Set(['seed', 'workers']);

/**
 * Ranges by unprefixed name. `regularizationExponent` stops at 1.25: above ~1.5 the per-row
 * regularization swamps the data (NDCG@10 fell to 0.01–0.20 at 3 on online-retail).
 */
export const PARAMETER_RANGES: Readonly<Record<string, ParameterRange>> = {
  alpha: { kind: 'log', min: 0.1, max: 10 },
  unobservedWeight: { kind: 'log', min: 0.005, max: 1 },
  regularization: { kind: 'log', min: 0.001, max: 0.5 },
  regularizationExponent: { kind: 'linear', min: 0, max: 1.25 },
  factors: { kind: 'log', min: 16, max: 256, integer: true },
  iterations: { kind: 'log', min: 4, max: 24, integer: true },
  cgSteps: { kind: 'linear', min: 1, max: 4, integer: true },
  initScale: { kind: 'log', min: 0.01, max: 1 },
  neighbours: { kind: 'log', min: 10, max: 400, integer: true },
  shrinkage: { kind: 'log', min: 1, max: 100 },
  maxUserItems: { kind: 'log', min: 50, max: 2_000, integer: true },
  titleWeight: { kind: 'log', min: 0.5, max: 8 },
  categoryWeight: { kind: 'log', min: 0.5, max: 8 },
  maxDocumentFrequency: { kind: 'linear', min: 0.05, max: 0.95 },
  'decay.halfLifeDays': { kind: 'log', min: 7, max: 730 },
  'trend.halfLifeDays': { kind: 'log', min: 3, max: 90 },
  'eventValue.log': { kind: 'boolean' },
  'blend.leadWeight': { kind: 'linear', min: 0, max: 1 },
  'blend.secondWeight': { kind: 'linear', min: 0, max: 1 },
  'blend.contentWeight': { kind: 'linear', min: 0, max: 0.5 },
  'blend.coldPenalty': { kind: 'linear', min: 0, max: 2 },
  'blend.popularityWeight': { kind: 'linear', min: 0, max: 0.5 },
  'blend.minHistory': { kind: 'linear', min: 1, max: 20, integer: true },
};

/** Component prefixes of the hybrid's names (`ials.alpha` → `alpha`). */
const COMPONENT_PREFIX = /^(ials|knn|content|popularity)\./;

/** The name a range is kept under: without the component prefix. */
export function unprefixed(name: string): string {
  return name.replace(COMPONENT_PREFIX, '');
}

/** Whether `name` is an event-type weight (`weight.return`, `ials.weight.view`). */
export function isEventWeight(name: string): boolean {
  return unprefixed(name).startsWith('weight.');
}

/** The range searched for `name`, or undefined when it is not tuned. */
export function rangeFor(name: string): ParameterRange | undefined {
  const bare = unprefixed(name);
  if (NEVER_TUNED.has(bare)) return undefined;
  return PARAMETER_RANGES[bare];
}

/** A value of `range` from a uniform number `u` in [0, 1). */
export function sampleRange(range: NumericRange, u: number): number {
  const value =
    range.kind === 'log'
      ? Math.exp(Math.log(range.min) + u * (Math.log(range.max) - Math.log(range.min)))
      : range.min + u * (range.max - range.min);
  return range.integer === true ? Math.round(value) : Number(value.toPrecision(3));
}

/** `value` scaled by `factor` and kept inside `range` (and an integer when the range is). */
export function scaledWithin(range: NumericRange, value: number, factor: number): number {
  const scaled = range.kind === 'log' || value !== 0 ? value * factor : value;
  const clamped = Math.min(range.max, Math.max(range.min, scaled));
  return range.integer === true ? Math.round(clamped) : Number(clamped.toPrecision(3));
}

/**
 * A random neighbour of `defaults`: each tuned number scaled by a log-uniform factor in
 * [1/spread, spread] and kept in its range; booleans flipped with probability 1/4; event-type
 * weights scaled by a factor in [1/2, 2], so their sign never changes (a return stays negative);
 * everything else kept.
 */
export function perturb(defaults: Hyperparameters, next: () => number, spread = 4): Hyperparameters {
  const params: Record<string, number | string | boolean> = {};
  for (const [name, value] of Object.entries(defaults)) {
    const range = rangeFor(name);
    if (typeof value === 'number' && isEventWeight(name)) {
      const factor = Math.exp((next() * 2 - 1) * Math.log(2));
      params[name] = Number.isInteger(value) ? Math.round(value * factor) || Math.sign(value) : value * factor;
    } else if (typeof value === 'boolean' && range?.kind === 'boolean') {
      params[name] = next() < 0.25 ? !value : value;
    } else if (typeof value === 'number' && range !== undefined && range.kind !== 'boolean') {
      const factor = Math.exp((next() * 2 - 1) * Math.log(spread));
      params[name] = scaledWithin(range, value, factor);
    } else {
      params[name] = value;
    }
  }
  return params;
}
