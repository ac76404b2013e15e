import { scoreRows } from '../workers/alsKernel.ts';
import { scoreRowsWasmBase64 } from './scoreRowsWasm.ts';
import { instantiate, simdModule, type WasmMemory, type WasmModule } from './wasm.ts';

/**
 * Scores every row of a factor matrix (rows × k, row-major) against one vector: the
 * whole-catalogue pass behind fold-in recommendations and similar items.
 */
export interface FactorScorer {
  readonly rows: number;
  readonly factors: number;
  readonly engine: 'wasm-simd' | 'js';
  /**
   * row · vector + bias for every row, in a buffer the scorer owns and overwrites on the next
   * call, so a request allocates nothing; copy it to keep it.
   */
  scoreAll(vector: ArrayLike<number>, bias?: number): Float32Array;
  /** {@link scoreAll} for the vector `source[offset .. offset + factors)`, e.g. a row of another table, without a view. */
  scoreAllFrom(source: ArrayLike<number>, offset: number): Float32Array;
  /**
   * Overwrites row `row` of the table with `source[offset .. offset + factors)`: a small table
   * rebuilt per request (a shopper's explaining items). The JavaScript engine scores the array it
   * was built over, so this writes through to it; WebAssembly writes its own copy.
   */
  setRow(row: number, source: ArrayLike<number>, offset: number): void;
}

interface ScoreRowsExports {
  readonly memory: WasmMemory;
  scoreRows(factors: number, rows: number, k: number, vector: number, out: number, bias: number): void;
}

/**
 * The same pass as a WebAssembly SIMD kernel (f32x4, four rows per step): about 5× the scalar
 * JavaScript loop on 100k × 64, because V8 does not vectorise JS. The factors are copied once into
 * the instance's own memory, padded to a multiple of 4 per row; the scores stay there too.
 */
class WasmFactorScorer implements FactorScorer {
  readonly engine = 'wasm-simd';
  readonly #kernel: ScoreRowsExports;
  readonly #stride: number;
  /** The factors in the instance's memory (rows × stride; padding columns stay zero). */
  readonly #table: Float32Array;
  readonly #vector: Float32Array;
  readonly #vectorOffset: number;
  readonly #scores: Float32Array;
  readonly #scoresOffset: number;

  constructor(
    module: WasmModule,
    source: Float32Array,
    readonly rows: number,
    readonly factors: number,
  ) {
    const stride = Math.ceil(factors / 4) * 4;
    this.#stride = stride;
    this.#vectorOffset = rows * stride * 4;
    this.#scoresOffset = this.#vectorOffset + stride * 4;
    this.#kernel = instantiate<ScoreRowsExports>(module, this.#scoresOffset + rows * 4);
    const memory = this.#kernel.memory;
    const table = (this.#table = new Float32Array(memory.buffer, 0, rows * stride));
    if (stride === factors) table.set(source.subarray(0, rows * factors));
    else
      for (let row = 0; row < rows; row++) table.set(source.subarray(row * factors, (row + 1) * factors), row * stride);
    this.#vector = new Float32Array(memory.buffer, this.#vectorOffset, stride);
    this.#scores = new Float32Array(memory.buffer, this.#scoresOffset, rows);
  }

  scoreAll(vector: ArrayLike<number>, bias = 0): Float32Array {
    return this.#score(vector, 0, bias);
  }

  scoreAllFrom(source: ArrayLike<number>, offset: number): Float32Array {
    return this.#score(source, offset, 0);
  }

  /** Copies the vector into the instance's memory, then one kernel call over every row. */
  #score(source: ArrayLike<number>, offset: number, bias: number): Float32Array {
    for (let f = 0; f < this.factors; f++) this.#vector[f] = source[offset + f] as number;
    this.#kernel.scoreRows(0, this.rows, this.#stride, this.#vectorOffset, this.#scoresOffset, bias);
    return this.#scores;
  }

  setRow(row: number, source: ArrayLike<number>, offset: number): void {
    checkRow(row, this.rows);
    const table = this.#table;
    const start = row * this.#stride;
    for (let f = 0; f < this.factors; f++) table[start + f] = source[offset + f] as number;
  }
}

function checkRow(row: number, rows: number): void {
  if (!Number.isInteger(row) || row < 0 || row >= rows) throw new RangeError(`row ${row} is outside 0..${rows - 1}`);
}

/** The portable path: the scalar JavaScript loop, for runtimes without WebAssembly SIMD. */
class JsFactorScorer implements FactorScorer {
  readonly engine = 'js';
  readonly #scores: Float32Array;
  #vector: Float32Array | undefined;

  constructor(
    private readonly source: Float32Array,
    readonly rows: number,
    readonly factors: number,
  ) {
    this.#scores = new Float32Array(rows);
  }

  scoreAll(vector: ArrayLike<number>, bias = 0): Float32Array {
    const scores = scoreRows(this.source, this.rows, this.factors, vector, this.#scores);
    if (bias !== 0) for (let row = 0; row < this.rows; row++) scores[row] = (scores[row] as number) + bias;
    return scores;
  }

  scoreAllFrom(source: ArrayLike<number>, offset: number): Float32Array {
    const vector = (this.#vector ??= new Float32Array(this.factors));
    for (let f = 0; f < this.factors; f++) vector[f] = source[offset + f] as number;
    return this.scoreAll(vector);
  }

  setRow(row: number, source: ArrayLike<number>, offset: number): void {
    checkRow(row, this.rows);
    const start = row * this.factors;
    for (let f = 0; f < this.factors; f++) this.source[start + f] = source[offset + f] as number;
  }
}

/**
 * A scorer over `source` (rows × factors): the SIMD kernel where the runtime has it (Node ≥ 16.4,
 * Lambda, the SageMaker image), else the JavaScript loop. `engine: 'js'` forces the latter, for
 * tests that compare the two.
 */
export function factorScorer(
  source: Float32Array,
  rows: number,
  factors: number,
  engine?: FactorScorer['engine'],
): FactorScorer {
  if (source.length < rows * factors) throw new Error(`factor table holds ${source.length} < ${rows} × ${factors}`);
  const module = engine === 'js' ? null : simdModule(scoreRowsWasmBase64);
  if (module === null) {
    if (engine === 'wasm-simd') throw new Error('this runtime has no WebAssembly SIMD');
    return new JsFactorScorer(source, rows, factors);
  }
  return new WasmFactorScorer(module, source, rows, factors);
}
