/**
 * Seeded randomness for the simulator.
 *
 * Why a hand-written PRNG: `Math.random()` cannot be seeded and `node:crypto` is not reproducible,
 * while mulberry32 is ten lines, fast, and good enough for synthetic traffic (it is not for
 * cryptography). A dependency would buy nothing here.
 */

import { hash32, mulberry32 } from '#shared/random.ts';

export { hash32, mulberry32 };

/** Reject seeds that would make event ids or reproducibility surprising. */
export function assertSeed(seed: number): void {
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be a safe integer, got ${seed}`);
}

/**
 * A seeded random source with the few distributions the simulator needs. Each part of the
 * simulator (catalogue, shoppers, sessions) gets its own stream, salted by name, so changing
 * one part never shifts the numbers another part sees.
 */
export class Rng {
  readonly #next: () => number;
  #spareGaussian: number | undefined;

  constructor(seed: number, salt: string) {
    this.#next = mulberry32(hash32(`${salt}:${seed}`));
  }

  /** Uniform float in [0, 1). */
  next(): number {
    return this.#next();
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.#next() * n);
  }

  /** Uniform float in [min, max). */
  between(min: number, max: number): number {
    return min + (max - min) * this.#next();
  }

  chance(probability: number): boolean {
    return this.#next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('cannot pick from an empty list');
    return items[this.int(items.length)] as T;
  }

  /** Standard normal (Box–Muller; the second value of each pair is kept for the next call). */
  gaussian(): number {
    const spare = this.#spareGaussian;
    if (spare !== undefined) {
      this.#spareGaussian = undefined;
      return spare;
    }
    const u = 1 - this.#next(); // (0, 1], so the log is finite
    const v = this.#next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.#spareGaussian = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Exponential with the given mean. */
  exponential(mean: number): number {
    return -mean * Math.log(1 - this.#next());
  }

  /** Index drawn with probability proportional to `weights[i]` (linear scan; for short lists). */
  weightedIndex(weights: ArrayLike<number>): number {
    let total = 0;
    for (let i = 0; i < weights.length; i++) total += weights[i] ?? 0;
    let r = this.#next() * total;
    for (let i = 0; i < weights.length; i++) {
      r -= weights[i] ?? 0;
      if (r < 0) return i;
    }
    return weights.length - 1;
  }

  /** Fisher–Yates shuffle of a copy. */
  shuffled<T>(items: readonly T[]): T[] {
    const copy = [...items];
    for (let i = copy.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = copy[i] as T;
      copy[i] = copy[j] as T;
      copy[j] = tmp;
    }
    return copy;
  }
}

/** Index into a cumulative distribution (`cdf` ascending, last entry = total) by binary search. */
export function sampleCdf(cdf: Float64Array, u: number): number {
  const target = u * (cdf[cdf.length - 1] ?? 0);
  let lo = 0;
  let hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((cdf[mid] ?? 0) > target) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
