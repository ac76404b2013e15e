/**
 * Reasons for iALS recommendations: which history item adds most to a recommended item's
 * folded-in score, worked out with a few SIMD calls per ranked item.
 */
import type { ModelBase } from '../../component.ts';
import { factorScorer, type FactorScorer } from '../../kernels/factorScorer.ts';
import { choleskySolve } from '../../workers/alsKernel.ts';
import { becauseOf, historyWeights, type FoldedShopper } from '../../shopperHistory.ts';
import { foldInSystemOf, type FoldInBasis, type FoldInSystem } from './foldIn.ts';
import { rowRegularization } from './settings.ts';

/**
 * M = L⁻¹ (lower triangular, row-major, float32 for the SIMD scorer) of the lower-triangular
 * factor {@link choleskySolve} leaves in its matrix: A⁻¹ = Mᵀ·M, so y_hᵀ·A⁻¹·y_i = (M·y_h)·(M·y_i).
 * k³/6 multiply-adds, once per explained shopper, instead of two triangular solves per item.
 */
function inverseFactor(l: Float64Array, k: number, into: Float32Array, column: Float64Array): void {
  into.fill(0, 0, k * k);
  for (let j = 0; j < k; j++) {
    // Column j of M: forward substitution of L·m = e_j, rows j..k−1.
    column[j] = 1 / (l[j * k + j] as number);
    into[j * k + j] = column[j] as number;
    for (let i = j + 1; i < k; i++) {
      let sum = 0;
      const row = i * k;
      for (let m = j; m < i; m++) sum -= (l[row + m] as number) * (column[m] as number);
      const value = sum / (l[row + i] as number);
      column[i] = value;
      into[row + j] = value;
    }
  }
}

/**
 * What a shopper's reasons need: the fold-in x = A⁻¹·Σ_h c_h·y_h is a sum of one term per history
 * item h, so item i's score y_i·x splits into c_h · y_h·(A⁻¹·y_i), and the reason names the h
 * with the largest term. A trained shopper without live items is scored with their trained
 * vector, the solution of the same system when training ended; their reasons split that system.
 */
export interface Explaining {
  readonly items: readonly number[];
  /**
   * Row h: c_h·M·y_h (M = L⁻¹, see {@link inverseFactor}), so the terms of item i's score are
   * these rows · M·y_i; undefined when A is not positive definite or the history is empty.
   */
  readonly rows: Float32Array | undefined;
  /** M = L⁻¹ (k×k), to map each explained item. */
  readonly inverse: Float32Array | undefined;
  /** Reasons already worked out, by history item: ranked lists name the same few items. */
  readonly reasons: Map<number, string>;
}

/** From this many history items on, a trained shopper's system is summed by SIMD calls (see IalsReasons#historySystem). */
const HISTORY_SYRK_MIN = 16;

/** The last folded-in shopper, with their history and the Cholesky factor of their system. */
export interface FoldedSystem {
  readonly shopper: FoldedShopper;
  readonly items: readonly number[];
  readonly weights: readonly number[];
  readonly factor: Float64Array | undefined;
}

/** Works out an IalsComponent's reasons; holds the buffers and SIMD scorers they reuse. */
export class IalsReasons {
  readonly #base: ModelBase;
  readonly #basis: FoldInBasis;
  /**
   * The history items' rows c_h·M·y_h (see {@link Explaining}), scored against M·y_i of each ranked
   * item in one SIMD call; rewritten whenever another shopper's reasons are asked for, grown for a
   * longer history.
   */
  #explainingScorer: FactorScorer | undefined;
  /** M = L⁻¹ of the explained shopper's system as k rows: M·y in one SIMD call. */
  #inverseScorer: FactorScorer | undefined;
  /** A column of M while it is worked out (see {@link inverseFactor}). */
  #inverseColumn: Float64Array | undefined;
  /** Whose items {@link #explainingScorer} holds now. */
  #explainingLoaded: Explaining | undefined;
  /** Whose M {@link #inverseScorer} holds now. */
  #inverseLoaded: Explaining | undefined;
  /** The system of a trained shopper's reasons, built in place per request. */
  #explainingSystem: FoldInSystem | undefined;
  /** A trained shopper's history factors transposed, for {@link #historySystem}. */
  #historyScorer: FactorScorer | undefined;
  #historyColumns: Float32Array | undefined;
  #historyWeighted: Float32Array | undefined;

  /** `basis` is the component's own, Gramian included: reasons split the system its fold-in solved. */
  constructor(options: { readonly base: ModelBase; readonly basis: FoldInBasis }) {
    this.#base = options.base;
    this.#basis = options.basis;
  }

  /**
   * What `shopper`'s reasons need. `folded` is the component's last fold-in: when it is this
   * shopper's, its factored system is split instead of built again.
   */
  explaining(shopper: FoldedShopper, folded: FoldedSystem | undefined): Explaining {
    const { itemFactors, settings } = this.#basis;
    const k = settings.factors;
    let items: readonly number[];
    let weights: readonly number[];
    let factor: Float64Array | undefined;
    if (folded !== undefined && folded.shopper === shopper) {
      ({ items, weights, factor } = folded);
    } else {
      // A trained shopper without live items was scored with their trained vector: the system is built here.
      ({ items, weights } = historyWeights(shopper, settings.recentMultiplier));
      const system = (this.#explainingSystem ??= { a: new Float64Array(k * k), b: new Float64Array(k) });
      if (items.length < HISTORY_SYRK_MIN) {
        foldInSystemOf(system, this.#basis, items, weights);
      } else {
        this.#historySystem(system, items, weights);
      }
      factor = choleskySolve(system.a, system.b, k) ? system.a : undefined;
    }
    if (factor === undefined || items.length === 0) {
      return { items, rows: undefined, inverse: undefined, reasons: new Map() };
    }
    // M = L⁻¹ once, then c_h·M·y_h per history item: one SIMD call each. The factor is not read
    // afterwards, so the next fold-in may overwrite it.
    const inverse = new Float32Array(k * k);
    inverseFactor(factor, k, inverse, (this.#inverseColumn ??= new Float64Array(k)));
    const mapping = this.#inverseRows(inverse);
    const rows = new Float32Array(items.length * k);
    for (let h = 0; h < items.length; h++) {
      const c = 1 + settings.alpha * (weights[h] as number);
      const mapped = mapping.scoreAllFrom(itemFactors, (items[h] as number) * k);
      for (let f = 0; f < k; f++) rows[h * k + f] = c * (mapped[f] as number);
    }
    const explaining: Explaining = { items, rows, inverse, reasons: new Map() };
    this.#inverseLoaded = explaining;
    return explaining;
  }

  /**
   * The history item with the largest positive term c_h · y_h·(A⁻¹·y_i) of `item`'s score (see
   * {@link Explaining}), itself left out; undefined when none adds to it. Two SIMD calls per
   * ranked item (M·y_i, then its dot with every history row), and only ranked items are explained.
   */
  reason(shopper: FoldedShopper, explaining: Explaining, item: number): string | undefined {
    const { rows, inverse, items } = explaining;
    if (rows === undefined || inverse === undefined) return undefined;
    const k = this.#basis.settings.factors;
    if (this.#inverseLoaded !== explaining) {
      this.#inverseRows(inverse);
      this.#inverseLoaded = explaining;
    }
    const mapped = (this.#inverseScorer as FactorScorer).scoreAllFrom(this.#basis.itemFactors, item * k);
    const dots = this.#explainingRows(explaining, rows).scoreAllFrom(mapped, 0);
    let best = -1;
    let bestTerm = 0;
    for (let n = 0; n < items.length; n++) {
      // A non-recommendable history item counts in the score but is never named.
      if (items[n] === item || !this.#base.catalogue.isRecommendable(items[n] as number)) continue;
      const term = dots[n] as number;
      if (term > bestTerm) {
        bestTerm = term;
        best = items[n] as number;
      }
    }
    if (best < 0) return undefined;
    let reason = explaining.reasons.get(best);
    if (reason === undefined) explaining.reasons.set(best, (reason = becauseOf(this.#base, shopper, best)));
    return reason;
  }

  /**
   * {@link foldInSystemOf} for a long history: Σ (c_h − α0)·y_h·y_hᵀ as k SIMD calls over the
   * history's factors transposed (k rows × history), column g of the sum per call, instead of
   * one scalar rank-1 update per history item (a trained shopper's ~100 items: most of a ranking).
   */
  #historySystem(system: FoldInSystem, items: readonly number[], weights: readonly number[]): void {
    const { a, b } = system;
    const { itemFactors, itemGramian: gramian, itemCount, settings } = this.#basis;
    const k = settings.factors;
    const { alpha, unobservedWeight } = settings;
    let scorer = this.#historyScorer;
    if (scorer === undefined || scorer.factors < items.length) {
      const width = Math.ceil(items.length / 64) * 64;
      scorer = this.#historyScorer = factorScorer(new Float32Array(k * width), k, width);
      this.#historyColumns = new Float32Array(k * width);
      this.#historyWeighted = new Float32Array(k * width);
    }
    const width = scorer.factors;
    const columns = this.#historyColumns as Float32Array;
    const weighted = this.#historyWeighted as Float32Array;
    columns.fill(0);
    weighted.fill(0);
    b.fill(0, 0, k);
    for (let h = 0; h < items.length; h++) {
      const c = 1 + alpha * (weights[h] as number);
      const w = c - unobservedWeight;
      const o = (items[h] as number) * k;
      for (let f = 0; f < k; f++) {
        const yf = itemFactors[o + f] as number;
        b[f] = (b[f] as number) + c * yf;
        columns[f * width + h] = yf;
        weighted[f * width + h] = w * yf;
      }
    }
    for (let f = 0; f < k; f++) scorer.setRow(f, weighted, f * width);
    const lambda = rowRegularization(settings, items.length, itemCount);
    for (let g = 0; g < k; g++) {
      const sums = scorer.scoreAllFrom(columns, g * width);
      for (let f = g; f < k; f++)
        a[f * k + g] = unobservedWeight * (gramian[f * k + g] as number) + (sums[f] as number);
      a[g * k + g] = (a[g * k + g] as number) + lambda;
    }
  }

  /** {@link #inverseScorer} holding `inverse`. */
  #inverseRows(inverse: Float32Array): FactorScorer {
    const k = this.#basis.settings.factors;
    const scorer = (this.#inverseScorer ??= factorScorer(new Float32Array(k * k), k, k));
    for (let f = 0; f < k; f++) scorer.setRow(f, inverse, f * k);
    return scorer;
  }

  /** {@link #explainingScorer} holding `explaining`'s rows (rows past its items keep stale values, never read). */
  #explainingRows(explaining: Explaining, rows: Float32Array): FactorScorer {
    const k = this.#basis.settings.factors;
    let scorer = this.#explainingScorer;
    if (scorer === undefined || scorer.rows < explaining.items.length) {
      const count = Math.max(16, explaining.items.length);
      scorer = this.#explainingScorer = factorScorer(new Float32Array(count * k), count, k);
      this.#explainingLoaded = undefined;
    }
    if (this.#explainingLoaded !== explaining) {
      for (let h = 0; h < explaining.items.length; h++) scorer.setRow(h, rows, h * k);
      this.#explainingLoaded = explaining;
    }
    return scorer;
  }
}
