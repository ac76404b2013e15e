import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HYBRID_PARAMS, hybridTrainer } from '#shared/recommender/algorithms/hybrid.ts';
import { loadServingModel } from '../../../model/lib/loading.ts';
import { clusterData } from '../shared/recommender/algorithms/fixtures.ts';

describe('loadServingModel', () => {
  it('warms the model up with its most popular item before it is served', async () => {
    // Prepare
    const dir = await mkdtemp(join(tmpdir(), 'loading-'));
    try {
      const model = await hybridTrainer.fit(clusterData(), {
        [HYBRID_PARAMS.ials.factors]: 8,
        [HYBRID_PARAMS.ials.iterations]: 5,
      });
      await model.save(dir);

      // Act
      const loaded = await loadServingModel(dir, { modelVersion: 'v-test' });

      // Assess
      expect(loaded.warmedWith).toBe(model.recommend({ count: 1 })[0]?.itemId);
      expect(loaded.warmUpMs).toBeGreaterThanOrEqual(0);
      expect(loaded.serving.modelVersion).toBe('v-test');
      await loaded.cleanup();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
