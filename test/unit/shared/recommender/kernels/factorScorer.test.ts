import { describe, expect, it } from 'vitest';
import { factorScorer } from '#shared/recommender/kernels/factorScorer.ts';
import { scoreRowsWasmBase64 } from '#shared/recommender/kernels/scoreRowsWasm.ts';
import { mulberry32 } from '#shared/random.ts';
import { compileKernel } from '../../../../../tools/kernels.ts';

function randomTable(rows: number, factors: number, seed: number): Float32Array {
  const random = mulberry32(seed);
  return Float32Array.from({ length: rows * factors }, () => random() - 0.5);
}

/** row · vector in float64, the reference both engines must match to float32 rounding. */
function exactScores(table: Float32Array, rows: number, factors: number, vector: ArrayLike<number>): number[] {
  return Array.from({ length: rows }, (_, row) => {
    let sum = 0;
    for (let f = 0; f < factors; f++) sum += (table[row * factors + f] as number) * (vector[f] as number);
    return sum;
  });
}

describe('factorScorer', () => {
  it('embeds exactly the binary that scoreRows.wat compiles to', async () => {
    const binary = await compileKernel('scoreRows');
    expect(Buffer.from(binary).toString('base64')).toBe(scoreRowsWasmBase64);
  });

  it('uses the WebAssembly SIMD kernel on this runtime', () => {
    expect(factorScorer(randomTable(8, 4, 1), 8, 4).engine).toBe('wasm-simd');
  });

  // Row counts that are and are not multiples of the kernel's 4-row step, factor counts that need
  // padding to the 4-lane width, and the production shape.
  it.each([
    [1, 1],
    [3, 5],
    [4, 4],
    [13, 7],
    [1_001, 64],
    [257, 130],
  ])('scores %i rows × %i factors like the exact dot products, with both engines', (rows, factors) => {
    const table = randomTable(rows, factors, rows * 31 + factors);
    const vector = Array.from(randomTable(1, factors, 99));
    const exact = exactScores(table, rows, factors, vector);
    for (const engine of ['wasm-simd', 'js'] as const) {
      const scores = factorScorer(table, rows, factors, engine).scoreAll(vector);
      expect(scores).toHaveLength(rows);
      scores.forEach((score, row) => expect(score).toBeCloseTo(exact[row] as number, 5));
    }
  });

  it('adds the bias to every row, with both engines', () => {
    const table = randomTable(9, 8, 3);
    const vector = Array.from(randomTable(1, 8, 4));
    const exact = exactScores(table, 9, 8, vector);
    for (const engine of ['wasm-simd', 'js'] as const) {
      const scores = factorScorer(table, 9, 8, engine).scoreAll(vector, 2.5);
      scores.forEach((score, row) => expect(score).toBeCloseTo((exact[row] as number) + 2.5, 5));
    }
  });

  it('reuses its score buffer, so a second call overwrites the first', () => {
    const table = randomTable(10, 8, 5);
    const scorer = factorScorer(table, 10, 8);
    const first = scorer.scoreAll(new Array(8).fill(1));
    const kept = Float32Array.from(first);
    const second = scorer.scoreAll(new Array(8).fill(-1));
    expect(second).toBe(first);
    second.forEach((score, row) => expect(score).toBeCloseTo(-(kept[row] as number), 6));
  });

  it('copies the factors, so later writes to the source do not change its scores', () => {
    const table = randomTable(6, 4, 8);
    const scorer = factorScorer(table, 6, 4);
    const before = Float32Array.from(scorer.scoreAll([1, 2, 3, 4]));
    table.fill(0);
    expect(Float32Array.from(scorer.scoreAll([1, 2, 3, 4]))).toEqual(before);
  });

  it('rejects a table smaller than rows × factors', () => {
    expect(() => factorScorer(new Float32Array(10), 3, 4)).toThrow('factor table holds 10 < 3 × 4');
  });

  it('scores a vector read from another table at an offset, and rows rewritten in place, with both engines', () => {
    const other = randomTable(5, 12, 21);
    for (const engine of ['wasm-simd', 'js'] as const) {
      const table = new Float32Array(3 * 12);
      const scorer = factorScorer(table, 3, 12, engine);
      scorer.setRow(0, other, 4 * 12);
      scorer.setRow(2, other, 1 * 12);
      const expected = exactScores(
        Float32Array.from([...other.subarray(48, 60), ...new Array<number>(12).fill(0), ...other.subarray(12, 24)]),
        3,
        12,
        other.subarray(24, 36),
      );

      const scores = scorer.scoreAllFrom(other, 2 * 12);

      scores.forEach((score, row) => expect(score).toBeCloseTo(expected[row] as number, 5));
    }
  });

  it.each([-1, 3, 1.5])('rejects setRow(%s) outside the table', (row) => {
    const scorer = factorScorer(new Float32Array(12), 3, 4);
    expect(() => scorer.setRow(row, new Float32Array(4), 0)).toThrow(`row ${row} is outside 0..2`);
  });
});
