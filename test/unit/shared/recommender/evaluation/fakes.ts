/** Fake trainers and data for evaluation tests: a seeded random model and an oracle. */
import type {
  Model,
  RecommendationQuery,
  ScoredItem,
  Trainer,
  TrainingData,
  Interaction,
} from '#shared/recommender/model.ts';
import { hash32, mulberry32 } from '#shared/recommender/evaluation/random.ts';
import type { Split } from '#shared/recommender/evaluation/splits.ts';

/** A model scoring items by `score(userId, itemId)`; excludeSeen uses the training data. */
export function scoringModel(
  data: TrainingData,
  score: (userId: string, itemId: string) => number,
  algorithm: Model['algorithm'] = 'popularity',
): Model {
  const items = [...new Set(data.interactions.map((i) => i.itemId))];
  const seen = new Map<string, Set<string>>();
  for (const { userId, itemId } of data.interactions) {
    seen.set(userId, (seen.get(userId) ?? new Set()).add(itemId));
  }
  return {
    algorithm,
    recommend(query: RecommendationQuery): ScoredItem[] {
      const userId = query.userId ?? '';
      const exclude = query.filters?.excludeSeen === true ? (seen.get(userId) ?? new Set()) : new Set();
      const pool = (query.candidates ?? items).filter((itemId) => !exclude.has(itemId));
      return pool
        .map((itemId) => ({ itemId, score: score(userId, itemId) }))
        .sort((a, b) => b.score - a.score || (a.itemId < b.itemId ? -1 : 1))
        .slice(0, query.count);
    },
    similarItems: () => [],
    save: () => Promise.resolve(),
  };
}

/** Scores items at random (seeded per user and item). */
export const randomTrainer: Trainer = {
  algorithm: 'popularity',
  defaults: {},
  fit: (data) => Promise.resolve(scoringModel(data, (userId, itemId) => hash32(`random:${userId}:${itemId}`))),
};

/** Knows the test answers: relevant items score 1, everything else 0. */
export function oracleTrainer(split: Split, algorithm: Model['algorithm'] = 'ials'): Trainer {
  const relevant = new Map(split.cases.map((c) => [c.userId, c.relevant]));
  return {
    algorithm,
    defaults: {},
    fit: (data) =>
      Promise.resolve(
        scoringModel(data, (userId, itemId) => (relevant.get(userId)?.has(itemId) === true ? 1 : 0), algorithm),
      ),
  };
}

/** Seeded interactions: `users` users with 3 to 12 interactions each over `items` items, increasing time. */
export function syntheticData(users: number, items: number, seed = 1): TrainingData {
  const next = mulberry32(seed);
  const interactions: Interaction[] = [];
  for (let u = 0; u < users; u++) {
    const count = 3 + Math.floor(next() * 10);
    let timestamp = 1_600_000_000 + Math.floor(next() * 1_000_000);
    for (let n = 0; n < count; n++) {
      // A skewed item choice, so popularity means something.
      const itemIndex = Math.floor(items * next() ** 2);
      interactions.push({ userId: `u${u}`, itemId: `i${itemIndex}`, timestamp, eventType: 'purchase' });
      timestamp += Math.floor(next() * 3) * 3600;
    }
  }
  return { interactions, catalogue: [] };
}
