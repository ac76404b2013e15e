import { describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ComponentModel } from '#shared/recommender/component.ts';
import { resolveShopper } from '#shared/recommender/shopperHistory.ts';
import {
  HYBRID_PARAMS,
  HybridComponent,
  hybridTrainer,
  normalisation,
  zScore,
  zScores,
} from '#shared/recommender/algorithms/hybrid.ts';
import { loadModel } from '#shared/recommender/registry.ts';
import { clusterData, COLD_GARDEN_ITEM, GARDEN, KITCHEN, latentData } from './fixtures.ts';

const SMALL = { [HYBRID_PARAMS.ials.factors]: 8, [HYBRID_PARAMS.ials.iterations]: 10 };

describe('Algorithm: hybrid', () => {
  it('recommends a known shopper their cluster, the cold look-alike item included', async () => {
    // Prepare
    const model = await hybridTrainer.fit(clusterData(), SMALL);

    // Act
    const ranked = model.recommend({ userId: 'gardener-5', count: 3, filters: { excludeSeen: true } });

    // Assess
    // gardener-5 viewed garden items 5, 0, 1 and 2 (see the fixture), so 3 and 4 are unseen.
    expect(ranked.map((r) => r.itemId).sort()).toEqual([GARDEN[3], GARDEN[4], COLD_GARDEN_ITEM].sort());
  });

  it('serves a shopper with a few kitchen views kitchen items', async () => {
    // Prepare
    const model = await hybridTrainer.fit(clusterData(), SMALL);

    // Act
    const ranked = model.recommend({
      count: 3,
      recentItems: [{ itemId: KITCHEN[2] as string, eventType: 'view' }],
      filters: { excludeSeen: true },
    });

    // Assess
    expect(ranked.every((r) => KITCHEN.includes(r.itemId))).toBe(true);
    expect(ranked[0]?.reason).toMatch(/^because you viewed kitchen-/);
  });

  it('falls back to popularity for a shopper it knows nothing about', async () => {
    // Prepare
    const model = await hybridTrainer.fit(clusterData(), SMALL);

    // Act
    const ranked = model.recommend({ userId: 'stranger', count: 2 });

    // Assess
    expect(ranked).toHaveLength(2);
    expect(ranked.every((r) => r.reason === 'popular')).toBe(true);
  });

  it('finds similar items for a warm item by co-occurrence and for a cold item by text', async () => {
    // Prepare
    const model = await hybridTrainer.fit(clusterData(), SMALL);

    // Act
    const warm = model.similarItems(KITCHEN[1] as string, 3);
    const cold = model.similarItems(COLD_GARDEN_ITEM, 3, { inStockOnly: true });

    // Assess
    expect(warm.every((r) => KITCHEN.includes(r.itemId))).toBe(true);
    expect(cold.every((r) => GARDEN.includes(r.itemId) && r.itemId !== GARDEN[0])).toBe(true);
  });

  it.each([
    ['a well-known shopper', { userId: 'gardener-5' }],
    ['a shopper with one live view', { recentItems: [{ itemId: KITCHEN[2] as string, eventType: 'view' }] }],
    ['a known shopper with live views', { userId: 'gardener-1', recentItems: [{ itemId: KITCHEN[0] as string }] }],
  ])('blends the whole catalogue (sparse path) as scoring every item as a candidate does, for %s', async (_, query) => {
    // Prepare
    const model = await hybridTrainer.fit(clusterData(), SMALL);
    if (!(model instanceof ComponentModel) || !(model.component instanceof HybridComponent)) throw new Error('hybrid');
    const shopper = resolveShopper(model.base, query);
    const everyItem = Array.from({ length: model.base.catalogue.size }, (_, item) => item);

    // Act: the whole-catalogue path (Gramian moments + one WebAssembly pass) and the candidate
    // path (every source normalised over the candidates, here all items) are separate code.
    const whole = model.component.score(shopper);
    // The whole-catalogue path reads int8 factors: made exact everywhere before comparing.
    expect(whole?.refineFor).toBeDefined();
    whole?.refineFor?.([], false);
    const wholeScores = Float32Array.from(whole?.scores ?? []);
    const wholeReasons = everyItem.map((item) => whole?.reason(item));
    const candidates = model.component.score(shopper, everyItem);

    // Assess
    expect(wholeScores).toHaveLength(everyItem.length);
    everyItem.forEach((item) => {
      expect(wholeScores[item]).toBeCloseTo(candidates?.scores[item] as number, 4);
      expect(wholeReasons[item]).toBe(candidates?.reason(item));
    });
  });

  it('lists what float32 factors list, from int8 factors refined near the cut', async () => {
    // Prepare: two copies of one model, one reading int8 factors and one float32.
    const { data } = latentData(300, 900, 12, 3);
    const catalogue = data.interactions
      .map((i) => i.itemId)
      .filter((id, n, all) => all.indexOf(id) === n)
      .map((itemId, n) => ({ itemId, categories: [`c${n % 5}`], price: n % 50, title: `item ${n % 37} thing` }));
    const params = { [HYBRID_PARAMS.ials.factors]: 32, [HYBRID_PARAMS.ials.iterations]: 8 };
    const quantized = await hybridTrainer.fit({ ...data, catalogue }, params);
    const exact = await hybridTrainer.fit({ ...data, catalogue }, params);
    if (!(exact instanceof ComponentModel) || !(exact.component instanceof HybridComponent)) throw new Error('hybrid');
    exact.component.quantize = false;
    const queries = Array.from({ length: 60 }, (_, n) => ({
      ...(n % 3 === 0 ? {} : { userId: `u${n}` }),
      recentItems: n % 2 === 0 ? [{ itemId: catalogue[(n * 7) % catalogue.length]?.itemId as string }] : [],
      count: [1, 10, 50, 400][n % 4] as number,
      ...(n % 5 === 0 ? { filters: { category: 'c2', excludeSeen: true } } : {}),
    }));

    for (const query of queries) {
      // Act
      const fromInt8 = quantized.recommend(query);
      const fromFloat32 = exact.recommend(query);

      // Assess: the same items and reasons, scores equal within rounding (the two paths round
      // differently, so items whose float32 scores tie may swap and are compared by id).
      const byId = (list: typeof fromInt8) =>
        [...list].sort((a, b) => (a.itemId < b.itemId ? -1 : 1)).map((r) => `${r.itemId} ${r.reason}`);
      expect(byId(fromInt8)).toEqual(byId(fromFloat32));
      const exactScore = new Map(fromFloat32.map((r) => [r.itemId, r.score]));
      for (const r of fromInt8) expect(Math.abs(r.score - (exactScore.get(r.itemId) as number))).toBeLessThan(1e-4);
    }
  });

  it('z-normalises a source and gives missing scores the lowest z-score', () => {
    // Act
    const z = zScores(Float32Array.from([1, 2, 3, Number.NaN]));

    // Assess
    expect(z[1]).toBeCloseTo(0, 6);
    expect(z[2]).toBeCloseTo(1.2247, 3);
    expect(z[3]).toBeCloseTo(z[0] as number, 6);
  });

  it('z-normalises over the masked items only, or over the `only` items', () => {
    // Prepare
    const scores = Float32Array.from([1, 2, 3, 100, Number.NaN]);

    // Act
    const masked = zScores(scores, Uint8Array.from([1, 1, 1, 0, 1]));
    const candidates = normalisation(scores, undefined, [2, 3]);

    // Assess: item 3 is outside the mask, so the mean and sd are those of 1, 2, 3.
    expect(masked[1]).toBeCloseTo(0, 6);
    expect(masked[3]).toBeCloseTo((100 - 2) / Math.sqrt(2 / 3), 3);
    expect(masked[4]).toBeCloseTo(masked[0] as number, 6);
    // Over items 2 and 3 only: mean 51.5, sd 48.5, so they are −1 and 1.
    expect(candidates).toEqual({ count: 2, mean: 51.5, sd: 48.5, min: 3 });
    expect(zScore(scores, candidates, 2)).toBe(-1);
    expect(zScore(scores, candidates, 4)).toBe(-1);
    expect(zScore(scores, normalisation(Float32Array.from([Number.NaN])), 0)).toBeNaN();
  });

  it('loads an artifact written before popularity joined the blend, with the same answers', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'hybrid-'));
    try {
      const model = await hybridTrainer.fit(clusterData(), { ...SMALL, [HYBRID_PARAMS.blend.popularityWeight]: 0 });
      await model.save(dir);
      const manifestPath = join(dir, 'manifest.json');
      const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as { files: Record<string, unknown> };
      delete manifest.files['popularity.totals.f32'];
      await writeFile(manifestPath, JSON.stringify(manifest));
      await unlink(join(dir, 'popularity.totals.f32'));
      const settingsPath = join(dir, 'hybrid.settings.json');
      const { popularityWeight: _dropped, ...oldSettings } = JSON.parse(await readFile(settingsPath, 'utf8')) as Record<
        string,
        number
      >;
      await writeFile(settingsPath, JSON.stringify(oldSettings));

      // Act
      const loaded = await loadModel(dir);
      const query = { userId: 'gardener-5', count: 3, filters: { excludeSeen: true } } as const;

      // Assess
      expect(loaded.recommend(query)).toEqual(model.recommend(query));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
