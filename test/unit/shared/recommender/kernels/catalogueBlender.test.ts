import { describe, expect, it } from 'vitest';
import { blendCatalogueWasmBase64 } from '#shared/recommender/kernels/blendCatalogueWasm.ts';
import { BLOCK_ITEMS, catalogueBlender, type BlendTerms } from '#shared/recommender/kernels/catalogueBlender.ts';
import { mulberry32 } from '#shared/random.ts';
import { compileKernel } from '../../../../../tools/kernels.ts';

const ENGINES = ['wasm-simd', 'js'] as const;

/** A catalogue whose warm items have random factors and whose cold items have zero factors, as iALS leaves them. */
function catalogue(items: number, factors: number, seed: number) {
  const random = mulberry32(seed);
  const warmItems = Uint32Array.from(Array.from({ length: items }, (_, item) => item).filter(() => random() < 0.6));
  const itemFactors = new Float32Array(items * factors);
  for (const item of warmItems) {
    for (let f = 0; f < factors; f++) itemFactors[item * factors + f] = random() - 0.5;
  }
  const content = Float32Array.from({ length: items }, () => (random() < 0.3 ? 0 : random()));
  const vector = Array.from({ length: factors }, () => random() * 2 - 1);
  return { warmItems, itemFactors, content, vector };
}

/** The blend as its documentation states it, in float64. */
function expected(
  { warmItems, itemFactors, content, vector }: ReturnType<typeof catalogue>,
  items: number,
  factors: number,
  terms: BlendTerms,
): number[] {
  const out = Array.from(
    { length: items },
    (_, item) => terms.coldSlope * (content[item] as number) - terms.coldOffset,
  );
  for (const item of warmItems) {
    let dot = 0;
    for (let f = 0; f < factors; f++) dot += (itemFactors[item * factors + f] as number) * (vector[f] as number);
    out[item] = dot + terms.bias + terms.contentStep * (content[item] as number);
  }
  return out;
}

describe('catalogueBlender', () => {
  it('embeds exactly the binary that blendCatalogue.wat compiles to', async () => {
    const binary = await compileKernel('blendCatalogue');
    expect(Buffer.from(binary).toString('base64')).toBe(blendCatalogueWasmBase64);
  });

  it('uses the WebAssembly SIMD kernel on this runtime', () => {
    const { itemFactors, warmItems } = catalogue(8, 4, 1);
    expect(catalogueBlender(itemFactors, 8, 4, warmItems).engine).toBe('wasm-simd');
  });

  // Item and warm-row counts that are and are not multiples of the 4-lane step, factor counts
  // that need padding, and the production shape.
  it.each([
    [1, 1],
    [7, 3],
    [16, 4],
    [103, 9],
    [5_003, 64],
  ])('blends %i items × %i factors as documented, with both engines', (items, factors) => {
    const fixture = catalogue(items, factors, items + factors);
    const terms: BlendTerms = { bias: -0.25, contentStep: 0.4, coldSlope: 1.5, coldOffset: 0.75 };
    const want = expected(fixture, items, factors, terms);
    for (const engine of ENGINES) {
      const blender = catalogueBlender(fixture.itemFactors, items, factors, fixture.warmItems, { engine });
      blender.loadContent(fixture.content);
      const scores = blender.blend(fixture.vector, terms);
      expect(scores).toHaveLength(items);
      scores.forEach((score, item) => expect(score).toBeCloseTo(want[item] as number, 5));
    }
  });

  it.each([
    [7, 3],
    [103, 9],
    [5_003, 64],
    [2_001, 130],
  ])('quantized: %i items × %i factors within the error it states, and exact where refined', (items, factors) => {
    const fixture = catalogue(items, factors, items * 3 + factors);
    const terms: BlendTerms = { bias: -0.25, contentStep: 0.4, coldSlope: 1.5, coldOffset: 0.75 };
    const want = expected(fixture, items, factors, terms);
    const blender = catalogueBlender(fixture.itemFactors, items, factors, fixture.warmItems, { quantize: true });
    expect(blender.quantized).toBe(true);
    blender.loadContent(fixture.content);
    const scores = blender.blend(fixture.vector, terms);
    const error = blender.error;
    expect(error).toBeGreaterThan(0);
    let largestMiss = 0;
    scores.forEach((score, item) => {
      const miss = Math.abs(score - (want[item] as number));
      expect(miss).toBeLessThanOrEqual(error);
      largestMiss = Math.max(largestMiss, miss);
    });
    // Within the bound, yet not exact: the int8 rows are really what was read.
    if (factors > 3) expect(largestMiss).toBeGreaterThan(1e-6);

    // A caller's addition, then a top 10 taken from the approximate buffer, refined.
    const bump = fixture.warmItems[0] as number;
    scores[bump] = (scores[bump] as number) + 0.5;
    const exact = want.map((score, item) => (item === bump ? score + 0.5 : score));
    const topOf = (list: ArrayLike<number>, n: number) =>
      Array.from(list, (score, item) => [score, item] as const)
        .filter(([score]) => !Number.isNaN(score))
        .sort((a, b) => b[0] - a[0] || a[1] - b[1])
        .slice(0, n)
        .map(([, item]) => item);
    const before = Float32Array.from(scores);
    const top = Math.min(10, items);
    blender.blockMaxima();
    const refined = blender.refine(topOf(scores, top), true);

    // The buffer's top 10 is now the exact top 10, at exact scores; what changed is exact, and
    // fewer than all were refined.
    expect(topOf(scores, top)).toEqual(topOf(exact, top));
    for (const item of topOf(exact, top)) expect(scores[item]).toBeCloseTo(exact[item] as number, 4);
    let changed = 0;
    scores.forEach((score, item) => {
      if (score === before[item]) return;
      changed++;
      expect(score).toBeCloseTo(exact[item] as number, 4);
    });
    expect(refined).toBeGreaterThanOrEqual(changed);
    if (items > 1_000) expect(refined).toBeLessThan(items / 4);
    const { maxima } = blender.blockMaxima();
    maxima.forEach((max, block) =>
      expect(max).toBe(Math.max(...scores.subarray(block * BLOCK_ITEMS, (block + 1) * BLOCK_ITEMS))),
    );

    // A list that was not full: every warm item is made exact.
    blender.refine([], false);
    scores.forEach((score, item) => expect(score).toBeCloseTo(exact[item] as number, 4));
  });

  it('quantized: refine raises the block maxima it used, so a skipping top-k still sees refined items', () => {
    const items = BLOCK_ITEMS * 4;
    const fixture = catalogue(items, 16, 21);
    const blender = catalogueBlender(fixture.itemFactors, items, 16, fixture.warmItems, { quantize: true });
    blender.loadContent(fixture.content);
    const scores = blender.blend(fixture.vector, { bias: 0, contentStep: 0, coldSlope: 0, coldOffset: 0 });
    const { maxima } = blender.blockMaxima();
    blender.refine([], false);
    maxima.forEach((max, block) =>
      expect(max).toBeGreaterThanOrEqual(Math.max(...scores.subarray(block * BLOCK_ITEMS, (block + 1) * BLOCK_ITEMS))),
    );
  });

  it('the JavaScript loops are exact: no error, nothing to refine', () => {
    const fixture = catalogue(30, 8, 4);
    const blender = catalogueBlender(fixture.itemFactors, 30, 8, fixture.warmItems, { engine: 'js', quantize: true });
    blender.loadContent(fixture.content);
    blender.blend(fixture.vector, { bias: 0, contentStep: 1, coldSlope: 1, coldOffset: 0 });
    expect([blender.quantized, blender.error, blender.refine([], false)]).toEqual([false, 0, 0]);
  });

  it('never reads the factors of a cold item', () => {
    const fixture = catalogue(40, 8, 3);
    const poisoned = Float32Array.from(fixture.itemFactors);
    const warm = new Set(fixture.warmItems);
    for (let item = 0; item < 40; item++) if (!warm.has(item)) poisoned.fill(1e6, item * 8, item * 8 + 8);
    const terms: BlendTerms = { bias: 1, contentStep: 0, coldSlope: 2, coldOffset: 0 };
    for (const engine of ENGINES) {
      const clean = catalogueBlender(fixture.itemFactors, 40, 8, fixture.warmItems, { engine });
      const dirty = catalogueBlender(poisoned, 40, 8, fixture.warmItems, { engine });
      clean.loadContent(fixture.content);
      dirty.loadContent(fixture.content);
      expect(Float32Array.from(dirty.blend(fixture.vector, terms))).toEqual(
        Float32Array.from(clean.blend(fixture.vector, terms)),
      );
    }
  });

  it('sums the content scores, skipping NaN, with both engines', () => {
    const scores = Float32Array.from([0.5, Number.NaN, -1.25, 2, 0, 3, Number.NaN]);
    for (const engine of ENGINES) {
      const blender = catalogueBlender(new Float32Array(7 * 4), 7, 4, Uint32Array.from([0, 3]), { engine });
      expect(blender.loadContent(scores)).toEqual({ count: 5, sum: 4.25, squares: 14.8125, min: -1.25 });
      expect(blender.loadContent(Float32Array.from({ length: 7 }, () => Number.NaN))).toEqual({
        count: 0,
        sum: 0,
        squares: 0,
        min: Number.POSITIVE_INFINITY,
      });
    }
  });

  it('holds zeros for content after loadContent(undefined): a cold item gets the NaN offset, a warm item no content term', () => {
    const fixture = catalogue(12, 4, 5);
    for (const engine of ENGINES) {
      const blender = catalogueBlender(fixture.itemFactors, 12, 4, fixture.warmItems, { engine });
      blender.loadContent(fixture.content);
      blender.blend(fixture.vector, { bias: 0, contentStep: 1, coldSlope: 1, coldOffset: 0 });
      expect(blender.loadContent(undefined)).toMatchObject({ count: 0 });
      const scores = blender.blend(fixture.vector, { bias: 0, contentStep: 5, coldSlope: 0, coldOffset: Number.NaN });
      const warm = new Set(fixture.warmItems);
      const want = expected({ ...fixture, content: new Float32Array(12) }, 12, 4, {
        bias: 0,
        contentStep: 5,
        coldSlope: 0,
        coldOffset: Number.NaN,
      });
      scores.forEach((score, item) => {
        if (warm.has(item)) expect(score).toBeCloseTo(want[item] as number, 5);
        else expect(score).toBeNaN();
      });
    }
  });

  it('gives the largest score of every block of the buffer as it is now, NaN counted as −∞, with both engines', () => {
    const items = BLOCK_ITEMS * 3 + 5;
    const fixture = catalogue(items, 8, 9);
    for (const engine of ENGINES) {
      const blender = catalogueBlender(fixture.itemFactors, items, 8, fixture.warmItems, { engine });
      blender.loadContent(fixture.content);
      const scores = blender.blend(fixture.vector, { bias: 0, contentStep: 1, coldSlope: 1, coldOffset: 0 });
      scores[BLOCK_ITEMS + 7] = 1e6; // the caller's own addition after the blend
      const third = scores.subarray(2 * BLOCK_ITEMS, 3 * BLOCK_ITEMS);
      const thirdMax = Math.max(...third);
      third.fill(Number.NaN, 0, 10);
      third[20] = thirdMax + 1;
      third[21] = Number.NaN;
      scores.fill(Number.NaN, 3 * BLOCK_ITEMS);
      const { size, maxima } = blender.blockMaxima();
      expect(size).toBe(BLOCK_ITEMS);
      expect(maxima).toHaveLength(4);
      expect(maxima[0]).toBe(Math.max(...scores.subarray(0, BLOCK_ITEMS)));
      expect(maxima[1]).toBe(1e6);
      expect(maxima[2]).toBe(Math.fround(thirdMax + 1));
      expect(maxima[3]).toBe(Number.NEGATIVE_INFINITY);
    }
  });

  it('reuses its score buffer, so a second blend overwrites the first', () => {
    const fixture = catalogue(20, 4, 6);
    const blender = catalogueBlender(fixture.itemFactors, 20, 4, fixture.warmItems);
    blender.loadContent(fixture.content);
    const terms: BlendTerms = { bias: 0, contentStep: 0, coldSlope: 0, coldOffset: 0 };
    const first = blender.blend([1, 1, 1, 1], terms);
    expect(blender.blend([2, 2, 2, 2], terms)).toBe(first);
  });

  it('rejects content scores of another length, a warm item outside the catalogue and a short factor table', () => {
    const fixture = catalogue(10, 4, 7);
    for (const engine of ENGINES) {
      const blender = catalogueBlender(fixture.itemFactors, 10, 4, fixture.warmItems, { engine });
      expect(() => blender.loadContent(new Float32Array(9))).toThrow('content scores hold 9 items, not 10');
    }
    expect(() => catalogueBlender(fixture.itemFactors, 10, 4, Uint32Array.from([2, 10]))).toThrow(
      'warm item 10 is outside 0..9',
    );
    expect(() => catalogueBlender(new Float32Array(30), 10, 4, Uint32Array.from([1]))).toThrow(
      'factor table holds 30 < 10 × 4',
    );
    expect(() =>
      catalogueBlender(new Float32Array(2 * 300), 2, 300, Uint32Array.from([1]), { quantize: true }),
    ).toThrow('int8 rows hold at most 256 factors (int32 sums), got 300');
  });
});
