import { blendCatalogueWasmBase64 } from './blendCatalogueWasm.ts';
import type { BlockMaxima } from '../filters.ts';
import { instantiate, simdModule, type WasmMemory, type WasmModule } from './wasm.ts';

/** Count, sum, sum of squares and minimum of a score array's numbers (NaN skipped; minimum +∞ when none). */
export interface ScoreSums {
  readonly count: number;
  readonly sum: number;
  readonly squares: number;
  readonly min: number;
}

/** The constants of one whole-catalogue blend (see {@link CatalogueBlender.blend}). */
export interface BlendTerms {
  /** Added to every warm item's factor score. */
  readonly bias: number;
  /** Times the item's content score, on warm items. */
  readonly contentStep: number;
  /** A cold item's score is coldSlope × content − coldOffset. */
  readonly coldSlope: number;
  readonly coldOffset: number;
}

/**
 * The hybrid's whole-catalogue pass in one call: a warm item (one with interactions) gets
 * row · vector + bias + contentStep × content, a cold item coldSlope × content − coldOffset.
 * Cold items' factors are zero and never read, so on a catalogue where 40 % of items have no
 * interactions the factor pass shrinks by as much; and the content term costs no pass of its own.
 */
export interface CatalogueBlender {
  readonly engine: 'wasm-simd' | 'js';
  /**
   * Holds one shopper's content scores (one per item) for the next {@link blend}, and returns
   * their sums; undefined holds zeros (no content score), with count 0.
   */
  loadContent(scores: Float32Array | undefined): ScoreSums;
  /** Every item's blended score, in a buffer the blender owns and overwrites on the next call. */
  blend(vector: ArrayLike<number>, terms: BlendTerms): Float32Array;
  /**
   * The largest score of every {@link BLOCK_ITEMS} items of the last blend's buffer, as it is now
   * (after the caller's own additions to it), NaN counted as −∞ (as the ranking counts it), for a
   * top-k that skips whole blocks.
   */
  blockMaxima(): BlockMaxima;
}

/** Items per block of {@link CatalogueBlender.blockMaxima}: 1,563 blocks over 100k items. */
export const BLOCK_ITEMS = 64;

interface BlendExports {
  readonly memory: WasmMemory;
  moments(scores: number, n: number, out: number): void;
  blend(
    table: number,
    rows: number,
    k: number,
    vector: number,
    warm: number,
    content: number,
    out: number,
    n: number,
    bias: number,
    step: number,
    coldSlope: number,
    coldOffset: number,
  ): void;
  blockMaxima(scores: number, n: number, size: number, out: number): void;
}

const NO_SCORES: ScoreSums = { count: 0, sum: 0, squares: 0, min: Number.POSITIVE_INFINITY };

/** The WebAssembly SIMD kernel (`blendCatalogue.wat`); the warm rows are copied once into its memory, padded to 4 lanes. */
class WasmCatalogueBlender implements CatalogueBlender {
  readonly engine = 'wasm-simd';
  readonly #kernel: BlendExports;
  readonly #rows: number;
  readonly #stride: number;
  readonly #factors: number;
  readonly #items: number;
  readonly #vector: Float32Array;
  readonly #content: Float32Array;
  readonly #out: Float32Array;
  readonly #sums: Float64Array;
  readonly #maxima: BlockMaxima;
  readonly #at: { vector: number; warm: number; content: number; out: number; sums: number; maxima: number };

  constructor(module: WasmModule, itemFactors: Float32Array, items: number, factors: number, warmItems: Uint32Array) {
    const stride = Math.ceil(factors / 4) * 4;
    const rows = warmItems.length;
    this.#rows = rows;
    this.#stride = stride;
    this.#factors = factors;
    this.#items = items;
    // Each region starts on 16 bytes: SIMD loads stay aligned and the sums can be a Float64Array.
    const align = (bytes: number) => Math.ceil(bytes / 16) * 16;
    const vector = rows * stride * 4;
    const warm = align(vector + stride * 4);
    const content = align(warm + rows * 4);
    const out = align(content + items * 4);
    const sums = align(out + items * 4);
    const maxima = sums + 32;
    const blocks = Math.ceil(items / BLOCK_ITEMS);
    this.#at = { vector, warm, content, out, sums, maxima };
    this.#kernel = instantiate<BlendExports>(module, maxima + blocks * 4);
    const buffer = this.#kernel.memory.buffer;
    const table = new Float32Array(buffer, 0, rows * stride);
    for (let row = 0; row < rows; row++) {
      const item = warmItems[row] as number;
      table.set(itemFactors.subarray(item * factors, (item + 1) * factors), row * stride);
    }
    new Uint32Array(buffer, warm, rows).set(warmItems);
    this.#vector = new Float32Array(buffer, vector, stride);
    this.#content = new Float32Array(buffer, content, items);
    this.#out = new Float32Array(buffer, out, items);
    this.#sums = new Float64Array(buffer, sums, 4);
    this.#maxima = { size: BLOCK_ITEMS, maxima: new Float32Array(buffer, maxima, blocks) };
  }

  loadContent(scores: Float32Array | undefined): ScoreSums {
    if (scores === undefined) {
      this.#content.fill(0);
      return NO_SCORES;
    }
    checkLength(scores, this.#items);
    this.#content.set(scores);
    this.#kernel.moments(this.#at.content, this.#items, this.#at.sums);
    const sums = this.#sums;
    return { count: sums[0] as number, sum: sums[1] as number, squares: sums[2] as number, min: sums[3] as number };
  }

  blend(vector: ArrayLike<number>, terms: BlendTerms): Float32Array {
    for (let f = 0; f < this.#factors; f++) this.#vector[f] = vector[f] as number;
    const at = this.#at;
    this.#kernel.blend(
      0,
      this.#rows,
      this.#stride,
      at.vector,
      at.warm,
      at.content,
      at.out,
      this.#items,
      terms.bias,
      terms.contentStep,
      terms.coldSlope,
      terms.coldOffset,
    );
    return this.#out;
  }

  blockMaxima(): BlockMaxima {
    this.#kernel.blockMaxima(this.#at.out, this.#items, BLOCK_ITEMS, this.#at.maxima);
    return this.#maxima;
  }
}

/** The same two passes in plain JavaScript, for runtimes without WebAssembly SIMD. */
class JsCatalogueBlender implements CatalogueBlender {
  readonly engine = 'js';
  readonly #content: Float32Array;
  readonly #out: Float32Array;
  readonly #maxima: BlockMaxima;

  constructor(
    private readonly itemFactors: Float32Array,
    private readonly items: number,
    private readonly factors: number,
    private readonly warmItems: Uint32Array,
  ) {
    this.#content = new Float32Array(items);
    this.#out = new Float32Array(items);
    this.#maxima = { size: BLOCK_ITEMS, maxima: new Float32Array(Math.ceil(items / BLOCK_ITEMS)) };
  }

  loadContent(scores: Float32Array | undefined): ScoreSums {
    if (scores === undefined) {
      this.#content.fill(0);
      return NO_SCORES;
    }
    checkLength(scores, this.items);
    this.#content.set(scores);
    let count = 0;
    let sum = 0;
    let squares = 0;
    let min = Number.POSITIVE_INFINITY;
    for (let i = 0; i < scores.length; i++) {
      const s = scores[i] as number;
      if (s !== s) continue;
      count++;
      sum += s;
      squares += s * s;
      if (s < min) min = s;
    }
    return { count, sum, squares, min };
  }

  blend(vector: ArrayLike<number>, terms: BlendTerms): Float32Array {
    const { itemFactors, factors, warmItems } = this;
    const content = this.#content;
    const out = this.#out;
    for (let i = 0; i < this.items; i++) out[i] = terms.coldSlope * (content[i] as number) - terms.coldOffset;
    for (let row = 0; row < warmItems.length; row++) {
      const item = warmItems[row] as number;
      let dot = 0;
      for (let f = 0; f < factors; f++) dot += (itemFactors[item * factors + f] as number) * (vector[f] as number);
      out[item] = dot + terms.bias + terms.contentStep * (content[item] as number);
    }
    return out;
  }

  blockMaxima(): BlockMaxima {
    const out = this.#out;
    const { maxima } = this.#maxima;
    for (let block = 0; block < maxima.length; block++) {
      let max = Number.NEGATIVE_INFINITY;
      const end = Math.min(out.length, (block + 1) * BLOCK_ITEMS);
      // NaN never wins (it ranks as −∞).
      for (let i = block * BLOCK_ITEMS; i < end; i++) if ((out[i] as number) > max) max = out[i] as number;
      maxima[block] = max;
    }
    return this.#maxima;
  }
}

function checkLength(scores: Float32Array, items: number): void {
  if (scores.length !== items) throw new RangeError(`content scores hold ${scores.length} items, not ${items}`);
}

const module = simdModule(blendCatalogueWasmBase64);

/**
 * A blender over `itemFactors` (items × factors) whose warm items are `warmItems` (ascending):
 * the SIMD kernel where the runtime has it, else the JavaScript loops (`engine: 'js'` forces them,
 * for tests that compare the two).
 */
export function catalogueBlender(
  itemFactors: Float32Array,
  items: number,
  factors: number,
  warmItems: Uint32Array,
  engine?: CatalogueBlender['engine'],
): CatalogueBlender {
  if (itemFactors.length < items * factors) {
    throw new Error(`factor table holds ${itemFactors.length} < ${items} × ${factors}`);
  }
  for (let n = 0; n < warmItems.length; n++) {
    if ((warmItems[n] as number) >= items) throw new RangeError(`warm item ${warmItems[n]} is outside 0..${items - 1}`);
  }
  if (engine === 'js' || module === null) {
    if (engine === 'wasm-simd') throw new Error('this runtime has no WebAssembly SIMD');
    return new JsCatalogueBlender(itemFactors, items, factors, warmItems);
  }
  return new WasmCatalogueBlender(module, itemFactors, items, factors, warmItems);
}
