import type { SparseRows } from '../matrix.ts';
import { scorePostingsWasmBase64 } from './scorePostingsWasm.ts';
import { instantiate, simdModule, type WasmMemory, type WasmModule } from './wasm.ts';

/**
 * Scores every item against a sparse profile through an inverted index (term → items): content's
 * whole-catalogue pass, where a shopper's 32 profile terms reach ~60k postings over a 100k
 * catalogue.
 */
export interface PostingsScorer {
  readonly engine: 'wasm-simd' | 'js';
  /**
   * Σ over the profile's terms of weight × the term's value for the item, for every item (0 where
   * no term reaches), in a buffer the scorer owns and overwrites on the next call.
   */
  score(profile: ReadonlyMap<number, number>, scale?: number): Float32Array;
}

interface ScorePostingsExports {
  readonly memory: WasmMemory;
  scorePostings(
    pointers: number,
    entries: number,
    terms: number,
    weights: number,
    count: number,
    out: number,
    n: number,
  ): void;
}

/**
 * The WebAssembly kernel (`scorePostings.wat`). The postings are copied once into its memory as
 * (item, value) pairs, so each posting is one 8-byte read; about 3× the JavaScript loop, whose
 * bounds checks and two separate arrays cost ~8 ns a posting.
 */
class WasmPostingsScorer implements PostingsScorer {
  readonly engine = 'wasm-simd';
  readonly #kernel: ScorePostingsExports;
  readonly #terms: number;
  readonly #items: number;
  readonly #at: { entries: number; profileTerms: number; profileWeights: number; out: number };
  #profileTerms: Uint32Array;
  #profileWeights: Float32Array;
  readonly #out: Float32Array;

  constructor(module: WasmModule, postings: SparseRows, items: number) {
    const terms = postings.pointers.length - 1;
    const nnz = postings.indices.length;
    const align = (bytes: number) => Math.ceil(bytes / 16) * 16;
    const entries = align((terms + 1) * 4);
    const profileTerms = entries + nnz * 8;
    const profileWeights = align(profileTerms + terms * 4);
    const out = align(profileWeights + terms * 4);
    this.#terms = terms;
    this.#items = items;
    this.#at = { entries, profileTerms, profileWeights, out };
    this.#kernel = instantiate<ScorePostingsExports>(module, out + items * 4);
    const buffer = this.#kernel.memory.buffer;
    new Uint32Array(buffer, 0, terms + 1).set(postings.pointers);
    const pairs = new Uint32Array(buffer, entries, nnz * 2);
    const valueBits = new Uint32Array(postings.values.buffer, postings.values.byteOffset, nnz);
    for (let p = 0; p < nnz; p++) {
      pairs[2 * p] = postings.indices[p] as number;
      pairs[2 * p + 1] = valueBits[p] as number;
    }
    this.#profileTerms = new Uint32Array(buffer, profileTerms, terms);
    this.#profileWeights = new Float32Array(buffer, profileWeights, terms);
    this.#out = new Float32Array(buffer, out, items);
  }

  score(profile: ReadonlyMap<number, number>, scale = 1): Float32Array {
    let count = 0;
    for (const [term, weight] of profile) {
      if (!Number.isInteger(term) || term < 0 || term >= this.#terms) {
        throw new RangeError(`profile term ${term} is outside 0..${this.#terms - 1}`);
      }
      this.#profileTerms[count] = term;
      this.#profileWeights[count++] = weight * scale;
    }
    const at = this.#at;
    this.#kernel.scorePostings(0, at.entries, at.profileTerms, at.profileWeights, count, at.out, this.#items);
    return this.#out;
  }
}

/** The same scatter in plain JavaScript, for runtimes without WebAssembly SIMD. */
class JsPostingsScorer implements PostingsScorer {
  readonly engine = 'js';
  readonly #out: Float32Array;

  constructor(
    private readonly postings: SparseRows,
    items: number,
  ) {
    this.#out = new Float32Array(items);
  }

  score(profile: ReadonlyMap<number, number>, scale = 1): Float32Array {
    const out = this.#out.fill(0);
    const { pointers, indices, values } = this.postings;
    const terms = pointers.length - 1;
    for (const [term, w] of profile) {
      if (!Number.isInteger(term) || term < 0 || term >= terms) {
        throw new RangeError(`profile term ${term} is outside 0..${terms - 1}`);
      }
      const weight = w * scale;
      for (let p = pointers[term] as number; p < (pointers[term + 1] as number); p++) {
        const item = indices[p] as number;
        out[item] = (out[item] as number) + weight * (values[p] as number);
      }
    }
    return out;
  }
}

const module = simdModule(scorePostingsWasmBase64);

/**
 * A scorer over `postings` (term → items, as {@link transpose} of the item vectors gives it) for a
 * catalogue of `items`: the WebAssembly kernel where the runtime has it, else the JavaScript loop
 * (`engine: 'js'` forces it, for tests that compare the two).
 */
export function postingsScorer(postings: SparseRows, items: number, engine?: PostingsScorer['engine']): PostingsScorer {
  for (let p = 0; p < postings.indices.length; p++) {
    if ((postings.indices[p] as number) >= items) {
      throw new RangeError(`posting ${p} names item ${postings.indices[p]}, outside 0..${items - 1}`);
    }
  }
  if (engine === 'js' || module === null) {
    if (engine === 'wasm-simd') throw new Error('this runtime has no WebAssembly SIMD');
    return new JsPostingsScorer(postings, items);
  }
  return new WasmPostingsScorer(module, postings, items);
}
