/**
 * Implicit ALS (Hu, Koren, Volinsky 2008) with the tuning of Rendle et al. 2021 ("Revisiting the
 * Performance of iALS on Item Recommendation Benchmarks"): confidence 1 + α·value on observed
 * pairs, a weight α0 on every pair, and regularization λ·(|I_u| + α0·|I|)^ν scaled by frequency.
 * Rows are updated by a few warm-started conjugate-gradient steps (Takács et al. 2011) on two
 * worker threads. New behaviour is folded in at request time with one exact k×k solve.
 */
import { availableParallelism } from 'node:os';
import type { Artifact, ArtifactWriter } from '../artifact.ts';
import { WEIGHTING_DEFAULTS, type SparseRows } from '../matrix.ts';
import type { Hyperparameters, Trainer } from '../model.ts';
import { factorScorer, type FactorScorer } from '../kernels/factorScorer.ts';
import { choleskySolve, gramianOf, rowDot, solveRows, type SolveJob } from '../workers/alsKernel.ts';
import { shared, SolverPool } from '../workers/alsPool.ts';
import { becauseOf, historyWeights, type FoldedShopper } from '../shopperHistory.ts';
import { CandidateScores } from '../candidates.ts';
import { ComponentModel, prepareBase, type Component, type ComponentScores, type ModelBase } from '../component.ts';
import { numberParam, resolveHyperparameters, type ParameterName } from '../hyperparameters.ts';
import { mulberry32 } from '../../random.ts';

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

/** Work below this many observations finishes before two workers would have started. */
const WORKER_THRESHOLD = 50_000;

/** Normal(0, scale) numbers from the seeded generator (Box–Muller). */
function gaussianFill(array: Float32Array, scale: number, random: () => number): void {
  for (let n = 0; n < array.length; n += 2) {
    const radius = Math.sqrt(-2 * Math.log(1 - random()));
    const angle = 2 * Math.PI * random();
    array[n] = scale * radius * Math.cos(angle);
    if (n + 1 < array.length) array[n + 1] = scale * radius * Math.sin(angle);
  }
}

/** Learned factors, row-major (rows × factors). */
export interface Factors {
  readonly userFactors: Float32Array;
  readonly itemFactors: Float32Array;
}

/** Alternating sweeps: Gramian of the fixed side once per sweep, then CG per row (in workers when it pays). */
export async function trainFactors(byUser: SparseRows, byItem: SparseRows, settings: IalsSettings): Promise<Factors> {
  const k = settings.factors;
  const users = byUser.pointers.length - 1;
  const items = byItem.pointers.length - 1;
  const threads = Math.min(Math.max(1, Math.floor(settings.workers)), availableParallelism());
  const parallel = threads > 1 && byUser.indices.length >= WORKER_THRESHOLD;
  const allocate = (length: number): Float32Array =>
    parallel ? new Float32Array(new SharedArrayBuffer(length * 4)) : new Float32Array(length);
  const userFactors = allocate(users * k);
  const itemFactors = allocate(items * k);
  const random = mulberry32(settings.seed);
  const scale = settings.initScale / Math.sqrt(k);
  gaussianFill(userFactors, scale, random);
  gaussianFill(itemFactors, scale, random);
  const gramian = parallel ? new Float64Array(new SharedArrayBuffer(k * k * 8)) : new Float64Array(k * k);
  const job = (otherCount: number): Omit<SolveJob, 'start' | 'end'> => ({
    factors: k,
    cgSteps: settings.cgSteps,
    alpha: settings.alpha,
    unobservedWeight: settings.unobservedWeight,
    regularization: settings.regularization,
    exponent: settings.regularizationExponent,
    otherCount,
  });

  if (!parallel) {
    for (let iteration = 0; iteration < settings.iterations; iteration++) {
      gramianOf(itemFactors, items, k, gramian);
      solveRows(
        { ...job(items), start: 0, end: users },
        byUser.pointers,
        byUser.indices,
        byUser.values,
        userFactors,
        itemFactors,
        gramian,
      );
      gramianOf(userFactors, users, k, gramian);
      solveRows(
        { ...job(users), start: 0, end: items },
        byItem.pointers,
        byItem.indices,
        byItem.values,
        itemFactors,
        userFactors,
        gramian,
      );
    }
    return { userFactors, itemFactors };
  }

  const pool = SolverPool.start(
    threads,
    {
      users: {
        pointers: shared(byUser.pointers),
        indices: shared(byUser.indices),
        values: shared(byUser.values),
        solve: userFactors,
        fixed: itemFactors,
      },
      items: {
        pointers: shared(byItem.pointers),
        indices: shared(byItem.indices),
        values: shared(byItem.values),
        solve: itemFactors,
        fixed: userFactors,
      },
    },
    gramian,
  );
  try {
    for (let iteration = 0; iteration < settings.iterations; iteration++) {
      gramianOf(itemFactors, items, k, gramian);
      await pool.sweep('users', job(items));
      gramianOf(userFactors, users, k, gramian);
      await pool.sweep('items', job(users));
    }
  } finally {
    await pool.close();
  }
  return { userFactors, itemFactors };
}

/** λ_u = λ·(observations + α0·|I|)^ν, the same scaling the trainer uses. */
function rowRegularization(settings: IalsSettings, observations: number, otherCount: number): number {
  return (
    settings.regularization *
    Math.pow(observations + settings.unobservedWeight * otherCount, settings.regularizationExponent)
  );
}

/**
 * The exact user vector for given items and weights, with the Gramian trick:
 * (α0·G + Σ (c_i − α0)·y_i y_iᵀ + λ_u·I) x = Σ c_i·y_i, solved by Cholesky (k³/3 flops).
 */
let foldInSystem = new Float64Array(0);
let foldInRight = new Float64Array(0);

/**
 * Writes the fold-in system into `a` (lower triangle) and `b` (`b` zeroed first):
 * A = α0·G + Σ (c_i − α0)·y_i y_iᵀ + λ_u·I and b = Σ c_i·y_i, with c_i = 1 + α·w_i.
 */
function foldInSystemOf(
  a: Float64Array,
  b: Float64Array,
  itemFactors: Float32Array,
  itemGramian: Float64Array,
  itemCount: number,
  settings: IalsSettings,
  items: ArrayLike<number>,
  weights: ArrayLike<number>,
): void {
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
  // Scratch reused by every call (synchronous, one at a time): a fresh 32 kB system per request
  // was external memory the garbage collector had to chase, visible in the p99.
  if (foldInSystem.length < k * k) {
    foldInSystem = new Float64Array(k * k);
    foldInRight = new Float64Array(k);
  }
  const a = foldInSystem;
  const b = foldInRight;
  foldInSystemOf(a, b, itemFactors, itemGramian, itemCount, settings, items, weights);
  // Only the lower triangle was accumulated; Cholesky reads the lower triangle alone.
  const x = new Float32Array(k);
  if (!choleskySolve(a, b, k)) return x;
  for (let f = 0; f < k; f++) x[f] = b[f] as number;
  return x;
}

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
  const x = new Float32Array(k);
  if (!choleskySolve(a, b, k)) return x;
  for (let f = 0; f < k; f++) x[f] = b[f] as number;
  return x;
}

/** The shopper's items and weights for fold-in: training row plus live items × the recent multiplier. */
export function foldInHistory(
  shopper: FoldedShopper,
  recentMultiplier: number,
): { items: number[]; weights: number[] } {
  return historyWeights(shopper, recentMultiplier);
}

/**
 * What a shopper's reasons need: the fold-in x = A⁻¹·Σ_h c_h·y_h is a sum of one term per history
 * item h, so item i's score y_i·x splits into c_h · y_h·(A⁻¹·y_i), and the reason names the h
 * with the largest term. A trained shopper without live items is scored with their trained
 * vector, the solution of the same system when training ended; their reasons split that system.
 */
interface Explaining {
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

/** From this many history items on, a trained shopper's system is summed by SIMD calls (see IalsComponent#historySystem). */
const HISTORY_SYRK_MIN = 16;

/** Trained factors at request time: scoring, fold-in, similar items. */
export class IalsComponent implements Component {
  readonly base: ModelBase;
  readonly settings: IalsSettings;
  readonly userFactors: Float32Array;
  readonly itemFactors: Float32Array;
  readonly #gramian: Float64Array;
  /** Items without interactions: their factors are zero, so iALS cannot rank them. */
  readonly #coldItems: Uint32Array;
  #itemNorms: Float32Array | undefined;
  /**
   * Reused by every ranking (see {@link CandidateScores}); whole-catalogue scores live in the
   * scorer's own buffer.
   */
  #candidates: CandidateScores | undefined;
  /** Built on the first whole-catalogue request: training never needs it. */
  #scorer: FactorScorer | undefined;
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
  /** The last fold-in's system (its Cholesky factor once solved) and right-hand side. */
  #system: Float64Array | undefined;
  #right: Float64Array | undefined;
  /** The last folded-in shopper, with their history and the factor of their system. */
  #folded:
    | {
        readonly shopper: FoldedShopper;
        readonly items: readonly number[];
        readonly weights: readonly number[];
        readonly factor: Float64Array | undefined;
      }
    | undefined;
  /** Whose items {@link #explainingScorer} holds now. */
  #explainingLoaded: Explaining | undefined;
  /** Whose M {@link #inverseScorer} holds now. */
  #inverseLoaded: Explaining | undefined;
  /** The system of a trained shopper's reasons, built in place per request. */
  #explainingSystem: Float64Array | undefined;
  #explainingRight: Float64Array | undefined;
  /** A trained shopper's history factors transposed, for {@link #historySystem}. */
  #historyScorer: FactorScorer | undefined;
  #historyColumns: Float32Array | undefined;
  #historyWeighted: Float32Array | undefined;
  /** Mean factor vector of the items with interactions, and their count (for {@link scoreMoments}). */
  #warmMean: Float64Array | undefined;
  #warmCount = 0;

  constructor(base: ModelBase, settings: IalsSettings, factors: Factors, gramian?: ArrayLike<number>) {
    this.base = base;
    this.settings = settings;
    this.userFactors = factors.userFactors;
    this.itemFactors = factors.itemFactors;
    const items = base.catalogue.size;
    // Rounded to float32 as saved, so a trained and a loaded model answer bit for bit alike.
    this.#gramian = Float64Array.from(
      gramian ?? Float32Array.from(gramianOf(factors.itemFactors, items, settings.factors)),
    );
    const cold: number[] = [];
    for (let item = 0; item < items; item++) if (base.itemTotals[item] === 0) cold.push(item);
    this.#coldItems = Uint32Array.from(cold);
  }

  /**
   * The shopper's vector: the trained one when nothing new happened, else an exact fold-in of
   * training row + recent items (recent weights × `foldIn.recentMultiplier`), which for a known
   * shopper re-solves their row with the new behaviour added — the blend is in the data, not in
   * an ad-hoc mix of vectors. Undefined for a shopper the model knows nothing about.
   */
  shopperVector(shopper: FoldedShopper): Float32Array | undefined {
    const k = this.settings.factors;
    if (shopper.recentItems.length === 0) {
      return shopper.user >= 0 ? this.userFactors.subarray(shopper.user * k, (shopper.user + 1) * k) : undefined;
    }
    const { items, weights } = foldInHistory(shopper, this.settings.recentMultiplier);
    // The system is solved in a buffer of this component's, so the shopper's reasons can split it
    // (see Explaining) without building it again, as long as no other shopper was folded in since.
    const a = (this.#system ??= new Float64Array(k * k));
    const b = (this.#right ??= new Float64Array(k));
    foldInSystemOf(a, b, this.itemFactors, this.#gramian, this.base.catalogue.size, this.settings, items, weights);
    const x = new Float32Array(k);
    const solved = choleskySolve(a, b, k);
    if (solved) for (let f = 0; f < k; f++) x[f] = b[f] as number;
    this.#folded = { shopper, items, weights, factor: solved ? a : undefined };
    return x;
  }

  /**
   * Mean and standard deviation of `vector`'s scores over the items with interactions, without
   * scoring them: the mean is vector · ȳ, the second moment vectorᵀ(YᵀY)vector / n, since the
   * items without interactions have zero factors and add nothing to the Gramian.
   */
  scoreMoments(vector: ArrayLike<number>): { count: number; mean: number; sd: number } {
    const k = this.settings.factors;
    if (this.#warmMean === undefined) {
      const mean = new Float64Array(k);
      let count = 0;
      const totals = this.base.itemTotals;
      for (let item = 0; item < this.base.catalogue.size; item++) {
        if ((totals[item] as number) === 0) continue;
        count++;
        for (let f = 0; f < k; f++) mean[f] = (mean[f] as number) + (this.itemFactors[item * k + f] as number);
      }
      for (let f = 0; f < k; f++) mean[f] = (mean[f] as number) / Math.max(1, count);
      this.#warmMean = mean;
      this.#warmCount = count;
    }
    const count = this.#warmCount;
    let mean = 0;
    let second = 0;
    const g = this.#gramian;
    for (let a = 0; a < k; a++) {
      const xa = vector[a] as number;
      mean += xa * (this.#warmMean[a] as number);
      let row = 0;
      for (let b = 0; b < k; b++) row += (g[a * k + b] as number) * (vector[b] as number);
      second += xa * row;
    }
    const sd = Math.sqrt(Math.max(0, second / Math.max(1, count) - mean * mean)) || 1;
    return { count, mean, sd };
  }

  /** One item's score for a shopper vector. */
  itemScore(vector: ArrayLike<number>, item: number): number {
    return rowDot(this.itemFactors, item, vector, 0, this.settings.factors);
  }

  /** The reason for recommending an item to `shopper`, as {@link score} gives it. */
  reasonFor(shopper: FoldedShopper): (item: number) => string | undefined {
    let explaining: Explaining | undefined;
    return (item) => this.#reason(shopper, (explaining ??= this.#explaining(shopper)), item);
  }

  score(shopper: FoldedShopper, only?: readonly number[]): ComponentScores | undefined {
    const vector = this.shopperVector(shopper);
    if (vector === undefined) return undefined;
    const items = this.base.catalogue.size;
    const k = this.settings.factors;
    let scores: Float32Array;
    if (only === undefined) {
      scores = this.#catalogue().scoreAll(vector);
      for (let n = 0; n < this.#coldItems.length; n++) scores[this.#coldItems[n] as number] = Number.NaN;
    } else {
      const candidates = (this.#candidates ??= new CandidateScores(items));
      scores = candidates.start();
      const totals = this.base.itemTotals;
      for (let n = 0; n < only.length; n++) {
        const item = only[n] as number;
        if (totals[item] !== 0) candidates.set(item, rowDot(this.itemFactors, item, vector, 0, k));
      }
    }
    return { scores, reason: this.reasonFor(shopper) };
  }

  #catalogue(): FactorScorer {
    return (this.#scorer ??= factorScorer(this.itemFactors, this.base.catalogue.size, this.settings.factors));
  }

  #explaining(shopper: FoldedShopper): Explaining {
    const k = this.settings.factors;
    const folded = this.#folded;
    let items: readonly number[];
    let weights: readonly number[];
    let factor: Float64Array | undefined;
    if (folded !== undefined && folded.shopper === shopper) {
      ({ items, weights, factor } = folded);
    } else {
      // A trained shopper without live items was scored with their trained vector: the system is built here.
      ({ items, weights } = historyWeights(shopper, this.settings.recentMultiplier));
      const a = (this.#explainingSystem ??= new Float64Array(k * k));
      const b = (this.#explainingRight ??= new Float64Array(k));
      if (items.length < HISTORY_SYRK_MIN) {
        foldInSystemOf(a, b, this.itemFactors, this.#gramian, this.base.catalogue.size, this.settings, items, weights);
      } else {
        this.#historySystem(a, b, items, weights);
      }
      factor = choleskySolve(a, b, k) ? a : undefined;
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
      const c = 1 + this.settings.alpha * (weights[h] as number);
      const mapped = mapping.scoreAllFrom(this.itemFactors, (items[h] as number) * k);
      for (let f = 0; f < k; f++) rows[h * k + f] = c * (mapped[f] as number);
    }
    const explaining: Explaining = { items, rows, inverse, reasons: new Map() };
    this.#inverseLoaded = explaining;
    return explaining;
  }

  /**
   * {@link foldInSystemOf} for a long history: Σ (c_h − α0)·y_h·y_hᵀ as k SIMD calls over the
   * history's factors transposed (k rows × history), column g of the sum per call, instead of
   * one scalar rank-1 update per history item (a trained shopper's ~100 items: most of a ranking).
   */
  #historySystem(a: Float64Array, b: Float64Array, items: readonly number[], weights: readonly number[]): void {
    const k = this.settings.factors;
    const { alpha, unobservedWeight } = this.settings;
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
        const yf = this.itemFactors[o + f] as number;
        b[f] = (b[f] as number) + c * yf;
        columns[f * width + h] = yf;
        weighted[f * width + h] = w * yf;
      }
    }
    for (let f = 0; f < k; f++) scorer.setRow(f, weighted, f * width);
    const lambda = rowRegularization(this.settings, items.length, this.base.catalogue.size);
    const gramian = this.#gramian;
    for (let g = 0; g < k; g++) {
      const sums = scorer.scoreAllFrom(columns, g * width);
      for (let f = g; f < k; f++)
        a[f * k + g] = unobservedWeight * (gramian[f * k + g] as number) + (sums[f] as number);
      a[g * k + g] = (a[g * k + g] as number) + lambda;
    }
  }

  /** {@link #inverseScorer} holding `inverse`. */
  #inverseRows(inverse: Float32Array): FactorScorer {
    const k = this.settings.factors;
    const scorer = (this.#inverseScorer ??= factorScorer(new Float32Array(k * k), k, k));
    for (let f = 0; f < k; f++) scorer.setRow(f, inverse, f * k);
    return scorer;
  }

  /** {@link #explainingScorer} holding `explaining`'s rows (rows past its items keep stale values, never read). */
  #explainingRows(explaining: Explaining, rows: Float32Array): FactorScorer {
    const k = this.settings.factors;
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

  /**
   * The history item with the largest positive term c_h · y_h·(A⁻¹·y_i) of `item`'s score (see
   * {@link Explaining}), itself left out; undefined when none adds to it. Two SIMD calls per
   * ranked item (M·y_i, then its dot with every history row), and only ranked items are explained.
   */
  #reason(shopper: FoldedShopper, explaining: Explaining, item: number): string | undefined {
    const { rows, inverse, items } = explaining;
    if (rows === undefined || inverse === undefined) return undefined;
    const k = this.settings.factors;
    if (this.#inverseLoaded !== explaining) {
      this.#inverseRows(inverse);
      this.#inverseLoaded = explaining;
    }
    const mapped = (this.#inverseScorer as FactorScorer).scoreAllFrom(this.itemFactors, item * k);
    const dots = this.#explainingRows(explaining, rows).scoreAllFrom(mapped, 0);
    let best = -1;
    let bestTerm = 0;
    for (let n = 0; n < items.length; n++) {
      // A non-recommendable history item counts in the score but is never named.
      if (items[n] === item || !this.base.catalogue.isRecommendable(items[n] as number)) continue;
      const term = dots[n] as number;
      if (term > bestTerm) {
        bestTerm = term;
        best = items[n] as number;
      }
    }
    if (best < 0) return undefined;
    let reason = explaining.reasons.get(best);
    if (reason === undefined) explaining.reasons.set(best, (reason = becauseOf(this.base, shopper, best)));
    return reason;
  }

  similar(item: number): ComponentScores | undefined {
    const k = this.settings.factors;
    const items = this.base.catalogue.size;
    if (this.base.itemTotals[item] === 0) return undefined;
    if (this.#itemNorms === undefined) {
      const norms = new Float32Array(items);
      for (let i = 0; i < items; i++) {
        let sum = 0;
        for (let f = 0; f < k; f++) sum += (this.itemFactors[i * k + f] as number) ** 2;
        norms[i] = Math.sqrt(sum);
      }
      this.#itemNorms = norms;
    }
    const norms = this.#itemNorms;
    const scores = Float32Array.from(this.#catalogue().scoreAll(this.itemFactors.subarray(item * k, (item + 1) * k)));
    const own = norms[item] as number;
    for (let i = 0; i < items; i++) {
      const norm = (norms[i] as number) * own;
      scores[i] = norm > 0 ? (scores[i] as number) / norm : Number.NaN;
    }
    const id = this.base.catalogue.itemIds[item] as string;
    return { scores, reason: () => `often viewed with ${id}` };
  }

  async write(writer: ArtifactWriter, prefix: string): Promise<void> {
    await Promise.all([
      writer.json(`${prefix}settings`, this.settings),
      writer.float32(`${prefix}userFactors`, this.userFactors),
      writer.float32(`${prefix}itemFactors`, this.itemFactors),
      // Saved so loading a 100k-item model does not recompute YᵀY (400M flops).
      writer.float32(`${prefix}gramian`, Float32Array.from(this.#gramian)),
    ]);
  }

  static read(artifact: Artifact, base: ModelBase, prefix: string): IalsComponent {
    return new IalsComponent(
      base,
      artifact.json<IalsSettings>(`${prefix}settings`),
      { userFactors: artifact.float32(`${prefix}userFactors`), itemFactors: artifact.float32(`${prefix}itemFactors`) },
      artifact.float32(`${prefix}gramian`),
    );
  }
}

export const ialsTrainer: Trainer = {
  algorithm: 'ials',
  defaults: IALS_DEFAULTS,
  async fit(data, hyperparameters) {
    const params = resolveHyperparameters('ials', IALS_DEFAULTS, hyperparameters);
    const settings = ialsSettings(params);
    const { base, matrix } = prepareBase(data, params);
    const factors = await trainFactors(matrix.byUser, matrix.byItem, settings);
    return new ComponentModel('ials', base, new IalsComponent(base, settings, factors));
  },
};
