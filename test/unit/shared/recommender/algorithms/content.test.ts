import { describe, expect, it } from 'vitest';
import {
  CONTENT_PARAMS,
  contentTrainer,
  similarItemsFromText,
  tokenize,
} from '#shared/recommender/algorithms/content.ts';
import { trainerFor } from '#shared/recommender/registry.ts';
import { clusterData, COLD_GARDEN_ITEM, GARDEN, KITCHEN } from './fixtures.ts';

describe('Algorithm: content', () => {
  it('tokenises lowercased words and drops stop words and single characters', () => {
    // Act
    const tokens = tokenize('The Stainless-Steel Kettle, 1.7 L: for YOUR kitchen');

    // Assess
    expect(tokens).toEqual(['stainless', 'steel', 'kettle', 'kitchen']);
  });

  it('finds items similar to a cold item from its text and categories alone', async () => {
    // Prepare
    const model = await contentTrainer.fit(clusterData());

    // Act
    const similar = model.similarItems(COLD_GARDEN_ITEM, 6);

    // Assess
    expect(similar.map((r) => r.itemId).sort()).toEqual([...GARDEN].sort());
    expect(similar[0]?.reason).toBe(`similar to ${COLD_GARDEN_ITEM}`);
  });

  describe('Function: similarItemsFromText', () => {
    const KITCHEN_TEXT = { title: 'Kitchen ladle', description: 'Stainless steel utensil for meals.', categories: [] };

    it('returns items similar to an item the model was not trained on, from its text alone', async () => {
      // Prepare
      const model = await contentTrainer.fit(clusterData());

      // Act
      const similar = similarItemsFromText(model, 'ladle-new', KITCHEN_TEXT, 6);

      // Assess
      expect(similar?.map((r) => r.itemId).sort()).toEqual([...KITCHEN].sort());
      expect(similar?.[0]?.reason).toBe('similar to ladle-new');
    });

    it("returns the hybrid's content answer, attribute values counting as words, with filters applied", async () => {
      // Prepare
      const model = await trainerFor('hybrid').fit(clusterData());
      const text = { categories: [], attributes: { use: 'cooking utensil, dishwasher safe', weight: 2 } };

      // Act
      const similar = similarItemsFromText(model, 'ladle-new', text, 3, { maxPrice: 22 });

      // Assess: the kitchen items priced 20 to 22, ahead of the cheaper garden ones.
      expect(similar?.map((r) => r.itemId).sort()).toEqual(['kitchen-knife', 'kitchen-pan', 'kitchen-whisk']);
    });

    it('returns undefined for an item the model was trained on, or text with no word it knows', async () => {
      // Prepare
      const model = await contentTrainer.fit(clusterData());

      // Act
      const known = similarItemsFromText(model, GARDEN[0] as string, KITCHEN_TEXT, 3);
      const unknownWords = similarItemsFromText(model, 'x-new', { title: 'zzz qqq', categories: [] }, 3);

      // Assess
      expect(known).toBeUndefined();
      expect(unknownWords).toBeUndefined();
    });
  });

  it('recommends the cold garden item to a gardener from their profile', async () => {
    // Prepare
    const model = await contentTrainer.fit(clusterData());

    // Act
    const ranked = model.recommend({ userId: 'gardener-2', count: 3, filters: { excludeSeen: true } });

    // Assess
    expect(ranked.map((r) => r.itemId)).toContain(COLD_GARDEN_ITEM);
    expect(ranked.some((r) => KITCHEN.includes(r.itemId))).toBe(false);
  });

  it('keeps only the heaviest profile terms when profileTerms is set, and still ranks the shopper their cluster', async () => {
    // Prepare
    const full = await contentTrainer.fit(clusterData());
    const pruned = await contentTrainer.fit(clusterData(), { [CONTENT_PARAMS.profileTerms]: 2 });
    const query = { userId: 'gardener-5', count: 4 };

    // Act
    const fullScores = full.recommend(query).map((r) => r.score);
    const prunedRanked = pruned.recommend(query);

    // Assess: different scores (fewer terms), the same neighbourhood.
    expect(prunedRanked.map((r) => r.score)).not.toEqual(fullScores);
    expect(prunedRanked.every((r) => GARDEN.includes(r.itemId) || r.itemId === COLD_GARDEN_ITEM)).toBe(true);
  });

  it('rejects a profileTerms that is not a whole number, naming it', async () => {
    await expect(contentTrainer.fit(clusterData(), { [CONTENT_PARAMS.profileTerms]: -1 })).rejects.toThrow(
      'profileTerms must be a whole number ≥ 0, got -1',
    );
  });
});
