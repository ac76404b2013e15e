/**
 * Seeded randomness for splits, negative sampling and tuning. Why not `Math.random()`: an
 * evaluation must give the same numbers on every run and machine, so every draw comes from a
 * seed the caller chose.
 */

import { hash32, mulberry32 } from '../../random.ts';

export { hash32, mulberry32 };

/** A PRNG for one purpose (`salt`) under one seed, so draws for different purposes never correlate. */
export function randomFor(seed: number, salt: string): () => number {
  return mulberry32(hash32(`${salt}:${seed}`));
}

/** Integer in [0, n). */
export function randomInt(next: () => number, n: number): number {
  return Math.floor(next() * n);
}

/** Fisher–Yates shuffle of a copy. */
export function shuffled<T>(values: readonly T[], next: () => number): T[] {
  const copy = [...values];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = randomInt(next, i + 1);
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}
