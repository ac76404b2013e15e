/** Trained iALS factors at request time: the shopper's vector, scoring, similar items, save and load. */
import type { Artifact, ArtifactWriter } from '../../artifact.ts';
import { factorScorer, type FactorScorer } from '../../kernels/factorScorer.ts';
import { choleskySolve, gramianOf, rowDot } from '../../workers/alsKernel.ts';
import { historyWeights, type FoldedShopper } from '../../shopperHistory.ts';
import { CandidateScores } from '../../candidates.ts';
import type { Component, ComponentScores, ModelBase } from '../../component.ts';
import { foldInSystemOf, type FoldInBasis, type FoldInSystem } from './foldIn.ts';
import { IalsReasons, type Explaining, type FoldedSystem } from './reasons.ts';
import type { IalsSettings } from './settings.ts';
import type { Factors } from './training.ts';

/** Trained factors at request time: scoring, fold-in, similar items. */
export class IalsComponent implements Component {
  readonly base: ModelBase;
  readonly settings: IalsSettings;
  readonly userFactors: Float32Array;
  readonly itemFactors: Float32Array;
  readonly #gramian: Float64Array;
  /** What every fold-in of this model reads (its item factors and their Gramian). */
  readonly #basis: FoldInBasis;
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
  /** The last fold-in's system (its Cholesky factor once solved) and right-hand side. */
  #system: FoldInSystem | undefined;
  /** The last folded-in shopper, with their history and the factor of their system. */
  #folded: FoldedSystem | undefined;
  /** Splits this model's fold-in systems into reasons; keeps its scorers across requests. */
  readonly #reasons: IalsReasons;
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
    this.#basis = { itemFactors: this.itemFactors, itemGramian: this.#gramian, itemCount: items, settings };
    this.#reasons = new IalsReasons({ base, basis: this.#basis });
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
    const { items, weights } = historyWeights(shopper, this.settings.recentMultiplier);
    // The system is solved in a buffer of this component's, so the shopper's reasons can split it
    // (see Explaining) without building it again, as long as no other shopper was folded in since.
    const system = (this.#system ??= { a: new Float64Array(k * k), b: new Float64Array(k) });
    const { a, b } = system;
    foldInSystemOf(system, this.#basis, items, weights);
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
    const reasons = this.#reasons;
    let explaining: Explaining | undefined;
    // `#folded` is read at the first reason, not here: whose fold-in it holds is checked then.
    return (item) => reasons.reason(shopper, (explaining ??= reasons.explaining(shopper, this.#folded)), item);
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
