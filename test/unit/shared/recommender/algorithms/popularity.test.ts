import { describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { popularityTrainer } from '#shared/recommender/algorithms/popularity.ts';
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
    const gardener = model.recommend({ count: 2, recentItems: [{ itemId: GARDEN[1] as string, eventType: 'view' }] });

    // Assess
    expect(KITCHEN).toContain(anonymous[0]?.itemId);
    expect(gardener.every((r) => GARDEN.includes(r.itemId))).toBe(true);
    expect(gardener[0]?.reason).toBe('popular in Garden');
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
    const trending = await popularityTrainer.fit(data, { 'trend.weight': 1 });

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
      delete manifest.hyperparameters['trend.weight'];
      delete manifest.hyperparameters['trend.halfLifeDays'];
      delete manifest.hyperparameters['decay.reference'];
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
