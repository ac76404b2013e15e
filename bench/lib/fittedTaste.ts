/**
 * How close to the synthetic set's Bayes ceiling a model could come: a scorer given the generator's
 * form and part of its hidden truth (every item's popularity and genre, each user's drift genre),
 * which fits only what a user's history must reveal, their taste weights over the genres, by
 * maximum likelihood (EM) on their training interactions. The Bayes ceiling knows those weights
 * too; the gap between the two is what no model trained on the data can close.
 */
import type { Interaction } from '#shared/recommender/model.ts';
import { syntheticLines, type SyntheticItems, type SyntheticUser } from '../data/synthetic.ts';

/** The shape `syntheticDataset()` generates by default (bench/data/synthetic.ts). */
const SHAPE = { seed: 7, users: 6_040, items: 3_700, medianActivity: 88, genres: 18 } as const;
/** The generator's constants: a fifth of choices follow popularity alone; drift reaches 35 %. */
const POPULARITY_ONLY_SHARE = 0.2;
const DRIFT_AT_END = 0.35;
const EM_ROUNDS = 40;

/** A user's taste weights over the genres by EM, given the drift genre and each choice's position. */
function fitTaste(genres: readonly number[], activity: number, drift: number, prior: Float64Array): Float64Array {
  const count = prior.length;
  let taste = new Float64Array(count).fill(1 / count);
  for (let round = 0; round < EM_ROUNDS; round++) {
    const expected = new Float64Array(count);
    genres.forEach((genre, n) => {
      const driftShare = (DRIFT_AT_END * n) / activity;
      const fromTaste = (1 - POPULARITY_ONLY_SHARE) * (1 - driftShare) * (taste[genre] as number);
      const total =
        POPULARITY_ONLY_SHARE * (prior[genre] as number) +
        fromTaste +
        (genre === drift ? (1 - POPULARITY_ONLY_SHARE) * driftShare : 0);
      expected[genre] = (expected[genre] as number) + fromTaste / total;
    });
    const sum = expected.reduce((a, b) => a + b, 0);
    taste = sum > 0 ? expected.map((value) => value / sum) : taste;
  }
  return taste;
}

/** Scores (userId, itemId) by the generator's probability with each user's taste fitted on `train`. */
export function fittedTasteScorer(train: readonly Interaction[]): (userId: string, itemId: string) => number {
  let items: SyntheticItems | undefined;
  const users = new Map<string, SyntheticUser>();
  for (const _ of syntheticLines(SHAPE, {
    items: (truth) => (items = truth),
    user: (truth) => users.set(truth.userId, truth),
  })) {
    // Only the observed truth is needed.
  }
  const { genreOf, popularity } = items as SyntheticItems;
  const genreTotals = new Float64Array(SHAPE.genres);
  let total = 0;
  popularity.forEach((p, item) => {
    const genre = genreOf[item] as number;
    genreTotals[genre] = (genreTotals[genre] as number) + p;
    total += p;
  });
  const genreShare = genreTotals.map((g) => g / total);
  const histories = new Map<string, { genre: number; timestamp: number }[]>();
  for (const { userId, itemId, timestamp } of train) {
    let history = histories.get(userId);
    if (history === undefined) histories.set(userId, (history = []));
    history.push({ genre: genreOf[Number(itemId.slice(1))] as number, timestamp });
  }
  const shares = new Map<string, Float64Array>();
  const shareOf = (userId: string): Float64Array | undefined => {
    const known = shares.get(userId);
    if (known !== undefined) return known;
    const user = users.get(userId);
    const history = histories.get(userId);
    if (user === undefined || history === undefined) return undefined;
    const ordered = [...history].sort((a, b) => a.timestamp - b.timestamp).map((h) => h.genre);
    const taste = fitTaste(ordered, user.activity, user.drift, genreShare);
    // Genre shares of the user's last choice: popularity-only, taste, and the drift at its end.
    const driftShare = (DRIFT_AT_END * (user.activity - 1)) / user.activity;
    const share = genreShare.map(
      (g, genre) =>
        POPULARITY_ONLY_SHARE * g +
        (1 - POPULARITY_ONLY_SHARE) *
          ((1 - driftShare) * (taste[genre] as number) + (genre === user.drift ? driftShare : 0)),
    );
    shares.set(userId, share);
    return share;
  };
  return (userId, itemId) => {
    const item = Number(itemId.slice(1));
    const share = shareOf(userId);
    if (share === undefined || !Number.isInteger(item) || item < 0 || item >= popularity.length) return 0;
    const genre = genreOf[item] as number;
    return ((popularity[item] as number) / (genreTotals[genre] as number)) * (share[genre] as number);
  };
}
