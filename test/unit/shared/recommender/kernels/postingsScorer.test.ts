import { describe, expect, it } from 'vitest';
import { postingsScorer } from '#shared/recommender/kernels/postingsScorer.ts';
import { scorePostingsWasmBase64 } from '#shared/recommender/kernels/scorePostingsWasm.ts';
import { transpose, type SparseRows } from '#shared/recommender/matrix.ts';
import { mulberry32 } from '#shared/random.ts';
import { compileKernel } from '../../../../../tools/kernels.ts';

const ENGINES = ['wasm-simd', 'js'] as const;

/** Item → term vectors with a few terms each (some items with none), and their inverted index. */
function index(items: number, terms: number, seed: number): { vectors: SparseRows; postings: SparseRows } {
  const random = mulberry32(seed);
  const pointers = new Uint32Array(items + 1);
  const indices: number[] = [];
  const values: number[] = [];
  for (let item = 0; item < items; item++) {
    const own = [...new Set(Array.from({ length: Math.floor(random() * 5) }, () => Math.floor(random() * terms)))];
    for (const term of own.sort((a, b) => a - b)) {
      indices.push(term);
      values.push(random());
    }
    pointers[item + 1] = indices.length;
  }
  const vectors = { pointers, indices: Uint32Array.from(indices), values: Float32Array.from(values) };
  return { vectors, postings: transpose(vectors, terms) };
}

/** Σ weight × value in float64, straight from the item vectors. */
function expected(vectors: SparseRows, profile: ReadonlyMap<number, number>, scale: number): number[] {
  return Array.from({ length: vectors.pointers.length - 1 }, (_, item) => {
    let sum = 0;
    for (let p = vectors.pointers[item] as number; p < (vectors.pointers[item + 1] as number); p++) {
      sum += (profile.get(vectors.indices[p] as number) ?? 0) * scale * (vectors.values[p] as number);
    }
    return sum;
  });
}

describe('postingsScorer', () => {
  it('embeds exactly the binary that scorePostings.wat compiles to', async () => {
    const binary = await compileKernel('scorePostings');
    expect(Buffer.from(binary).toString('base64')).toBe(scorePostingsWasmBase64);
  });

  it('uses the WebAssembly kernel on this runtime', () => {
    expect(postingsScorer(index(5, 3, 1).postings, 5).engine).toBe('wasm-simd');
  });

  it.each([
    [1, 1],
    [7, 3],
    [1_001, 40],
  ])('scores %i items over %i terms as the item vectors say, with both engines', (items, terms) => {
    const { vectors, postings } = index(items, terms, items + terms);
    const random = mulberry32(terms);
    const profile = new Map(
      Array.from({ length: Math.min(terms, 12) }, () => [Math.floor(random() * terms), random() * 2 - 0.5]),
    );
    const want = expected(vectors, profile, 0.5);
    for (const engine of ENGINES) {
      const scores = postingsScorer(postings, items, engine).score(profile, 0.5);
      expect(scores).toHaveLength(items);
      scores.forEach((score, item) => expect(score).toBeCloseTo(want[item] as number, 5));
    }
  });

  it('starts every call from zero, so an earlier profile leaves nothing behind', () => {
    const { vectors, postings } = index(50, 6, 2);
    for (const engine of ENGINES) {
      const scorer = postingsScorer(postings, 50, engine);
      scorer.score(
        new Map([
          [0, 1],
          [1, 1],
          [2, 1],
          [3, 1],
          [4, 1],
          [5, 1],
        ]),
      );
      const scores = scorer.score(new Map([[2, 3]]));
      const want = expected(vectors, new Map([[2, 3]]), 1);
      scores.forEach((score, item) => expect(score).toBeCloseTo(want[item] as number, 5));
      expect(scorer.score(new Map())).toEqual(new Float32Array(50));
    }
  });

  it('rejects a profile term outside the vocabulary and postings that name items outside the catalogue', () => {
    const { postings } = index(10, 4, 3);
    for (const engine of ENGINES) {
      expect(() => postingsScorer(postings, 10, engine).score(new Map([[4, 1]]))).toThrow(
        'profile term 4 is outside 0..3',
      );
    }
    expect(() => postingsScorer(postings, 2)).toThrow(/names item \d+, outside 0..1/);
  });
});
