import { describe, expect, it } from 'vitest';
import { HyperparameterError, resolveHyperparameters } from '#shared/recommender/hyperparameters.ts';

const DEFAULTS = { factors: 8, name: 'x', log: true };

/** The error `act` throws, or undefined. */
function errorOf(act: () => unknown): unknown {
  try {
    act();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('Function: resolveHyperparameters', () => {
  it.each(['constructor', 'toString', 'hasOwnProperty', 'valueOf', '__proto__'])(
    'throws unknown_name for %s, a name Object.prototype has, whatever the value',
    (name) => {
      for (const value of [1, 'text', true]) {
        // Prepare: an own property, as JSON.parse and Object.fromEntries make it.
        const given = Object.fromEntries([[name, value]]);

        // Act
        const error = errorOf(() => resolveHyperparameters('ials', DEFAULTS, given));

        // Assess
        expect(error).toBeInstanceOf(HyperparameterError);
        expect((error as HyperparameterError).reason).toBe('unknown_name');
        expect((error as Error).message).toContain(`unknown hyperparameter "${name}"`);
      }
    },
  );

  it('returns the defaults with a given own name replaced', () => {
    // Act
    const resolved = resolveHyperparameters('ials', DEFAULTS, { factors: '16' });

    // Assess
    expect(resolved).toEqual({ factors: 16, name: 'x', log: true });
  });
});
