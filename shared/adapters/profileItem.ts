import { featureTable } from '../config/index.ts';
import { affinityRecord } from '../features/affinities.ts';
import { FeatureItemRejectedError } from '../features/errors.ts';
import type { DecayedScore, ShopperProfile } from '../ports/index.ts';
import { DYNAMO_MAX_ITEM_BYTES, measureItem } from './dynamoItemSize.ts';

/** The key of a shopper's profile item in the feature table. */
export const shopperItemKey = (shopperKey: string): Record<string, string> => ({
  [featureTable.partitionKey.name]: `U#${shopperKey}`,
  [featureTable.sortKey.name]: 'PROFILE',
});

/** A category affinity as stored: an entry of a list, since a category name is outside data. */
interface StoredAffinity {
  readonly category: string;
  readonly score: number;
  readonly at: number;
}

/**
 * The profile as the feature table holds it. Category affinities are a list of
 * `{category, score, at}`, not a map keyed by name: the document client cannot marshal a map key
 * named `constructor` and silently drops one named `__proto__`.
 */
export function storedProfile(profile: ShopperProfile): Record<string, unknown> {
  const categoryAffinities: StoredAffinity[] = [];
  for (const [category, { score, at }] of Object.entries(profile.categoryAffinities)) {
    categoryAffinities.push({ category, score, at });
  }
  return { ...profile, categoryAffinities };
}

/** The profile from its stored form; profiles written before the list keep a map, read the same. */
export function profileFromStored(stored: Readonly<Record<string, unknown>>): ShopperProfile {
  const affinities = stored.categoryAffinities;
  const entries: [string, DecayedScore][] = Array.isArray(affinities)
    ? (affinities as StoredAffinity[]).map(({ category, score, at }) => [category, { score, at }])
    : Object.entries((affinities ?? {}) as Record<string, DecayedScore>);
  // Unbounded: what was stored is read back as it was; the next fold bounds it.
  return { ...stored, categoryAffinities: affinityRecord(entries, Infinity) } as unknown as ShopperProfile;
}

/**
 * Throws a {@link FeatureItemRejectedError} when DynamoDB would refuse `item` whatever the retry:
 * larger than 400 KB, or holding a value it (or the document client) cannot take. `sizes`: see
 * {@link measureItem}.
 */
export function checkItem(
  item: Readonly<Record<string, unknown>>,
  name: string,
  sizes?: WeakMap<object, number>,
): void {
  const measure = measureItem(item, sizes);
  if ('invalidAt' in measure) {
    throw new FeatureItemRejectedError('item_invalid', `${name}: ${measure.invalidAt} is ${measure.problem}`);
  }
  if (measure.bytes > DYNAMO_MAX_ITEM_BYTES) {
    throw new FeatureItemRejectedError(
      'item_too_large',
      `${name} would be ${measure.bytes} bytes, over DynamoDB's item limit of ${DYNAMO_MAX_ITEM_BYTES}`,
    );
  }
}
