import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { packModel, unpackModel } from '#shared/recommender/io/tar.ts';
import { loadModel, trainerFor, trainers, validateHyperparameters } from '#shared/recommender/registry.ts';
import { ALGORITHMS, type Hyperparameters, type RecommendationQuery } from '#shared/recommender/model.ts';
import { HYBRID_PARAMS } from '#shared/recommender/algorithms/hybrid.ts';
import { IALS_PARAMS } from '#shared/recommender/algorithms/ials.ts';
import { WEIGHTING_PARAMS } from '#shared/recommender/matrix.ts';
import { HyperparameterError } from '#shared/recommender/hyperparameters.ts';
import { clusterData, COLD_GARDEN_ITEM, GARDEN, KITCHEN } from './algorithms/fixtures.ts';

/** The typed reason of the HyperparameterError that `act` throws. */
function reasonOf(act: () => unknown): HyperparameterError['reason'] | undefined {
  try {
    act();
  } catch (error) {
    if (error instanceof HyperparameterError) return error.reason;
    throw error;
  }
  return undefined;
}

const SMALL: Readonly<Record<string, Hyperparameters>> = {
  ials: { [IALS_PARAMS.factors]: 8, [IALS_PARAMS.iterations]: 5 },
  hybrid: { [HYBRID_PARAMS.ials.factors]: 8, [HYBRID_PARAMS.ials.iterations]: 5 },
};

const QUERIES: RecommendationQuery[] = [
  { userId: 'gardener-3', count: 5 },
  { userId: 'cook-1', count: 4, filters: { excludeSeen: true, inStockOnly: true } },
  { count: 5, recentItems: [{ itemId: KITCHEN[0] as string, eventType: 'view', timestamp: 5 }] },
  { userId: 'nobody', count: 3 },
  { userId: 'gardener-0', count: 10, candidates: ['unknown-item', ...GARDEN, COLD_GARDEN_ITEM] },
];

describe('Registry', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'registry-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('has a trainer for every algorithm and names the valid ones for an unknown name', () => {
    // Act
    const names = Object.values(trainers).map((t) => t.algorithm);

    // Assess
    expect(names.sort()).toEqual([...ALGORITHMS].sort());
    expect(trainerFor('ials').algorithm).toBe('ials');
    expect(() => trainerFor('bpr')).toThrow(
      'unknown algorithm "bpr"; valid: hybrid, ials, item-knn, popularity, content',
    );
  });

  it('rejects an unknown hyperparameter by name and lists the valid ones', () => {
    // Act
    const validate = (): unknown => validateHyperparameters(trainerFor('item-knn'), { neighbors: 10 });

    // Assess
    expect(validate).toThrow(/unknown hyperparameter "neighbors" for item-knn; valid names: .*neighbours/);
  });

  it('rejects a wrong type and accepts numbers and booleans spelled as strings', () => {
    // Prepare
    const trainer = trainerFor('ials');

    // Act
    const resolved = validateHyperparameters(trainer, {
      [IALS_PARAMS.factors]: '32',
      [WEIGHTING_PARAMS.eventValueLog]: 'false',
    });

    // Assess
    expect(resolved[IALS_PARAMS.factors]).toBe(32);
    expect(resolved[WEIGHTING_PARAMS.eventValueLog]).toBe(false);
    expect(resolved[IALS_PARAMS.iterations]).toBe(trainer.defaults[IALS_PARAMS.iterations]);
    expect(() => validateHyperparameters(trainer, { [IALS_PARAMS.factors]: 'many' })).toThrow(
      'hyperparameter "factors" for ials must be a number, got "many"',
    );
    expect(() => validateHyperparameters(trainer, { [WEIGHTING_PARAMS.eventValueLog]: 1 })).toThrow(
      /must be true or false/,
    );
    expect(reasonOf(() => validateHyperparameters(trainer, { [IALS_PARAMS.factors]: 'many' }))).toBe('wrong_type');
    expect(reasonOf(() => validateHyperparameters(trainer, { nonsense: 1 }))).toBe('unknown_name');
  });

  it.each(ALGORITHMS)('saves and loads %s with identical recommendations and similar items', async (algorithm) => {
    // Prepare
    const model = await trainerFor(algorithm).fit(clusterData(), SMALL[algorithm] ?? {});
    await model.save(dir);

    // Act
    const loaded = await loadModel(dir);

    // Assess
    expect(loaded.algorithm).toBe(algorithm);
    for (const query of QUERIES) expect(loaded.recommend(query)).toEqual(model.recommend(query));
    expect(loaded.similarItems(GARDEN[1] as string, 4)).toEqual(model.similarItems(GARDEN[1] as string, 4));
    expect(loaded.similarItems(COLD_GARDEN_ITEM, 4)).toEqual(model.similarItems(COLD_GARDEN_ITEM, 4));
  });

  it('packs a model into model.tar.gz and unpacks it to a loadable copy', async () => {
    // Prepare
    const model = await trainerFor('hybrid').fit(clusterData(), SMALL['hybrid']);
    const modelDir = join(dir, 'model');
    const copyDir = join(dir, 'copy');
    await model.save(modelDir);

    // Act
    await packModel(modelDir, join(dir, 'model.tar.gz'));
    await unpackModel(join(dir, 'model.tar.gz'), copyDir);
    const loaded = await loadModel(copyDir);

    // Assess
    expect((await readdir(copyDir)).sort()).toEqual((await readdir(modelDir)).sort());
    expect(loaded.recommend(QUERIES[0] as RecommendationQuery)).toEqual(
      model.recommend(QUERIES[0] as RecommendationQuery),
    );
  });

  it('refuses an archive without a manifest', async () => {
    // Prepare
    const empty = join(dir, 'empty');
    await mkdtemp(join(dir, 'x'));
    await packModel(join(dir, (await readdir(dir))[0] as string), join(dir, 'empty.tar.gz'));

    // Act
    const unpack = unpackModel(join(dir, 'empty.tar.gz'), empty);

    // Assess
    await expect(unpack).rejects.toThrow('archive has no manifest.json at its root');
  });
});
