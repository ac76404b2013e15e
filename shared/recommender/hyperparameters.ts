/**
 * Checking hyperparameters against a trainer's defaults, and reading them back once checked.
 */
import type { AlgorithmName, Hyperparameters } from './model.ts';

/** A hyperparameter the trainer does not have, or a value of the wrong type. */
export class HyperparameterError extends Error {
  override readonly name = 'HyperparameterError';
  constructor(
    readonly reason: 'unknown_name' | 'wrong_type',
    message: string,
  ) {
    super(message);
  }
}

/**
 * Defaults merged with the given values, every name and type checked. Strings that spell a number
 * or a boolean are accepted for numeric and boolean parameters, because SageMaker passes every
 * hyperparameter as a string.
 */
export function resolveHyperparameters(
  algorithm: AlgorithmName,
  defaults: Hyperparameters,
  given: Hyperparameters = {},
): Hyperparameters {
  const resolved: Record<string, number | string | boolean> = { ...defaults };
  const valid = Object.keys(defaults).sort();
  for (const [name, value] of Object.entries(given)) {
    // Own names only: `constructor` or `toString` is an unknown name, not Object.prototype's member.
    const fallback = Object.hasOwn(defaults, name) ? defaults[name] : undefined;
    if (fallback === undefined) {
      throw new HyperparameterError(
        'unknown_name',
        `unknown hyperparameter "${name}" for ${algorithm}; valid names: ${valid.join(', ')}`,
      );
    }
    if (typeof fallback === 'number') {
      const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
      if (typeof number !== 'number' || !Number.isFinite(number)) {
        throw new HyperparameterError(
          'wrong_type',
          `hyperparameter "${name}" for ${algorithm} must be a number, got ${JSON.stringify(value)}`,
        );
      }
      resolved[name] = number;
    } else if (typeof fallback === 'boolean') {
      const bool = value === 'true' ? true : value === 'false' ? false : value;
      if (typeof bool !== 'boolean') {
        throw new HyperparameterError(
          'wrong_type',
          `hyperparameter "${name}" for ${algorithm} must be true or false, got ${JSON.stringify(value)}`,
        );
      }
      resolved[name] = bool;
    } else {
      if (typeof value !== 'string') {
        throw new HyperparameterError(
          'wrong_type',
          `hyperparameter "${name}" for ${algorithm} must be a string, got ${JSON.stringify(value)}`,
        );
      }
      resolved[name] = value;
    }
  }
  return resolved;
}

/** A resolved numeric hyperparameter (the caller's defaults guarantee presence and type). */
export function numberParam(params: Hyperparameters, name: string): number {
  const value = params[name];
  if (typeof value !== 'number') throw new Error(`hyperparameter "${name}" must be a number`);
  return value;
}

/** The names of one trainer's hyperparameters, by the identifier the code uses for each. */
export type ParameterNames = Readonly<Record<string, string>>;

/** One of the names in `T`. */
export type ParameterName<T extends ParameterNames> = T[keyof T];

/** `names` with each name under `prefix` (the hybrid's `ials.factors`), keeping the literal types. */
export type PrefixedNames<P extends string, T extends ParameterNames> = { readonly [K in keyof T]: `${P}${T[K]}` };

export function prefixedNames<P extends string, T extends ParameterNames>(prefix: P, names: T): PrefixedNames<P, T> {
  return Object.fromEntries(Object.entries(names).map(([key, name]) => [key, `${prefix}${name}`])) as PrefixedNames<
    P,
    T
  >;
}
