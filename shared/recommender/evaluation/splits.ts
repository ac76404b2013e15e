/**
 * Train/test splits for offline evaluation.
 *
 * - `loo-sampled`: the NCF protocol (He et al. 2017): each user's latest interaction is held out
 *   and ranked among `negatives` (99) items sampled uniformly from the items the user never
 *   touched. Cheap, and comparable with the published MovieLens-1M numbers.
 * - `loo-full`: the same held-out item, ranked against every item the user did not touch in
 *   training (the model's own `excludeSeen`). Harder and closer to what a shop sees.
 * - `time-split`: one global cutoff at a quantile of time; training is everything before it, and
 *   a user is tested on the items first met after it. Closest to production, where a model
 *   trained today serves tomorrow.
 *
 * Choices, documented because they change the numbers:
 * - Ties in the latest timestamp (a basket bought at once) are broken by a seeded hash of the
 *   user and item, so the held-out item does not depend on file order or on how ids sort.
 * - Leave-one-out removes *all* of the user's interactions with the held-out item from training
 *   (repeat purchases included): otherwise the model could "predict" an item it saw the user take.
 * - Users with fewer than two distinct items are not evaluated (nothing would be left to learn
 *   them from); their interactions stay in training so they still inform item statistics.
 * - Time-split tests only users with history before the cutoff (cold users need a different
 *   evaluation), and only on items they had not met before it. Items first seen after the cutoff
 *   stay relevant: a model that cannot recommend new items should pay for it.
 * - The catalogue (item metadata) is passed through whole: a shop knows its catalogue in advance.
 */
import type { Interaction, TrainingData } from '../model.ts';
import { hash32, randomFor, randomInt, shuffled } from './random.ts';

export const PROTOCOLS = ['loo-sampled', 'loo-full', 'time-split'] as const;
export type Protocol = (typeof PROTOCOLS)[number];

/** One user's test: what is relevant and, for sampled protocols, what to rank. */
export interface EvaluationCase {
  readonly userId: string;
  readonly relevant: ReadonlySet<string>;
  /** Items to rank (relevant + sampled negatives, shuffled); absent when ranking the whole catalogue. */
  readonly candidates?: readonly string[];
}

export interface Split {
  readonly protocol: Protocol;
  readonly train: TrainingData;
  readonly cases: readonly EvaluationCase[];
  /** Distinct items a model could recommend (training items and catalogue), for coverage. */
  readonly catalogueSize: number;
  /** Users with data that are not evaluated (too little history, or none before the cutoff). */
  readonly usersNotEvaluated: number;
  /** Time-split only: the first test timestamp (epoch seconds). */
  readonly cutoff?: number;
}

export interface SplitOptions {
  readonly protocol: Protocol;
  /** Seed for tie-breaking, negative sampling and user sampling (default 42). */
  readonly seed?: number;
  /** Sampled negatives per user for `loo-sampled` (default 99). */
  readonly negatives?: number;
  /** Time-split cutoff as a quantile of interaction timestamps (default 0.8). */
  readonly quantile?: number;
  /**
   * Evaluate at most this many users, a seeded sample, to bound evaluation time on large sets.
   * Users not sampled keep all their interactions in training.
   */
  readonly maxUsers?: number;
}

export const DEFAULT_SEED = 42;
export const DEFAULT_NEGATIVES = 99;
export const DEFAULT_QUANTILE = 0.8;

/** Interaction indices per user, in data order. */
function indicesByUser(interactions: readonly Interaction[]): Map<string, number[]> {
  const byUser = new Map<string, number[]>();
  interactions.forEach((interaction, i) => {
    const list = byUser.get(interaction.userId);
    if (list === undefined) byUser.set(interaction.userId, [i]);
    else list.push(i);
  });
  return byUser;
}

/** Distinct items of the interactions, in first-seen order. */
function distinctItems(interactions: readonly Interaction[]): string[] {
  const items = new Set<string>();
  for (const interaction of interactions) items.add(interaction.itemId);
  return [...items];
}

function catalogueSizeOf(data: TrainingData): number {
  const items = new Set<string>();
  for (const interaction of data.interactions) items.add(interaction.itemId);
  for (const entry of data.catalogue) items.add(entry.itemId);
  return items.size;
}

/** The seeded sample of users to evaluate, or all of them when `maxUsers` is not set. */
function sampleUsers(users: readonly string[], seed: number, maxUsers: number | undefined): Set<string> {
  if (maxUsers === undefined || users.length <= maxUsers) return new Set(users);
  const keyed = users.map((userId) => ({ userId, key: hash32(`${seed}:sample:${userId}`) }));
  keyed.sort((a, b) => a.key - b.key || (a.userId < b.userId ? -1 : 1));
  return new Set(keyed.slice(0, maxUsers).map((k) => k.userId));
}

/**
 * The index of the user's latest interaction; ties broken by a seeded hash of user and item
 * (then by item id, in the unlikely case of a hash collision).
 */
export function latestInteraction(
  interactions: readonly Interaction[],
  indices: readonly number[],
  seed: number,
): number {
  let best = indices[0] as number;
  let bestKey = -1;
  for (const i of indices) {
    const candidate = interactions[i] as Interaction;
    const current = interactions[best] as Interaction;
    if (candidate.timestamp < current.timestamp) continue;
    const key = hash32(`${seed}:${candidate.userId}:${candidate.itemId}`);
    if (bestKey < 0) bestKey = hash32(`${seed}:${current.userId}:${current.itemId}`);
    if (
      candidate.timestamp > current.timestamp ||
      key > bestKey ||
      (key === bestKey && candidate.itemId > current.itemId)
    ) {
      best = i;
      bestKey = key;
    }
  }
  return best;
}

/**
 * `count` items sampled uniformly without replacement from `universe`, none in `exclude`; all of
 * the eligible items when fewer exist.
 */
export function sampleNegatives(
  universe: readonly string[],
  exclude: ReadonlySet<string>,
  count: number,
  next: () => number,
): string[] {
  const eligible = universe.length - [...exclude].filter((item) => universeHas(universe, item)).length;
  if (eligible <= count) return universe.filter((item) => !exclude.has(item));
  // Rejection sampling: cheap when, as usual, the user touched a small part of the catalogue.
  if (eligible > 2 * count) {
    const chosen = new Set<string>();
    while (chosen.size < count) {
      const item = universe[randomInt(next, universe.length)] as string;
      if (!exclude.has(item)) chosen.add(item);
    }
    return [...chosen];
  }
  return shuffled(
    universe.filter((item) => !exclude.has(item)),
    next,
  ).slice(0, count);
}

/** Membership of the universe, cached per array so `sampleNegatives` stays linear. */
const universeSets = new WeakMap<readonly string[], Set<string>>();
function universeHas(universe: readonly string[], item: string): boolean {
  let set = universeSets.get(universe);
  if (set === undefined) {
    set = new Set(universe);
    universeSets.set(universe, set);
  }
  return set.has(item);
}

function leaveOneOut(data: TrainingData, options: SplitOptions): Split {
  const seed = options.seed ?? DEFAULT_SEED;
  const negatives = options.negatives ?? DEFAULT_NEGATIVES;
  const { interactions } = data;
  const byUser = indicesByUser(interactions);
  const eligible: string[] = [];
  for (const [userId, indices] of byUser) {
    const items = new Set<string>();
    for (const i of indices) {
      items.add((interactions[i] as Interaction).itemId);
      if (items.size >= 2) break;
    }
    if (items.size >= 2) eligible.push(userId);
  }
  const evaluated = sampleUsers(eligible, seed, options.maxUsers);
  const universe = options.protocol === 'loo-sampled' ? distinctItems(interactions) : [];
  const keep = new Uint8Array(interactions.length).fill(1);
  const cases: EvaluationCase[] = [];
  for (const [userId, indices] of byUser) {
    if (!evaluated.has(userId)) continue;
    const heldOut = (interactions[latestInteraction(interactions, indices, seed)] as Interaction).itemId;
    const touched = new Set<string>();
    for (const i of indices) {
      const itemId = (interactions[i] as Interaction).itemId;
      touched.add(itemId);
      if (itemId === heldOut) keep[i] = 0;
    }
    const relevant = new Set([heldOut]);
    if (options.protocol === 'loo-sampled') {
      const next = randomFor(seed, `negatives:${userId}`);
      const sampled = sampleNegatives(universe, touched, negatives, next);
      cases.push({ userId, relevant, candidates: shuffled([heldOut, ...sampled], next) });
    } else {
      cases.push({ userId, relevant });
    }
  }
  const train = interactions.filter((_, i) => keep[i] === 1);
  return {
    protocol: options.protocol,
    train: { interactions: train, catalogue: data.catalogue },
    cases,
    catalogueSize: catalogueSizeOf(data),
    usersNotEvaluated: byUser.size - cases.length,
  };
}

/** The timestamp at quantile `q` of all interactions (nearest rank). */
export function timeCutoff(interactions: readonly Interaction[], q: number): number {
  const times = Float64Array.from(interactions, (i) => i.timestamp).sort();
  return times[Math.min(times.length - 1, Math.max(0, Math.floor(q * (times.length - 1))))] as number;
}

function timeSplit(data: TrainingData, options: SplitOptions): Split {
  const seed = options.seed ?? DEFAULT_SEED;
  const quantile = options.quantile ?? DEFAULT_QUANTILE;
  if (!(quantile > 0 && quantile < 1)) throw new RangeError(`quantile must be between 0 and 1, got ${quantile}`);
  const { interactions } = data;
  const cutoff = timeCutoff(interactions, quantile);
  const train = interactions.filter((i) => i.timestamp < cutoff);
  const seen = new Map<string, Set<string>>();
  for (const { userId, itemId } of train) {
    const items = seen.get(userId);
    if (items === undefined) seen.set(userId, new Set([itemId]));
    else items.add(itemId);
  }
  const relevantByUser = new Map<string, Set<string>>();
  const users = new Set<string>();
  for (const { userId, itemId, timestamp } of interactions) {
    users.add(userId);
    if (timestamp < cutoff) continue;
    const history = seen.get(userId);
    if (history === undefined || history.has(itemId)) continue;
    const relevant = relevantByUser.get(userId);
    if (relevant === undefined) relevantByUser.set(userId, new Set([itemId]));
    else relevant.add(itemId);
  }
  const evaluated = sampleUsers([...relevantByUser.keys()], seed, options.maxUsers);
  const cases: EvaluationCase[] = [];
  for (const [userId, relevant] of relevantByUser) if (evaluated.has(userId)) cases.push({ userId, relevant });
  return {
    protocol: 'time-split',
    train: { interactions: train, catalogue: data.catalogue },
    cases,
    catalogueSize: catalogueSizeOf(data),
    usersNotEvaluated: users.size - cases.length,
    cutoff,
  };
}

/** Splits `data` by the protocol; throws when no user can be evaluated. */
export function splitData(data: TrainingData, options: SplitOptions): Split {
  if (!(PROTOCOLS as readonly string[]).includes(options.protocol)) {
    throw new RangeError(`unknown protocol ${String(options.protocol)}; valid: ${PROTOCOLS.join(', ')}`);
  }
  const split = options.protocol === 'time-split' ? timeSplit(data, options) : leaveOneOut(data, options);
  if (split.cases.length === 0) {
    throw new RangeError(
      `no user can be evaluated under ${options.protocol} (${data.interactions.length} interactions); more data is needed`,
    );
  }
  return split;
}

/**
 * A validation split for tuning, carved from the training part of the test split with the same
 * protocol, so tuning never looks at the test interactions.
 */
export function validationSplit(data: TrainingData, options: SplitOptions): Split {
  const test = splitData(data, options);
  return splitData(test.train, { ...options, seed: (options.seed ?? DEFAULT_SEED) + 1 });
}

/** Only interactions of the given event types (interactions without a type are kept). */
export function withEventTypes(data: TrainingData, eventTypes: readonly string[]): TrainingData {
  const wanted = new Set(eventTypes);
  return {
    interactions: data.interactions.filter((i) => i.eventType === undefined || wanted.has(i.eventType)),
    catalogue: data.catalogue,
  };
}
