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
 *
 * A quantized blender reads int8 rows (a quarter of the bytes) and leaves each warm item's factor
 * term within {@link error} of the exact one; {@link refine} makes exact the items a list could
 * keep, so a ranking ends up as the exact blend would rank.
 */
export interface CatalogueBlender {
  readonly engine: 'wasm-simd' | 'js';
  readonly quantized: boolean;
  /**
   * Holds one shopper's content scores (one per item) for the next {@link blend}, and returns
   * their sums; undefined holds zeros (no content score), with count 0.
   */
  loadContent(scores: Float32Array | undefined): ScoreSums;
  /** Every item's blended score, in a buffer the blender owns and overwrites on the next call. */
  blend(vector: ArrayLike<number>, terms: BlendTerms): Float32Array;
  /** A bound on |blended − exact| for every item of the last blend: 0 unless quantized. */
  readonly error: number;
  /**
   * Given the items a list took from the last blend's buffer (`kept`; `complete` when the list
   * was full, so an item must beat its weakest to enter), swaps the approximate factor term of
   * every warm item that could still belong in the exact list for the exact one, keeping whatever
   * the caller added to the buffer, and raises the block maxima to match; a ranking of the buffer
   * taken after this is the exact one. Each item's own error bound decides (a few rows with large
   * factors would make one global bound loose). Returns how many items it refined.
   */
  refine(kept: ArrayLike<number>, complete: boolean): number;
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
  blendQuantized(
    table: number,
    rows: number,
    k16: number,
    vector: number,
    warm: number,
    scales: number,
    content: number,
    out: number,
    n: number,
    vectorScale: number,
    bias: number,
    step: number,
    coldSlope: number,
    coldOffset: number,
  ): void;
  blockMaxima(scores: number, n: number, size: number, out: number): void;
}

const NO_SCORES: ScoreSums = { count: 0, sum: 0, squares: 0, min: Number.POSITIVE_INFINITY };
const INT8_MAX = 127;
const INT16_MAX = 32_767;

/** The int8 rows of a quantized blender: row r ≈ scales[r] × rows[r]. */
interface QuantizedRows {
  /** Rows of `k16` int8 (factors padded with zeros to a multiple of 16). */
  readonly k16: number;
  readonly table: Int8Array;
  readonly scales: Float32Array;
  /** Each row's L1 norm, and the largest scale and L1 norm of a row, for the error bounds. */
  readonly l1: Float32Array;
  readonly maxScale: number;
  readonly maxL1: number;
}

/**
 * The WebAssembly SIMD kernel (`blendCatalogue.wat`). The warm rows are copied once into its
 * memory: as f32 padded to 4 lanes, or quantized as int8 padded to 16 with a scale per row.
 */
class WasmCatalogueBlender implements CatalogueBlender {
  readonly engine = 'wasm-simd';
  readonly #kernel: BlendExports;
  readonly #rows: number;
  readonly #stride: number;
  readonly #factors: number;
  readonly #items: number;
  readonly #itemFactors: Float32Array;
  /** Warm row of each item, −1 for a cold one. */
  readonly #rowOf: Int32Array;
  readonly #quantizedRows: QuantizedRows | undefined;
  /** 1 for the items the last blend's refinements made exact (so none is made exact twice), and their list. */
  readonly #exact: Uint8Array;
  readonly #madeExact: number[] = [];
  readonly #vector: Float32Array;
  readonly #vector16: Int16Array;
  readonly #content: Float32Array;
  readonly #out: Float32Array;
  readonly #sums: Float64Array;
  readonly #maxima: BlockMaxima;
  readonly #at: {
    vector: number;
    warm: number;
    scales: number;
    content: number;
    out: number;
    sums: number;
    maxima: number;
  };
  /**
   * The last quantized blend: its vector and the vector's scale; a row's error bound is
   * perScale × its scale + perL1 × its L1 norm + slack.
   */
  #last:
    | { vector: Float64Array; vectorScale: number; perScale: number; perL1: number; slack: number; error: number }
    | undefined;

  constructor(
    module: WasmModule,
    itemFactors: Float32Array,
    items: number,
    factors: number,
    warmItems: Uint32Array,
    quantize: boolean,
  ) {
    const rows = warmItems.length;
    // Each region starts on 16 bytes: SIMD loads stay aligned and the sums can be a Float64Array.
    const align = (bytes: number) => Math.ceil(bytes / 16) * 16;
    const stride = quantize ? Math.ceil(factors / 16) * 16 : Math.ceil(factors / 4) * 4;
    const tableBytes = align(quantize ? rows * stride : rows * stride * 4);
    const vector = tableBytes;
    const warm = align(vector + stride * 4);
    const scales = align(warm + rows * 4);
    const content = align(scales + (quantize ? rows * 4 : 0));
    const out = align(content + items * 4);
    const sums = align(out + items * 4);
    const maxima = sums + 32;
    const blocks = Math.ceil(items / BLOCK_ITEMS);
    this.#rows = rows;
    this.#stride = stride;
    this.#factors = factors;
    this.#items = items;
    this.#itemFactors = itemFactors;
    this.#at = { vector, warm, scales, content, out, sums, maxima };
    this.#kernel = instantiate<BlendExports>(module, maxima + blocks * 4);
    const buffer = this.#kernel.memory.buffer;
    this.#rowOf = new Int32Array(items).fill(-1);
    this.#exact = new Uint8Array(quantize ? items : 0);
    warmItems.forEach((item, row) => (this.#rowOf[item] = row));
    if (quantize) {
      const table = new Int8Array(buffer, 0, rows * stride);
      const rowScales = new Float32Array(buffer, scales, rows);
      const rowL1 = new Float32Array(rows);
      let maxScale = 0;
      let maxL1 = 0;
      for (let row = 0; row < rows; row++) {
        const at = (warmItems[row] as number) * factors;
        let largest = 0;
        let l1 = 0;
        for (let f = 0; f < factors; f++) {
          const x = Math.abs(itemFactors[at + f] as number);
          l1 += x;
          if (x > largest) largest = x;
        }
        const scale = Math.fround(largest / INT8_MAX);
        rowScales[row] = scale;
        // Rounded up, so the bound stays a bound.
        rowL1[row] = l1 * (1 + 1e-6);
        if (scale > 0) {
          for (let f = 0; f < factors; f++)
            table[row * stride + f] = Math.round((itemFactors[at + f] as number) / scale);
        }
        if (scale > maxScale) maxScale = scale;
        if (l1 > maxL1) maxL1 = l1;
      }
      this.#quantizedRows = { k16: stride, table, scales: rowScales, l1: rowL1, maxScale, maxL1 };
    } else {
      const table = new Float32Array(buffer, 0, rows * stride);
      for (let row = 0; row < rows; row++) {
        const item = warmItems[row] as number;
        table.set(itemFactors.subarray(item * factors, (item + 1) * factors), row * stride);
      }
    }
    new Uint32Array(buffer, warm, rows).set(warmItems);
    this.#vector = new Float32Array(buffer, vector, stride);
    this.#vector16 = new Int16Array(buffer, vector, stride);
    this.#content = new Float32Array(buffer, content, items);
    this.#out = new Float32Array(buffer, out, items);
    this.#sums = new Float64Array(buffer, sums, 4);
    this.#maxima = { size: BLOCK_ITEMS, maxima: new Float32Array(buffer, maxima, blocks) };
  }

  get quantized(): boolean {
    return this.#quantizedRows !== undefined;
  }

  get error(): number {
    return this.#last?.error ?? 0;
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
    const at = this.#at;
    const quantized = this.#quantizedRows;
    if (quantized === undefined) {
      for (let f = 0; f < this.#factors; f++) this.#vector[f] = vector[f] as number;
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
    for (const item of this.#madeExact) this.#exact[item] = 0;
    this.#madeExact.length = 0;
    // The vector as int16 with one scale: its own error is (scale / 2) per factor.
    const exact = Float64Array.from({ length: this.#factors }, (_, f) => vector[f] as number);
    let largest = 0;
    let l1 = 0;
    for (const v of exact) {
      l1 += Math.abs(v);
      if (Math.abs(v) > largest) largest = Math.abs(v);
    }
    const vectorScale = Math.fround(largest / INT16_MAX);
    const w = this.#vector16;
    w.fill(0);
    if (vectorScale > 0) for (let f = 0; f < this.#factors; f++) w[f] = Math.round((exact[f] as number) / vectorScale);
    this.#kernel.blendQuantized(
      0,
      this.#rows,
      quantized.k16,
      at.vector,
      at.warm,
      at.scales,
      at.content,
      at.out,
      this.#items,
      vectorScale,
      terms.bias,
      terms.contentStep,
      terms.coldSlope,
      terms.coldOffset,
    );
    // Row r: |x·v − s q·t w| ≤ (s/2)‖v‖₁ + (t/2)‖s q‖₁, and ‖s q‖₁ ≤ ‖x‖₁ + k s/2, so the bound is
    // s × (‖v‖₁ + t k / 2) / 2 + ‖x‖₁ × t / 2; plus a margin for the float32 arithmetic of the
    // kernel and of the caller's additions.
    const { maxScale, maxL1 } = quantized;
    const perScale = ((l1 + (vectorScale * this.#factors) / 2) / 2) * (1 + 1e-6);
    const perL1 = (vectorScale / 2) * (1 + 1e-6);
    const slack = 1e-5 * (maxL1 * largest + Math.abs(terms.bias) + Math.abs(terms.contentStep) + 1);
    const error = perScale * maxScale + perL1 * maxL1 + slack;
    this.#last = { vector: exact, vectorScale, perScale, perL1, slack, error };
    return this.#out;
  }

  refine(kept: ArrayLike<number>, complete: boolean): number {
    const quantized = this.#quantizedRows;
    const last = this.#last;
    if (quantized === undefined || last === undefined) return 0;
    const out = this.#out;
    const rowOf = this.#rowOf;
    const { table, scales, l1, k16 } = quantized;
    const { vector, vectorScale, perScale, perL1, slack, error } = last;
    const errorOf = (item: number): number => {
      const row = rowOf[item] as number;
      return row < 0 || this.#exact[item] === 1
        ? 0
        : perScale * (scales[row] as number) + perL1 * (l1[row] as number) + slack;
    };
    // The exact list's weakest score is at least the weakest lower bound among the kept items
    // (any lower when the list was not full: then every item is in).
    let floor = complete && kept.length > 0 ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
    if (complete) {
      for (let n = 0; n < kept.length; n++) {
        const item = kept[n] as number;
        const score = out[item] as number;
        floor = Math.min(floor, score === score ? score - errorOf(item) : Number.NEGATIVE_INFINITY);
      }
    }
    const { maxima } = this.#maxima;
    const w = this.#vector16;
    const k = this.#factors;
    const factors = this.#itemFactors;
    let refined = 0;
    for (let block = 0; block < maxima.length; block++) {
      // No item of the block can reach the floor even at its bound: its exact scores cannot either.
      if (!((maxima[block] as number) + error >= floor)) continue;
      const end = Math.min(this.#items, (block + 1) * BLOCK_ITEMS);
      let max = maxima[block] as number;
      for (let item = block * BLOCK_ITEMS; item < end; item++) {
        const row = rowOf[item] as number;
        if (row < 0 || this.#exact[item] === 1 || !((out[item] as number) + errorOf(item) >= floor)) continue;
        let sum = 0;
        let dot = 0;
        for (let f = 0; f < k; f++) {
          sum += (table[row * k16 + f] as number) * (w[f] as number);
          dot += (factors[item * k + f] as number) * (vector[f] as number);
        }
        // The kernel's own rounding: f32(sum) × scale × vector scale, each step in float32.
        const approximate = Math.fround(Math.fround(Math.fround(sum) * (scales[row] as number)) * vectorScale);
        out[item] = (out[item] as number) - approximate + dot;
        if ((out[item] as number) > max) max = out[item] as number;
        this.#exact[item] = 1;
        this.#madeExact.push(item);
        refined++;
      }
      maxima[block] = max;
    }
    return refined;
  }

  blockMaxima(): BlockMaxima {
    this.#kernel.blockMaxima(this.#at.out, this.#items, BLOCK_ITEMS, this.#at.maxima);
    return this.#maxima;
  }
}

/** The same two passes in plain JavaScript, for runtimes without WebAssembly SIMD. */
class JsCatalogueBlender implements CatalogueBlender {
  readonly engine = 'js';
  readonly quantized = false;
  readonly error = 0;
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
    return scoreSums(scores);
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

  refine(): number {
    return 0;
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

/** {@link ScoreSums} of every score, in one JavaScript loop. */
export function scoreSums(scores: Float32Array): ScoreSums {
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

function checkLength(scores: Float32Array, items: number): void {
  if (scores.length !== items) throw new RangeError(`content scores hold ${scores.length} items, not ${items}`);
}

const module = simdModule(blendCatalogueWasmBase64);

export interface CatalogueBlenderOptions {
  /** `js` forces the JavaScript loops, for tests that compare the two. */
  readonly engine?: CatalogueBlender['engine'];
  /** int8 rows (WebAssembly only; the JavaScript loops are always exact). @default false */
  readonly quantize?: boolean;
}

/**
 * A blender over `itemFactors` (items × factors, kept and read by {@link CatalogueBlender.refine})
 * whose warm items are `warmItems` (ascending): the SIMD kernel where the runtime has it, else
 * the JavaScript loops.
 */
export function catalogueBlender(
  itemFactors: Float32Array,
  items: number,
  factors: number,
  warmItems: Uint32Array,
  { engine, quantize = false }: CatalogueBlenderOptions = {},
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
  if (quantize && factors > 256)
    throw new RangeError(`int8 rows hold at most 256 factors (int32 sums), got ${factors}`);
  return new WasmCatalogueBlender(module, itemFactors, items, factors, warmItems, quantize);
}
