import type { ShopperScope } from '../auth/caller.ts';
import type { ShopperProfile, ShopperStore } from '../ports/index.ts';

/** The shopper a request is for, as the serving path sees them. */
export interface ServedShopper {
  /** `u:<userId>` or `a:<anonymousId>`. */
  readonly key: string;
  readonly profile?: ShopperProfile;
  /** Part of the cache key: a new event or an erasure makes a new version, so the next request misses. */
  readonly featureVersion: number;
}

const found = (key: string, stored: { profile: ShopperProfile; featureVersion: number } | undefined): ServedShopper =>
  stored ? { key, profile: stored.profile, featureVersion: stored.featureVersion } : { key, featureVersion: 0 };

/**
 * Finds the shopper behind an id, within what the caller may read (`scope`):
 * - `any` (the shop's backend): the signed-in history wins; an anonymous history merged by
 *   `identify` is followed to where it went;
 * - `anonymous` (a browser without a user token): the anonymous profile of the id only, never a
 *   signed-in one, not even the one it was merged into;
 * - `signedIn` (a browser with that user's token): the signed-in profile only.
 */
export async function findShopper(
  shoppers: Pick<ShopperStore, 'readShopper'>,
  id: string,
  scope: ShopperScope = 'any',
): Promise<ServedShopper> {
  if (scope === 'anonymous') return found(`a:${id}`, await shoppers.readShopper(`a:${id}`));
  if (scope === 'signedIn') return found(`u:${id}`, await shoppers.readShopper(`u:${id}`));
  const [signedIn, anonymous] = await Promise.all([shoppers.readShopper(`u:${id}`), shoppers.readShopper(`a:${id}`)]);
  if (signedIn) return found(`u:${id}`, signedIn);
  const mergedInto = anonymous?.profile.mergedInto;
  if (mergedInto !== undefined) return found(mergedInto, await shoppers.readShopper(mergedInto));
  if (anonymous) return found(`a:${id}`, anonymous);
  return { key: `u:${id}`, featureVersion: 0 };
}

/** Whether the shopper was erased: their history and their trained factors are never used again. */
export const erased = (shopper: ServedShopper): boolean => shopper.profile?.erasedAt !== undefined;
