import { featureLimits } from '../config/index.ts';
import type { DecayedScore, ShopperProfile } from '../ports/index.ts';

/**
 * A shopper's category affinities. Category names come from the catalogue API, so any string is
 * one, `constructor` and `__proto__` included: they are only ever keys of a Map or own properties
 * of an object without a prototype, never read as `object[name]` from an ordinary object.
 */
export type CategoryAffinities = ShopperProfile['categoryAffinities'];

/** Brings a decayed score to time `at` and adds `weight`; never below zero. */
export function addDecayed(
  previous: DecayedScore | undefined,
  weight: number,
  at: number,
  halfLifeMs: number,
): DecayedScore {
  if (!previous) return { score: Math.max(0, weight), at };
  const latest = Math.max(previous.at, at);
  const decayedPrevious = previous.score * 2 ** (-(latest - previous.at) / halfLifeMs);
  const decayedWeight = weight * 2 ** (-(latest - at) / halfLifeMs);
  return { score: Math.max(0, decayedPrevious + decayedWeight), at: latest };
}

/** The affinities as a Map, from the record's own properties only. */
export function affinityMap(affinities: CategoryAffinities): Map<string, DecayedScore> {
  return new Map(Object.entries(affinities));
}

/**
 * The affinities as a record without a prototype, bounded to
 * `featureLimits.categoryAffinitiesPerUser`: the strongest once all are decayed to the newest
 * update among them (ties by name), so the bound keeps the same ones in every store.
 */
export function affinityRecord(
  affinities: ReadonlyMap<string, DecayedScore> | Iterable<readonly [string, DecayedScore]>,
  limit: number = featureLimits.categoryAffinitiesPerUser,
): CategoryAffinities {
  let entries = [...affinities];
  if (entries.length > limit) {
    const halfLifeMs = featureLimits.affinityHalfLifeSeconds * 1000;
    const latest = Math.max(...entries.map(([, score]) => score.at));
    const now = (score: DecayedScore) => score.score * 2 ** (-(latest - score.at) / halfLifeMs);
    entries = entries
      .map(([category, score]) => ({ category, score, strength: now(score) }))
      .sort((a, b) => b.strength - a.strength || (a.category < b.category ? -1 : a.category > b.category ? 1 : 0))
      .slice(0, limit)
      .map(({ category, score }) => [category, score] as const);
  }
  const record = Object.create(null) as Record<string, DecayedScore>;
  for (const [category, score] of entries) record[category] = score;
  return record;
}

/** No affinities; frozen and without a prototype, like every affinity record the domain builds. */
export const noAffinities: CategoryAffinities = Object.freeze(Object.create(null) as Record<string, DecayedScore>);
