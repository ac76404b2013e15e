import { describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { POPULARITY_PARAMS, popularityTrainer } from '#shared/recommender/algorithms/popularity.ts';
import { WEIGHTING_PARAMS } from '#shared/recommender/matrix.ts';
import { loadModel } from '#shared/recommender/registry.ts';
import type { TrainingData } from '#shared/recommender/model.ts';
import { clusterData, GARDEN, KITCHEN } from './fixtures.ts';

describe('Algorithm: popularity', () => {
  it('ranks the most interacted-with items first with reason "popular"', async () => {
    // Prepare
    const data: TrainingData = {
      interactions: [
        { userId: 'a', itemId: 'mug', timestamp: 10, eventType: 'view' },
        { userId: 'b', itemId: 'mug', timestamp: 10, eventType: 'view' },
        { userId: 'a', itemId: 'cup', timestamp: 10, eventType: 'purchase' },
        { userId: 'c', itemId: 'plate', timestamp: 10, eventType: 'view' },
      ],
      catalogue: [],
    };
    const model = await popularityTrainer.fit(data);

    // Act
    const ranked = model.recommend({ count: 3 });

    // Assess
    expect(ranked.map((r) => r.itemId)).toEqual(['cup', 'mug', 'plate']);
    expect(ranked[0]?.reason).toBe('popular');
  });

  it('lifts the shopper’s categories and says "popular in <category>"', async () => {
    // Prepare
    const model = await popularityTrainer.fit(clusterData());

    // Act
    const anonymous = model.recommend({ count: 1 });
    const gardener = model.recommend({
      count: 2,
      recentItems: [GARDEN[1], GARDEN[2]].map((itemId) => ({ itemId: itemId as string, eventType: 'view' })),
    });

    // Assess
    expect(KITCHEN).toContain(anonymous[0]?.itemId);
    expect(gardener.every((r) => GARDEN.includes(r.itemId))).toBe(true);
    expect(gardener[0]?.reason).toBe('popular in Garden');
  });

  it('lifts a category by the shopper’s share of it over the catalogue’s, more the longer the history', async () => {
    // Prepare: niche-1 sold 3 times, big-1 15 times; a fan bought ten niche items, a newcomer one.
    const niche = Array.from({ length: 11 }, (_, n) => `niche-${n + 1}`);
    const crowd = (itemId: string, count: number) =>
      Array.from({ length: count }, (_, n) => ({ userId: `crowd-${n}`, itemId, timestamp: 10 }));
    const interactions = [
      ...crowd('big-1', 15),
      ...crowd('big-2', 12),
      ...crowd('niche-1', 3),
      ...niche.slice(1).map((itemId, n) => ({ userId: 'fan', itemId, timestamp: 20 + n })),
      { userId: 'newcomer', itemId: 'niche-2', timestamp: 40 },
    ];
    const catalogue = [
      ...['big-1', 'big-2'].map((itemId) => ({ itemId, categories: ['Big'] })),
      ...niche.map((itemId) => ({ itemId, categories: ['Niche'] })),
    ];
    const model = await popularityTrainer.fit({ interactions, catalogue });

    // Act
    const fan = model.recommend({ userId: 'fan', count: 2 });
    const newcomer = model.recommend({ userId: 'newcomer', count: 2 });

    // Assess: five times the sales, yet the fan's own category leads; one purchase is not enough.
    expect(fan.map((r) => r.itemId)).toEqual(['niche-1', 'big-1']);
    expect(fan.map((r) => r.reason)).toEqual(['popular in Niche', 'popular']);
    expect(newcomer.map((r) => r.itemId)).toEqual(['big-1', 'big-2']);
  });

  it('ranks a new shopper by the totals themselves, block maxima included, as a plain sort of the totals does', async () => {
    // Prepare: a catalogue over several 64-item blocks, with ties and items nobody touched.
    const itemIds = Array.from({ length: 300 }, (_, n) => `sku-${String(n).padStart(3, '0')}`);
    const data: TrainingData = {
      interactions: itemIds.flatMap((itemId, n) =>
        Array.from({ length: (n * 37) % 7 }, (_, k) => ({ userId: `s${k}`, itemId, timestamp: 10, eventType: 'view' })),
      ),
      catalogue: itemIds.map((itemId, n) => ({ itemId, categories: [n % 2 === 0 ? 'Even' : 'Odd'] })),
    };
    const model = await popularityTrainer.fit(data);
    const totals = new Map(itemIds.map((id) => [id, data.interactions.filter((i) => i.itemId === id).length]));
    const byTotal = [...totals].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));

    // Act
    const top = model.recommend({ count: 25 });
    const odd = model.recommend({ count: 5, filters: { category: 'Odd' } });

    // Assess
    expect(top.map((r) => r.itemId)).toEqual(byTotal.slice(0, 25).map(([id]) => id));
    expect(top.every((r) => r.reason === 'popular')).toBe(true);
    const oddIds = byTotal.filter(([id]) => Number(id.slice(4)) % 2 === 1).map(([id]) => id);
    expect(odd.map((r) => r.itemId)).toEqual(oddIds.slice(0, 5));
    expect(odd.every((r) => r.reason === 'popular')).toBe(true);
  });

  it('ranks candidates with the same scores and reasons as a whole-catalogue list gives them', async () => {
    // Prepare
    const model = await popularityTrainer.fit(clusterData());
    const recentItems = [{ itemId: GARDEN[1] as string, eventType: 'view' }];
    const candidates = [KITCHEN[0] as string, GARDEN[2] as string, GARDEN[0] as string, 'unknown-item'];

    // Act
    const whole = model.recommend({ count: 100, recentItems });
    const ranked = model.recommend({ count: 4, recentItems, candidates });
    const anonymous = model.recommend({ count: 4, candidates });

    // Assess
    const wholeById = new Map(whole.map((r) => [r.itemId, r]));
    for (const item of ranked.filter((r) => r.itemId !== 'unknown-item')) {
      expect(item.score).toBeCloseTo(wholeById.get(item.itemId)?.score as number, 6);
      expect(item.reason).toBe(wholeById.get(item.itemId)?.reason);
    }
    // In the whole list's order, the unknown id last.
    expect(ranked.map((r) => r.itemId)).toEqual([
      ...whole.map((r) => r.itemId).filter((id) => candidates.includes(id)),
      'unknown-item',
    ]);
    expect(ranked.at(-1)?.itemId).toBe('unknown-item');
    expect(anonymous.map((r) => r.itemId)).toHaveLength(4);
  });

  it('answers similar items with popular items of the same category', async () => {
    // Prepare
    const model = await popularityTrainer.fit(clusterData());

    // Act
    const similar = model.similarItems(KITCHEN[0] as string, 4);

    // Assess
    expect(similar).toHaveLength(4);
    expect(similar.every((r) => KITCHEN.includes(r.itemId) && r.itemId !== KITCHEN[0])).toBe(true);
  });

  it('counts all time by default and lifts what sells now with trend.weight', async () => {
    // Prepare: the mug sold three times a year ago, the cup twice in the last days.
    const DAY = 86_400;
    const now = 400 * DAY;
    const data: TrainingData = {
      interactions: [
        ...['a', 'b', 'c'].map((userId) => ({ userId, itemId: 'mug', timestamp: now - 365 * DAY, eventType: 'view' })),
        ...['d', 'e'].map((userId) => ({ userId, itemId: 'cup', timestamp: now - DAY, eventType: 'view' })),
      ],
      catalogue: [],
    };

    // Act
    const allTime = await popularityTrainer.fit(data);
    const trending = await popularityTrainer.fit(data, { [POPULARITY_PARAMS.trendWeight]: 1 });

    // Assess
    expect(allTime.recommend({ count: 2 }).map((r) => r.itemId)).toEqual(['mug', 'cup']);
    expect(trending.recommend({ count: 2 }).map((r) => r.itemId)).toEqual(['cup', 'mug']);
  });

  it('loads an artifact written before the trend totals existed (base item totals)', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'popularity-'));
    try {
      const model = await popularityTrainer.fit(clusterData());
      await model.save(dir);
      const manifestPath = join(dir, 'manifest.json');
      const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as {
        files: Record<string, unknown>;
        hyperparameters: Record<string, unknown>;
      };
      delete manifest.files['popularity.totals.f32'];
      delete manifest.hyperparameters[POPULARITY_PARAMS.trendWeight];
      delete manifest.hyperparameters[POPULARITY_PARAMS.trendHalfLifeDays];
      delete manifest.hyperparameters[WEIGHTING_PARAMS.decayReference];
      await writeFile(manifestPath, JSON.stringify(manifest));
      await unlink(join(dir, 'popularity.totals.f32'));

      // Act
      const loaded = await loadModel(dir);

      // Assess
      expect(KITCHEN).toContain(loaded.recommend({ count: 1 })[0]?.itemId);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
