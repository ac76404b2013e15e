/**
 * Folding a shopper into trained item factors at request time: the exact user vector for given
 * items and weights, with the Gramian trick:
 * (α0·G + Σ (c_i − α0)·y_i y_iᵀ + λ_u·I) x = Σ c_i·y_i, solved by Cholesky (k³/3 flops).
 */
import { choleskySolve } from '../../workers/alsKernel.ts';
import { rowRegularization, type IalsSettings } from './settings.ts';

/** What every fold-in against one set of trained item factors reads. */
export interface FoldInBasis {
  readonly itemFactors: Float32Array;
  /** YᵀY of `itemFactors` (k×k). */
  readonly itemGramian: Float64Array;
  readonly itemCount: number;
  readonly settings: IalsSettings;
}

/** A fold-in system's buffers: `a` (k×k, lower triangle used) and the right-hand side `b` (k). */
export interface FoldInSystem {
  readonly a: Float64Array;
  readonly b: Float64Array;
}

/** Scratch of {@link foldIn}, reused by every call (synchronous, one at a time). */
let foldInScratch: FoldInSystem = { a: new Float64Array(0), b: new Float64Array(0) };

/**
 * Writes the fold-in system into `system.a` (lower triangle) and `system.b` (`b` zeroed first):
 * A = α0·G + Σ (c_i − α0)·y_i y_iᵀ + λ_u·I and b = Σ c_i·y_i, with c_i = 1 + α·w_i.
 */
export function foldInSystemOf(
  system: FoldInSystem,
  basis: FoldInBasis,
  items: ArrayLike<number>,
  weights: ArrayLike<number>,
): void {
  const { a, b } = system;
  const { itemFactors, itemGramian, itemCount, settings } = basis;
  const k = settings.factors;
  b.fill(0, 0, k);
  const lambda = rowRegularization(settings, items.length, itemCount);
  for (let n = 0; n < k * k; n++) a[n] = settings.unobservedWeight * (itemGramian[n] as number);
  for (let f = 0; f < k; f++) a[f * k + f] = (a[f * k + f] as number) + lambda;
  for (let n = 0; n < items.length; n++) {
    const c = 1 + settings.alpha * (weights[n] as number);
    const w = c - settings.unobservedWeight;
    const o = (items[n] as number) * k;
    for (let f = 0; f < k; f++) {
      const yf = itemFactors[o + f] as number;
      b[f] = (b[f] as number) + c * yf;
      const wy = w * yf;
      const row = f * k;
      for (let g = 0; g <= f; g++) a[row + g] = (a[row + g] as number) + wy * (itemFactors[o + g] as number);
    }
  }
}

export function foldIn(
  itemFactors: Float32Array,
  itemGramian: Float64Array,
  itemCount: number,
  settings: IalsSettings,
  items: ArrayLike<number>,
  weights: ArrayLike<number>,
): Float32Array {
  const k = settings.factors;
  // A fresh 32 kB system per request was external memory the garbage collector had to chase,
  // visible in the p99.
  if (foldInScratch.a.length < k * k) foldInScratch = { a: new Float64Array(k * k), b: new Float64Array(k) };
  const { a, b } = foldInScratch;
  foldInSystemOf(foldInScratch, { itemFactors, itemGramian, itemCount, settings }, items, weights);
  // Only the lower triangle was accumulated; Cholesky reads the lower triangle alone.
  return solvedVector(a, b, k);
}

/**
 * The naive exact solve the speed bench compares against: the full (Yᵀ·C_u·Y + λ_u·I) over every
 * item (confidence α0 for unobserved ones), built per user without the Gramian trick, then Cholesky.
 */
export function solveUserDense(
  itemFactors: Float32Array,
  itemCount: number,
  settings: IalsSettings,
  items: ArrayLike<number>,
  weights: ArrayLike<number>,
): Float32Array {
  const k = settings.factors;
  const confidence = new Float64Array(itemCount).fill(settings.unobservedWeight);
  for (let n = 0; n < items.length; n++) confidence[items[n] as number] = 1 + settings.alpha * (weights[n] as number);
  const a = new Float64Array(k * k);
  const b = new Float64Array(k);
  for (let item = 0; item < itemCount; item++) {
    const c = confidence[item] as number;
    const o = item * k;
    for (let f = 0; f < k; f++) {
      const cy = c * (itemFactors[o + f] as number);
      for (let g = 0; g <= f; g++) a[f * k + g] = (a[f * k + g] as number) + cy * (itemFactors[o + g] as number);
    }
  }
  for (let n = 0; n < items.length; n++) {
    const c = 1 + settings.alpha * (weights[n] as number);
    const o = (items[n] as number) * k;
    for (let f = 0; f < k; f++) b[f] = (b[f] as number) + c * (itemFactors[o + f] as number);
  }
  const lambda = rowRegularization(settings, items.length, itemCount);
  for (let f = 0; f < k; f++) a[f * k + f] = (a[f * k + f] as number) + lambda;
  return solvedVector(a, b, k);
}

/** The solution of `a·x = b` (lower triangle of `a`) as a user vector; zeros if `a` is singular. */
function solvedVector(a: Float64Array, b: Float64Array, k: number): Float32Array {
  const x = new Float32Array(k);
  if (!choleskySolve(a, b, k)) return x;
  for (let f = 0; f < k; f++) x[f] = b[f] as number;
  return x;
}
